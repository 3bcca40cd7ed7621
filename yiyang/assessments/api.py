"""/api/v1/assessments and /api/v1/elders/{id}/assessments."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from yiyang.accounts.models import User
from yiyang.assessments import access as assessment_access
from yiyang.assessments import exchange, selectors, services
from yiyang.assessments.models import Assessment
from yiyang.assessments.schemas import (
    AssessmentCreate,
    AssessmentExchange,
    AssessmentRead,
    AssessmentUpdate,
    AssessorRead,
    ExportIn,
    ScoreIn,
    ScoreOut,
)
from yiyang.assessments.scoring import ScoringError, score
from yiyang.core import access
from yiyang.core.exceptions import ApplicationError
from yiyang.core.models import AccessLog
from yiyang.core.paging import int_in_range
from yiyang.elders import access as elder_access

router = Router(tags=["能力评估 assessments"])


def assessment_read(a: Assessment) -> AssessmentRead:
    return AssessmentRead(
        id=a.pk, number=a.number, elder_id=a.elder_id, scheme=a.scheme, reason=a.reason, assessed_on=a.assessed_on,
        status=a.status, dimensions=a.dimensions, total=a.total, preliminary_level=a.preliminary_level,
        level=a.level, level_name=a.level_name, valid_until=a.valid_until,
        previous_level=a.previous.level if a.previous else None,
        assessors=[AssessorRead(name=x.name, signed_at=x.signed_at) for x in a.assessor_links.all()],
        source=a.source, origin_region=a.origin_region,
    )


@router.post("/assessments/score", response=ScoreOut, summary="按 GB/T 42195—2022 计分（不保存）")
def assessment_score(request: HttpRequest, payload: ScoreIn):
    try:
        return score(payload.dict()).as_dict()
    except ScoringError as exc:
        raise ApplicationError(str(exc), code="invalid_assessment", detail={"item": exc.item}) from None


def _co_assessor(username: str | None, region_code: str) -> User | None:
    if not username:
        return None
    return services.co_assessor_find(username=username, region_code=region_code)


@router.get("/elders/{elder_id}/assessments", response=list[AssessmentRead], summary="评估记录")
def elder_assessments(request: HttpRequest, elder_id: uuid.UUID):
    elder = elder_access.access_elder(request.user, elder_id, assessment_access.ASSESSMENT_VIEW)
    return [assessment_read(a) for a in selectors.assessment_history(elder).select_related("previous")]


@router.post("/elders/{elder_id}/assessments", response={201: AssessmentRead}, summary="新建评估（可直接提交）")
def elder_assessment_create(request: HttpRequest, elder_id: uuid.UUID, payload: AssessmentCreate):
    elder = elder_access.access_elder(request.user, elder_id, assessment_access.ASSESSMENT_CREATE)
    a = services.assessment_create(
        actor=request.user, elder=elder, reason=payload.reason, assessed_on=payload.assessed_on,
        co_assessor=_co_assessor(payload.co_assessor, elder.region_id), items=payload.items,
        part_a=payload.part_a.dict() if payload.part_a else None, submit=payload.submit,
    )
    return Status(201, assessment_read(a))


@router.get("/assessments/due", response=list[dict[str, Any]], summary="到期需复评的老年人")
def assessments_due(request: HttpRequest, within_days: int = 30):
    # Past ten years the horizon means nothing (and a date beyond 9999 was a 500).
    int_in_range(within_days, field="within_days", low=0, high=3650, label="天数")
    if not access.has_capability(request.user, assessment_access.ASSESSMENT_VIEW):
        return []
    return [
        {"elder_id": str(e.pk), "name": e.name, "region_code": e.region_id, "current_level": e.current_level,
         "valid_until": e.current_valid_until, "pending_immediate": e.pending_immediate}
        for e in selectors.elders_due_for_assessment(request.user, within_days=within_days)[:500]
    ]


@router.get("/assessments/{assessment_id}", summary="评估详情（含条目得分，记录访问）")
def assessment_detail(request: HttpRequest, assessment_id: uuid.UUID) -> dict[str, Any]:
    a = assessment_access.access_assessment(request.user, assessment_id)
    services.assessment_log_access(actor=request.user, assessment=a, action=AccessLog.Action.REVEAL,
                                   purpose="通过接口查看评估详情", remote_addr=request.META.get("REMOTE_ADDR", ""))
    body = assessment_read(a).dict()
    answers = a.answers
    body["items"] = answers.get("items", {})
    body["part_a"] = {k: answers.get(k) for k in ("information_provider", "provider_relation", "diagnoses",
                                                  "medications", "risk_events", "health_problems", "coma",
                                                  "diagnosed_dementia_or_mental_disorder") if k in answers}
    body["rules_applied"] = answers.get("rules_applied", [])
    return body


@router.patch("/assessments/{assessment_id}", response=AssessmentRead, summary="修改草稿")
def assessment_patch(request: HttpRequest, assessment_id: uuid.UUID, payload: AssessmentUpdate):
    a = assessment_access.access_assessment(request.user, assessment_id, assessment_access.ASSESSMENT_CREATE)
    a = services.assessment_edit(actor=request.user, assessment=a,
                                 co_assessor=_co_assessor(payload.co_assessor, a.region_code), items=payload.items,
                                 part_a=payload.part_a.dict() if payload.part_a else None)
    return assessment_read(a)


@router.post("/assessments/{assessment_id}/submit", response=AssessmentRead, summary="提交")
def assessment_submit(request: HttpRequest, assessment_id: uuid.UUID):
    a = assessment_access.access_assessment(request.user, assessment_id, assessment_access.ASSESSMENT_CREATE)
    return assessment_read(services.assessment_submit(actor=request.user, assessment=a))


@router.post("/assessments/{assessment_id}/confirm", response=AssessmentRead, summary="确认（第二评估员或负责人）")
def assessment_confirm(request: HttpRequest, assessment_id: uuid.UUID):
    a = assessment_access.access_assessment(request.user, assessment_id)
    return assessment_read(services.assessment_confirm(actor=request.user, assessment=a))


@router.post("/assessments/{assessment_id}/export", summary="导出交换格式（含完整身份证号：须填写事由，记录访问）")
def assessment_export(request: HttpRequest, assessment_id: uuid.UUID, payload: ExportIn) -> dict[str, Any]:
    a = assessment_access.access_assessment(request.user, assessment_id)
    return exchange.assessment_export(actor=request.user, assessment=a, purpose=payload.purpose,
                                      remote_addr=request.META.get("REMOTE_ADDR", ""))


@router.post("/elders/{elder_id}/assessments/import", response={201: AssessmentRead},
             summary="导入外地评估结果（交换格式，互认）")
def elder_assessment_import(request: HttpRequest, elder_id: uuid.UUID, payload: AssessmentExchange):
    elder = elder_access.access_elder(request.user, elder_id, assessment_access.ASSESSMENT_CONFIRM)
    doc = payload.model_dump(mode="json", exclude_none=True)
    return Status(201, assessment_read(exchange.assessment_import_exchange(actor=request.user, elder=elder, doc=doc)))
