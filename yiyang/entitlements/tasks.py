"""Background work of entitlements: the reactions to other apps' events, the recompute after
a rule change, and the nightly refresh. Every task is idempotent (a recompute of what is
stored), so a retry or a second delivery changes nothing.

Subscriptions (``apps.py``): ``elder.registered``, ``elder.updated``, ``elder.deactivated``,
``elder.reactivated`` → recompute those elders (cause 档案变更; a deactivated elder loses
every status); ``assessment.confirmed``, ``assessment.cancelled``, ``assessment.imported``
→ recompute (cause 能力评估).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from yiyang.core.events import events_load
from yiyang.elders.models import Elder
from yiyang.entitlements import selectors

# A recompute is split into tasks of this many elders: each is one short transaction (≈ 0.3–0.8 s
# at 0.6–1.7 ms per elder, PERFORMANCE.md), so other
# writes keep answering while a district or a city is recomputed.
REFRESH_CHUNK = 500

ELDER_EVENTS = ("elder.registered", "elder.updated", "elder.deactivated", "elder.reactivated")
ASSESSMENT_EVENTS = ("assessment.confirmed", "assessment.cancelled", "assessment.imported")

# What a payment round's approval waits for (``tasks_pending``).
REFRESH_TASKS = [
    "yiyang.entitlements.tasks.entitlements_on_events",
    "yiyang.entitlements.tasks.entitlements_refresh_chunk",
    "yiyang.entitlements.tasks.entitlements_refresh_scope",
    "yiyang.entitlements.tasks.entitlements_refresh_nightly",
]


@task()
def entitlements_on_events(event_ids: list[str]) -> dict[str, Any]:
    """Recompute the elders that these elder or assessment events concern."""
    from yiyang.entitlements.services import entitlements_refresh

    # Grouped by cause and by who acted: the change is logged as theirs (the worker who
    # edited the archive), not as the system's.
    groups: dict[tuple[str, int | None], list[Any]] = {}
    for e in events_load(event_ids):
        if e.elder_id is None:
            continue
        cause = "assessment" if e.type.startswith("assessment.") else "elder"
        groups.setdefault((cause, e.actor_id), []).append(e.elder_id)
    elders = changes = 0
    for (cause, actor_id), elder_ids in groups.items():
        result = entitlements_refresh(elders=elder_ids, cause=cause, actor=actor_id)
        elders += result.elders
        changes += result.changes
    return {"elders": elders, "changes": changes}


@task()
def entitlements_refresh_chunk(elder_ids: list[str], cause: str, on: str | None = None,
                               rule_id: int | None = None, actor_id: int | None = None) -> dict[str, int]:
    from yiyang.entitlements.models import BenefitRule
    from yiyang.entitlements.services import entitlements_refresh

    rule = BenefitRule.objects.filter(pk=rule_id).first() if rule_id else None
    result = entitlements_refresh(elders=elder_ids, cause=cause, on=dt.date.fromisoformat(on) if on else None,
                                  rule=rule, actor=actor_id)
    return {"elders": result.elders, "changes": result.changes, "newly_entitled": result.newly_entitled}


def enqueue_refresh(elders: QuerySet[Elder], *, cause: str, on: dt.date | None = None, rule_id: int | None = None,
                    actor_id: int | None = None) -> int:
    """Enqueue the recompute of ``elders`` in chunks (in the caller's transaction). Returns
    the number of elders."""
    ids = [str(pk) for pk in elders.order_by("pk").values_list("pk", flat=True)]
    for start in range(0, len(ids), REFRESH_CHUNK):
        entitlements_refresh_chunk.enqueue(elder_ids=ids[start:start + REFRESH_CHUNK], cause=cause,
                                           on=on.isoformat() if on else None, rule_id=rule_id, actor_id=actor_id)
    return len(ids)


@task()
def entitlements_refresh_scope(region_codes: list[str], cause: str, rule_id: int | None = None,
                               actor_id: int | None = None) -> dict[str, int]:
    """After a rule or benefit change: recompute the active elders of these scopes ('' =
    everywhere), in chunks."""
    n = enqueue_refresh(selectors.elders_in_scope(region_codes), cause=cause, rule_id=rule_id, actor_id=actor_id)
    return {"elders": n}


@task()
def entitlements_refresh_nightly() -> dict[str, int]:
    """Birthdays cross 60/65/80, rules take or lose effect: every active elder, as of today."""
    n = enqueue_refresh(Elder.objects.filter(active=True), cause="date", on=timezone.localdate())
    return {"elders": n}
