"""What entitlements put on shared pages (registered in ``apps.py``): the worker's "待告知政策"
list — elders newly entitled to a benefit who have not been told yet — and the supervisor's
column of the same count per region."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse

from yiyang.core.access import at_community
from yiyang.core.registry import FigureValue, TodoItems, TodoRow
from yiyang.entitlements import selectors


def _untold(user: Any):
    return selectors.entitlement_changes_for(user, selectors.ChangeFilters(newly_entitled=True, acknowledged=False))


def todo_untold(request: Any) -> TodoItems | None:
    if not at_community(request.user):
        return None
    qs = _untold(request.user)
    rows = [TodoRow(c.elder.name, f"可享受{c.benefit.name}", reverse("elders:detail", args=[c.elder_id]))
            for c in qs[:5]]
    return TodoItems(qs.count(), reverse("entitlements:changes"), rows)


def untold_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    per_code = dict(_untold(user).order_by().values_list("elder__region_id").annotate(n=Count("id"))
                    .values_list("elder__region_id", "n"))
    out = {}
    for r in regions:
        n = sum(v for c, v in per_code.items() if c.startswith(r.prefix))
        out[r.code] = FigureValue(n, str(n), reverse("entitlements:changes") + "?" + urlencode({"region": r.code}))
    return out
