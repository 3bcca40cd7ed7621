"""Alarms, part 4: the live board (htmx fragment, the cues' hooks, phone and desk layouts share
one page), the elder's key facts one tap away with the access logged, device health (heartbeats
out of order, offline, low battery as an alarm, the monthly test press), and the daily check-in
of elders living alone (missed by the deadline → a low-priority alarm that prompts the elder
first; her check-in closes it)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yiyang.alarms import services
from yiyang.alarms.models import Alarm, Checkin, CheckinRule, Delivery, Device
from yiyang.alarms.tests.world import module_world
from yiyang.core.models import AccessLog, Event

T0 = timezone.now().replace(microsecond=0)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture
def w(world, db):
    return world


def page(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def signal(w, key="key", **body):
    return Client().post("/api/v1/alarms/devices/signal", json.dumps(body), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {w[key]}")


def test_the_board_lists_open_alarms_unanswered_marked_and_refreshes_as_a_fragment(w):
    alarm, _ = services.alarm_raise(elder=w["elder"], source="device", device=w["device"])
    c = page(w["worker"])
    full = c.get(reverse("alarms:board")).content.decode()
    assert 'hx-trigger="every 5s"' in full and "alarms/alarm.wav" in full and "alarms/board.js" in full
    assert f'data-unanswered-id="{alarm.pk}"' in full and "陈阿婆" in full
    fragment = c.get(reverse("alarms:board"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and f'data-unanswered-id="{alarm.pk}"' in fragment
    services.alarm_acknowledge(actor=w["worker"], alarm=alarm)
    after = c.get(reverse("alarms:board"), HTTP_HX_REQUEST="true").content.decode()
    assert "data-unanswered-id" not in after and "张专员 已接警" in after
    # Another community's worker sees none of it.
    assert "陈阿婆" not in page(w["other"]).get(reverse("alarms:board")).content.decode()
    # The navigation counts unanswered alarms; the worker's home lists them first.
    services.alarm_raise(elder=w["elder"], source="device", kind="fall", device=w["device"])
    home = c.get("/").content.decode()
    assert "紧急呼叫" in home and "跌倒报警" in home


def test_key_facts_are_one_tap_away_and_the_look_is_logged(w):
    alarm, _ = services.alarm_raise(elder=w["elder"], source="device", device=w["device"])
    c = page(w["worker"])
    before = AccessLog.objects.filter(elder_id=w["elder"].pk).count()
    resp = c.post(reverse("alarms:facts", args=[alarm.pk]), HTTP_HX_REQUEST="true")
    text = resp.content.decode()
    assert resp.status_code == 200
    assert w["elder"].address in text and w["elder"].phone in text and "陈大明" in text and "13700000002" in text
    log = AccessLog.objects.filter(elder_id=w["elder"].pk).order_by("-at").first()
    assert AccessLog.objects.filter(elder_id=w["elder"].pk).count() == before + 1
    assert log.actor == w["worker"] and log.purpose.startswith("紧急呼叫处置")
    assert page(w["other"]).post(reverse("alarms:facts", args=[alarm.pk])).status_code == 404
    assert c.get(reverse("alarms:facts", args=[alarm.pk])).status_code == 405  # a look is a POST (it writes the log)


def test_the_detail_page_walks_the_worker_through_ack_arrive_and_resolve(w):
    alarm, _ = services.alarm_raise(elder=w["elder"], source="device", device=w["device"])
    c = page(w["worker"])
    assert "接警" in c.get(reverse("alarms:detail", args=[alarm.pk])).content.decode()
    assert c.post(reverse("alarms:act", args=[alarm.pk, "acknowledge"])).status_code == 302
    assert c.post(reverse("alarms:act", args=[alarm.pk, "arrive"])).status_code == 302
    bad = c.post(reverse("alarms:act", args=[alarm.pk, "resolve"]), {"note": "x"})
    assert bad.status_code == 400 and "处置结果" in bad.content.decode()
    ok = c.post(reverse("alarms:act", args=[alarm.pk, "resolve"]), {"outcome": "family", "note": "女儿已赶到"})
    assert ok.status_code == 302
    assert Alarm.objects.get(pk=alarm.pk).state == "resolved"
    again = c.post(reverse("alarms:act", args=[alarm.pk, "arrive"]), follow=True)
    assert "不能登记到场" in again.content.decode()


# -- device health -----------------------------------------------------------------------------


def test_heartbeats_out_of_order_never_move_the_state_backwards(w):
    t1, t2 = T0 - dt.timedelta(minutes=1), T0 - dt.timedelta(minutes=10)
    first = signal(w, kind="heartbeat", battery_pct=80, sent_at=t1.isoformat())
    assert first.status_code == 200 and first.json()["battery_pct"] == 80
    late = signal(w, kind="heartbeat", battery_pct=95, sent_at=t2.isoformat())  # older, arrives after
    assert late.json()["battery_pct"] == 80 and late.json()["last_seen_at"].startswith(t1.isoformat()[:19])
    dup = signal(w, kind="heartbeat", battery_pct=80, sent_at=t1.isoformat())
    assert dup.status_code == 200
    # One heartbeat event a day on the timeline, not one per ping.
    assert Event.objects.filter(type="device.heartbeat", elder_id=w["elder"].pk).count() == 1
    future = signal(w, kind="heartbeat", sent_at=(timezone.now() + dt.timedelta(days=3)).isoformat())
    assert dt.datetime.fromisoformat(future.json()["last_seen_at"]) <= timezone.now()
    assert Client().post("/api/v1/alarms/devices/signal", "{}", content_type="application/json").status_code == 401


def test_a_device_not_heard_from_is_offline_on_the_board(w):
    Device.objects.filter(pk=w["device"].pk).update(last_seen_at=timezone.now() - dt.timedelta(hours=7))
    Device.objects.filter(pk=w["device_b"].pk).update(last_seen_at=timezone.now())
    text = page(w["lead"]).get(reverse("alarms:board")).content.decode()
    assert "1 台设备离线" in text and "SOS-0001" in text
    signal(w, kind="heartbeat")
    assert "所有设备在线" in page(w["lead"]).get(reverse("alarms:board")).content.decode()


def test_low_battery_arrives_as_an_alarm_of_its_own_once(w):
    first = signal(w, kind="heartbeat", battery_pct=15)
    assert first.json()["alarm_id"]
    alarm = Alarm.objects.get(pk=first.json()["alarm_id"])
    assert (alarm.kind, alarm.priority, alarm.source) == ("low_battery", "low", "device")
    # The low ladder: first the elder herself (a prompt), not yet the carers.
    assert list(Delivery.objects.filter(alarm=alarm).values_list("target", flat=True)) == ["elder"]
    again = signal(w, kind="heartbeat", battery_pct=12)
    assert again.json()["alarm_id"] is None and Alarm.objects.filter(kind="low_battery").count() == 1


def test_the_monthly_test_press_is_recorded(w):
    text = page(w["lead"]).get(reverse("alarms:board")).content.decode()
    assert "台设备本月未做测试按键" in text
    resp = signal(w, kind="test")
    assert resp.json()["last_test_at"]
    assert Event.objects.filter(type="device.tested", elder_id=w["elder"].pk).exists()
    text = page(w["worker"]).get(reverse("alarms:board")).content.decode()
    assert "SOS-0001" not in text.split("本月未做测试按键")[-1]


# -- daily check-ins ---------------------------------------------------------------------------


def local(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))


def test_a_missed_check_in_raises_a_low_alarm_that_prompts_the_elder_first(w):
    CheckinRule.objects.create(region_prefix="440304006", deadline=dt.time(9, 30))
    assert services.checkins_missed(now=local(9, 29)) == 0
    assert services.checkins_missed(now=local(9, 30)) == 1
    assert services.checkins_missed(now=local(9, 31)) == 0  # once a day
    alarm = Alarm.objects.get(kind="checkin_missed")
    assert (alarm.priority, alarm.source, alarm.elder_id) == ("low", "system", w["elder"].pk)
    assert list(Delivery.objects.filter(alarm=alarm).values_list("target", flat=True)) == ["elder"]
    assert alarm.next_escalation_at == local(9, 30) + dt.timedelta(seconds=600)
    # Ten minutes without an answer: the responsible worker.
    services.alarms_escalate_due(now=local(9, 40))
    assert Delivery.objects.filter(alarm=alarm, target="assigned_worker", user=w["worker"]).exists()
    # She presses "I'm OK" on her device: the check-in is recorded and the alarm closes.
    assert signal(w, kind="checkin").status_code == 200
    alarm.refresh_from_db()
    assert alarm.state == "cancelled" and alarm.outcome_note == "老人已报平安"
    assert Checkin.objects.filter(elder=w["elder"], day=timezone.localdate()).count() == 1
    assert Event.objects.filter(type="checkin.ok", elder_id=w["elder"].pk).count() == 1


def test_a_check_in_before_the_deadline_means_no_alarm_and_a_worker_may_record_one(w):
    resp = Client().post("/api/v1/alarms/checkins", json.dumps({"elder_id": str(w["elder"].pk)}),
                         content_type="application/json",
                         HTTP_AUTHORIZATION="Bearer " + _token(w["worker"]))
    assert resp.status_code == 200 and resp.json()["first_today"] is True
    assert services.checkins_missed(now=local(23, 0)) == 0
    outside = Client().post("/api/v1/alarms/checkins", json.dumps({"elder_id": str(w["elder"].pk)}),
                            content_type="application/json", HTTP_AUTHORIZATION="Bearer " + _token(w["other"]))
    assert outside.status_code == 404


def _token(user) -> str:
    from yiyang.accounts.services import api_token_issue

    return api_token_issue(user=user)


def test_figures_per_region_and_the_list_behind_them(w):
    from types import SimpleNamespace

    from yiyang.alarms.selectors import alarm_figures, percentile
    from yiyang.core.overview import month_parse

    a1, _ = services.alarm_raise(elder=w["elder"], source="device", device=w["device"], now=T0)
    services.alarm_acknowledge(actor=w["worker"], alarm=a1, now=T0 + dt.timedelta(seconds=30))
    services.alarm_resolve(actor=w["worker"], alarm=a1, outcome="false_alarm", now=T0 + dt.timedelta(minutes=2))
    a2, _ = services.alarm_raise(elder=w["elder"], source="device", kind="fall", device=w["device"], now=T0)
    services.alarms_escalate_due(now=T0 + dt.timedelta(seconds=120))
    services.alarm_acknowledge(actor=w["worker2"], alarm=a2, now=T0 + dt.timedelta(seconds=150))
    services.alarm_raise(elder=w["elder_b"], source="device", device=w["device_b"], now=T0)
    regions = [SimpleNamespace(code="440304006000", prefix="440304006"),
               SimpleNamespace(code="440304007000", prefix="440304007")]
    month = month_parse(f"{timezone.localtime(T0):%Y-%m}")
    figures = alarm_figures(w["district"], regions, month)
    mei, lian = figures["440304006000"], figures["440304007000"]
    # The fall: no roster here, so leads (no wait) and contacts follow at once: three steps.
    assert (mei.alarms, mei.acknowledged, mei.false_alarms, mei.escalated_alarms, mei.escalations) == (2, 2, 1, 1, 3)
    assert mei.ack_median_s == 90 and mei.ack_p90_s == pytest.approx(138)
    assert (lian.alarms, lian.acknowledged, lian.unanswered, lian.ack_median_s) == (1, 0, 1, None)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    # The supervisor's table shows the columns, each number a link to its records.
    home = page(w["street"]).get("/overview/").content.decode()
    assert "本月紧急呼叫" in home and "接警用时（中位）" in home and "误报" in home
    listing = page(w["street"]).get(reverse("alarms:list"), {"region": "440304006001", "month": f"{month:%Y-%m}",
                                                             "state": "false_alarm"})
    assert listing.status_code == 200 and "共 1 次" in listing.content.decode()
    assert page(w["other"]).get(reverse("alarms:list"), {"region": "440304006001"}).status_code == 404


def test_the_elder_page_shows_her_devices_and_alarms(w):
    services.alarm_raise(elder=w["elder"], source="device", device=w["device"])
    text = page(w["worker"]).get(reverse("elders:detail", args=[w["elder"].pk])).content.decode()
    assert 'id="alarms"' in text and "SOS-0001" in text and "一键呼救" in text and "张专员" in text
