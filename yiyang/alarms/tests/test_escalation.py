"""Alarms, part 2: escalation as data, advanced by the periodic job with a controllable clock;
an acknowledgement stops it; the ladder repeats and is then exhausted; a worker killed in the
middle of a run and restarted carries on with no step notified twice; the outbox through a local
fake SMS gateway and a signed webhook, retried with backoff; the first responder's message
leaves right after the raise's commit."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from yiyang.alarms import services, tasks
from yiyang.alarms.models import (
    Alarm,
    AlarmEvent,
    Delivery,
    DutyPhone,
    DutyRoster,
    EscalationPolicy,
    EscalationStep,
)
from yiyang.alarms.tests.fakegateway import FakeGateway
from yiyang.alarms.tests.world import module_world
from yiyang.core import notify
from yiyang.core.tasks import Worker, recover_abandoned

T0 = timezone.now().replace(microsecond=0)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture
def w(world, db):
    DutyRoster.objects.create(region_code=world["elder"].region_id, user=world["worker2"])  # every day, all day
    DutyPhone.objects.create(region_code="440304006000", name="梅林街道值班室", phone="0755-83000000")
    return world


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def raise_(w, now=None, kind="sos") -> Alarm:
    alarm, _ = services.alarm_raise(elder=w["elder"], source="device", kind=kind, device=w["device"], now=now or T0)
    return alarm


def steps_fired(alarm: Alarm) -> list[tuple[str, int | None]]:
    return list(alarm.events.filter(kind__in=["dispatched", "escalated", "exhausted"])
                .order_by("at", "id").values_list("kind", "step"))


def test_the_job_escalates_on_the_clock_and_repeats_the_ladder_then_gives_up(w):
    alarm = raise_(w)
    assert steps_fired(alarm) == [("dispatched", 0)]
    assert services.alarms_escalate_due(now=at(119)) == 0  # not yet
    assert services.alarms_escalate_due(now=at(120)) == 1  # → the on-duty roster
    assert steps_fired(alarm)[-1] == ("escalated", 1)
    assert Delivery.objects.filter(alarm=alarm, step=1, user=w["worker2"], channel="in_app").exists()
    assert services.alarms_escalate_due(now=at(130)) == 0
    services.alarms_escalate_due(now=at(240))  # leads (no wait) and the emergency contacts together
    assert steps_fired(alarm)[-2:] == [("escalated", 2), ("escalated", 3)]
    assert set(Delivery.objects.filter(alarm=alarm, step=3).values_list("label", flat=True)) == {"陈大明（儿子）"}
    assert Delivery.objects.filter(alarm=alarm, step=2, user=w["lead"]).exists()
    services.alarms_escalate_due(now=at(360))  # the street's duty phone and its administrators
    assert set(Delivery.objects.filter(alarm=alarm, step=4).values_list("label", flat=True)) == {"梅林街道值班室"}
    assert Delivery.objects.filter(alarm=alarm, step=5, user=w["street"]).exists()
    services.alarms_escalate_due(now=at(480))  # second pass: the responsible worker again
    assert Delivery.objects.filter(alarm=alarm, loop=1, step=0, user=w["worker"]).exists()
    for t in range(600, 1300, 120):
        services.alarms_escalate_due(now=at(t))
    alarm.refresh_from_db()
    assert alarm.exhausted and alarm.next_escalation_at is None and alarm.state == "dispatched"
    assert steps_fired(alarm)[-1] == ("exhausted", None)
    assert alarm.escalations == 11  # 5 more steps in the first pass, 6 in the second
    # The platform's event bus heard every escalation.
    from yiyang.core.models import Event

    assert Event.objects.filter(type="alarm.escalated", subject_id=str(alarm.pk)).count() == 11
    # Each (pass, step, recipient) once, whatever the job did.
    keys = list(Delivery.objects.filter(alarm=alarm).values_list("loop", "step", "recipient"))
    assert len(keys) == len(set(keys))


def test_an_acknowledgement_stops_the_escalation(w):
    alarm = raise_(w)
    services.alarms_escalate_due(now=at(120))
    services.alarm_acknowledge(actor=w["worker2"], alarm=alarm, now=at(150))
    for t in (240, 360, 1000):
        assert services.alarms_escalate_due(now=at(t)) == 0
    assert steps_fired(alarm) == [("dispatched", 0), ("escalated", 1)]


def test_the_default_wait_is_the_setting_and_a_steps_own_wait_wins(w, settings):
    settings.YIYANG = {**settings.YIYANG, "ALARM_ACK_TIMEOUT_S": 30}
    alarm = raise_(w)
    assert alarm.next_escalation_at == at(30)
    policy = EscalationPolicy.objects.create(name="梅林街道紧急", region_prefix="440304006", priority="high", repeat=0)
    EscalationStep.objects.create(policy=policy, order=0, target="roster", wait_s=45)
    EscalationStep.objects.create(policy=policy, order=1, target="webhook", webhook_url="http://127.0.0.1:9/x")
    fall = raise_(w, kind="fall")
    assert fall.policy_id == policy.pk and fall.next_escalation_at == at(45)
    assert Delivery.objects.filter(alarm=fall, step=0, user=w["worker2"]).exists()


def test_a_step_with_nobody_to_notify_passes_at_once_to_the_next(w):
    from yiyang.alarms.models import AlarmProfile

    AlarmProfile.objects.filter(elder=w["elder"]).update(responder=None)
    alarm = raise_(w)
    assert steps_fired(alarm) == [("dispatched", 0), ("escalated", 1)]
    assert "责任专员：无可通知对象" in alarm.events.get(kind="dispatched").detail
    assert alarm.next_escalation_at == at(120)
    # An elder of a community with nobody set up at all: the ladder is tried again after the
    # wait, not burnt through at once.
    lonely, _ = services.alarm_raise(elder=w["elder_b"], source="device", device=w["device_b"], now=T0)
    assert not lonely.exhausted and lonely.next_escalation_at == at(120) and lonely.esc_loop == 0


def test_a_worker_killed_mid_run_and_restarted_carries_on_and_notifies_no_step_twice(w, monkeypatch, settings):
    """Three alarms are due; the worker dies (SIGKILL: nothing after the kill runs, its
    transaction never commits) while firing the second. A restarted worker re-runs the task
    once its lease is over: every alarm moves once, no (step, recipient) twice."""
    from yiyang.alarms.models import AlarmProfile

    AlarmProfile.objects.create(elder=w["elder_b"], region_code=w["elder_b"].region_id, responder=w["other"])
    alarms = [raise_(w, kind=k) for k in ("sos", "fall")]
    other, _ = services.alarm_raise(elder=w["elder_b"], source="device", device=w["device_b"], now=T0)
    alarms.append(other)
    result = tasks.alarms_tick.enqueue(now=at(121).isoformat())
    real_fire = services._fire
    fired = []

    def dying_fire(alarm, now):
        fired.append(alarm.pk)
        if len(fired) == 2:
            raise SystemExit("killed")  # not an Exception: the worker does not catch it, as with a kill
        return real_fire(alarm, now)

    monkeypatch.setattr(services, "_fire", dying_fire)
    with pytest.raises(SystemExit):
        Worker(batch=True, worker_id="doomed").run()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.RUNNING  # left behind by the dead worker
    assert not AlarmEvent.objects.filter(kind="escalated").exists()  # its work never committed
    monkeypatch.setattr(services, "_fire", real_fire)
    settings.YIYANG = {**settings.YIYANG, "TASK_LEASE_SECONDS": 0}  # the lease is over
    assert recover_abandoned() == 1
    stats = Worker(batch=True, worker_id="restarted").run()
    assert stats.succeeded >= 1
    def moved_at_121(alarm: Alarm) -> list[int | None]:
        return list(alarm.events.filter(kind="escalated", at=at(121)).order_by("id").values_list("step", flat=True))

    after_restart = {a.pk: moved_at_121(a) for a in alarms}
    for alarm in alarms:  # every alarm carried on, each step once
        steps = after_restart[alarm.pk]
        assert steps and len(steps) == len(set(steps)), steps
    assert after_restart[alarms[0].pk] == [1]  # the on-duty roster, then its wait
    # The periodic job runs again (a second worker, a later tick at the same moment): nothing twice.
    services.alarms_escalate_due(now=at(121))
    assert {a.pk: moved_at_121(a) for a in alarms} == after_restart
    keys = list(Delivery.objects.values_list("alarm_id", "loop", "step", "recipient"))
    assert len(keys) == len(set(keys))


def test_the_periodic_job_is_declared_and_the_worker_runs_it(w):
    from yiyang.core.tasks import PERIODIC

    assert PERIODIC["alarms.tick"].every == dt.timedelta(seconds=5)
    alarm = raise_(w, now=timezone.now() - dt.timedelta(minutes=3))
    Worker(batch=True).run()  # periodic_sync + the due tick
    tasks.alarms_tick.enqueue()
    Worker(batch=True).run()
    assert steps_fired(alarm)[-1][0] == "escalated"


# -- the outbox --------------------------------------------------------------------------------


def test_sms_through_the_gateway_and_a_signed_webhook_retried_with_backoff(w, settings):
    with FakeGateway() as gw:
        settings.YIYANG = {**settings.YIYANG, "SMS_GATEWAY_URL": gw.url + "/sms", "NOTIFY_WEBHOOK_SECRET": "s3cret",
                           "SMS_TEMPLATE": '{"mobile": "{phone}", "msg": "{text}", "ref": "{key}"}'}
        policy = EscalationPolicy.objects.create(name="测试", region_prefix="440304006001", priority="high", repeat=0)
        EscalationStep.objects.create(policy=policy, order=0, target="assigned_worker", wait_s=0)
        EscalationStep.objects.create(policy=policy, order=1, target="webhook", webhook_url=gw.url + "/hook")
        alarm = raise_(w)
        gw.fail_next = 1  # the first send fails: 500
        assert services.deliveries_send(now=T0) == 1
        sms = Delivery.objects.get(alarm=alarm, channel="sms")
        hook = Delivery.objects.get(alarm=alarm, channel="webhook")
        failed_first = sms if sms.status == "pending" else hook
        assert failed_first.attempts == 1 and "500" in failed_first.error
        assert failed_first.next_attempt_at >= timezone.now() + dt.timedelta(seconds=4)
        assert services.deliveries_send(now=timezone.now() + dt.timedelta(seconds=6)) == 1
        assert set(Delivery.objects.filter(alarm=alarm).values_list("status", flat=True)) == {"sent"}
        by_path = {r["path"]: r for r in gw.requests}
        assert by_path["/sms"]["json"]["mobile"] == "13900000001"
        assert "陈阿婆" in by_path["/sms"]["json"]["msg"] and by_path["/sms"]["json"]["ref"] == f"alarm-delivery-{sms.pk}"
        h = by_path["/hook"]
        assert h["json"]["alarm_id"] == str(alarm.pk) and h["json"]["step"] == 1
        assert h["headers"]["X-Yiyang-Signature"] == notify.signature("s3cret", h["headers"]["X-Yiyang-Timestamp"],
                                                                       h["raw"])
        assert len(set(gw.keys())) == len(gw.keys()) == 2


def test_a_send_claimed_by_a_process_that_died_is_put_back_and_sent_once_more_with_the_same_key(w, settings):
    with FakeGateway() as gw:
        settings.YIYANG = {**settings.YIYANG, "SMS_GATEWAY_URL": gw.url + "/sms"}
        alarm = raise_(w)
        d = Delivery.objects.get(alarm=alarm, channel="sms")
        Delivery.objects.filter(pk=d.pk).update(status="sending", claimed_at=timezone.now() - dt.timedelta(minutes=5))
        assert services.deliveries_send() == 0  # claimed by someone else: not touched
        assert services.deliveries_recover() == 1
        assert services.deliveries_send() == 1
        assert gw.keys() == [f"alarm-delivery-{d.pk}"]


def test_a_delivery_that_keeps_failing_is_marked_failed_and_logged(w, settings):
    settings.YIYANG = {**settings.YIYANG, "SMS_GATEWAY_URL": "http://127.0.0.1:9/sms", "ALARM_DELIVERY_MAX_ATTEMPTS": 2,
                       "NOTIFY_TIMEOUT_S": 1}
    alarm = raise_(w)
    services.deliveries_send()
    services.deliveries_send(now=timezone.now() + dt.timedelta(minutes=1))
    d = Delivery.objects.get(alarm=alarm, channel="sms")
    assert (d.status, d.attempts) == ("failed", 2)
    assert alarm.events.filter(kind="delivery_failed").count() == 1


def test_the_first_responders_sms_leaves_right_after_the_raise_commits(w, settings, django_capture_on_commit_callbacks):
    with FakeGateway() as gw:
        settings.YIYANG = {**settings.YIYANG, "SMS_GATEWAY_URL": gw.url + "/sms"}
        started = time.time()
        with django_capture_on_commit_callbacks(execute=True):
            resp = Client().post("/api/v1/alarms", json.dumps({}), content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {w['key']}")
        assert resp.status_code == 201
        assert len(gw.requests) == 1 and gw.requests[0]["at"] - started < 1.0
        assert Delivery.objects.get(alarm_id=resp.json()["id"], channel="sms").status == "sent"


def test_the_ticks_old_rows_are_pruned(w):
    from yiyang.alarms.tasks import alarms_prune

    old = tasks.alarms_tick.enqueue()
    Worker(batch=True).run()
    DBTaskResult.objects.filter(pk=old.id).update(finished_at=timezone.now() - dt.timedelta(days=2))
    assert alarms_prune.call()["deleted"] == 1
    assert not DBTaskResult.objects.filter(pk=old.id).exists()
