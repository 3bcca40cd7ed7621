"""One set of rules for an elder's archive fields, shared by the form, the API, the
importer and the demo, so the same input gets the same answer everywhere.

``clean_elder_fields`` takes raw strings and returns clean values plus errors keyed by
field, each message plain Chinese without the field name (callers prefix the label).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from yiyang.core.identifiers import (
    IdentifierError,
    IdNumber,
    normalize_person_name,
    normalize_phone,
    parse_id_number,
)
from yiyang.core.text import LINE_MAX, NOTE_MAX, clip, too_long
from yiyang.elders.models import Category, LivingSituation
from yiyang.regions.models import Region

FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "联系电话",
    "region_code": "社区代码",
    "address": "居住地址",
    "living_situation": "居住情况",
    "categories": "人员类别",
    "hukou_local": "本地户籍",
    "notes": "备注",
    "contact_name": "紧急联系人",
    "contact_phone": "紧急联系人电话",
}

_CATEGORY_SPLIT = re.compile(r"[、;；,，\s]+")
ECHO_MAX = 20  # an unknown value is quoted back in a message at most this long


@dataclass
class Lookups:
    """Reference data loaded once per batch (the importer validates a million rows with one)."""

    communities: dict[str, Region]
    categories_by_key: dict[str, Category]
    today: dt.date = field(default_factory=timezone.localdate)

    @classmethod
    def load(cls) -> Lookups:
        communities = {r.code: r for r in Region.objects.filter(level=Region.Level.COMMUNITY, active=True)}
        by_key: dict[str, Category] = {}
        for c in Category.objects.filter(derived=False):
            by_key[c.code] = c
            by_key[c.name] = c
        return cls(communities=communities, categories_by_key=by_key)


_LIVING = {c.value: c.value for c in LivingSituation} | {str(c.label): c.value for c in LivingSituation}


def parse_living_situation(raw: str) -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    if value not in _LIVING:
        options = "、".join(str(c.label) for c in LivingSituation)
        raise IdentifierError(f"“{clip(value, ECHO_MAX)}”不是可选的居住情况（可选：{options}）")
    return _LIVING[value]


def parse_categories(raw: Any, lookups: Lookups) -> list[Category]:
    if raw is None or raw == "":
        return []
    parts = raw if isinstance(raw, list | tuple) else _CATEGORY_SPLIT.split(str(raw))
    result: list[Category] = []
    unknown = []
    for part in (str(p).strip() for p in parts):
        if not part:
            continue
        cat = lookups.categories_by_key.get(part)
        if cat is None:
            unknown.append(part)
        elif cat not in result:
            result.append(cat)
    if unknown:
        raise IdentifierError(f"未知的人员类别：{clip('、'.join(unknown), ECHO_MAX * 3)}")
    return result


@dataclass
class CleanElder:
    name: str = ""
    id: IdNumber | None = None
    phone: str = ""
    region: Region | None = None
    address: str = ""
    living_situation: str = ""
    categories: list[Category] = field(default_factory=list)
    hukou_local: bool = True
    notes: str = ""


def clean_elder_fields(
    raw: dict[str, Any], lookups: Lookups, *, partial: bool = False
) -> tuple[CleanElder, dict[str, list[str]]]:
    """Validate the fields present in ``raw``. With ``partial`` (an edit) absent fields
    are left alone; otherwise 姓名, 身份证号 and 社区代码 are required."""
    clean = CleanElder()
    errors: dict[str, list[str]] = {}
    get = raw.get  # a value of None counts as absent
    # Written out rather than through small helpers: the importer calls this once per row
    # of a million-row file.

    if not partial or get("name") is not None:
        try:
            clean.name = normalize_person_name(str(get("name") or ""))
        except IdentifierError as exc:
            errors.setdefault("name", []).append(str(exc))
    if not partial or get("id_number") is not None:
        try:
            clean.id = parse_id_number(str(get("id_number") or ""), today=lookups.today)
        except IdentifierError as exc:
            errors.setdefault("id_number", []).append(str(exc))
    value = get("phone")
    if value is not None:
        value = str(value).strip()
        if value:
            try:
                clean.phone = normalize_phone(value)
            except IdentifierError as exc:
                errors.setdefault("phone", []).append(str(exc))
    if not partial or get("region_code") is not None:
        code = str(get("region_code") or "").strip()
        if not code:
            errors.setdefault("region_code", []).append("不能为空")
        else:
            region = lookups.communities.get(code)
            if region is None:
                errors.setdefault("region_code", []).append(
                    f"{clip(code, ECHO_MAX)} 不是本系统区划中的社区代码（应为12位社区代码）")
            clean.region = region
    value = get("address")
    if value is not None:
        clean.address = str(value).strip()
        if message := too_long(clean.address, LINE_MAX):
            errors.setdefault("address", []).append(message)
    value = get("living_situation")
    if value is not None:
        try:
            clean.living_situation = parse_living_situation(str(value))
        except IdentifierError as exc:
            errors.setdefault("living_situation", []).append(str(exc))
    value = get("categories")
    if value is not None:
        try:
            clean.categories = parse_categories(value, lookups)
        except IdentifierError as exc:
            errors.setdefault("categories", []).append(str(exc))
    value = get("hukou_local")
    if value is not None:
        clean.hukou_local = value if isinstance(value, bool) else str(value).strip() not in ("否", "0", "false", "False")
    value = get("notes")
    if value is not None:
        clean.notes = str(value).strip()
        if message := too_long(clean.notes, NOTE_MAX):
            errors.setdefault("notes", []).append(message)
    return clean, errors


def label_errors(errors: dict[str, list[str]]) -> list[str]:
    """``{"id_number": ["校验位错误"]}`` → ``["身份证号：校验位错误"]``."""
    return [f"{FIELD_LABELS.get(k, k)}：{m}" for k, msgs in errors.items() for m in msgs]
