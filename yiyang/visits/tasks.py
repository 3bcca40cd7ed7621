"""Background work of visits (docs/visits.md). Every task is idempotent.

- ``visits_on_events``: an elder registered, edited, deactivated or reactivated, an assessment
  confirmed or cancelled → re-plan those elders; a contact recorded by another app (a
  consultation, a heartbeat, a service) → remember it for the not-seen list.
- ``visits_sync_all`` (daily at 00:20, and after a rule is saved): re-plan every elder, in
  tasks of ``SYNC_CHUNK`` — a new month's plans appear on its first night.
- ``visits_remind`` (daily at 07:30): the reminders the day before and on the due date, and the
  overdue list to point leads and community administrators.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from yiyang.core.events import events_load

SYNC_CHUNK = 500
ELDER_EVENTS = ("elder.registered", "elder.updated", "elder.deactivated", "elder.reactivated")
ASSESSMENT_EVENTS = ("assessment.confirmed", "assessment.cancelled", "assessment.imported")


@task()
def visits_on_events(event_ids: list[str]) -> dict[str, int]:
    from yiyang.visits.events import CONTACT_EVENTS
    from yiyang.visits.services import contact_seen, visit_plans_sync

    replan: set[Any] = set()
    contacts = 0
    for e in events_load(event_ids):
        if e.elder_id is None:
            continue
        if e.type in ELDER_EVENTS or e.type in ASSESSMENT_EVENTS:
            replan.add(e.elder_id)
        if e.type in CONTACT_EVENTS and e.region_code:
            contact_seen(elder_id=e.elder_id, region_code=e.region_code, at=e.occurred_at, kind=CONTACT_EVENTS[e.type])
            contacts += 1
    ids = sorted(replan, key=str)
    created = 0
    for start in range(0, len(ids), SYNC_CHUNK):
        created += visit_plans_sync(elder_ids=ids[start:start + SYNC_CHUNK]).created
    return {"elders": len(ids), "created": created, "contacts": contacts}


@task()
def visits_sync_chunk(elder_ids: list[str], today: str | None = None) -> dict[str, int]:
    from yiyang.visits.services import visit_plans_sync

    result = visit_plans_sync(elder_ids=elder_ids, today=dt.date.fromisoformat(today) if today else None)
    return {"elders": result.elders, "created": result.created, "cancelled": result.cancelled}


@task()
def visits_sync_all(today: str | None = None) -> dict[str, int]:
    """Every active elder, and every elder who still has an open plan (to close those of the
    deactivated), in chunks."""
    from yiyang.elders.models import Elder
    from yiyang.visits.models import PlanStatus, VisitPlan

    open_plans = VisitPlan.objects.filter(status=PlanStatus.OPEN).values("elder_id")
    ids = [str(pk) for pk in Elder.objects.filter(Q(active=True) | Q(pk__in=open_plans))
           .order_by("pk").values_list("pk", flat=True)]
    for start in range(0, len(ids), SYNC_CHUNK):
        visits_sync_chunk.enqueue(elder_ids=ids[start:start + SYNC_CHUNK], today=today)
    return {"elders": len(ids)}


@task()
def visits_remind(today: str | None = None) -> dict[str, int]:
    """One notification per worker per day and kind (dedupe keys make a second run a no-op):
    who is due tomorrow, who is due today, and — to point leads and community administrators —
    how many are overdue in their community."""
    from yiyang.accounts.models import Role, User
    from yiyang.core.notify import Message, notify_many
    from yiyang.visits.models import PlanStatus, VisitPlan

    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    tomorrow = day + dt.timedelta(days=1)
    open_plans = VisitPlan.objects.filter(status=PlanStatus.OPEN, elder__active=True)
    due: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # community → when → names
    for code, due_date, name in (open_plans.filter(due_date__in=[day, tomorrow])
                                 .values_list("region_code", "due_date", "elder__name")):
        due[code]["today" if due_date == day else "tomorrow"].append(name)
    overdue: dict[str, int] = defaultdict(int)
    for code in open_plans.filter(due_date__lt=day, window_end__gte=day).values_list("region_code", flat=True):
        overdue[code] += 1
    communities = set(due) | set(overdue)
    if not communities:
        return {"notifications": 0}
    url = reverse("visits:today")
    messages = []
    workers = (User.objects.filter(is_active=True, region_id__in=communities)
               .values_list("pk", "role", "region_id"))
    for pk, role, code in workers:
        if role in (Role.COMMISSIONER, Role.POINT_LEAD, Role.COMMUNITY_ADMIN):
            for when, label in (("today", "今天"), ("tomorrow", "明天")):
                names = due[code][when] if code in due else []
                if names:
                    shown = "、".join(sorted(names)[:5]) + ("等" if len(names) > 5 else "")
                    messages.append(Message(pk, "visit.due", f"{label}应探访 {len(names)} 位老人：{shown}", url=url,
                                            dedupe_key=f"visit.due:{when}:{day}"))
        if role in (Role.POINT_LEAD, Role.COMMUNITY_ADMIN) and overdue.get(code):
            messages.append(Message(pk, "visit.overdue", f"本社区有 {overdue[code]} 位老人逾期未探访",
                                    url=url + "?phase=overdue", dedupe_key=f"visit.overdue:{day}"))
    return {"notifications": notify_many(messages)}
