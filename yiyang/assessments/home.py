"""What assessments put on shared pages (registered in ``apps.py``): the worker's "待评估"
list (expired, expiring within a week, or waiting for an 即时评估), its navigation badge,
and the supervisor's "评估覆盖率" column — elders with a confirmed assessment still valid
today ÷ active elders."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from yiyang.assessments import selectors
from yiyang.assessments.models import Assessment
from yiyang.core.access import at_community, jurisdiction_filter
from yiyang.core.registry import FigureValue, TodoItems, TodoRow
from yiyang.elders import selectors as elder_selectors

SOON_DAYS = 7


def _due(request: Any):
    return selectors.elders_due_for_assessment(request.user, within_days=SOON_DAYS)


def due_badge(request: Any) -> int | None:
    return _due(request).count() or None if at_community(request.user) else None


def todo_due(request: Any) -> TodoItems | None:
    if not at_community(request.user):
        return None
    qs = _due(request)
    today = timezone.localdate()
    rows = []
    for e in qs[:5]:
        until = getattr(e, "current_valid_until", None)
        if getattr(e, "pending_immediate", None):
            text, overdue = "申请了即时评估", True
        elif until is None:
            text, overdue = "从未评估", True
        elif until < today:
            text, overdue = f"评估已于 {until:%-m月%-d日} 到期", True
        else:
            text, overdue = f"评估 {until:%-m月%-d日} 到期", False
        rows.append(TodoRow(e.name, text, reverse("elders:detail", args=[e.pk]), overdue=overdue))
    return TodoItems(qs.count(), reverse("assessments:due") + f"?within={SOON_DAYS}", rows)


def coverage_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    today = timezone.localdate()
    active = elder_selectors.active_per_community(user)  # the maintained counts, not a COUNT of elders
    valid = dict(jurisdiction_filter(Assessment.objects.filter(
        status=Assessment.Status.CONFIRMED, valid_until__gte=today, elder__active=True), user, "region_code")
        .values_list("elder__region_id").annotate(n=Count("elder_id", distinct=True))
        .values_list("elder__region_id", "n"))
    out = {}
    for r in regions:
        n = sum(v for c, v in active.items() if c.startswith(r.prefix))
        k = sum(v for c, v in valid.items() if c.startswith(r.prefix))
        url = reverse("assessments:due") + "?" + urlencode({"within": 0, "region": r.code})
        out[r.code] = FigureValue(None if not n else round(k / n, 4), "—" if not n else f"{k / n:.0%}", url)
    return out
