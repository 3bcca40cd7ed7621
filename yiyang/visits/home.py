"""What visits puts on shared pages (registered in ``apps.py``): the navigation badge, the
worker's "今日探访" and "久未联系" lists, the supervisor's rate and overdue columns, and the
elder page's section."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from yiyang.core.access import at_community, has_capability
from yiyang.core.registry import FigureValue, TodoItems, TodoRow
from yiyang.visits import access, selectors
from yiyang.visits.models import PlanStatus, VisitPlan, Way

TODO_ROWS = 6


def due_badge(request: Any) -> int | None:
    if not at_community(request.user) or not has_capability(request.user, access.VISIT_RECORD):
        return None
    return selectors.plans_due_count(request.user)


def _due_text(item: selectors.DueItem, today: Any) -> str:
    plan = item.plan
    if item.phase == "overdue":
        text = f"逾期 {(today - plan.due_date).days} 天"
    elif plan.due_date == today:
        text = "今天到期"
    else:
        text = f"{plan.due_date:%-m月%-d日}前"
    text += f" · {Way(plan.way).label}"
    if item.distance_m is not None:
        text += f" · {item.distance_m / 1000:.1f} 公里" if item.distance_m >= 1000 else f" · {item.distance_m:.0f} 米"
    return text


def todo_visits(request: Any) -> TodoItems | None:
    if not at_community(request.user):
        return None
    today = timezone.localdate()
    near = _near(request)
    items = selectors.plans_due(request.user, on=today, near=near)
    rows = [TodoRow(i.plan.elder.name, _due_text(i, today), reverse("visits:record", args=[i.plan.elder_id]),
                    overdue=i.phase == "overdue") for i in items[:TODO_ROWS]]
    return TodoItems(len(items), reverse("visits:today"), rows)


def _near(request: Any) -> tuple[float, float] | None:
    try:
        return float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return None


def todo_not_seen(request: Any) -> TodoItems | None:
    if not at_community(request.user):
        return None
    qs = selectors.not_seen(request.user)
    rows = [TodoRow(e.name, _last_contact(e), reverse("elders:detail", args=[e.pk]), overdue=True) for e in qs[:3]]
    count = qs.count() if rows else 0
    if not count:
        return None  # nothing to say: the list stays off the first screen
    return TodoItems(count, reverse("visits:not_seen"), rows)


def _last_contact(elder: Any) -> str:
    at = getattr(elder, "last_at", None)
    if at is None:
        return "登记以来未联系"
    return f"上次联系 {timezone.localtime(at):%-m月%-d日}（{getattr(elder, 'last_kind', '')}）"


def rate_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    out = {}
    for code, (due, done) in selectors.visit_rate_by_region(regions, month_start).items():
        url = reverse("visits:rate") + "?" + urlencode({"region": code, "month": f"{month_start:%Y-%m}"})
        text = "—" if due == 0 else f"{done / due:.0%}（{done}/{due}）"
        out[code] = FigureValue(None if due == 0 else round(done / due, 4), text, url)
    return out


def overdue_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    """Open plans past their due date whose window is still open, today (not per month)."""
    today = timezone.localdate()
    per_code = dict(access.access_plans(user, access.VISIT_RATE_VIEW)
                    .filter(status=PlanStatus.OPEN, due_date__lt=today, window_end__gte=today)
                    .values_list("region_code").annotate(n=Count("id")).values_list("region_code", "n"))
    out = {}
    for r in regions:
        n = sum(v for c, v in per_code.items() if c.startswith(r.prefix))
        out[r.code] = FigureValue(n, str(n), reverse("visits:today") + "?" + urlencode({"phase": "overdue",
                                                                                       "region": r.code}))
    return out


def elder_section(request: Any, elder: Any) -> dict[str, Any] | None:
    if not has_capability(request.user, access.VISIT_VIEW):
        return None
    today = timezone.localdate()
    plans = list(selectors.elder_plans(elder)[:3])
    open_plan = next((p for p in plans if p.status == PlanStatus.OPEN and p.window_end >= today), None)
    return {
        "elder": elder, "open_plan": open_plan, "phase": open_plan.phase(today) if open_plan else "",
        "visits": list(selectors.elder_visits(elder)[:5]),
        "can_record": elder.active and has_capability(request.user, access.VISIT_RECORD),
        "can_cancel": has_capability(request.user, access.VISIT_PLAN_CANCEL),
    }


__all__ = ["VisitPlan", "due_badge", "elder_section", "overdue_figure", "rate_figure", "todo_not_seen",
           "todo_visits"]
