"""The supervisor's overview: one row per child region of the caller's node (a street's
communities, a district's streets) and one column per figure the apps register
(``core.registry.REGION_FIGURES``): visit rate, assessment coverage, overdue counts… Each
number links to the records behind it, and the table downloads as ``.xlsx``.

Core knows no app by name: the columns come from the registry, the rows from the caller's
node (``user.region.children``)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from yiyang.core.exceptions import ApplicationError
from yiyang.core.registry import FigureValue, RegionFigure, region_figures_for


@dataclass
class OverviewRow:
    region: Any
    cells: list[FigureValue | None]
    total: bool = False


@dataclass
class Overview:
    month: dt.date
    figures: list[RegionFigure]
    rows: list[OverviewRow]


def month_parse(raw: str | None) -> dt.date:
    """``YYYY-MM`` → the month's first day; empty → this month. Anything else is refused in
    plain Chinese (never a 500)."""
    if not raw:
        today = timezone.localdate()
        return today.replace(day=1)
    try:
        year, month = (int(p) for p in raw.split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise ApplicationError("月份格式应为 YYYY-MM，例如 2026-11", code="bad_month", status=400) from exc


def overview_for(user: Any, month: dt.date) -> Overview | None:
    """The table for ``user``'s node, or None when the node has no children (a community
    worker) or no figure applies to the role."""
    node = getattr(user, "region", None)
    if node is None:
        return None
    children = list(node.children.filter(active=True).order_by("code"))
    figures = region_figures_for(user)
    if not children or not figures:
        return None
    regions = [*children, node]
    columns = [figure.compute(user, regions, month) for figure in figures]
    rows = [OverviewRow(region, [column.get(region.code) for column in columns], total=region is node)
            for region in regions]
    return Overview(month=month, figures=figures, rows=rows)


def overview_xlsx(overview: Overview) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{overview.month:%Y-%m}")
    sheet.append(["区划代码", "区域", *[str(f.label) for f in overview.figures]])
    for row in overview.rows:
        name = f"{row.region.name}（合计）" if row.total else row.region.name
        sheet.append([row.region.code, name, *[_cell(c) for c in row.cells]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: FigureValue | None) -> Any:
    if value is None or value.value is None:
        return None
    return value.value
