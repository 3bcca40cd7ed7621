"""Bounds of list parameters shared by every API list: a number past any sensible range is
a 400 in Chinese, never an OFFSET the database cannot hold (a 500 on SQLite and PostgreSQL)."""

from __future__ import annotations

from yiyang.core.exceptions import FieldErrors

# 10 million rows at the largest page size: far past any jurisdiction, well inside a 64-bit OFFSET.
MAX_PAGE = 100_000
MAX_PAGE_SIZE_PARAM = 1_000_000  # larger page sizes are cut to the list's maximum; past this, a 400


def page_window(page: int, page_size: int, *, max_page_size: int) -> tuple[int, int, int]:
    """(page, page_size, start) of a list page. A page below 1 is page 1 and a page size past the
    list's maximum is cut to it (documented in docs/api.md §3); numbers past any range are a 400."""
    errors: dict[str, list[str]] = {}
    if abs(page) > MAX_PAGE:
        errors["page"] = [f"页码超出范围（最大 {MAX_PAGE}）"]
    if abs(page_size) > MAX_PAGE_SIZE_PARAM:
        errors["page_size"] = [f"每页条数超出范围（最多 {max_page_size}）"]
    if errors:
        raise FieldErrors(errors, message="页码或每页条数超出范围")
    size = max(1, min(page_size, max_page_size))
    page = max(1, page)
    return page, size, (page - 1) * size


def int_in_range(value: int, *, field: str, low: int, high: int, label: str) -> int:
    """A bounded integer parameter: outside [low, high] is a 400 naming the field."""
    if not low <= value <= high:
        raise FieldErrors({field: [f"{label}应在 {low} 到 {high} 之间"]}, message=f"{label}超出范围")
    return value
