"""Alarms, part 1: raising (idempotent, merging repeated presses, late device messages), the
state machine (every allowed and every forbidden transition), the log and the platform events,
access (jurisdiction, roles, a device only for its own elder), the 503 when the database is
away (nothing half-written)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from tests import factories
from yiyang.alarms import services
from yiyang.alarms.models import Alarm, AlarmEvent, AlarmKey, Delivery, Device, State
from yiyang.alarms.tests.world import module_world
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.models import Event, Notification

T0 = timezone.now().replace(microsecond=0)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture
def w(world, db):
    return world


def dev(key: str, **extra):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", **extra}


def token(user) -> dict[str, str]:
    resp = Client().post("/api/v1/auth/token", {"username": user.username, "password": factories.PASSWORD},
                         content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {resp.json()['token']}"}


def post(path: str, body: dict | None = None, **headers):
    return Client().post(path, json.dumps(body or {}), content_type="application/json", **headers)


def raise_(w, *, now=None, key="", kind="sos", device_time=None):
    return services.alarm_raise(elder=w["elder"], source="device", kind=kind, device=w["device"],
                                idempotency_key=key, device_time=device_time, now=now or T0)


# -- raising -----------------------------------------------------------------------------------


def test_a_device_press_is_raised_dispatched_and_its_first_responder_notified(w):
    resp = post("/api/v1/alarms", {"note": "按了挂件"}, **dev(w["key"], HTTP_IDEMPOTENCY_KEY="press-1"))
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["state"], body["kind"], body["source"], body["elder_id"]) == (
        "dispatched", "sos", "device", str(w["elder"].pk))
    assert [e["kind"] for e in body["events"]] == ["raised", "dispatched"]
    assert body["events"][0]["actor"] == "设备 SOS-0001" and body["events"][1]["actor"] == "系统"
    assert "责任专员：张专员" in body["events"][1]["detail"]
    alarm = Alarm.objects.get(pk=body["id"])
    # Step 0 in the raise's own transaction: the in-app notice, and the SMS in the outbox.
    assert Notification.objects.filter(user=w["worker"], kind="alarm").count() == 1
    assert set(Delivery.objects.filter(alarm=alarm).values_list("recipient", "channel", "status")) == {
        (f"user:{w['worker'].pk}", "in_app", "sent"), (f"user:{w['worker'].pk}:sms", "console", "pending")}
    assert alarm.next_escalation_at == alarm.raised_at + dt.timedelta(seconds=120)
    # On the platform's bus and the elder's timeline.
    assert list(Event.objects.filter(elder_id=w["elder"].pk, type__startswith="alarm.")
                .order_by("occurred_at", "type").values_list("type", flat=True)) == ["alarm.dispatched", "alarm.raised"]


def test_the_same_idempotency_key_five_times_makes_one_alarm(w):
    answers = [post("/api/v1/alarms", {}, **dev(w["key"], HTTP_IDEMPOTENCY_KEY="k-five")) for _ in range(5)]
    assert [r.status_code for r in answers] == [201, 200, 200, 200, 200]
    assert len({r.json()["id"] for r in answers}) == 1
    assert Alarm.objects.filter(elder=w["elder"]).count() == 1
    # A key is the caller's own: the same string from another device is another alarm.
    other = post("/api/v1/alarms", {}, **dev(w["key_b"], HTTP_IDEMPOTENCY_KEY="k-five"))
    assert other.status_code == 201 and other.json()["elder_id"] == str(w["elder_b"].pk)


def test_a_key_replayed_after_the_alarm_closed_still_answers_with_it(w):
    alarm, created = raise_(w, key="k-late")
    services.alarm_acknowledge(actor=w["worker"], alarm=alarm, now=T0 + dt.timedelta(seconds=5))
    services.alarm_resolve(actor=w["worker"], alarm=alarm, outcome="phone", now=T0 + dt.timedelta(seconds=60))
    again, created = raise_(w, key="k-late", now=T0 + dt.timedelta(hours=2))
    assert (again.pk, created, Alarm.objects.count()) == (alarm.pk, False, 1)


def test_repeated_presses_within_the_window_merge_and_later_ones_raise_anew(w):
    first, created = raise_(w)
    second, created2 = raise_(w, now=T0 + dt.timedelta(seconds=40))
    third, created3 = raise_(w, now=T0 + dt.timedelta(seconds=40 + 299))
    assert (created, created2, created3) == (True, False, False)
    assert first.pk == second.pk == third.pk
    first.refresh_from_db()
    assert first.presses == 3
    assert list(first.events.values_list("kind", flat=True)) == ["raised", "dispatched", "merged", "merged"]
    # Past the window after the last press: a new alarm (the old one stays open for its responder).
    fourth, created4 = raise_(w, now=T0 + dt.timedelta(seconds=40 + 299 + 301))
    assert created4 and fourth.pk != first.pk
    # A fall is not a press: its own alarm.
    fall, created5 = raise_(w, kind="fall", now=T0 + dt.timedelta(seconds=41))
    assert created5 and fall.priority == "high"


def test_a_delayed_device_message_joins_the_closed_alarm_it_belongs_to(w):
    alarm, _ = raise_(w)
    services.alarm_acknowledge(actor=w["worker"], alarm=alarm, now=T0 + dt.timedelta(seconds=20))
    services.alarm_resolve(actor=w["worker"], alarm=alarm, outcome="phone", now=T0 + dt.timedelta(minutes=10))
    # Pressed at T0+5 s, buffered by the device, arriving 20 minutes later (out of order).
    late, created = raise_(w, now=T0 + dt.timedelta(minutes=20), device_time=T0 + dt.timedelta(seconds=5))
    assert (late.pk, created) == (alarm.pk, False)
    assert late.events.filter(kind=AlarmEvent.Kind.LATE_PRESS).count() == 1
    assert Alarm.objects.count() == 1
    # A press the device stamped after the alarm closed is a new emergency.
    new, created = raise_(w, now=T0 + dt.timedelta(minutes=21), device_time=T0 + dt.timedelta(minutes=20, seconds=50))
    assert created and new.pk != alarm.pk


def test_a_worker_or_hotline_raises_for_an_elder_of_the_jurisdiction(w):
    resp = post("/api/v1/alarms", {"elder_id": str(w["elder"].pk), "source": "hotline", "note": "家属来电"},
                **token(w["worker2"]))
    assert resp.status_code == 201 and resp.json()["source"] == "hotline"
    assert resp.json()["events"][0]["actor"] == "李专员"
    outside = post("/api/v1/alarms", {"elder_id": str(w["elder_b"].pk), "source": "hotline"}, **token(w["worker2"]))
    assert outside.status_code == 404
    pretend = post("/api/v1/alarms", {"elder_id": str(w["elder"].pk), "source": "device"}, **token(w["worker2"]))
    assert pretend.status_code == 400 and pretend.json()["code"] == "validation_error"
    # District administrators read alarms; they do not raise them.
    assert post("/api/v1/alarms", {"elder_id": str(w["elder"].pk), "source": "hotline"},
                **token(w["district"])).status_code == 403


# -- the state machine ---------------------------------------------------------------------------

ACTIONS = ("acknowledge", "arrive", "resolve", "cancel")
# From each state, what each action leads to (None: refused with 409).
MACHINE = {
    "dispatched": {"acknowledge": "acknowledged", "arrive": None, "resolve": None, "cancel": "cancelled"},
    "acknowledged": {"acknowledge": None, "arrive": "on_scene", "resolve": "resolved", "cancel": "cancelled"},
    "on_scene": {"acknowledge": None, "arrive": None, "resolve": "resolved", "cancel": None},
    "resolved": dict.fromkeys(ACTIONS),
    "false_alarm": dict.fromkeys(ACTIONS),
    "cancelled": dict.fromkeys(ACTIONS),
}


def alarm_in(w, state: str) -> Alarm:
    alarm, _ = raise_(w)
    t = T0 + dt.timedelta(seconds=10)
    path = {"dispatched": [], "acknowledged": ["acknowledge"], "on_scene": ["acknowledge", "arrive"],
            "resolved": ["acknowledge", "arrive", "resolve"], "false_alarm": ["acknowledge", "false_alarm"],
            "cancelled": ["cancel"]}[state]
    for step in path:
        alarm = do(w, alarm, step, t)
    assert alarm.state == state
    return alarm


def do(w, alarm: Alarm, action: str, now: dt.datetime) -> Alarm:
    actor = w["worker"]
    if action == "acknowledge":
        return services.alarm_acknowledge(actor=actor, alarm=alarm, now=now)
    if action == "arrive":
        return services.alarm_arrive(actor=actor, alarm=alarm, now=now)
    if action == "resolve":
        return services.alarm_resolve(actor=actor, alarm=alarm, outcome="on_site", note="血压偏高，已处理", now=now)
    if action == "false_alarm":
        return services.alarm_resolve(actor=actor, alarm=alarm, outcome="false_alarm", now=now)
    return services.alarm_cancel(actor=actor, alarm=alarm, reason="重复", now=now)


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in MACHINE for a in ACTIONS])
def test_every_transition_is_allowed_or_refused_as_the_machine_says(w, state, action):
    alarm = alarm_in(w, state)
    events_before = alarm.events.count()
    expected = MACHINE[state][action]
    if expected is None:
        with pytest.raises(ApplicationError) as exc:
            do(w, alarm, action, T0 + dt.timedelta(seconds=30))
        assert (exc.value.status, exc.value.code) == (409, "alarm_state")
        assert Alarm.objects.get(pk=alarm.pk).state == state and alarm.events.count() == events_before
    else:
        after = do(w, alarm, action, T0 + dt.timedelta(seconds=30))
        assert Alarm.objects.get(pk=alarm.pk).state == expected == after.state
        assert alarm.events.count() == events_before + 1
        assert Event.objects.filter(subject_id=str(alarm.pk), type__in=[
            "alarm.acknowledged", "alarm.arrived", "alarm.resolved", "alarm.cancelled"]).exists()


def test_the_whole_path_through_the_api_with_times_actors_and_the_follow_up_in_the_event(w):
    raised = post("/api/v1/alarms", {}, **dev(w["key"])).json()
    headers = token(w["worker"])
    ack = post(f"/api/v1/alarms/{raised['id']}/acknowledge", **headers)
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    assert ack.json()["next_escalation_at"] is None and ack.json()["acknowledged_by"] == "张专员"
    again = post(f"/api/v1/alarms/{raised['id']}/acknowledge", **headers)
    assert again.status_code == 409 and again.json()["code"] == "alarm_state" and "已接警" in again.json()["message"]
    assert post(f"/api/v1/alarms/{raised['id']}/arrive", **headers).json()["state"] == "on_scene"
    missing = post(f"/api/v1/alarms/{raised['id']}/resolve", {"note": "无"}, **headers)
    assert missing.status_code == 422 and "outcome" in missing.json()["detail"]["fields"]
    other = post(f"/api/v1/alarms/{raised['id']}/resolve", {"outcome": "other"}, **headers)
    assert other.status_code == 400 and "note" in other.json()["detail"]["fields"]
    done = post(f"/api/v1/alarms/{raised['id']}/resolve", {"outcome": "hospital", "note": "120送市二医院"}, **headers)
    body = done.json()
    assert (body["state"], body["outcome"], body["outcome_label"]) == ("resolved", "hospital", "送医")
    assert [e["kind"] for e in body["events"]] == ["raised", "dispatched", "acknowledged", "arrived", "resolved"]
    assert all(e["at"] for e in body["events"]) and body["events"][2]["actor"] == "张专员"
    event = Event.objects.get(type="alarm.resolved", subject_id=raised["id"])
    assert event.payload["followup_assignee_id"] == w["worker"].pk
    due = dt.date.fromisoformat(event.payload["followup_due_date"])
    closed = timezone.localtime(Alarm.objects.get(pk=raised["id"]).closed_at)
    end_of_due_day = timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=1), dt.time()))
    assert closed < end_of_due_day <= closed + dt.timedelta(hours=48)


def test_a_false_alarm_closes_as_such(w):
    alarm = alarm_in(w, "acknowledged")
    closed = services.alarm_resolve(actor=w["worker"], alarm=alarm, outcome="false_alarm", now=T0 + dt.timedelta(1))
    assert (closed.state, closed.outcome) == ("false_alarm", "false_alarm")
    assert Event.objects.filter(type="alarm.false_alarm", subject_id=str(alarm.pk)).exists()


# -- access ------------------------------------------------------------------------------------


def test_only_the_jurisdiction_sees_an_alarm_and_only_responders_answer_it(w):
    alarm, _ = raise_(w)
    url = f"/api/v1/alarms/{alarm.pk}"
    assert Client().get(url, **token(w["other"])).status_code == 404  # another community
    assert Client().get(url, **token(w["street"])).status_code == 200
    assert Client().get(url, **token(w["district"])).status_code == 200
    assert post(f"{url}/acknowledge", **token(w["district"])).status_code == 403
    assert post(f"{url}/acknowledge", **token(w["other"])).status_code == 404
    assert Client().get(url).status_code == 401
    assert Client().get(url, **dev("dev_not-a-key")).status_code == 401
    listing = Client().get("/api/v1/alarms", **token(w["other"]))
    assert listing.status_code == 200 and listing.json() == []
    assert [a["id"] for a in Client().get("/api/v1/alarms", **token(w["worker"])).json()] == [str(alarm.pk)]
    with pytest.raises(NotFoundError):
        services.alarm_acknowledge(actor=w["other"], alarm=alarm)
    with pytest.raises(ForbiddenError):
        services.alarm_acknowledge(actor=w["district"], alarm=alarm)


def test_a_device_reaches_its_own_elder_only(w):
    other_elder = post("/api/v1/alarms", {"elder_id": str(w["elder_b"].pk)}, **dev(w["key"]))
    assert other_elder.status_code == 404 and other_elder.json()["code"] == "not_found"
    assert not Alarm.objects.filter(elder=w["elder_b"]).exists()
    own = post("/api/v1/alarms", {"elder_id": str(w["elder"].pk)}, **dev(w["key"]))
    assert own.status_code == 201
    theirs = post("/api/v1/alarms", {}, **dev(w["key_b"])).json()
    assert Client().get(f"/api/v1/alarms/{theirs['id']}", **dev(w["key"])).status_code == 404
    assert Client().get(f"/api/v1/alarms/{own.json()['id']}", **dev(w["key"])).status_code == 200
    assert post(f"/api/v1/alarms/{own.json()['id']}/acknowledge", **dev(w["key"])).status_code == 403
    assert Client().get("/api/v1/alarms", **dev(w["key"])).status_code == 403
    cancelled = post(f"/api/v1/alarms/{own.json()['id']}/cancel", {"reason": "按错了"}, **dev(w["key"]))
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["events"][-1]["actor"] == "设备 SOS-0001"
    # A deactivated device's key no longer works.
    Device.objects.filter(pk=w["device"].pk).update(active=False)  # the world's instance stays as built
    assert post("/api/v1/alarms", {}, **dev(w["key"])).status_code == 401


def test_texts_are_bounded_and_a_bad_kind_is_refused(w):
    long = post("/api/v1/alarms", {"note": "急" * 501}, **dev(w["key"]))
    assert long.status_code == 422
    key = post("/api/v1/alarms", {}, **dev(w["key"], HTTP_IDEMPOTENCY_KEY="k" * 101))
    assert key.status_code == 422
    with pytest.raises(FieldErrors):
        services.alarm_raise(elder=w["elder"], source="device", kind="fire", device=w["device"])


# -- the database away -------------------------------------------------------------------------


def test_the_database_going_away_mid_raise_answers_503_and_leaves_nothing(w, monkeypatch):
    real = AlarmEvent.objects.create
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # after the alarm row and its first log row were written
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(AlarmEvent.objects, "create", flaky)
    resp = post("/api/v1/alarms", {}, **dev(w["key"], HTTP_IDEMPOTENCY_KEY="k-503"))
    assert resp.status_code == 503 and resp["Retry-After"] == "5"
    assert resp.json()["code"] == "db_unavailable" and resp.json()["detail"] == {"retry_after": 5}
    assert (Alarm.objects.count(), AlarmEvent.objects.count(), AlarmKey.objects.count(), Delivery.objects.count(),
            Event.objects.filter(type__startswith="alarm.").count()) == (0, 0, 0, 0, 0)
    monkeypatch.setattr(AlarmEvent.objects, "create", real)
    # The device retries with the same key: one alarm.
    retry = post("/api/v1/alarms", {}, **dev(w["key"], HTTP_IDEMPOTENCY_KEY="k-503"))
    assert retry.status_code == 201 and Alarm.objects.count() == 1


def test_state_labels_are_chinese(w):
    assert str(State.ON_SCENE.label) == "已到场"


# -- closing: the follow-up visit (casework hears the event) ----------------------------------


def test_closing_puts_a_follow_up_visit_within_48_hours_on_the_responsible_workers_list(w):
    from yiyang.casework.models import FollowUp
    from yiyang.casework.selectors import followups_open_for
    from yiyang.casework.tasks import casework_on_alarm_events

    alarm, _ = raise_(w, now=timezone.now())
    services.alarm_acknowledge(actor=w["worker2"], alarm=alarm)
    services.alarm_arrive(actor=w["worker2"], alarm=alarm)
    services.alarm_resolve(actor=w["worker2"], alarm=alarm, outcome="on_site", note="摔倒后扶起，无外伤")
    factories.run_worker()
    followup = FollowUp.objects.get(source="alarm", source_id=str(alarm.pk))
    # On the responsible worker's list (not the one who closed it), due within 48 hours.
    assert followup.assignee == w["worker"] and followup.elder_id == w["elder"].pk
    assert followup.title == "紧急呼叫后上门回访（上门处置）"
    assert timezone.localdate() <= followup.due_date <= timezone.localdate() + dt.timedelta(days=2)
    assert list(followups_open_for(w["worker"])) == [followup]
    # A second delivery of the same event makes nothing more.
    event = Event.objects.get(type="alarm.resolved", subject_id=str(alarm.pk))
    casework_on_alarm_events.call(event_ids=[str(event.pk)])
    assert FollowUp.objects.filter(source="alarm").count() == 1
    # The visits app counts the call as a contact with the elder.
    from yiyang.visits.models import ElderContact

    assert ElderContact.objects.get(elder=w["elder"]).last_kind == "紧急呼叫处置"


def test_a_community_admin_registers_a_device_and_its_key_works_once_shown(w):
    body = {"elder_id": str(w["elder"].pk), "serial": "SOS-NEW-01", "type": "fall_sensor"}
    resp = post("/api/v1/alarms/devices", body, **token(w["lead"]))
    assert resp.status_code == 201, resp.content
    key = resp.json()["key"]
    assert key.startswith("dev_") and not Device.objects.filter(key_hash=key).exists()  # only its hash is kept
    raised = post("/api/v1/alarms", {"kind": "fall"}, **dev(key))
    assert raised.status_code == 201 and raised.json()["kind"] == "fall"
    assert post("/api/v1/alarms/devices", body, **token(w["lead"])).status_code == 400  # serial taken
    assert post("/api/v1/alarms/devices", {**body, "serial": "X"}, **token(w["worker"])).status_code == 403
    assert post("/api/v1/alarms/devices", {**body, "elder_id": str(w["elder_b"].pk)},
                **token(w["lead"])).status_code == 404
    assert post("/api/v1/alarms/devices", {**body, "serial": "Y"}, **dev(key)).status_code == 403
