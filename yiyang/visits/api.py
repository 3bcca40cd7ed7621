"""/api/v1/visits and /api/v1/indicators/visit-rate — thin: access_*, selectors, services."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from yiyang.core.exceptions import ApplicationError
from yiyang.core.overview import month_parse
from yiyang.elders import access as elder_access
from yiyang.visits import access as visit_access
from yiyang.visits import selectors, services
from yiyang.visits.models import Outcome, PlanStatus, Visit, VisitPlan, Way
from yiyang.visits.schemas import (
    DueItemRead,
    DueList,
    NotSeenRead,
    PlanCancelIn,
    PlanRead,
    RateElderRead,
    RateElders,
    RateRead,
    VisitCreate,
    VisitRead,
)

router = Router(tags=["探访 visits"])
indicators = Router(tags=["指标 indicators"])


def _position(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise ApplicationError("纬度和经度需同时提供", code="bad_position")
    return lat, lon


def visit_read(visit: Visit) -> VisitRead:
    nxt = (VisitPlan.objects.filter(elder_id=visit.elder_id, status=PlanStatus.OPEN)
           .order_by("due_date").values_list("due_date", flat=True).first())
    return VisitRead(
        id=visit.pk, elder_id=visit.elder_id, plan_id=visit.plan_id,
        plan_done=VisitPlan.objects.filter(pk=visit.plan_id, visit=visit).exists() if visit.plan_id else False,
        visited_at=visit.visited_at, way=visit.way, outcome=visit.outcome, missed_reason=visit.missed_reason,
        elder_state=visit.elder_state, findings=visit.findings, risks=visit.risks, needs_changed=visit.needs_changed,
        checkin_distance_m=visit.checkin_distance_m, checkin_far=visit.checkin_far,
        backdated=bool(visit.backdate_note), recorded_by=visit.recorded_by.display_name, next_due_date=nxt,
    )


@router.get("/due", response=DueList, summary="待探访名单（应访与逾期，逾期在前；给出位置时由近及远）")
def visits_due(request: HttpRequest, date: dt.date | None = None, lat: float | None = None,
               lon: float | None = None, region: str = Query("", max_length=12)):
    on = date or timezone.localdate()
    scope = selectors.rate_scope(request.user, region) if region else ""
    items = selectors.plans_due(request.user, on=on, near=_position(lat, lon), region=scope)
    return DueList(date=on, items=[DueItemRead(
        plan_id=i.plan.pk, elder_id=i.plan.elder_id, name=i.plan.elder.name, community=i.plan.region_code,
        window_start=i.plan.window_start, due_date=i.plan.due_date, window_end=i.plan.window_end,
        overdue=i.phase == "overdue", phase=i.phase, way=i.plan.way, way_label=str(Way(i.plan.way).label),
        rule=i.plan.rule.name, distance_m=round(i.distance_m) if i.distance_m is not None else None,
    ) for i in items])


@router.post("", response={201: VisitRead}, summary="记录探访（含未遇、拒访）")
def visit_create(request: HttpRequest, payload: VisitCreate):
    elder = elder_access.access_elder(request.user, payload.elder_id)
    visit = services.visit_record(
        actor=request.user, elder=elder, visited_at=payload.visited_at, way=payload.way, outcome=payload.outcome,
        missed_reason=payload.missed_reason, elder_state=payload.elder_state, findings=payload.findings,
        risks=payload.risks, needs_changed=payload.needs_changed,
        follow_ups=[services.FollowUpIn(f.title, f.due_date) for f in payload.follow_ups],
        position=_position(payload.latitude, payload.longitude), set_home=payload.set_home,
        backdate_note=payload.backdate_note,
    )
    return Status(201, visit_read(visit))


@router.get("", response=list[VisitRead], summary="探访记录（管辖范围内，最近的在前，最多200条）")
def visit_list(request: HttpRequest, elder_id: uuid.UUID | None = None):
    if elder_id is not None:
        elder_access.access_elder(request.user, elder_id)
    return [visit_read(v) for v in selectors.visit_list(request.user, elder_id=elder_id)[:200]]


@router.get("/not-seen", response=list[NotSeenRead], summary="久未联系的老人（无探访、电话、服务或设备信号）")
def visits_not_seen(request: HttpRequest, days: int | None = None):
    if days is not None and not 1 <= days <= 3650:
        raise ApplicationError("天数应在 1～3650 之间", code="bad_days")
    return [NotSeenRead(elder_id=e.pk, name=e.name, community=e.region.name,
                        last_contact_at=getattr(e, "last_at", None), last_contact_kind=getattr(e, "last_kind", "") or "")
            for e in selectors.not_seen(request.user, days=days)[:500]]


@router.get("/{visit_id}", response=VisitRead, summary="一次探访")
def visit_detail(request: HttpRequest, visit_id: uuid.UUID):
    return visit_read(visit_access.access_visit(request.user, visit_id))


@router.post("/plans/{plan_id}/cancel", response=PlanRead, summary="取消探访计划（注明原因，不计入应访）")
def plan_cancel(request: HttpRequest, plan_id: int, payload: PlanCancelIn):
    plan = visit_access.access_plan(request.user, plan_id, visit_access.VISIT_PLAN_CANCEL)
    plan = services.visit_plan_cancel(actor=request.user, plan=plan, reason=payload.reason)
    return PlanRead(id=plan.pk, elder_id=plan.elder_id, window_start=plan.window_start, due_date=plan.due_date,
                    window_end=plan.window_end, status=plan.status, cancel_reason=plan.cancel_reason)


@indicators.get("/visit-rate", response=RateRead, summary="月探访率：已访 ÷ 应访（按社区、街道、区、市）")
def visit_rate(request: HttpRequest, month: str = Query("", max_length=7), region: str = Query("", max_length=12),
               indicator: bool = False):
    visit_access.access_plans(request.user, visit_access.VISIT_RATE_VIEW)
    prefix = selectors.rate_scope(request.user, region)
    first = month_parse(month or None)
    due, done = selectors.visit_rate(prefix, first, indicator_only=indicator)
    return RateRead(region=region or prefix.ljust(12, "0"), month=f"{first:%Y-%m}", due=due, done=done,
                    rate=None if due == 0 else round(done / due, 4))


@indicators.get("/visit-rate/elders", response=RateElders,
                summary="探访率背后的名单：due（分母）、done（分子）、missing（应访未访）")
def visit_rate_elders(request: HttpRequest, month: str = Query("", max_length=7),
                      region: str = Query("", max_length=12),
                      kind: Literal["due", "done", "missing"] = "due", indicator: bool = False):
    prefix = selectors.rate_scope(request.user, region)
    first = month_parse(month or None)
    plans = selectors.rate_plans(request.user, prefix, first, kind, indicator_only=indicator)
    rows = list(plans[:5000])
    return RateElders(region=region or prefix.ljust(12, "0"), month=f"{first:%Y-%m}", kind=kind, count=plans.count(),
                      items=[RateElderRead(plan_id=p.pk, elder_id=p.elder_id, name=p.elder.name,
                                           region_code=p.region_code, due_date=p.due_date, status=p.status,
                                           visited_at=p.visit.visited_at if p.visit else None) for p in rows])


__all__ = ["Outcome", "indicators", "router"]
