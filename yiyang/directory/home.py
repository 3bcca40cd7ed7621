"""What the directory puts on a provider's home page: its services whose data nobody has
confirmed for too long (the public sees them flagged "信息可能过时")."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from yiyang.core.registry import TodoItems, TodoRow
from yiyang.directory import access, selectors


def todo_stale(request: Any) -> TodoItems | None:
    mine = access.editable_services(request.user)
    if not mine.exists():
        return None  # an account not linked to an organisation yet: nothing to confirm
    qs = selectors.stale_services(mine).order_by("confirmed_at", "name")
    rows = [TodoRow(s.name, _since(s.confirmed_at), reverse("directory:edit", args=[s.pk]), overdue=True)
            for s in qs[:5]]
    return TodoItems(qs.count() if rows else 0, reverse("directory:mine"), rows)


def _since(at: Any) -> str:
    if at is None:
        return "从未确认信息"
    return f"上次确认 {timezone.localtime(at):%Y-%m-%d}，请核对时间、价格和空余床位/餐位"


def todo_referrals(request: Any) -> TodoItems | None:
    """Referrals of the worker's own making that the provider has not answered or delivered in time."""
    from yiyang.core.access import at_community
    from yiyang.directory import referrals
    from yiyang.directory.models import Referral

    if not at_community(request.user):
        return None
    qs = referrals.overdue(Referral.objects.filter(created_by=request.user)).select_related("elder", "service")
    rows = [TodoRow(r.elder.name, f"{r.service.name}：{r.get_status_display()}",
                    reverse("elders:detail", args=[r.elder_id]) + "#recommendations", overdue=True) for r in qs[:5]]
    if not rows:
        return None
    return TodoItems(qs.count(), rows[0].url, rows)
