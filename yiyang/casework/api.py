"""/api/v1/consultations, /follow-ups, /errands, /case-conferences: thin, over the services."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from yiyang.accounts.models import User
from yiyang.casework import access as cw_access
from yiyang.casework import selectors, services
from yiyang.casework.models import CaseConference, Consultation, Errand, FollowUp
from yiyang.casework.schemas import (
    ConferenceCreate,
    ConferenceRead,
    ConsultationCreate,
    ConsultationPage,
    ConsultationQuery,
    ConsultationRead,
    DecisionRead,
    ErrandComplete,
    ErrandCreate,
    ErrandPage,
    ErrandQuery,
    ErrandRead,
    FollowUpCreate,
    FollowUpPage,
    FollowUpQuery,
    FollowUpRead,
    NoteIn,
    ReasonIn,
)
from yiyang.core.access import require_capability
from yiyang.core.exceptions import FieldErrors
from yiyang.core.paging import page_window
from yiyang.elders import access as elder_access
from yiyang.regions.models import Region

router = Router(tags=["个案服务 casework"])
MAX_PAGE_SIZE = 200


def _user(username: str | None, field: str) -> User | None:
    if not username:
        return None
    user = User.objects.select_related("region").filter(username=username, is_active=True).first()
    if user is None:
        raise FieldErrors({field: [f"找不到用户 {username}"]})
    return user


def _elder_or_require(user: Any, elder_id: uuid.UUID | None, capability: str) -> Any:
    """The elder named in a request, jurisdiction first (outside → 404 for every role), then the
    capability (403); without an elder, only the capability."""
    if elder_id is not None:
        return elder_access.access_elder(user, elder_id, capability)
    require_capability(user, capability)
    return None


def _page(page: int, page_size: int) -> tuple[int, int]:
    # core.paging: numbers past any range are a Chinese 400, not a database overflow (500).
    page, page_size, _start = page_window(page, page_size, max_page_size=MAX_PAGE_SIZE)
    return page, page_size


def consultation_read(c: Consultation, followup_ids: list[uuid.UUID] | None = None) -> ConsultationRead:
    return ConsultationRead(
        id=c.pk, channel=c.channel, visitor_type=c.visitor_type, visitor_count=c.visitor_count,
        family_count=c.family_count, visited_at=c.visited_at, elder_id=c.elder_id,
        elder_name=c.elder.name if c.elder else None, visitor_name=c.visitor_name_masked, visitor_age=c.visitor_age,
        visitor_phone=c.visitor_phone_masked, visitor_address=c.visitor_address_masked,
        community_code=c.community_id, region_code=c.region_code,
        service_point=c.service_point.name if c.service_point else None, service_item=c.service_item,
        result=c.result, reason=c.reason, advice=c.advice, aftercare=c.aftercare,
        recorded_by=c.recorded_by.display_name,
        followup_ids=followup_ids if followup_ids is not None else
        [f.pk for f in selectors.consultation_followups(c)],
    )


def followup_read(f: FollowUp) -> FollowUpRead:
    return FollowUpRead(
        id=f.pk, title=f.title, elder_id=f.elder_id, elder_name=f.elder.name if f.elder else None,
        region_code=f.region_code, due_date=f.due_date, overdue=f.overdue, assignee=f.assignee.display_name,
        status=f.status, result_note=f.result_note, source=f.source, source_id=f.source_id,
    )


def errand_read(e: Errand) -> ErrandRead:
    return ErrandRead(
        id=e.pk, elder_id=e.elder_id, elder_name=e.elder.name, region_code=e.region_code, kind=e.kind,
        description=e.description, due_date=e.due_date, overdue=e.overdue, status=e.status,
        assignee=e.assignee.display_name, consent_by=e.consent.granted_by, consent_method=e.consent.method,
        consent_at=e.consent.granted_at, completion_note=e.completion_note,
        completed_by=e.completed_by.display_name if e.completed_by else None,
        closed_by=e.closed_by.display_name if e.closed_by else None,
        evidence=[x.file_name for x in e.evidence.all()],
    )


# --------------------------------------------------------------------------- consultations


@router.post("/consultations", response={201: ConsultationRead}, summary="记录咨询服务（可同时新建跟踪事项）")
def consultation_create(request: HttpRequest, payload: ConsultationCreate):
    user = request.user
    data: dict[str, Any] = payload.dict(exclude={"elder_id", "community_code", "followup"})
    data["elder"] = _elder_or_require(user, payload.elder_id, cw_access.CONSULTATION_RECORD)
    data["community"] = None
    if payload.community_code:
        data["community"] = Region.objects.filter(code=payload.community_code).first()
        if data["community"] is None:
            raise FieldErrors({"community_code": ["没有这个社区代码"]})
    followup = None
    if payload.followup is not None:
        followup = {"title": payload.followup.title, "due_date": payload.followup.due_date,
                    "assignee": _user(payload.followup.assignee, "followup.assignee")}
    c = services.consultation_record(actor=user, data=data, followup=followup)
    c = cw_access.access_consultation(user, c.pk)
    return Status(201, consultation_read(c))


@router.get("/consultations", response=ConsultationPage, summary="咨询服务记录（管辖范围内，新的在前）")
def consultation_list(request: HttpRequest, q: Query[ConsultationQuery]):
    require_capability(request.user, cw_access.CASEWORK_VIEW)
    elder = elder_access.access_elder(request.user, q.elder_id) if q.elder_id else None
    page, page_size = _page(q.page, q.page_size)
    qs = selectors.consultations_for(request.user, elder=elder, channel=q.channel).select_related("service_point")
    rows = list(qs[(page - 1) * page_size: page * page_size])
    links: dict[str, list[uuid.UUID]] = {}
    for source_id, pk in FollowUp.objects.filter(source=FollowUp.Source.CONSULTATION,
                                                 source_id__in=[str(c.pk) for c in rows]).values_list("source_id", "pk"):
        links.setdefault(source_id, []).append(pk)
    return ConsultationPage(items=[consultation_read(c, links.get(str(c.pk), [])) for c in rows], count=qs.count(),
                            page=page, page_size=page_size)


@router.get("/consultations/{consultation_id}", response=ConsultationRead, summary="一次咨询服务")
def consultation_detail(request: HttpRequest, consultation_id: uuid.UUID):
    return consultation_read(cw_access.access_consultation(request.user, consultation_id))


# --------------------------------------------------------------------------- follow-ups


@router.get("/follow-ups", response=FollowUpPage,
            summary="跟踪事项（默认：本人待跟踪的，逾期的在前；mine=false 为辖区内全部）")
def followup_list(request: HttpRequest, q: Query[FollowUpQuery]):
    require_capability(request.user, cw_access.CASEWORK_VIEW)
    elder = elder_access.access_elder(request.user, q.elder_id) if q.elder_id else None
    page, page_size = _page(q.page, q.page_size)
    if q.status not in ("", *FollowUp.Status.values):
        raise FieldErrors({"status": ["应为 open、done 或 cancelled"]})
    qs = selectors.followups_for(request.user, status=q.status, elder=elder, mine=q.mine, overdue=q.overdue)
    return FollowUpPage(items=[followup_read(f) for f in qs[(page - 1) * page_size: page * page_size]],
                        count=qs.count(), page=page, page_size=page_size)


@router.post("/follow-ups", response={201: FollowUpRead}, summary="新建跟踪事项")
def followup_create(request: HttpRequest, payload: FollowUpCreate):
    user = request.user
    elder = _elder_or_require(user, payload.elder_id, cw_access.FOLLOWUP_MANAGE)
    f = services.followup_create(actor=user, elder=elder, title=payload.title, due_date=payload.due_date,
                                 source=FollowUp.Source.MANUAL, assignee=_user(payload.assignee, "assignee"))
    return Status(201, followup_read(f))


@router.post("/follow-ups/{followup_id}/complete", response=FollowUpRead, summary="完成跟踪事项（填写结果）")
def followup_complete(request: HttpRequest, followup_id: uuid.UUID, payload: NoteIn):
    f = cw_access.access_followup(request.user, followup_id, cw_access.FOLLOWUP_MANAGE)
    return followup_read(services.followup_complete(actor=request.user, followup=f, note=payload.note))


@router.post("/follow-ups/{followup_id}/cancel", response=FollowUpRead, summary="取消跟踪事项（填写原因）")
def followup_cancel(request: HttpRequest, followup_id: uuid.UUID, payload: ReasonIn):
    f = cw_access.access_followup(request.user, followup_id, cw_access.FOLLOWUP_MANAGE)
    return followup_read(services.followup_cancel(actor=request.user, followup=f, reason=payload.reason))


# --------------------------------------------------------------------------- errands


def _errand(request: HttpRequest, errand_id: uuid.UUID, *capabilities: str) -> Errand:
    return cw_access.access_errand(request.user, errand_id, *capabilities)


def _reread(request: HttpRequest, errand: Errand) -> ErrandRead:
    return errand_read(cw_access.access_errand(request.user, errand.pk))


@router.post("/errands", response={201: ErrandRead}, summary="受理委托代办（须有本人或监护人授权）")
def errand_create(request: HttpRequest, payload: ErrandCreate):
    user = request.user
    elder = elder_access.access_elder(user, payload.elder_id, cw_access.ERRAND_RUN)
    e = services.errand_request(actor=user, elder=elder, kind=payload.kind, description=payload.description,
                                due_date=payload.due_date, assignee=_user(payload.assignee, "assignee"),
                                consent=payload.consent.dict() if payload.consent else None)
    return Status(201, _reread(request, e))


@router.get("/errands", response=ErrandPage, summary="委托代办（管辖范围内；status=open 为未办完的，逾期的在前）")
def errand_list(request: HttpRequest, q: Query[ErrandQuery]):
    require_capability(request.user, cw_access.CASEWORK_VIEW)
    if q.status not in ("", "open", *Errand.Status.values):
        raise FieldErrors({"status": ["应为 open、requested、in_progress、done、closed 或 cancelled"]})
    elder = elder_access.access_elder(request.user, q.elder_id) if q.elder_id else None
    page, page_size = _page(q.page, q.page_size)
    qs = selectors.errands_for(request.user, status=q.status, elder=elder, mine=q.mine, overdue=q.overdue) \
        .select_related("consent", "completed_by", "closed_by").prefetch_related("evidence")
    return ErrandPage(items=[errand_read(e) for e in qs[(page - 1) * page_size: page * page_size]],
                      count=qs.count(), page=page, page_size=page_size)


@router.get("/errands/{errand_id}", response=ErrandRead, summary="一项委托代办")
def errand_detail(request: HttpRequest, errand_id: uuid.UUID):
    return errand_read(_errand(request, errand_id))


@router.post("/errands/{errand_id}/start", response=ErrandRead, summary="开始办理")
def errand_start(request: HttpRequest, errand_id: uuid.UUID):
    e = _errand(request, errand_id, cw_access.ERRAND_RUN)
    return _reread(request, services.errand_start(actor=request.user, errand=e))


@router.post("/errands/{errand_id}/complete", response=ErrandRead, summary="办完（办理结果，可附照片或 PDF）")
def errand_complete(request: HttpRequest, errand_id: uuid.UUID, payload: ErrandComplete):
    e = _errand(request, errand_id, cw_access.ERRAND_RUN)
    evidence = None
    if payload.evidence is not None:
        try:
            data = base64.b64decode(payload.evidence.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise FieldErrors({"evidence": ["文件内容不是有效的 base64"]}) from None
        evidence = (payload.evidence.file_name, data)
    e = services.errand_complete(actor=request.user, errand=e, note=payload.note, evidence=evidence)
    return _reread(request, e)


@router.post("/errands/{errand_id}/close", response=ErrandRead, summary="结案（另一名工作人员或工作点负责人）")
def errand_close(request: HttpRequest, errand_id: uuid.UUID, payload: NoteIn):
    e = _errand(request, errand_id, cw_access.ERRAND_CLOSE)
    return _reread(request, services.errand_close(actor=request.user, errand=e, note=payload.note))


@router.post("/errands/{errand_id}/cancel", response=ErrandRead, summary="取消（填写原因）")
def errand_cancel(request: HttpRequest, errand_id: uuid.UUID, payload: ReasonIn):
    e = _errand(request, errand_id, cw_access.ERRAND_RUN)
    return _reread(request, services.errand_cancel(actor=request.user, errand=e, reason=payload.reason))


# --------------------------------------------------------------------------- case conferences


def conference_read(c: CaseConference) -> ConferenceRead:
    return ConferenceRead(
        id=c.pk, elder_id=c.elder_id, held_on=c.held_on, problem=c.problem, minutes=c.minutes,
        participants=[p.display_name for p in c.participants.all()],
        decisions=[DecisionRead(text=d.text, followup_id=d.followup_id) for d in c.decisions.all()],
    )


@router.post("/case-conferences", response={201: ConferenceRead}, summary="记录集体会诊（决定可生成跟踪事项）")
def conference_create(request: HttpRequest, payload: ConferenceCreate):
    user = request.user
    elder = elder_access.access_elder(user, payload.elder_id, cw_access.CONFERENCE_HOLD)
    people = [p for p in (_user(u, "participants") for u in payload.participants) if p is not None]
    decisions = [{"text": d.text, "due_date": d.due_date, "assignee": _user(d.assignee, "decisions.assignee")}
                 for d in payload.decisions]
    c = services.conference_hold(actor=user, elder=elder, held_on=payload.held_on, problem=payload.problem,
                                 minutes=payload.minutes, participants=people, decisions=decisions)
    return Status(201, conference_read(cw_access.access_conference(user, c.pk)))


@router.get("/case-conferences/{conference_id}", response=ConferenceRead, summary="一次集体会诊")
def conference_detail(request: HttpRequest, conference_id: uuid.UUID):
    return conference_read(cw_access.access_conference(request.user, conference_id))
