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

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from yiyang.core.events import events_load
from yiyang.core.tasks import commits_in_steps
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
    "yiyang.entitlements.tasks.entitlements_recompute",
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


def recompute_enqueue(*, scopes: list[str], cause: str, rule: Any = None, benefit: Any = None,
                      actor: Any = None, on: dt.date | None = None) -> Any:
    """A background recompute of the active elders of ``scopes`` ('' = everywhere): its row
    (the rule's page shows its progress) and its task, in the caller's transaction."""
    from yiyang.entitlements.models import EntitlementRecompute

    run = EntitlementRecompute.objects.create(
        cause=cause, on=on or timezone.localdate(), scope=sorted(set(scopes)), rule=rule,
        benefit=benefit if benefit is not None else getattr(rule, "benefit", None),
        actor=actor if getattr(actor, "pk", None) else None)
    entitlements_recompute.enqueue(run_id=run.pk)
    return run


@task()
@commits_in_steps
def entitlements_recompute(run_id: int) -> dict[str, int]:
    """Run one recompute (``EntitlementRecompute``): every active elder of its scope, slice by
    slice, each slice committing on its own (``services.entitlements_refresh``); the counts
    and the last elder done are saved after every slice. Taken up again after a failure, it
    goes on after the last elder done."""
    from yiyang.entitlements.models import EntitlementRecompute
    from yiyang.entitlements.services import RefreshResult, entitlements_refresh

    run = EntitlementRecompute.objects.filter(pk=run_id).first()
    if run is None or run.finished:
        return {"elders": 0}
    elders = selectors.elders_in_scope(run.scope)
    base = {"done": run.done, "changes": run.changes, "became_entitled": run.became_entitled,
            "became_maybe": run.became_maybe, "became_not": run.became_not}
    started = run.started_at or timezone.now()
    total = run.total if run.cursor else elders.count()
    EntitlementRecompute.objects.filter(pk=run.pk).update(state=EntitlementRecompute.State.RUNNING,
                                                         started_at=started, total=total, error="")

    def progress(result: RefreshResult, _total: int | None, last_id: Any) -> None:
        EntitlementRecompute.objects.filter(pk=run.pk).update(
            done=base["done"] + result.elders, changes=base["changes"] + result.changes,
            became_entitled=base["became_entitled"] + result.became["entitled"],
            became_maybe=base["became_maybe"] + result.became["maybe"],
            became_not=base["became_not"] + result.became["not"],
            cursor=str(last_id) if last_id is not None else "")

    try:
        result = entitlements_refresh(elders=elders, cause=run.cause, on=run.on, rule=run.rule, actor=run.actor,
                                      progress=progress, start_after=run.cursor or None)
    except Exception as exc:
        EntitlementRecompute.objects.filter(pk=run.pk).update(state=EntitlementRecompute.State.FAILED,
                                                             error=str(exc)[:2000])
        raise
    done = base["done"] + result.elders
    EntitlementRecompute.objects.filter(pk=run.pk).update(
        state=EntitlementRecompute.State.DONE, finished_at=timezone.now(), cursor="", done=done,
        total=max(total, done))
    return {"elders": result.elders, "changes": result.changes, "newly_entitled": result.newly_entitled}


@task()
def entitlements_refresh_scope(region_codes: list[str], cause: str, rule_id: int | None = None,
                               actor_id: int | None = None) -> dict[str, int]:
    """(Tasks queued before recomputes had rows:) recompute these scopes in the background."""
    from yiyang.entitlements.models import BenefitRule

    rule = BenefitRule.objects.filter(pk=rule_id).first() if rule_id else None
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    run = recompute_enqueue(scopes=region_codes, cause=cause, rule=rule, actor=actor)
    return {"run": run.pk}


@task()
def entitlements_refresh_nightly() -> dict[str, int]:
    """Birthdays cross 60/65/80, rules take or lose effect: every active elder, as of today."""
    run = recompute_enqueue(scopes=[""], cause="date", on=timezone.localdate())
    return {"run": run.pk}
