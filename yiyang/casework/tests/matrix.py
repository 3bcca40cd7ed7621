"""Casework in the access matrix (``tests/matrix.py``): the endpoints and pages acting on one
elder (record a consultation, add a follow-up, take an errand, hold a conference) or on one
record of an elder (a consultation, a follow-up, an errand and its evidence, a conference),
and the lists of follow-ups and errands.

Every elder of the world gets, by the superuser: a consultation with a follow-up, the consent
to delegated errands, an errand just requested and one done (waiting for closure) with a photo,
and a case conference."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from tests.matrix import Endpoint, ListEndpoint, World
from yiyang.casework import access as cw_access
from yiyang.casework import services
from yiyang.casework.models import CaseConference, Consultation, Errand, ErrandEvidence, FollowUp
from yiyang.casework.tests.helpers import JPEG
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder

VIEW = cw_access.CASEWORK_VIEW
CONSULT = cw_access.CONSULTATION_RECORD
FOLLOW = cw_access.FOLLOWUP_MANAGE
RUN = cw_access.ERRAND_RUN
CLOSE = cw_access.ERRAND_CLOSE
CONFER = cw_access.CONFERENCE_HOLD
ELDER_VIEW = elder_access.ELDER_VIEW


def build(world: World) -> None:
    today = timezone.localdate()
    root = world.root
    for elder in world.elders.values():
        services.consultation_record(
            actor=root, data={"channel": "phone", "visitor_type": "family", "visitor_count": 1, "family_count": 1,
                              "elder": elder, "service_item": "subsidy", "result": "follow_up",
                              "reason": "询问护理补贴", "visitor_name": "家属甲", "visitor_phone": "13712345678"},
            followup={"title": "回电告知", "due_date": today + dt.timedelta(days=3)})
        consent = {"granted_by": f"{elder.name}（本人）", "method": "signed_paper"}
        services.errand_request(actor=root, elder=elder, kind="payment", description="代缴水费",
                                due_date=today + dt.timedelta(days=2), consent=consent)
        done = services.errand_request(actor=root, elder=elder, kind="documents", description="补办社保卡",
                                       due_date=today + dt.timedelta(days=2))
        services.errand_complete(actor=root, errand=done, note="已领卡", evidence=("卡.jpg", JPEG))
        services.conference_hold(actor=root, elder=elder, held_on=today, problem="独居跌倒",
                                 participants=[world.root2], decisions=[{"text": "安装呼叫器"}])


def snapshot(elder: Elder) -> tuple:
    return (
        Consultation.objects.filter(elder=elder).count(),
        sorted(FollowUp.objects.filter(elder=elder).values_list("status", "version")),
        sorted(Errand.objects.filter(elder=elder).values_list("status", "version")),
        ErrandEvidence.objects.filter(errand__elder=elder).count(),
        CaseConference.objects.filter(elder=elder).count(),
    )


def secrets(elder: Elder) -> list[str]:
    return ["13712345678", "137****5678"]


def _consultation(world: World, elder: Elder) -> Consultation:
    return Consultation.objects.get(elder=elder)


def _followup(world: World, elder: Elder) -> FollowUp:
    return FollowUp.objects.get(elder=elder, status="open")


def _requested(world: World, elder: Elder) -> Errand:
    return Errand.objects.get(elder=elder, status="requested")


def _done(world: World, elder: Elder) -> Errand:
    return Errand.objects.get(elder=elder, status="done")


def _evidence(world: World, elder: Elder) -> ErrandEvidence:
    return ErrandEvidence.objects.get(errand__elder=elder)


def _conference(world: World, elder: Elder) -> CaseConference:
    return CaseConference.objects.get(elder=elder)


def _now(model: Any, status: str) -> Any:
    def check(resp: Any, record: Any) -> None:
        assert model.objects.get(pk=record.pk).status == status
    return check


def _json(key: str, value: str) -> Any:
    def check(resp: Any, record: Any) -> None:
        assert resp.json()[key] == value
    return check


def _is_photo(resp: Any, evidence: Any) -> None:
    assert resp.content == JPEG and resp["Content-Type"] == "image/jpeg"


# -- API ---------------------------------------------------------------------------------------


def _check_recorded(resp: Any, elder: Elder) -> None:
    assert Consultation.objects.filter(elder=elder).count() == 2 and resp.json()["elder_id"] == str(elder.pk)


def _check_followup_created(resp: Any, elder: Elder) -> None:
    assert FollowUp.objects.filter(elder=elder, status="open").count() == 2 and resp.json()["title"] == "送材料"


def _check_errand_created(resp: Any, elder: Elder) -> None:
    assert Errand.objects.filter(elder=elder).count() == 3 and resp.json()["kind"] == "shopping"


def _check_conference(resp: Any, elder: Elder) -> None:
    assert CaseConference.objects.filter(elder=elder).count() == 2


def _today() -> str:
    return str(timezone.localdate())


API = [
    Endpoint("POST consultations", (ELDER_VIEW, CONSULT),
             lambda c, e: c.post("/api/v1/consultations", {"elder_id": str(e.pk), "service_item": "policy",
                                                           "result": "answered", "reason": "问政策"}),
             201, _check_recorded),
    Endpoint("GET consultation", (VIEW,), lambda c, x: c.get(f"/api/v1/consultations/{x.pk}"), 200,
             _json("visitor_phone", "137****5678"),
             target=_consultation),
    Endpoint("POST follow-ups", (ELDER_VIEW, FOLLOW),
             lambda c, e: c.post("/api/v1/follow-ups", {"elder_id": str(e.pk), "title": "送材料", "due_date": _today()}),
             201, _check_followup_created),
    Endpoint("POST follow-up complete", (VIEW, FOLLOW),
             lambda c, f: c.post(f"/api/v1/follow-ups/{f.pk}/complete", {"note": "已回电"}), 200,
             _now(FollowUp, "done"),
             target=_followup),
    Endpoint("POST errands", (ELDER_VIEW, RUN),
             lambda c, e: c.post("/api/v1/errands", {"elder_id": str(e.pk), "kind": "shopping",
                                                     "description": "代购药品", "due_date": _today()}),
             201, _check_errand_created),
    Endpoint("GET errand", (VIEW,), lambda c, x: c.get(f"/api/v1/errands/{x.pk}"), 200,
             _json("description", "代缴水费"), target=_requested),
    Endpoint("POST errand start", (VIEW, RUN), lambda c, x: c.post(f"/api/v1/errands/{x.pk}/start"), 200,
             _now(Errand, "in_progress"),
             target=_requested),
    Endpoint("POST errand complete", (VIEW, RUN),
             lambda c, x: c.post(f"/api/v1/errands/{x.pk}/complete", {"note": "已缴费"}), 200,
             _now(Errand, "done"),
             target=_requested),
    Endpoint("POST errand cancel", (VIEW, RUN),
             lambda c, x: c.post(f"/api/v1/errands/{x.pk}/cancel", {"reason": "家属已办"}), 200,
             _now(Errand, "cancelled"),
             target=_requested),
    # The world's errands were completed by the superuser: any capable role is a second person.
    Endpoint("POST errand close", (VIEW, CLOSE), lambda c, x: c.post(f"/api/v1/errands/{x.pk}/close"), 200,
             _now(Errand, "closed"),
             target=_done),
    Endpoint("POST case-conferences", (ELDER_VIEW, CONFER),
             lambda c, e: c.post("/api/v1/case-conferences", {"elder_id": str(e.pk), "held_on": _today(),
                                                              "problem": "拒绝就医", "participants": ["root2"]}),
             201, _check_conference),
    Endpoint("GET case-conference", (VIEW,), lambda c, x: c.get(f"/api/v1/case-conferences/{x.pk}"), 200,
             _json("problem", "独居跌倒"),
             target=_conference),
]


# -- pages -------------------------------------------------------------------------------------


def _shows(text: str) -> Any:
    def check(resp: Any, subject: Any) -> None:
        assert text in resp.content.decode()
    return check


def _redirect_to_errand(resp: Any, x: Errand) -> None:
    assert resp["Location"] == reverse("casework:errand_detail", args=[x.pk])


def _check_page_recorded(resp: Any, elder: Elder) -> None:
    c = Consultation.objects.filter(elder=elder).order_by("-created_at").first()
    assert c is not None and resp["Location"] == reverse("casework:consultation_detail", args=[c.pk])
    assert Consultation.objects.filter(elder=elder).count() == 2


PAGES = [
    Endpoint("GET consultation form", (ELDER_VIEW, CONSULT),
             lambda c, e: c.get(reverse("casework:consultation_create") + f"?elder={e.pk}"), 200,
             lambda r, e: _shows(e.name)(r, e)),
    Endpoint("POST consultation form", (ELDER_VIEW, CONSULT),
             lambda c, e: c.post(reverse("casework:consultation_create") + f"?elder={e.pk}",
                                 {"elder": str(e.pk), "channel": "walk_in", "service_item": "meals",
                                  "reason": "问助餐", "result": "answered", "visitor_type": "elder",
                                  "visitor_count": "1", "family_count": "0"}), 302, _check_page_recorded),
    Endpoint("GET consultation", (VIEW,), lambda c, x: c.get(reverse("casework:consultation_detail", args=[x.pk])),
             200, _shows("137****5678"), target=_consultation),
    Endpoint("GET follow-up form", (ELDER_VIEW, FOLLOW),
             lambda c, e: c.get(reverse("casework:followup_create") + f"?elder={e.pk}"), 200,
             lambda r, e: _shows(e.name)(r, e)),
    Endpoint("POST follow-up complete", (VIEW, FOLLOW),
             lambda c, f: c.post(reverse("casework:followup_complete", args=[f.pk]), {"note": "已回电"}), 302,
             _now(FollowUp, "done"),
             target=_followup),
    Endpoint("GET errand form", (ELDER_VIEW, RUN),
             lambda c, e: c.get(reverse("casework:errand_create") + f"?elder={e.pk}"), 200,
             _shows("已有有效授权")),
    Endpoint("GET errand", (VIEW,), lambda c, x: c.get(reverse("casework:errand_detail", args=[x.pk])), 200,
             _shows("补办社保卡"), target=_done),
    Endpoint("POST errand start", (VIEW, RUN),
             lambda c, x: c.post(reverse("casework:errand_action", args=[x.pk, "start"])), 302,
             _redirect_to_errand, target=_requested),
    Endpoint("POST errand close", (VIEW, CLOSE),
             lambda c, x: c.post(reverse("casework:errand_action", args=[x.pk, "close"])), 302,
             _now(Errand, "closed"),
             target=_done),
    Endpoint("GET evidence", (VIEW,), lambda c, x: c.get(reverse("casework:evidence", args=[x.pk])), 200,
             _is_photo, target=_evidence),
    Endpoint("GET conference form", (ELDER_VIEW, CONFER),
             lambda c, e: c.get(reverse("casework:conference_create") + f"?elder={e.pk}"), 200,
             lambda r, e: _shows(e.name)(r, e)),
    Endpoint("GET conference", (VIEW,), lambda c, x: c.get(reverse("casework:conference_detail", args=[x.pk])),
             200, _shows("独居跌倒"), target=_conference),
]

LISTS = [
    ListEndpoint("GET /api/v1/errands", (VIEW,), lambda c: c.get("/api/v1/errands")),
    ListEndpoint("GET /api/v1/follow-ups (jurisdiction)", (VIEW,), lambda c: c.get("/api/v1/follow-ups?mine=false")),
    ListEndpoint("GET errands page", (VIEW,), lambda c: c.get(reverse("casework:errands") + "?status=all")),
    ListEndpoint("GET follow-ups page", (VIEW,), lambda c: c.get(reverse("casework:followups") + "?scope=all")),
    ListEndpoint("GET conferences page", (VIEW,), lambda c: c.get(reverse("casework:conferences"))),
]
