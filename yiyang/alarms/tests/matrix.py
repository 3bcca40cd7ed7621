"""Alarms in the access matrix (``tests/matrix.py``): raising for an elder (the registry's
``elder.view`` first, then ``alarm.raise``), reading one alarm, acknowledging it (API and page),
and the lists (the API's open alarms, the board). Every elder of the world has an open alarm
from its own pendant."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.matrix import Endpoint, ListEndpoint, World
from yiyang.alarms import access, services
from yiyang.alarms.models import Alarm, AlarmEvent, Device
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder

RAISE = (elder_access.ELDER_VIEW, access.ALARM_RAISE)
RESPOND = (access.ALARM_VIEW, access.ALARM_RESPOND)


def build(world: World) -> None:
    for elder in world.elders.values():
        device, _key = services.device_register(actor=world.root, elder=elder, serial=f"MX-{elder.region_id}")
        services.alarm_raise(elder=elder, source="device", device=device)


def snapshot(elder: Elder) -> tuple:
    return (list(Alarm.objects.filter(elder=elder).order_by("raised_at").values_list("kind", "state")),
            AlarmEvent.objects.filter(alarm__elder=elder).count())


def _alarm(world: World, elder: Elder) -> Alarm:
    return Alarm.objects.get(elder=elder, kind="sos")


def _check_raised(resp: Any, elder: Elder) -> None:
    assert resp.json()["kind"] == "fall" and Alarm.objects.filter(elder=elder, kind="fall").exists()


def _check_alarm(resp: Any, alarm: Alarm) -> None:
    assert resp.json()["id"] == str(alarm.pk)


def _check_acknowledged(resp: Any, alarm: Alarm) -> None:
    assert Alarm.objects.get(pk=alarm.pk).state == "acknowledged"


def _check_page_alarm(resp: Any, alarm: Alarm) -> None:
    assert alarm.elder.name in resp.content.decode()


API = [
    Endpoint("POST alarm", RAISE,
             lambda c, e: c.post("/api/v1/alarms", {"elder_id": str(e.pk), "source": "hotline", "kind": "fall"}),
             201, _check_raised),
    Endpoint("GET alarm", (access.ALARM_VIEW,), lambda c, a: c.get(f"/api/v1/alarms/{a.pk}"), 200, _check_alarm,
             target=_alarm),
    Endpoint("POST alarm acknowledge", RESPOND, lambda c, a: c.post(f"/api/v1/alarms/{a.pk}/acknowledge", {}), 200,
             _check_acknowledged, target=_alarm),
]

PAGES = [
    Endpoint("GET alarm", (access.ALARM_VIEW,), lambda c, a: c.get(reverse("alarms:detail", args=[a.pk])), 200,
             _check_page_alarm, target=_alarm),
    Endpoint("POST alarm acknowledge", RESPOND,
             lambda c, a: c.post(reverse("alarms:act", args=[a.pk, "acknowledge"])), 302, _check_acknowledged,
             target=_alarm),
]

LISTS = [
    ListEndpoint("GET /api/v1/alarms", (access.ALARM_VIEW,), lambda c: c.get("/api/v1/alarms")),
    ListEndpoint("GET alarms:board", (access.ALARM_VIEW,), lambda c: c.get(reverse("alarms:board"))),
]

__all__ = ["Device"]
