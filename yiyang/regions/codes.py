"""Pure helpers over 12-digit 统计用区划代码."""

from __future__ import annotations

import re

from yiyang.core.access import prefix_range  # noqa: F401 - the primitive lives in core
from yiyang.regions.models import PREFIX_LENGTH

CODE_RE = re.compile(r"^\d{12}$")


def level_of(code: str) -> str:
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "district"
    if code[9:] == "000":
        return "street"
    return "community"


def parent_code(code: str) -> str | None:
    level = level_of(code)
    order = ["province", "city", "district", "street", "community"]
    idx = order.index(level)
    if idx == 0:
        return None
    keep = PREFIX_LENGTH[order[idx - 1]]
    return code[:keep] + "0" * (12 - keep)


def prefix_of(code: str) -> str:
    return code[: PREFIX_LENGTH[level_of(code)]]


def normalize_code(raw: str) -> str:
    """Accept a code with fewer digits (e.g. '440304001') and pad it to 12."""
    value = (raw or "").strip()
    if value.isdigit() and len(value) in (2, 4, 6, 9, 12):
        return value.ljust(12, "0")
    return value
