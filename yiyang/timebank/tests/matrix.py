"""The time bank in the access matrix (``tests/matrix.py``): the endpoints and pages that show
or act on one elder's time-bank records — a request for her (API and page), posting one for
her, the booking of a service she received (the corrections page shows her name) and its
correction — and the request list. Volunteers and family members reach these only through a
relationship (``yiyang/timebank/tests/test_pages_members.py``); the matrix checks staff by
jurisdiction and capability.

The world: a time-bank point and a volunteer in every elder's community, and for every elder
one certified service booked through the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.matrix import Endpoint, ListEndpoint, World
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.stations.models import ServicePoint
from yiyang.timebank import access, ledger
from yiyang.timebank.models import Category, LedgerTransaction, RequestStatus, ServiceRequest
from yiyang.timebank.services import member_register

VIEW = (access.TB_VIEW,)
POST = (elder_access.ELDER_VIEW, access.TB_POST)
CORRECT = (access.TB_VIEW, access.TB_CORRECT)


def build(world: World) -> None:
    now = timezone.now()
    for code, elder in world.elders.items():
        point = ServicePoint.objects.create(name=f"{code}时间银行服务点", kind=ServicePoint.Kind.TIME_BANK, region_id=code)
        vol = member_register(actor=world.root, name="志愿者", region_code=code,
                              id_number=factories.make_id_number(dt.date(1990, 1, 1), "M"))
        txn = ledger.ledger_book(category=Category.SERVICE, service_kind="company",
                                 legs=[(ledger.point_account(point), -150), (ledger.member_account(vol), 150)],
                                 actor=world.root, region_code=code, reference="matrix")
        ServiceRequest.objects.create(
            elder=elder, region_code=code, service_point=point, kind="company", description="陪老人聊天",
            wanted_at=now - dt.timedelta(days=1), posted_as="worker", posted_by=world.root,
            status=RequestStatus.CERTIFIED, volunteer=vol, minutes=90, certified_minutes=90, certified_at=now,
            certified_by=world.root, booking=txn)


def snapshot(elder: Elder) -> tuple:
    booking_ids = list(ServiceRequest.objects.filter(elder=elder).values_list("booking_id", flat=True))
    return (ServiceRequest.objects.filter(elder=elder).count(),
            LedgerTransaction.objects.filter(corrects_id__in=booking_ids).count())


def _request(world: World, elder: Elder) -> ServiceRequest:
    return ServiceRequest.objects.filter(elder=elder).order_by("created_at").first()  # type: ignore[return-value]


def _booking(world: World, elder: Elder) -> LedgerTransaction:
    return _request(world, elder).booking  # type: ignore[return-value]


def _body(elder: Elder) -> dict[str, Any]:
    return {"elder_id": str(elder.pk), "kind": "shopping", "description": "代买药品",
            "wanted_at": (timezone.now() + dt.timedelta(days=1)).isoformat(), "expected_minutes": 60}


def _check_api_request(resp: Any, req: ServiceRequest) -> None:
    assert resp.json()["id"] == str(req.pk) and resp.json()["elder_name"] == req.elder.name


def _check_posted(resp: Any, elder: Elder) -> None:
    assert ServiceRequest.objects.filter(elder=elder, description="代买药品").exists()


def _check_page_request(resp: Any, req: ServiceRequest) -> None:
    assert req.elder.name in resp.content.decode()


def _check_page_booking(resp: Any, txn: LedgerTransaction) -> None:
    body = resp.content.decode()
    assert ServiceRequest.objects.get(booking=txn).elder.name in body and "服务记入" in body


def _check_corrected(resp: Any, txn: LedgerTransaction) -> None:
    fix = LedgerTransaction.objects.get(corrects=txn)
    assert fix.category == Category.CORRECTION and fix.reason == "矩阵测试：误记"


def _check_page_posted(resp: Any, elder: Elder) -> None:
    assert ServiceRequest.objects.filter(elder=elder, description="代买药品").exists()


API = [
    Endpoint("GET request", VIEW, lambda c, r: c.get(f"/api/v1/timebank/requests/{r.pk}"), 200, _check_api_request,
             target=_request),
    Endpoint("POST request", POST, lambda c, e: c.post("/api/v1/timebank/requests", _body(e)), 201, _check_posted),
    Endpoint("POST correct", CORRECT,
             lambda c, t: c.post(f"/api/v1/timebank/transactions/{t.pk}/correct", {"reason": "矩阵测试：误记"}), 201,
             _check_corrected, target=_booking),
]

PAGES = [
    Endpoint("GET request", VIEW, lambda c, r: c.get(reverse("timebank:request", args=[r.pk])), 200,
             _check_page_request, target=_request),
    Endpoint("POST new request", POST,
             lambda c, e: c.post(reverse("timebank:request_new") + f"?elder={e.pk}", {
                 "elder": str(e.pk), "kind": "shopping", "description": "代买药品", "expected_minutes": 60,
                 "wanted_at": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}),
             302, _check_page_posted),
    Endpoint("GET booking", VIEW, lambda c, t: c.get(reverse("timebank:booking", args=[t.pk])), 200,
             _check_page_booking, target=_booking),
    Endpoint("POST correct booking", CORRECT,
             lambda c, t: c.post(reverse("timebank:booking", args=[t.pk]), {"reason": "矩阵测试：误记"}), 302,
             _check_corrected, target=_booking),
]

LISTS = [
    ListEndpoint("GET /api/v1/timebank/requests", VIEW, lambda c: c.get("/api/v1/timebank/requests")),
]
