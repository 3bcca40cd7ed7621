"""Background work: Django's tasks framework (the ``django-tasks`` backport on Django 5.2)
with the ``django-tasks-db`` backend — tasks are rows in the application's own database,
so there is no broker to run and a task enqueued inside a transaction commits with it.

This module adds what a bureau's server needs on top of the backend's rows:

* **a worker** (``yiyang worker``; ``--batch`` runs what is ready and exits) that claims a
  task under a row lock (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, an exclusive
  transaction on SQLite), runs it in a transaction of its own, and on failure **retries it
  with backoff** — the row keeps the last error and its attempt count, and stays ``FAILED``
  (visible in the admin, with the traceback) once the attempts are spent;
* **periodic jobs** declared by each app (``periodic(...)`` in ``AppConfig.ready``), kept in
  ``PeriodicJob`` rows that a worker claims under the same kind of lock, so several workers
  on several machines never enqueue one run twice;
* **lease recovery**: a task left ``RUNNING`` by a worker that was killed is made ready again
  after ``TASK_LEASE_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from yiyang.core.models import PeriodicJob

logger = logging.getLogger("yiyang.tasks")


def _when_unlocked(fn: Callable[[], Any], *, attempts: int = 50, wait: float = 0.05) -> Any:
    """Run ``fn``, again after a short wait while SQLite says the database is locked (a
    second worker starting at the same moment). PostgreSQL waits for row locks by itself."""
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if not is_locked_database_exception(exc) or attempt == attempts - 1:
                raise
            time.sleep(wait)
    return None


def _surely_empty(qs: Any) -> bool:
    """True when ``qs`` has no row; False when it has one or the database is busy (then the
    locked path decides)."""
    try:
        return not qs.exists()
    except OperationalError as exc:
        if is_locked_database_exception(exc):
            return False
        raise


def _setting(name: str, default: Any) -> Any:
    return settings.YIYANG.get(name, default)


def max_attempts() -> int:
    return int(_setting("TASK_MAX_ATTEMPTS", 5))


def backoff_seconds(attempt: int) -> float:
    """Wait before attempt ``attempt + 1``: 30 s, 1 min, 2 min, 4 min … at most an hour."""
    base = float(_setting("TASK_RETRY_BASE_SECONDS", 30))
    return float(min(base * 2 ** (attempt - 1), 3600.0))


# --------------------------------------------------------------------------- periodic jobs


@dataclass(frozen=True)
class Periodic:
    """A job an app wants run on a schedule: daily at a local time (``at``) or every
    ``every``. ``task`` is a ``@task`` function taking no arguments."""

    key: str
    task: Any
    label: str
    at: dt.time | None = None
    every: dt.timedelta | None = None

    def __post_init__(self) -> None:
        if (self.at is None) == (self.every is None):
            raise ValueError(f"periodic job {self.key!r}: give exactly one of at= or every=")

    @property
    def schedule(self) -> str:
        if self.at is not None:
            return f"daily {self.at:%H:%M}"
        assert self.every is not None
        return f"every {int(self.every.total_seconds())}s"

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        if self.every is not None:
            return moment + self.every
        assert self.at is not None
        local = timezone.localtime(moment)
        candidate = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        if candidate <= local:
            candidate += dt.timedelta(days=1)
        return candidate


PERIODIC: dict[str, Periodic] = {}


def periodic(key: str, task: Any, *, label: str, at: dt.time | None = None,
             every: dt.timedelta | None = None) -> Periodic:
    """Declare a periodic job (from ``AppConfig.ready``)."""
    job = Periodic(key=key, task=task, label=label, at=at, every=every)
    existing = PERIODIC.get(key)
    if existing is not None and existing != job:
        raise ValueError(f"periodic job {key!r} declared twice")
    PERIODIC[key] = job
    return job


def periodic_sync(now: dt.datetime | None = None) -> None:
    """Make the ``PeriodicJob`` rows match the declared jobs: a new job gets its first run
    time, a changed schedule a new one. Rows of jobs no longer declared are left alone (and
    never enqueued)."""
    now = now or timezone.now()
    rows = {j.key: j for j in PeriodicJob.objects.all()}
    for key, spec in PERIODIC.items():
        row = rows.get(key)
        if row is None:
            PeriodicJob.objects.get_or_create(key=key, defaults={
                "label": spec.label, "schedule": spec.schedule, "next_run_at": spec.next_after(now)})
        elif row.schedule != spec.schedule or row.label != spec.label:
            row.schedule, row.label = spec.schedule, spec.label
            row.next_run_at = spec.next_after(now)
            row.save(update_fields=["schedule", "label", "next_run_at"])


def periodic_enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose time has come, once: the rows are claimed under a lock and
    moved to their next time in the same transaction as the enqueue."""
    now = now or timezone.now()
    enqueued: list[str] = []
    if _surely_empty(PeriodicJob.objects.filter(enabled=True, next_run_at__lte=now)):
        return enqueued  # a plain read first: an idle worker takes no write lock (SQLite)
    try:
        with exclusive_transaction():
            due = (PeriodicJob.objects.select_for_update(skip_locked=True)
                   .filter(enabled=True, next_run_at__lte=now).order_by("next_run_at"))
            for job in due:
                spec = PERIODIC.get(job.key)
                if spec is None:
                    continue
                result = spec.task.enqueue()
                job.last_enqueued_at = now
                job.last_task_id = str(result.id)
                job.next_run_at = spec.next_after(now)
                job.save(update_fields=["last_enqueued_at", "last_task_id", "next_run_at"])
                enqueued.append(job.key)
    except OperationalError as exc:
        if not is_locked_database_exception(exc):
            raise
    return enqueued


def periodic_run_now(key: str) -> str:
    """Enqueue a periodic job now (an operator's "run it now" in the admin); its schedule is
    unchanged."""
    spec = PERIODIC[key]
    result = spec.task.enqueue()
    PeriodicJob.objects.filter(key=key).update(last_enqueued_at=timezone.now(), last_task_id=str(result.id))
    return str(result.id)


# --------------------------------------------------------------------------- the worker


def recover_abandoned(now: dt.datetime | None = None) -> int:
    """Tasks left RUNNING past the lease by a worker that died: ready again (their work ran
    in a transaction that never committed)."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=int(_setting("TASK_LEASE_SECONDS", 3600)))
    return DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=now - lease).update(
        status=TaskResultStatus.READY, run_after=now)


def tasks_pending(task_paths: list[str]) -> bool:
    """Is any of these tasks waiting or running (a recompute under way)?"""
    return DBTaskResult.objects.filter(
        task_path__in=task_paths, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists()


@dataclass
class WorkerStats:
    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    periodic: list[str] = field(default_factory=list)


class Worker:
    """Runs tasks of the default backend until stopped (or, with ``batch``, until none is
    ready). One task at a time; run several workers for more."""

    def __init__(self, *, batch: bool = False, interval: float = 1.0, worker_id: str | None = None,
                 backend_name: str = "default", on_task: Callable[[DBTaskResult], None] | None = None):
        self.batch = batch
        self.interval = interval
        self.worker_id = (worker_id or f"{socket.gethostname()}-{os.getpid()}")[:64]
        self.backend_name = backend_name
        self.running = True
        self.in_task = False
        self.stats = WorkerStats()
        self.on_task = on_task

    # Signals: the first SIGTERM/SIGINT lets the task in hand finish; a second stops at once.
    def install_signal_handlers(self) -> None:
        def stop(signum: int, frame: Any) -> None:
            if not self.running or not self.in_task:
                raise SystemExit(0)
            logger.warning("stopping after the current task")
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run(self) -> WorkerStats:
        _when_unlocked(periodic_sync)
        _when_unlocked(recover_abandoned)
        last_recover = time.monotonic()
        while self.running:
            self._refresh_connection()
            self.stats.periodic += periodic_enqueue_due()
            claimed = self._claim()
            if claimed is not None:
                self.run_task(claimed)
                continue
            if self.batch:
                break
            if time.monotonic() - last_recover > 60:
                _when_unlocked(recover_abandoned)
                last_recover = time.monotonic()
            time.sleep(self.interval)
        self._refresh_connection()
        return self.stats

    @staticmethod
    def _refresh_connection() -> None:
        """Drop a broken or expired connection between tasks, as Django does between
        requests — but never inside a caller's transaction (a test, a command's atomic block)."""
        if not connection.in_atomic_block:
            close_old_connections()

    def _claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if _surely_empty(tasks):
            return None  # a plain read first: polling an empty queue takes no write lock
        try:
            with exclusive_transaction(tasks.db):
                row = tasks.get_locked()
                if row is not None:
                    row.claim(self.worker_id)
                return row
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise

    def run_task(self, row: DBTaskResult) -> None:
        self.in_task = True
        try:
            task = row.task
            args, kwargs = row.args_kwargs["args"], row.args_kwargs["kwargs"]
            if getattr(task.func, "commits_in_steps", False):
                # A long task that commits its own short transactions (``commits_in_steps``:
                # a city's entitlement recompute): one transaction around it would hold
                # SQLite's write lock for minutes. It must be safe to run again from the start.
                value = task.call(*args, **kwargs)
                with transaction.atomic():
                    row.set_successful(value)
            else:
                # The task's writes and its "succeeded" mark are one transaction: a failure leaves
                # nothing half done, and a worker killed after the commit cannot run it twice.
                with transaction.atomic():
                    value = task.call(*args, **kwargs)
                    row.set_successful(value)
            self.stats.succeeded += 1
        except Exception as exc:  # noqa: BLE001 - any failure of a task is recorded, not raised
            row.set_failed(exc)
            attempts = len(row.worker_ids)
            if attempts < max_attempts():
                # Keep the row (its error and attempt count stay visible) and run it again later.
                _when_unlocked(lambda: DBTaskResult.objects.filter(pk=row.pk).update(
                    status=TaskResultStatus.READY,
                    run_after=timezone.now() + dt.timedelta(seconds=backoff_seconds(attempts))))
                self.stats.retried += 1
                logger.warning("task %s failed (attempt %d), will retry: %s", row.task_path, attempts, exc)
            else:
                self.stats.failed += 1
                logger.error("task %s failed for good after %d attempts: %s", row.task_path, attempts, exc)
        finally:
            self.in_task = False
            if self.on_task is not None:
                self.on_task(row)


def commits_in_steps(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a task function (below ``@task()``) as one that commits in short transactions of
    its own: the worker runs it outside a transaction (see ``Worker.run_task``)."""
    func.commits_in_steps = True  # type: ignore[attr-defined]
    return func


def run_batch() -> WorkerStats:
    """Run everything that is ready now, due periodic jobs included (tests, benchmarks,
    operators): ``yiyang worker --batch``."""
    return Worker(batch=True).run()
