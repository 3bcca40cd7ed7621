"""Visits in the access matrix (``tests/matrix.py``): recording a visit on one elder, reading
one visit, cancelling one plan, setting the home position, and the lists (the due list, the
rate's lists). Recording needs the registry's ``elder.view`` (the elder is found first) and
``visit.record``; every elder of the world has its current plan (the matrix's elders live
alone: the monthly home visit, due this month)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from tests.matrix import Endpoint, ListEndpoint, World
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.visits import access, services
from yiyang.visits.models import PlanStatus, Visit, VisitPlan

RECORD = (elder_access.ELDER_VIEW, access.VISIT_RECORD)
CANCEL = (access.VISIT_VIEW, access.VISIT_PLAN_CANCEL)
LOCATE = (elder_access.ELDER_VIEW, elder_access.ELDER_UPDATE)


def build(world: World) -> None:
    services.visit_plans_sync(elder_ids=[e.pk for e in world.elders.values()])


def snapshot(elder: Elder) -> tuple:
    return (Visit.objects.filter(elder=elder).count(),
            list(VisitPlan.objects.filter(elder=elder).order_by("pk").values_list("status", flat=True)),
            elder.home_cell)


def _plan(world: World, elder: Elder) -> VisitPlan:
    return VisitPlan.objects.get(elder=elder, status=PlanStatus.OPEN, window_start__lte=timezone.localdate())


def _visit(world: World, elder: Elder) -> Visit:
    # A worker's call (a superuser is a city administrator: it does not record visits).
    fresh = Elder.objects.get(pk=elder.pk)  # another cell's target may have changed the world's instance
    return services.visit_record(actor=world.users["commissioner"], elder=fresh, visited_at=timezone.now(),
                                 way="phone", findings="电话问候")


def _body(elder: Elder) -> dict[str, str]:
    return {"elder_id": str(elder.pk), "visited_at": timezone.now().isoformat(), "way": "home", "findings": "上门看望"}


def _check_recorded(resp: Any, elder: Elder) -> None:
    assert resp.json()["plan_done"]
    assert VisitPlan.objects.filter(elder=elder, status=PlanStatus.DONE).exists()


def _check_visit(resp: Any, visit: Visit) -> None:
    assert resp.json()["id"] == str(visit.pk)


def _check_cancelled(resp: Any, plan: VisitPlan) -> None:
    assert VisitPlan.objects.get(pk=plan.pk).status == PlanStatus.CANCELLED


def _check_located(resp: Any, elder: Elder) -> None:
    assert resp.json()["cell"] and Elder.objects.get(pk=elder.pk).home_cell == resp.json()["cell"]


API = [
    Endpoint("POST visit", RECORD,
             lambda c, e: c.post("/api/v1/visits", _body(e)), 201, _check_recorded),
    Endpoint("GET visit", (access.VISIT_VIEW,), lambda c, v: c.get(f"/api/v1/visits/{v.pk}"), 200, _check_visit,
             target=_visit),
    Endpoint("POST plan cancel", CANCEL,
             lambda c, p: c.post(f"/api/v1/visits/plans/{p.pk}/cancel", {"reason": "住院"}), 200, _check_cancelled,
             target=_plan),
    Endpoint("PUT location", LOCATE,
             lambda c, e: c.put(f"/api/v1/elders/{e.pk}/location", {"latitude": 22.54, "longitude": 114.05}), 200,
             _check_located),
]


def _check_page_recorded(resp: Any, elder: Elder) -> None:
    assert VisitPlan.objects.filter(elder=elder, status=PlanStatus.DONE).exists()


def _check_page_visit(resp: Any, visit: Visit) -> None:
    assert visit.elder.name in resp.content.decode() and "电话问候" in resp.content.decode()


def _check_page_cancelled(resp: Any, plan: VisitPlan) -> None:
    assert resp["Location"] == reverse("elders:detail", args=[plan.elder_id])
    _check_cancelled(resp, plan)


PAGES = [
    Endpoint("POST record visit", RECORD,
             lambda c, e: c.post(reverse("visits:record", args=[e.pk]), {
                 "way": "home", "outcome": "met", "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}),
             302, _check_page_recorded),
    Endpoint("GET visit", (access.VISIT_VIEW,), lambda c, v: c.get(reverse("visits:detail", args=[v.pk])), 200,
             _check_page_visit, target=_visit),
    Endpoint("POST plan cancel", CANCEL,
             lambda c, p: c.post(reverse("visits:plan_cancel", args=[p.pk]), {"reason": "住院"}), 302,
             _check_page_cancelled, target=_plan),
]


LISTS = [
    ListEndpoint("GET /api/v1/visits/due", (access.VISIT_VIEW,), lambda c: c.get("/api/v1/visits/due")),
    ListEndpoint("GET visits:today", (access.VISIT_VIEW,), lambda c: c.get(reverse("visits:today"))),
    ListEndpoint("GET /api/v1/indicators/visit-rate/elders", (access.VISIT_VIEW, access.VISIT_RATE_VIEW),
                 lambda c: c.get("/api/v1/indicators/visit-rate/elders", {"kind": "due"})),
]
