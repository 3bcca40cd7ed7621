"""Background work and events on a real database: dispatch commits with the event (and never
outlives a rollback), bulk dispatch in chunks, retries with backoff that keep the error
visible, periodic jobs enqueued once however many workers claim them, lease recovery, and
the worker command."""

from __future__ import annotations

import datetime as dt
import io
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from yiyang.core import events, tasks
from yiyang.core.events import event_record, event_row, events_record_bulk, register_event_types, subscribe
from yiyang.core.models import Event, PeriodicJob
from yiyang.core.tests import tasks_for_tests as t

PATH = "yiyang.core.tests.tasks_for_tests."


@pytest.fixture(autouse=True)
def _isolated_registries(monkeypatch):
    """Each test gets its own subscriptions and periodic jobs (the apps' own stay untouched)."""
    monkeypatch.setattr(events, "SUBSCRIPTIONS", {})
    monkeypatch.setattr(tasks, "PERIODIC", {})
    register_event_types({"core.test_a": "测试甲", "core.test_b": "测试乙", "core.test_partial": "测试"})
    t.CALLS.clear()


def rows(name: str):
    return DBTaskResult.objects.filter(task_path=PATH + name)


# -- events → tasks -----------------------------------------------------------------------------


def test_an_event_enqueues_its_subscribers_in_the_same_transaction(db):
    subscribe("core.test_a", t.note_events)
    with transaction.atomic():
        ev = event_record(type="core.test_a", payload={"x": 1})
        # Enqueued inside the transaction: it commits with the event.
        row = rows("note_events").get()
        assert row.args_kwargs["kwargs"] == {"event_ids": [str(ev.pk)]}
    event_record(type="core.test_b")  # nobody listens: no task
    assert rows("note_events").count() == 1
    stats = tasks.run_batch()
    assert stats.succeeded == 1 and t.CALLS == [["core.test_a"]]
    assert rows("note_events").get().status == TaskResultStatus.SUCCESSFUL


def test_a_rolled_back_change_leaves_no_task(db):
    subscribe("core.test_a", t.note_events)
    with pytest.raises(RuntimeError), transaction.atomic():
        event_record(type="core.test_a")
        raise RuntimeError("the service failed after writing its event")
    assert not rows("note_events").exists() and not Event.objects.filter(type="core.test_a").exists()
    tasks.run_batch()
    assert t.CALLS == []


def test_bulk_events_are_dispatched_in_chunks_and_together_per_subscriber(db, monkeypatch):
    monkeypatch.setattr(events, "DISPATCH_CHUNK", 3)
    subscribe(["core.test_a", "core.test_b"], t.note_events)
    now = timezone.now()
    written = events_record_bulk(
        [event_row(type="core.test_a", occurred_at=now, region_code="440304006001") for _ in range(5)]
        + [event_row(type="core.test_b", occurred_at=now)])
    assert written == 6 and Event.objects.count() == 6
    assert rows("note_events").count() == 2  # 6 events, 3 per task, one subscriber for both types
    tasks.run_batch()
    assert sorted(len(c) for c in t.CALLS) == [3, 3]


def test_unregistered_event_types_are_refused(db):
    with pytest.raises(ValueError):
        event_record(type="core.nobody_declared_this")
    with pytest.raises(ValueError):
        events_record_bulk([event_row(type="core.nobody_declared_this", occurred_at=timezone.now())])
    with pytest.raises(TypeError):
        subscribe("core.test_a", lambda event_ids: None)  # a plain function is not a task


# -- retries ------------------------------------------------------------------------------------


def test_a_failing_task_is_retried_with_backoff_then_stays_failed_with_its_error(db, settings):
    settings.YIYANG = {**settings.YIYANG, "TASK_MAX_ATTEMPTS": 3, "TASK_RETRY_BASE_SECONDS": 30}
    t.fails_after_writing.enqueue()
    before = timezone.now()
    stats = tasks.run_batch()
    row = rows("fails_after_writing").get()
    # Attempt 1 failed: ready again in 30 s, the error kept, the task's own write rolled back.
    assert stats.retried == 1 and stats.failed == 0
    assert row.status == TaskResultStatus.READY and len(row.worker_ids) == 1
    assert row.exception_class_path == "builtins.RuntimeError" and "服务暂时不可用" in row.traceback
    assert dt.timedelta(seconds=29) < row.run_after - before < dt.timedelta(seconds=40)
    assert not Event.objects.filter(type="core.test_partial").exists()
    tasks.run_batch()  # not due yet: nothing runs
    assert len(rows("fails_after_writing").get().worker_ids) == 1
    for expected_wait in (60, None):
        rows("fails_after_writing").update(run_after=timezone.now())
        before = timezone.now()
        tasks.run_batch()
        row = rows("fails_after_writing").get()
        if expected_wait:
            assert row.status == TaskResultStatus.READY
            assert dt.timedelta(seconds=expected_wait - 1) < row.run_after - before < dt.timedelta(seconds=expected_wait + 10)
    assert row.status == TaskResultStatus.FAILED and len(row.worker_ids) == 3
    assert "服务暂时不可用" in row.traceback
    assert tasks.backoff_seconds(1) == 30 and tasks.backoff_seconds(20) == 3600


def test_failed_tasks_are_visible_in_the_admin_and_can_be_retried(admin_client, settings):
    settings.YIYANG = {**settings.YIYANG, "TASK_MAX_ATTEMPTS": 1}
    t.fails_after_writing.enqueue()
    tasks.run_batch()
    row = rows("fails_after_writing").get()
    html = admin_client.get("/admin/django_tasks_database/dbtaskresult/").content.decode()
    assert "fails_after_writing" in html and "失败" in html and "服务暂时不可用" in html
    detail = admin_client.get(f"/admin/django_tasks_database/dbtaskresult/{row.pk}/change/").content.decode()
    assert "RuntimeError" in detail
    admin_client.post("/admin/django_tasks_database/dbtaskresult/",
                      {"action": "retry_now", "_selected_action": [str(row.pk)]})
    assert rows("fails_after_writing").get().status == TaskResultStatus.READY


# -- periodic jobs -------------------------------------------------------------------------------


def test_periodic_jobs_are_enqueued_when_due_and_only_once(db):
    job = tasks.periodic("core.tick", t.tick, label="测试定时", every=dt.timedelta(hours=1))
    now = timezone.now()
    tasks.periodic_sync(now)
    row = PeriodicJob.objects.get(key="core.tick")
    assert row.schedule == "every 3600s" and row.next_run_at == now + dt.timedelta(hours=1)
    assert tasks.periodic_enqueue_due(now) == []  # not due
    later = now + dt.timedelta(hours=1, seconds=1)
    assert tasks.periodic_enqueue_due(later) == ["core.tick"]
    assert tasks.periodic_enqueue_due(later) == []  # moved to its next time in the same transaction
    row.refresh_from_db()
    assert row.next_run_at == job.next_after(later) and row.last_task_id == str(rows("tick").get().id)
    assert rows("tick").count() == 1


SHANGHAI = dt.timezone(dt.timedelta(hours=8))  # settings.TIME_ZONE, no daylight saving


def test_daily_jobs_run_at_their_local_time(db):
    job = tasks.Periodic(key="x", task=t.tick, label="", at=dt.time(1, 30))
    noon = dt.datetime(2026, 12, 2, 12, 0, tzinfo=SHANGHAI)
    assert timezone.localtime(job.next_after(noon)) == dt.datetime(2026, 12, 3, 1, 30, tzinfo=SHANGHAI)
    early = dt.datetime(2026, 12, 2, 1, 0, tzinfo=SHANGHAI)
    assert timezone.localtime(job.next_after(early)) == dt.datetime(2026, 12, 2, 1, 30, tzinfo=SHANGHAI)
    with pytest.raises(ValueError):
        tasks.Periodic(key="y", task=t.tick, label="", at=dt.time(1), every=dt.timedelta(hours=1))


def test_a_changed_schedule_gets_a_new_next_run(db):
    tasks.periodic("core.tick", t.tick, label="测试", every=dt.timedelta(hours=1))
    tasks.periodic_sync()
    tasks.PERIODIC.clear()
    tasks.periodic("core.tick", t.tick, label="测试", every=dt.timedelta(minutes=5))
    now = timezone.now()
    tasks.periodic_sync(now)
    row = PeriodicJob.objects.get(key="core.tick")
    assert row.schedule == "every 300s" and row.next_run_at == now + dt.timedelta(minutes=5)


@pytest.mark.django_db(transaction=True)
def test_several_workers_claiming_at_once_enqueue_a_due_job_once():
    """Four workers (threads, each with its own database connection) claim the same due job
    at the same moment: SKIP LOCKED on PostgreSQL, an exclusive transaction on SQLite."""
    tasks.periodic("core.tick", t.tick, label="测试", every=dt.timedelta(hours=1))
    tasks.periodic_sync()
    PeriodicJob.objects.filter(key="core.tick").update(next_run_at=timezone.now() - dt.timedelta(seconds=1))
    barrier = threading.Barrier(4)
    claimed: list[list[str]] = []
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                claimed.append(tasks.periodic_enqueue_due())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sum(len(c) for c in claimed) == 1
    assert rows("tick").count() == 1
    # And a task is run by one worker only.
    workers = [tasks.Worker(batch=True, worker_id=f"w{i}") for i in range(3)]
    done: list[int] = []

    def work(w: tasks.Worker) -> None:
        try:
            done.append(w.run().succeeded)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sum(done) == 1 and rows("tick").get().worker_ids in (["w0"], ["w1"], ["w2"])
    DBTaskResult.objects.all().delete()
    PeriodicJob.objects.all().delete()


def test_a_task_abandoned_by_a_killed_worker_is_made_ready_again(db, settings):
    settings.YIYANG = {**settings.YIYANG, "TASK_LEASE_SECONDS": 600}
    result = t.tick.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - dt.timedelta(minutes=11), worker_ids=["gone"])
    fresh = t.tick.enqueue()
    DBTaskResult.objects.filter(pk=fresh.id).update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert tasks.recover_abandoned() == 1
    stats = tasks.run_batch()
    assert stats.succeeded == 1
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL
    assert DBTaskResult.objects.get(pk=fresh.id).status == TaskResultStatus.RUNNING  # still within its lease


def test_tasks_pending_sees_ready_and_running(db):
    assert not tasks.tasks_pending([PATH + "tick"])
    r = t.tick.enqueue()
    assert tasks.tasks_pending([PATH + "tick"])
    DBTaskResult.objects.filter(pk=r.id).update(status=TaskResultStatus.SUCCESSFUL)
    assert not tasks.tasks_pending([PATH + "tick"])


def test_worker_batch_command_runs_due_periodic_jobs_and_exits(db):
    tasks.periodic("core.tick", t.tick, label="测试", every=dt.timedelta(minutes=1))
    tasks.periodic_sync()
    PeriodicJob.objects.update(next_run_at=timezone.now() - dt.timedelta(seconds=1))
    t.tick.enqueue()
    out = io.StringIO()
    call_command("worker", "--batch", stdout=out)
    assert "成功 2" in out.getvalue() and "core.tick" in out.getvalue()
    assert rows("tick").filter(status=TaskResultStatus.SUCCESSFUL).count() == 2


def test_task_ids_are_uuids(db):
    assert isinstance(uuid.UUID(str(t.tick.enqueue().id)), uuid.UUID)
