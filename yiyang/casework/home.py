"""What casework puts on the shared pages (registered in ``apps.py``): the worker's to-do lists
"待跟踪事项" and "委托代办" with their navigation badge, and the supervisor's columns "逾期跟踪"
and "逾期代办" — each number links to the records behind it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.casework import selectors
from yiyang.casework.models import Errand, FollowUp
from yiyang.core.registry import FigureValue, TodoItems, TodoRow

TODO_ROWS = 5


def followups_todo(request: Any) -> TodoItems | None:
    qs = selectors.followups_open_for(request.user)
    count = qs.count()
    rows = []
    for f in qs[:TODO_ROWS]:
        who = f.elder.name if f.elder else _("匿名来访")
        due = _("逾期，期限 %(d)s") if f.overdue else _("期限 %(d)s")
        url = reverse("elders:detail", args=[f.elder_id]) + "#casework" if f.elder_id else reverse("casework:followups")
        rows.append(TodoRow(title=f.title, detail=f"{who} · {due % {'d': f'{f.due_date:%m-%d}'}}", url=url,
                            overdue=f.overdue))
    return TodoItems(count=count, url=reverse("casework:followups"), rows=rows)


def errands_todo(request: Any) -> TodoItems | None:
    qs = selectors.errands_open_for(request.user)
    count = qs.count()
    rows = []
    for e in qs[:TODO_ROWS]:
        due = _("逾期，期限 %(d)s") if e.overdue else _("期限 %(d)s")
        rows.append(TodoRow(title=f"{e.elder.name} · {e.get_kind_display()}",
                            detail=f"{e.get_status_display()} · {due % {'d': f'{e.due_date:%m-%d}'}}",
                            url=reverse("casework:errand_detail", args=[e.pk]), overdue=e.overdue))
    return TodoItems(count=count, url=reverse("casework:errands") + "?status=mine", rows=rows)


def followups_badge(request: Any) -> int | None:
    """The navigation count: my open follow-ups that are due today or overdue."""
    if getattr(request.user, "pk", None) is None:
        return None
    return selectors.followups_open_for(request.user).filter(due_date__lte=timezone.localdate()).count() or None


def _overdue_figure(user: Any, regions: list[Any], model: type[FollowUp] | type[Errand], url_name: str,
                    query: str) -> dict[str, FigureValue]:
    counts = selectors.overdue_counts(user, [r.prefix for r in regions], model)
    out = {}
    for r in regions:
        n = counts.get(r.prefix, 0)
        url = reverse(url_name) + "?" + urlencode({query: "overdue", "region": r.code})
        out[r.code] = FigureValue(n, f"{n:,}", url)
    return out


def overdue_followups_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    """Open follow-ups past their due date today, per region (not per month: overdue is a state
    of today)."""
    return _overdue_figure(user, regions, FollowUp, "casework:followups", "scope")


def overdue_errands_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    return _overdue_figure(user, regions, Errand, "casework:errands", "status")
