"""/api/v1 — needs survey: the questionnaire, an elder's surveys and current needs.

Thin: every call goes through ``elder_access.access_elder`` (404 outside the caller's
jurisdiction), the selectors and the services.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from yiyang.elders import access as elder_access
from yiyang.surveys import selectors, services
from yiyang.surveys.models import Questionnaire, SurveyResponse
from yiyang.surveys.schemas import (
    CurrentNeedsRead,
    NeedTagRead,
    QuestionnaireRead,
    SurveyCreate,
    SurveyResponseDetail,
    SurveyResponseRead,
)

router = Router(tags=["需求调查 surveys"])


def _tags(codes: list[str], names: dict[str, str]) -> list[NeedTagRead]:
    return [NeedTagRead(code=c, name=n) for c, n in selectors.tag_pairs(codes, names)]


def questionnaire_read(q: Questionnaire) -> QuestionnaireRead:
    return QuestionnaireRead.model_validate(dict(
        id=q.pk, name=q.name, version=q.version, status=q.status, description=q.description,
        published_at=q.published_at,
        questions=[{
            "code": x.code, "section": x.section, "text": x.text, "help_text": x.help_text, "kind": x.kind,
            "required": x.required, "order": x.order,
            "options": [{"code": o.code, "text": o.text, "order": o.order, "exclusive": o.exclusive,
                         "need_tags": [{"code": t.code, "name": t.name} for t in o.need_tags.all()]}
                        for o in x.options.all()],
        } for x in q.questions.all()],
        need_tags=[NeedTagRead(code=c, name=n) for c, n in selectors.need_tag_names().items()],
    ))


def response_read(r: SurveyResponse, names: dict[str, str], *, answers: bool = False):
    data: dict[str, Any] = {
        "id": r.pk, "elder_id": r.elder_id, "region_code": r.region_code,
        "questionnaire_version": r.questionnaire.version, "surveyed_on": r.surveyed_on,
        "surveyed_by": r.surveyed_by.display_name if r.surveyed_by else None, "source": r.source,
        "need_tags": _tags(r.need_tags, names), "created_at": r.created_at,
    }
    if answers:
        return SurveyResponseDetail(**data, answers=r.answers)
    return SurveyResponseRead(**data)


@router.get("/surveys/questionnaire", response=QuestionnaireRead, summary="需求调查问卷（当前发布版本，或指定版本）")
def questionnaire(request: HttpRequest, version: int | None = None):
    q = selectors.questionnaire_published() if version is None else selectors.questionnaire_detail(version=version)
    return questionnaire_read(q)


@router.get("/surveys/{uuid:response_id}", response=SurveyResponseDetail, summary="一次需求调查（含回答，记录访问）")
def survey_detail(request: HttpRequest, response_id: uuid.UUID):
    r = selectors.survey_response_for(request.user, response_id)
    services.survey_response_log_access(actor=request.user, response=r, purpose="通过接口查看需求调查",
                                        remote_addr=request.META.get("REMOTE_ADDR", ""))
    return response_read(r, selectors.need_tag_names(), answers=True)


@router.get("/elders/{elder_id}/surveys", response=list[SurveyResponseRead], summary="需求调查记录（新的在前）")
def elder_surveys(request: HttpRequest, elder_id: uuid.UUID):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_VIEW)
    names = selectors.need_tag_names()
    return [response_read(r, names) for r in selectors.survey_history(elder)]


@router.post("/elders/{elder_id}/surveys", response={201: SurveyResponseDetail}, summary="提交需求调查")
def elder_survey_create(request: HttpRequest, elder_id: uuid.UUID, payload: SurveyCreate):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    if payload.questionnaire_version is None:
        q = selectors.questionnaire_published()
    else:
        q = selectors.questionnaire_detail(version=payload.questionnaire_version)
    r = services.survey_submit(actor=request.user, elder=elder, questionnaire=q, answers=payload.answers,
                               surveyed_on=payload.surveyed_on, source="api")
    return Status(201, response_read(r, selectors.need_tag_names(), answers=True))


@router.get("/elders/{elder_id}/needs", response=CurrentNeedsRead, summary="当前需求（最近一次调查）")
def elder_needs(request: HttpRequest, elder_id: uuid.UUID):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_VIEW)
    latest = selectors.elder_latest_survey(elder)
    names = selectors.need_tag_names()
    return CurrentNeedsRead(
        elder_id=elder.pk, need_tags=_tags(latest.need_tags, names) if latest else [],
        surveyed_on=latest.surveyed_on if latest else None, response_id=latest.pk if latest else None,
    )
