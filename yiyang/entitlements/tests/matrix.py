"""Entitlements in the access matrix (``tests/matrix.py``): what one elder may enjoy, "已向老人
讲解" on one elder, "已告知" on one change, and the list of changes. Reading an elder's own
entitlements is the registry's ``elder.view``, recording that they were explained or told
its ``elder.update``. Every elder of the world has one open change: newly entitled to the
first active benefit of the shipped list.

Payment lists and rounds (发放名单, 发放批次) are a bureau's: ``benefit.recipients`` to read
them, ``benefit.export``, ``benefit.round_draft`` and ``benefit.round_approve`` to act. A
round covers a node: the matrix drafts one for the elder's community (as a superuser) and
calls it inside and outside the caller's node. The world's elders are all over 80, so the
高龄津贴 list of a node is exactly its elders."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.matrix import Endpoint, ListEndpoint, World
from yiyang.core.models import AccessLog, Event
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.entitlements import access as payment_access
from yiyang.entitlements import events, payments
from yiyang.entitlements.models import Benefit, EntitlementChange, PaymentRound, Status
from yiyang.entitlements.services import entitlements_refresh

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
    # The stored statuses the payment lists read (first ones: a baseline, no change logged).
    entitlements_refresh(elders=[e.pk for e in world.elders.values()], cause=EntitlementChange.Cause.ELDER)


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


# -- payment rounds ----------------------------------------------------------------------------

AGE = "advanced_age_allowance"
RECIPIENTS = (payment_access.RECIPIENTS_VIEW,)


def _round(world: World, elder: Elder, *, submitted: bool = False, approved: bool = False) -> PaymentRound:
    """This month's 高龄津贴 round of the elder's community, drafted by the second superuser
    (so the caller is never its drafter)."""
    r = payments.round_draft(actor=world.root2, benefit=AGE, region_code=elder.region_id)
    if submitted or approved:
        payments.round_submit(actor=world.root2, round=r)
    if approved:
        factories.run_worker()  # approval waits for the world's pending recomputes
        payments.round_approve(actor=world.root, round=r)
    return r


def _submitted_round(world: World, elder: Elder) -> PaymentRound:
    r = _round(world, elder, submitted=True)
    factories.run_worker()
    return r


def _status_is(status: str) -> Any:
    def check(resp: Any, r: PaymentRound) -> None:
        assert PaymentRound.objects.get(pk=r.pk).status == status

    return check


def _check_round(resp: Any, r: PaymentRound) -> None:
    body = resp.json()
    assert body["id"] == r.pk and body["count"] == 1 and body["region_code"] == r.region_code


def _check_round_page(resp: Any, r: PaymentRound) -> None:
    assert f'id="round-count">{r.count}<' in resp.content.decode()


def _check_exported(resp: Any, r: PaymentRound) -> None:
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert PaymentRound.objects.get(pk=r.pk).status == PaymentRound.State.EXPORTED
    assert AccessLog.objects.filter(region_code=r.region_code, action=AccessLog.Action.EXPORT).exists()


API = [
    Endpoint("GET elder entitlements", VIEW, lambda c, e: c.get(f"/api/v1/elders/{e.pk}/entitlements"), 200,
             _check_entitlements),
    Endpoint("POST explained", UPDATE,
             lambda c, e: c.post(f"/api/v1/elders/{e.pk}/entitlements/{benefit().code}/explained", {"note": "已讲解"}),
             201, _check_api_explained),
    Endpoint("POST change acknowledge", UPDATE,
             lambda c, ch: c.post(f"/api/v1/entitlements/changes/{ch.pk}/acknowledge"), 200, _check_api_acknowledged,
             target=_change),
    Endpoint("GET payment round", RECIPIENTS, lambda c, r: c.get(f"/api/v1/payment-rounds/{r.pk}"), 200,
             _check_round, target=_round),
    Endpoint("POST payment round submit", (*RECIPIENTS, payment_access.ROUND_DRAFT),
             lambda c, r: c.post(f"/api/v1/payment-rounds/{r.pk}/submit"), 200, _status_is("submitted"),
             target=_round),
    Endpoint("POST payment round approve", (*RECIPIENTS, payment_access.ROUND_APPROVE),
             lambda c, r: c.post(f"/api/v1/payment-rounds/{r.pk}/approve"), 200, _status_is("approved"),
             target=_submitted_round),
    Endpoint("POST payment round export", (*RECIPIENTS, payment_access.RECIPIENTS_EXPORT),
             lambda c, r: c.post(f"/api/v1/payment-rounds/{r.pk}/export"), 200, _check_exported,
             target=lambda world, elder: _round(world, elder, approved=True)),
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
    Endpoint("GET payment round", RECIPIENTS,
             lambda c, r: c.get(reverse("entitlements:round_detail", args=[r.pk])), 200, _check_round_page,
             target=_round),
    Endpoint("POST payment round approve", (*RECIPIENTS, payment_access.ROUND_APPROVE),
             lambda c, r: c.post(reverse("entitlements:round_approve", args=[r.pk])), 302, _status_is("approved"),
             target=_submitted_round),
]


LISTS = [
    ListEndpoint("GET /api/v1/entitlements/changes", VIEW,
                 lambda c: c.get("/api/v1/entitlements/changes", {"page_size": 100})),
    ListEndpoint("GET entitlements:changes", VIEW, lambda c: c.get(reverse("entitlements:changes"))),
    ListEndpoint("GET /api/v1/benefits/{code}/recipients", RECIPIENTS,
                 lambda c: c.get(f"/api/v1/benefits/{AGE}/recipients", {"page_size": 500})),
    ListEndpoint("GET entitlements:recipients", RECIPIENTS,
                 lambda c: c.get(reverse("entitlements:recipients", args=[AGE]))),
]
