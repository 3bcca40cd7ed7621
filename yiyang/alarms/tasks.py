"""Background work of alarms. The escalation is advanced by a periodic job that reads the
database — never a timer in a process — so a worker killed in the middle and restarted (or
another worker) carries on from where the last commit left it.

- ``alarms_checkins`` (every minute): a low-priority alarm for each elder who checks in daily
  and has not by the region's deadline.
- ``alarms_tick`` (every ``YIYANG_ALARM_TICK_S`` seconds, default 5): fire the escalation steps
  that are due, each alarm under its row lock; put back sends a dead process had claimed; send
  what is due in the outbox (after the commit, outside any transaction).
- ``alarms_prune`` (hourly): the tick's own finished task rows older than a day go (17,000 a day
  would otherwise pile up in the task table); failed ones stay for the admin.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_tasks import task


@task()
def alarms_tick(now: str | None = None) -> dict[str, int]:
    from yiyang.alarms import services

    moment = dt.datetime.fromisoformat(now) if now else None
    moved = services.alarms_escalate_due(now=moment)
    recovered = services.deliveries_recover(now=moment)
    # The worker runs this task in a transaction: the outbox is sent after its commit.
    transaction.on_commit(lambda: services.deliveries_send(now=moment))
    return {"escalated": moved, "recovered": recovered}


@task()
def alarms_checkins(now: str | None = None) -> dict[str, int]:
    """Every minute: the elders whose daily check-in is missing past their region's deadline."""
    from yiyang.alarms import services

    moment = dt.datetime.fromisoformat(now) if now else None
    raised = services.checkins_missed(now=moment)
    transaction.on_commit(lambda: services.deliveries_send(now=moment))
    return {"raised": raised}


@task()
def alarms_prune() -> dict[str, int]:
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - dt.timedelta(days=1)
    deleted, _ = DBTaskResult.objects.filter(task_path=alarms_tick.module_path, status=TaskResultStatus.SUCCESSFUL,
                                             finished_at__lt=cutoff).delete()
    return {"deleted": deleted}
