"""The elder registry's part of the access matrix (``tests/matrix.py``): its endpoints and
pages acting on one elder, its lists, and its records in the shared world (one emergency
contact, one consent and one logged reveal per elder)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.matrix import Endpoint, ListEndpoint, World
from yiyang.core.models import AccessLog, Event
from yiyang.elders import access as elder_access
from yiyang.elders import services
from yiyang.elders.models import Elder

VIEW = (elder_access.ELDER_VIEW,)
# access_elder always checks ELDER_VIEW first, then the endpoint's own capability.
UPDATE = (elder_access.ELDER_VIEW, elder_access.ELDER_UPDATE)
DEACTIVATE = (elder_access.ELDER_VIEW, elder_access.ELDER_DEACTIVATE)
REVEAL = (elder_access.ELDER_VIEW, elder_access.ELDER_REVEAL)
ACCESS_LOG = (elder_access.ELDER_VIEW, elder_access.ELDER_ACCESS_LOG)
WORLD_PURPOSE = "建档核对"  # the purpose of the reveal every elder of the world has on its access log


def build(world: World) -> None:
    for elder in world.elders.values():
        services.contact_add(actor=world.root, elder=elder, name="联系人", phone="13800000000", relation="子女")
        services.consent_grant(actor=world.root, elder=elder, purpose="photos", granted_by="本人")
        services.elder_reveal(actor=world.root, elder=elder, fields=["phone"], purpose=WORLD_PURPOSE)


def snapshot(elder: Elder) -> tuple:
    return (
        list(elder.contacts.order_by("pk").values_list("pk", "name")),
        list(elder.consents.order_by("pk").values_list("pk", "withdrawn_at")),
        list(elder.categories.order_by("pk").values_list("pk", flat=True)),
    )


# -- API ---------------------------------------------------------------------------------------


def _api(elder: Elder, suffix: str = "") -> str:
    return f"/api/v1/elders/{elder.pk}{suffix}"


def _check_api_detail(resp: Any, elder: Elder) -> None:
    body = resp.json()
    assert body["id"] == str(elder.pk) and body["name"] == elder.name
    assert body["id_number"] == elder.id_number_masked
    assert elder.id_number not in resp.content.decode()


def _check_api_patch(resp: Any, elder: Elder) -> None:
    body = resp.json()
    fresh = Elder.objects.get(pk=elder.pk)
    assert body["name"] == fresh.name == "改名老人"
    assert fresh.version == elder.version + 1
    assert Event.objects.filter(elder_id=elder.pk, type="elder.updated").exists()


def _check_deactivated(resp: Any, elder: Elder) -> None:
    fresh = Elder.objects.get(pk=elder.pk)
    assert not fresh.active and fresh.deactivation_reason == "moved_away"
    assert Event.objects.filter(elder_id=elder.pk, type="elder.deactivated").exists()


def _check_api_timeline(resp: Any, elder: Elder) -> None:
    assert "elder.registered" in [e["type"] for e in resp.json()]


def _check_api_reveal(resp: Any, elder: Elder) -> None:
    assert resp.json()["id_number"] == elder.id_number
    log = AccessLog.objects.get(elder_id=elder.pk, purpose="电话回访")
    assert log.fields == ["身份证号"]


def _check_api_access_log(resp: Any, elder: Elder) -> None:
    assert [(a["purpose"], a["fields"]) for a in resp.json()] == [(WORLD_PURPOSE, ["联系电话"])]


API = [
    Endpoint("GET detail", VIEW, lambda c, e: c.get(_api(e)), 200, _check_api_detail),
    Endpoint("PATCH", UPDATE, lambda c, e: c.patch(_api(e), {"name": "改名老人", "version": e.version}), 200,
             _check_api_patch),
    Endpoint("POST deactivate", DEACTIVATE, lambda c, e: c.post(_api(e, "/deactivate"), {"reason": "moved_away"}),
             200, _check_deactivated),
    Endpoint("GET timeline", VIEW, lambda c, e: c.get(_api(e, "/timeline")), 200, _check_api_timeline),
    Endpoint("POST reveal", REVEAL,
             lambda c, e: c.post(_api(e, "/reveal"), {"fields": ["id_number"], "purpose": "电话回访"}), 200,
             _check_api_reveal),
    Endpoint("GET access-log", ACCESS_LOG, lambda c, e: c.get(_api(e, "/access-log")), 200, _check_api_access_log),
]


# -- pages -------------------------------------------------------------------------------------


def page(name: str, elder: Elder, *args: Any) -> str:
    return reverse(f"elders:{name}", args=[elder.pk, *args])


def _check_page_shows(resp: Any, elder: Elder) -> None:
    html = resp.content.decode()
    assert elder.name in html
    assert elder.id_number_masked in html and elder.id_number not in html


def _check_page_edited(resp: Any, elder: Elder) -> None:
    assert resp["Location"] == page("detail", elder)
    assert Elder.objects.get(pk=elder.pk).name == "改名老人"


def _check_page_timeline(resp: Any, elder: Elder) -> None:
    assert "登记建档" in resp.content.decode()


def _check_page_access_log(resp: Any, elder: Elder) -> None:
    html = resp.content.decode()
    assert elder.name in html and WORLD_PURPOSE in html


def _check_page_revealed(resp: Any, elder: Elder) -> None:
    assert elder.id_number in resp.content.decode()
    assert AccessLog.objects.filter(elder_id=elder.pk, purpose="上门探访").count() == 1


def _check_page_deactivated(resp: Any, elder: Elder) -> None:
    assert resp["Location"] == page("detail", elder)
    _check_deactivated(resp, elder)


def _check_page_reactivated(resp: Any, elder: Elder) -> None:
    assert resp["Location"] == page("detail", elder)
    assert Elder.objects.get(pk=elder.pk).active


def _check_contact_added(resp: Any, elder: Elder) -> None:
    assert list(Elder.objects.get(pk=elder.pk).contacts.values_list("name", flat=True)) == ["联系人", "张三"]


def _check_contact_removed(resp: Any, elder: Elder) -> None:
    assert not Elder.objects.get(pk=elder.pk).contacts.exists()


def _check_consent_granted(resp: Any, elder: Elder) -> None:
    assert Elder.objects.get(pk=elder.pk).consents.filter(purpose="time_bank", withdrawn_at__isnull=True).exists()


def _check_consent_withdrawn(resp: Any, elder: Elder) -> None:
    # Only the world's 拍照留存 consent (other apps' builds may add consents of their own).
    assert not Elder.objects.get(pk=elder.pk).consents.filter(purpose="photos", withdrawn_at__isnull=True).exists()


def _edit_form(elder: Elder) -> dict:
    return {"name": "改名老人", "region_code": elder.region_id, "living_situation": elder.living_situation,
            "economic_status": "subsistence", "hukou_local": "on", "version": elder.version}


def _deactivated(world: World, elder: Elder) -> Elder:
    return services.elder_deactivate(actor=world.root, elder=elder, reason="moved_away")


PAGES = [
    Endpoint("GET detail", VIEW, lambda c, e: c.get(page("detail", e)), 200, _check_page_shows),
    Endpoint("GET edit", UPDATE, lambda c, e: c.get(page("edit", e)), 200, _check_page_shows),
    Endpoint("POST edit", UPDATE, lambda c, e: c.post(page("edit", e), _edit_form(e)), 302, _check_page_edited),
    Endpoint("GET timeline", VIEW, lambda c, e: c.get(page("timeline", e)), 200, _check_page_timeline),
    Endpoint("GET access-log", ACCESS_LOG, lambda c, e: c.get(page("access_log", e)), 200, _check_page_access_log),
    Endpoint("POST reveal", REVEAL,
             lambda c, e: c.post(page("reveal", e), {"fields": ["id_number"], "purpose": "上门探访"}), 200,
             _check_page_revealed),
    Endpoint("POST deactivate", DEACTIVATE, lambda c, e: c.post(page("deactivate", e), {"reason": "moved_away"}),
             302, _check_page_deactivated),
    Endpoint("POST reactivate", DEACTIVATE, lambda c, e: c.post(page("reactivate", e)), 302,
             _check_page_reactivated, target=_deactivated),
    Endpoint("POST contact add", UPDATE,
             lambda c, e: c.post(page("contact_add", e), {"name": "张三", "phone": "13900001111", "relation": "女儿"}),
             302, _check_contact_added),
    Endpoint("POST contact remove", UPDATE,
             lambda c, e: c.post(page("contact_remove", e, e.contacts.get().pk)), 302, _check_contact_removed),
    Endpoint("POST consent grant", UPDATE,
             lambda c, e: c.post(page("consent_grant", e), {"purpose": "time_bank", "granted_by": "本人"}), 302,
             _check_consent_granted),
    Endpoint("POST consent withdraw", UPDATE,
             lambda c, e: c.post(page("consent_withdraw", e, e.consents.get(purpose="photos").pk)), 302,
             _check_consent_withdrawn),
]


LISTS = [
    ListEndpoint("GET /api/v1/elders", VIEW, lambda c: c.get("/api/v1/elders", {"page_size": 100})),
    ListEndpoint("GET elders:list", VIEW, lambda c: c.get(reverse("elders:list"))),
]
