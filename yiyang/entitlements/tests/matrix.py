"""Entitlements in the access matrix (``tests/matrix.py``): what one elder may enjoy, "已向老人
讲解" on one elder, "已告知" on one change, and the list of changes. Reading an elder's own
entitlements is the registry's ``elder.view``, recording that they were explained or told
its ``elder.update``. Every elder of the world has one open change: newly entitled to the
first active benefit of the shipped list."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from tests.matrix import Endpoint, ListEndpoint, World
from yiyang.core.models import Event
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.entitlements import events
from yiyang.entitlements.models import Benefit, EntitlementChange, Status

VIEW = (elder_access.ELDER_VIEW,)
UPDATE = (elder_access.ELDER_VIEW, elder_access.ELDER_UPDATE)


def benefit() -> Benefit:
    """The benefit the matrix works with: the first active one the migrations ship."""
    found = Benefit.objects.filter(active=True).order_by("sort_order", "pk").first()
    assert found is not None, "the shipped benefits (entitlements migration 0002) are missing"
    return found


def build(world: World) -> None:
    b = benefit()
    EntitlementChange.objects.bulk_create([
        EntitlementChange(elder=elder, benefit=b, from_status=Status.NOT, to_status=Status.ENTITLED,
                          reason="满足条件", at=timezone.now(), cause=EntitlementChange.Cause.ELDER)
        for elder in world.elders.values()
    ])


def snapshot(elder: Elder) -> tuple:
    return (list(EntitlementChange.objects.filter(elder=elder).order_by("pk")
                 .values_list("pk", "acknowledged_at", "acknowledged_by_id")),)


def _change(world: World, elder: Elder) -> EntitlementChange:
    return EntitlementChange.objects.select_related("elder", "benefit").get(elder=elder)


def _explained(elder: Elder) -> bool:
    return Event.objects.filter(elder_id=elder.pk, type=events.EXPLAINED, payload__benefit=benefit().code).exists()


def _acknowledged(change: EntitlementChange) -> bool:
    fresh = EntitlementChange.objects.get(pk=change.pk)
    return fresh.acknowledged_at is not None and Event.objects.filter(
        elder_id=change.elder_id, type=events.ACKNOWLEDGED).exists()


# -- API ---------------------------------------------------------------------------------------


def _check_entitlements(resp: Any, elder: Elder) -> None:
    by_code = {i["benefit"]: i for i in resp.json()}
    assert benefit().code in by_code
    assert {i["status"] for i in by_code.values()} <= {s.value for s in Status}


def _check_api_explained(resp: Any, elder: Elder) -> None:
    assert resp.json()["benefit"] == benefit().code
    assert _explained(elder)


def _check_api_acknowledged(resp: Any, change: EntitlementChange) -> None:
    body = resp.json()
    assert body["id"] == change.pk and body["acknowledged_at"] and body["acknowledged_by"]
    assert _acknowledged(change)


API = [
    Endpoint("GET elder entitlements", VIEW, lambda c, e: c.get(f"/api/v1/elders/{e.pk}/entitlements"), 200,
             _check_entitlements),
    Endpoint("POST explained", UPDATE,
             lambda c, e: c.post(f"/api/v1/elders/{e.pk}/entitlements/{benefit().code}/explained", {"note": "已讲解"}),
             201, _check_api_explained),
    Endpoint("POST change acknowledge", UPDATE,
             lambda c, ch: c.post(f"/api/v1/entitlements/changes/{ch.pk}/acknowledge"), 200, _check_api_acknowledged,
             target=_change),
]


# -- pages -------------------------------------------------------------------------------------


def _check_page_explained(resp: Any, elder: Elder) -> None:
    assert resp["Location"] == reverse("elders:detail", args=[elder.pk]) + "#entitlements"
    assert _explained(elder)


def _check_page_acknowledged(resp: Any, change: EntitlementChange) -> None:
    assert resp["Location"] == reverse("entitlements:changes")
    assert _acknowledged(change)


PAGES = [
    Endpoint("POST explained", UPDATE,
             lambda c, e: c.post(reverse("entitlements:explained", args=[e.pk, benefit().code]), {"note": "已讲解"}),
             302, _check_page_explained),
    Endpoint("POST change acknowledge", UPDATE,
             lambda c, ch: c.post(reverse("entitlements:acknowledge", args=[ch.pk])), 302, _check_page_acknowledged,
             target=_change),
]


LISTS = [
    ListEndpoint("GET /api/v1/entitlements/changes", VIEW,
                 lambda c: c.get("/api/v1/entitlements/changes", {"page_size": 100})),
    ListEndpoint("GET entitlements:changes", VIEW, lambda c: c.get(reverse("entitlements:changes"))),
]
