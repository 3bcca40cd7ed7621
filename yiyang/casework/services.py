"""Writes of casework: consultations, follow-ups, case conferences, delegated errands.

Every function is keyword-only and atomic, checks what the caller may do (capability and
jurisdiction — a service is also called by other apps and the API, not only by checked views)
and writes one event per state change with the elder's id, so it shows on the elder's timeline.

``followup_create`` is the interface other apps call (the visits app, for a visit's
follow-ups): its signature is a contract.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.casework import access as cw_access
from yiyang.casework import events
from yiyang.casework.models import (
    EVIDENCE_CTX,
    VISITOR_ADDRESS_CTX,
    VISITOR_NAME_CTX,
    VISITOR_PHONE_CTX,
    CaseConference,
    ConferenceDecision,
    Consultation,
    Errand,
    ErrandEvidence,
    FollowUp,
)
from yiyang.core import pii
from yiyang.core.access import has_capability, in_jurisdiction
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.identifiers import IdentifierError, normalize_phone
from yiyang.core.models import AccessLog
from yiyang.elders.models import Consent, Elder
from yiyang.elders.services import consent_grant

SOURCES = tuple(FollowUp.Source.values)
TITLE_MAX = 200
NOTE_MAX = 2000


# --------------------------------------------------------------------------- helpers


def _require(actor: Any, *codes: str) -> None:
    for code in codes:
        if not has_capability(actor, code):
            raise ForbiddenError()


def _actor_region(actor: Any) -> str:
    """The code of the caller's own node (where a record without an elder lives)."""
    if getattr(actor, "region_id", None):
        return str(actor.region_id)
    raise ApplicationError("您的账号没有管辖区域，无法记录", code="no_region")


def _check_elder(actor: Any, elder: Elder) -> None:
    if not in_jurisdiction(actor, elder.region_id):
        raise NotFoundError()
    if not elder.active:
        raise ApplicationError(f"{elder.name} 的档案已注销", code="elder_inactive")


def _check_assignee(assignee: Any, region_code: str, field: str, capability: str) -> None:
    """The person who will do the work must be able to see the record and do it."""
    if (assignee is None or not assignee.is_active or not in_jurisdiction(assignee, region_code)
            or not has_capability(assignee, capability)):
        raise FieldErrors({field: ["负责人须是本辖区内可办理此事的工作人员"]})


def _clean_text(value: Any, field: str, errors: dict[str, list[str]], *, required: bool, limit: int,
                label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        errors.setdefault(field, []).append(f"请填写{label}")
    elif len(text) > limit:
        errors.setdefault(field, []).append(f"{label}不能超过 {limit} 字（现有 {len(text)} 字）")
    return text


def _today() -> dt.date:
    return timezone.localdate()


# --------------------------------------------------------------------------- follow-ups


def _followup_new(
    *, actor: Any, elder: Elder | None, title: str, due_date: Any, source: str, source_id: Any,
    assignee: Any, region_code: str, now: dt.datetime | None = None,
) -> FollowUp:
    errors: dict[str, list[str]] = {}
    title = _clean_text(title, "title", errors, required=True, limit=TITLE_MAX, label="跟踪事项")
    if source not in SOURCES:
        errors.setdefault("source", []).append("来源应为 consultation、visit、conference、manual 或 alarm")
    if not isinstance(due_date, dt.date) or isinstance(due_date, dt.datetime):
        errors.setdefault("due_date", []).append("请填写完成期限（日期）")
    elif now is None and due_date < _today():
        errors.setdefault("due_date", []).append("完成期限不能早于今天")
    if errors:
        raise FieldErrors(errors)
    assignee = assignee or actor
    _check_assignee(assignee, region_code, "assignee", cw_access.FOLLOWUP_MANAGE)
    followup = FollowUp(
        title=title, elder=elder, region_code=region_code, due_date=due_date, assignee=assignee,
        source=source, source_id="" if source_id is None else str(source_id), created_by=actor,
    )
    followup.save()
    if now is not None:  # history (the demo, imports): the row keeps its real creation time
        FollowUp.objects.filter(pk=followup.pk).update(created_at=now, updated_at=now)
    event_record(type=events.FOLLOWUP_CREATED, actor=actor, elder_id=elder.pk if elder else None,
                 subject=followup, region_code=region_code, occurred_at=now,
                 payload={"title": title, "due_date": due_date.isoformat(), "source": source,
                          "source_id": followup.source_id, "assignee": assignee.display_name})
    return followup


@transaction.atomic
def followup_create(
    *, actor: Any, elder: Elder | None, title: str, due_date: dt.date, source: str,
    source_id: int | str | uuid.UUID | None = None, assignee: Any = None,
) -> FollowUp:
    """A follow-up task for ``elder`` (or none, for an anonymous consultation's caller), due by
    ``due_date`` (today or later), done by ``assignee`` (the actor when None), who must be staff of
    the elder's jurisdiction. ``source`` is "consultation", "visit", "conference" or "manual";
    ``source_id`` the key of that record. Without an elder the task lives in the actor's node."""
    _require(actor, cw_access.FOLLOWUP_MANAGE)
    if elder is not None:
        _check_elder(actor, elder)
        region_code = str(elder.region_id)
    else:
        region_code = _actor_region(actor)
    return _followup_new(actor=actor, elder=elder, title=title, due_date=due_date, source=source,
                         source_id=source_id, assignee=assignee, region_code=region_code)


def _check_open(followup: FollowUp) -> None:
    if followup.status != FollowUp.Status.OPEN:
        raise ApplicationError(f"该跟踪事项{followup.get_status_display()}，不能再办理", code="followup_closed")


def _followup_close(*, actor: Any, followup: FollowUp, status: str, note: str, event: str,
                    now: dt.datetime | None = None) -> FollowUp:
    _require(actor, cw_access.FOLLOWUP_MANAGE)
    if not in_jurisdiction(actor, followup.region_code):
        raise NotFoundError()
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    _check_open(followup)
    when = now or timezone.now()
    followup.status, followup.result_note = status, note
    followup.closed_by, followup.closed_at = actor, when
    followup.version += 1
    followup.save(update_fields=["status", "result_note", "closed_by", "closed_at", "version", "updated_at"])
    event_record(type=event, actor=actor, elder_id=followup.elder_id, subject=followup,
                 region_code=followup.region_code, occurred_at=now,
                 payload={"title": followup.title, "note": note[:500]})
    return followup


@transaction.atomic
def followup_complete(*, actor: Any, followup: FollowUp, note: str, now: dt.datetime | None = None) -> FollowUp:
    """Done: ``note`` says what came of it (跟踪结果)."""
    errors: dict[str, list[str]] = {}
    note = _clean_text(note, "note", errors, required=True, limit=NOTE_MAX, label="跟踪结果")
    if errors:
        raise FieldErrors(errors)
    return _followup_close(actor=actor, followup=followup, status=FollowUp.Status.DONE, note=note,
                           event=events.FOLLOWUP_COMPLETED, now=now)


@transaction.atomic
def followup_cancel(*, actor: Any, followup: FollowUp, reason: str) -> FollowUp:
    errors: dict[str, list[str]] = {}
    reason = _clean_text(reason, "reason", errors, required=True, limit=NOTE_MAX, label="取消原因")
    if errors:
        raise FieldErrors(errors)
    return _followup_close(actor=actor, followup=followup, status=FollowUp.Status.CANCELLED, note=reason,
                           event=events.FOLLOWUP_CANCELLED)


# --------------------------------------------------------------------------- consultations

CONSULTATION_FIELDS = ("channel", "visitor_type", "visitor_count", "family_count", "visited_at", "elder",
                       "visitor_name", "visitor_age", "visitor_phone", "community", "visitor_address",
                       "service_item", "result", "reason", "advice", "aftercare")


def _clean_consultation(actor: Any, data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for field, choices, label in (("channel", Consultation.Channel, "咨询方式"),
                                  ("visitor_type", Consultation.VisitorType, "来访者类型"),
                                  ("service_item", Consultation.ServiceItem, "服务事项"),
                                  ("result", Consultation.Result, "服务结果")):
        value = data.get(field) or ""
        if value not in choices.values:
            errors.setdefault(field, []).append(f"请选择{label}")
        out[field] = value
    for field, label, default, top in (("visitor_count", "人数", 1, 50), ("family_count", "家属数", 0, 50)):
        raw = data.get(field)
        try:
            number = default if raw in (None, "") else int(raw)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= top:
            errors.setdefault(field, []).append(f"{label}应为 0–{top} 的整数")
        out[field] = number
    if not errors.get("visitor_count") and out["visitor_count"] < 1:
        errors.setdefault("visitor_count", []).append("人数至少为 1")
    if not errors and out["family_count"] > out["visitor_count"]:
        errors.setdefault("family_count", []).append("家属数不能多于人数")
    visited_at = data.get("visited_at") or now
    if not isinstance(visited_at, dt.datetime):
        errors.setdefault("visited_at", []).append("请填写来访时间")
    else:
        if timezone.is_naive(visited_at):
            visited_at = timezone.make_aware(visited_at)
        if visited_at > now + dt.timedelta(minutes=5):
            errors.setdefault("visited_at", []).append("来访时间不能晚于现在")
    out["visited_at"] = visited_at
    age = data.get("visitor_age")
    if age in (None, ""):
        out["visitor_age"] = None
    else:
        try:
            out["visitor_age"] = int(age)
        except (TypeError, ValueError):
            out["visitor_age"] = -1
        if not 0 <= out["visitor_age"] <= 130:
            errors.setdefault("visitor_age", []).append("年龄应为 0–130")
    out["visitor_name"] = _clean_text(data.get("visitor_name"), "visitor_name", errors, required=False, limit=50,
                                      label="姓名")
    out["visitor_address"] = _clean_text(data.get("visitor_address"), "visitor_address", errors, required=False,
                                         limit=200, label="地址")
    phone = (data.get("visitor_phone") or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone)
        except IdentifierError as exc:
            errors.setdefault("visitor_phone", []).append(str(exc))
    out["visitor_phone"] = phone
    out["reason"] = _clean_text(data.get("reason"), "reason", errors, required=True, limit=NOTE_MAX, label="来访事由")
    out["advice"] = _clean_text(data.get("advice"), "advice", errors, required=False, limit=Consultation.ADVICE_MAX,
                                label="顾问建议")
    out["aftercare"] = _clean_text(data.get("aftercare"), "aftercare", errors, required=False, limit=NOTE_MAX,
                                   label="事后跟踪情况")
    elder = data.get("elder")
    out["elder"] = elder
    community = data.get("community")
    out["community"] = community
    if community is not None and (community.level != "community" or not in_jurisdiction(actor, community.code)):
        errors.setdefault("community", []).append("所属居委须是您辖区内的社区")
    if errors:
        raise FieldErrors(errors)
    return out


@transaction.atomic
def consultation_record(
    *, actor: Any, data: dict[str, Any], followup: dict[str, Any] | None = None, now: dt.datetime | None = None,
) -> Consultation:
    """Record a consultation (咨询服务). ``data`` holds the fields of ``CONSULTATION_FIELDS``
    (``elder`` an Elder or None for an anonymous visitor, ``community`` a Region or None).
    With ``followup`` ({"title", "due_date", "assignee"?}) a follow-up task is created with it.

    The record lives in the elder's community when the elder is known, else in the 所属居委
    given, else in the recorder's node; the recorder's service point is kept."""
    _require(actor, cw_access.CONSULTATION_RECORD)
    clean = _clean_consultation(actor, data, now or timezone.now())
    elder: Elder | None = clean["elder"]
    if elder is not None:
        _check_elder(actor, elder)
        region_code = str(elder.region_id)
        community = clean["community"] or elder.region
    else:
        community = clean["community"]
        region_code = community.code if community is not None else _actor_region(actor)
    if followup is not None:
        _require(actor, cw_access.FOLLOWUP_MANAGE)
    c = Consultation(
        channel=clean["channel"], visitor_type=clean["visitor_type"], visitor_count=clean["visitor_count"],
        family_count=clean["family_count"], visited_at=clean["visited_at"], elder=elder,
        visitor_name_enc=pii.encrypt(clean["visitor_name"], VISITOR_NAME_CTX),
        visitor_phone_enc=pii.encrypt(clean["visitor_phone"], VISITOR_PHONE_CTX),
        visitor_address_enc=pii.encrypt(clean["visitor_address"], VISITOR_ADDRESS_CTX),
        visitor_age=clean["visitor_age"], community=community, region_code=region_code,
        service_point_id=getattr(actor, "service_point_id", None), service_item=clean["service_item"],
        result=clean["result"], reason=clean["reason"], advice=clean["advice"], aftercare=clean["aftercare"],
        recorded_by=actor,
    )
    c.save()
    if now is not None:
        Consultation.objects.filter(pk=c.pk).update(created_at=now, updated_at=now)
    event_record(type=events.CONSULTATION_RECORDED, actor=actor, elder_id=elder.pk if elder else None, subject=c,
                 region_code=region_code, occurred_at=clean["visited_at"],
                 payload={"channel": c.channel, "channel_label": str(c.get_channel_display()),
                          "service_item": str(c.get_service_item_display()),
                          "result": str(c.get_result_display()), "reason": c.reason[:200]})
    if followup is not None:
        _followup_new(actor=actor, elder=elder, title=followup.get("title") or "", due_date=followup.get("due_date"),
                      source=FollowUp.Source.CONSULTATION, source_id=c.pk, assignee=followup.get("assignee"),
                      region_code=region_code, now=now)
    return c


@transaction.atomic
def consultation_reveal(*, actor: Any, consultation: Consultation, purpose: str, remote_addr: str = "") -> dict[str, str]:
    """The visitor's name, phone and address in plain text, logged (who, when, why) like an
    elder's reveal."""
    _require(actor, cw_access.VISITOR_REVEAL)
    if not in_jurisdiction(actor, consultation.region_code):
        raise NotFoundError()
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise FieldErrors({"purpose": ["请填写查看事由（例如：电话回访）"]})
    AccessLog.objects.create(
        at=timezone.now(), actor=actor, action=AccessLog.Action.REVEAL, elder_id=consultation.elder_id,
        region_code=consultation.region_code, fields=["来访者姓名", "来访者电话", "来访者地址"],
        purpose=purpose[:200], remote_addr=remote_addr[:64],
    )
    event_record(type=events.VISITOR_REVEALED, actor=actor, elder_id=consultation.elder_id, subject=consultation,
                 region_code=consultation.region_code, payload={"purpose": purpose[:200]})
    return {"name": consultation.visitor_name, "phone": consultation.visitor_phone,
            "address": consultation.visitor_address}


# --------------------------------------------------------------------------- case conferences


@transaction.atomic
def conference_hold(
    *, actor: Any, elder: Elder, held_on: dt.date, problem: str, minutes: str = "",
    participants: Iterable[Any] = (), decisions: Iterable[dict[str, Any]] = (), now: dt.datetime | None = None,
) -> CaseConference:
    """Record a case conference (集体会诊) on ``elder``: at least two staff of the elder's
    jurisdiction (the convener counts), the problem, the minutes, and decisions — each
    ``{"text", "followup_title"?, "due_date"?, "assignee"?}``; a decision with a due date
    spawns a follow-up task (source "conference")."""
    _require(actor, cw_access.CONFERENCE_HOLD)
    _check_elder(actor, elder)
    region_code = str(elder.region_id)
    errors: dict[str, list[str]] = {}
    problem = _clean_text(problem, "problem", errors, required=True, limit=NOTE_MAX, label="会诊问题")
    minutes = _clean_text(minutes, "minutes", errors, required=False, limit=10000, label="会议纪要")
    if not isinstance(held_on, dt.date):
        errors.setdefault("held_on", []).append("请填写会诊日期")
    elif held_on > timezone.localtime(now).date():
        errors.setdefault("held_on", []).append("会诊日期不能晚于今天")
    people = {actor.pk: actor}
    for p in participants:
        if not p.is_active or not in_jurisdiction(p, region_code) or not has_capability(p, cw_access.CASEWORK_VIEW):
            errors.setdefault("participants", []).append(f"{p.display_name} 不是本辖区的工作人员")
        people[p.pk] = p
    if len(people) < 2:
        errors.setdefault("participants", []).append("集体会诊至少需要两名工作人员参加")
    rows = []
    for i, d in enumerate(decisions):
        text = (d.get("text") or "").strip()
        if not text:
            continue
        if len(text) > 300:
            errors.setdefault("decisions", []).append(f"第{i + 1}条决定超过 300 字")
        rows.append((text, d))
    if errors:
        raise FieldErrors(errors)
    conf = CaseConference.objects.create(elder=elder, region_code=region_code, held_on=held_on, problem=problem,
                                         minutes=minutes, convened_by=actor)
    conf.participants.set(list(people.values()))
    spawned = 0
    for order, (text, d) in enumerate(rows):
        decision = ConferenceDecision.objects.create(conference=conf, text=text, sort_order=order)
        if d.get("due_date"):
            decision.followup = _followup_new(
                actor=actor, elder=elder, title=(d.get("followup_title") or text)[:TITLE_MAX],
                due_date=d["due_date"], source=FollowUp.Source.CONFERENCE, source_id=decision.pk,
                assignee=d.get("assignee"), region_code=region_code, now=now)
            decision.save(update_fields=["followup"])
            spawned += 1
    event_record(type=events.CONFERENCE_HELD, actor=actor, elder_id=elder.pk, subject=conf, region_code=region_code,
                 occurred_at=now,
                 payload={"held_on": held_on.isoformat(), "problem": problem[:200],
                          "participants": [p.display_name for p in people.values()],
                          "decisions": [t for t, _ in rows], "followups": spawned})
    return conf


@transaction.atomic
def decision_followup(*, actor: Any, decision: ConferenceDecision, due_date: dt.date, title: str = "",
                      assignee: Any = None) -> FollowUp:
    """Spawn the follow-up of a decision recorded without one."""
    conf = decision.conference
    _require(actor, cw_access.FOLLOWUP_MANAGE)
    _check_elder(actor, conf.elder)
    if decision.followup_id:
        raise ApplicationError("该决定已有跟踪事项", code="decision_has_followup")
    decision.followup = _followup_new(actor=actor, elder=conf.elder, title=(title or decision.text)[:TITLE_MAX],
                                      due_date=due_date, source=FollowUp.Source.CONFERENCE, source_id=decision.pk,
                                      assignee=assignee, region_code=conf.region_code)
    decision.save(update_fields=["followup"])
    return decision.followup


# --------------------------------------------------------------------------- delegated errands

# 委托代办 is for elders without children to rely on or with disabilities (DESIGN §3 E).
ERRAND_LIVING = ("alone", "empty_nest", "left_behind")
ERRAND_CATEGORIES = ("disabled", "dementia", "severe_disability", "childless_widowed", "family_planning_special",
                     "extreme_poverty")


def errand_eligible(elder: Elder) -> bool:
    if elder.living_situation in ERRAND_LIVING:
        return True
    return elder.category_links.filter(category__code__in=ERRAND_CATEGORIES).exists()


def errand_consent_in_force(elder: Elder) -> Consent | None:
    return (elder.consents.filter(purpose=Consent.Purpose.DELEGATED_ERRAND, withdrawn_at__isnull=True)
            .order_by("-granted_at").first())


def errand_is_lead(actor: Any, errand: Errand | None = None) -> bool:
    """A point lead by role (or an administrator), or the named lead of the errand's point."""
    if has_capability(actor, cw_access.ERRAND_CLOSE_OWN):
        return True
    point = errand.service_point if errand is not None and errand.service_point_id else None
    return point is not None and point.lead_id == actor.pk


def _errand_locked(actor: Any, errand: Errand, capability: str) -> Errand:
    _require(actor, capability)
    if not in_jurisdiction(actor, errand.region_code):
        raise NotFoundError()
    # Lock the errand row only (its service point is a nullable outer join, which PostgreSQL cannot lock).
    return (Errand.objects.select_for_update(of=("self",)).select_related("elder", "consent", "service_point")
            .get(pk=errand.pk))


def _errand_event(actor: Any, errand: Errand, type_: str, now: dt.datetime | None = None, **extra: Any) -> None:
    event_record(type=type_, actor=actor, elder_id=errand.elder_id, subject=errand, region_code=errand.region_code,
                 occurred_at=now,
                 payload={"kind": errand.kind, "kind_label": str(errand.get_kind_display()),
                          "status": errand.status, **extra})


def _save(errand: Errand, *fields: str) -> None:
    errand.version += 1
    errand.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def errand_request(
    *, actor: Any, elder: Elder, kind: str, description: str, due_date: dt.date, assignee: Any = None,
    consent: dict[str, Any] | None = None, now: dt.datetime | None = None,
) -> Errand:
    """Take on an errand (受理委托代办) for ``elder``. The elder's (or guardian's) consent is
    required: the one in force (``elders.Consent``, purpose 委托代办), or — given
    ``consent={"granted_by", "method", "granted_at"?, "evidence"?}`` — recorded now. An errand
    without consent is refused."""
    _require(actor, cw_access.ERRAND_RUN)
    _check_elder(actor, elder)
    region_code = str(elder.region_id)
    if not errand_eligible(elder):
        raise ApplicationError("委托代办适用于独居、空巢、留守、孤寡或失能、失智、重度残疾等老年人；"
                               f"{elder.name} 的档案中没有这些情况", code="errand_not_eligible")
    errors: dict[str, list[str]] = {}
    if kind not in Errand.Kind.values:
        errors.setdefault("kind", []).append("请选择代办事项")
    description = _clean_text(description, "description", errors, required=True, limit=NOTE_MAX, label="具体内容")
    if not isinstance(due_date, dt.date):
        errors.setdefault("due_date", []).append("请填写办理期限")
    elif now is None and due_date < _today():
        errors.setdefault("due_date", []).append("办理期限不能早于今天")
    granted = errand_consent_in_force(elder)
    if consent and granted is None:
        if not (consent.get("method") or ""):
            errors.setdefault("consent_method", []).append("请选择同意方式（纸质签字、口头同意有见证人、线上确认）")
        if not (consent.get("granted_by") or "").strip():
            errors.setdefault("consent_granted_by", []).append("请填写表示同意的人（本人或监护人姓名）")
    elif granted is None:
        errors.setdefault("consent", []).append("须先记录老年人本人或监护人的委托同意（谁同意、以何种方式、何时）")
    if errors:
        raise FieldErrors(errors)
    assignee = assignee or actor
    _check_assignee(assignee, region_code, "assignee", cw_access.ERRAND_RUN)
    if granted is None:
        assert consent is not None
        try:
            granted = consent_grant(actor=actor, elder=elder, purpose=Consent.Purpose.DELEGATED_ERRAND,
                                    granted_by=consent["granted_by"], method=consent["method"],
                                    evidence=consent.get("evidence") or "", granted_at=consent.get("granted_at"))
        except FieldErrors as exc:
            raise FieldErrors({f"consent_{k}": v for k, v in exc.errors.items()}) from None
    errand = Errand(elder=elder, region_code=region_code, kind=kind, description=description, consent=granted,
                    assignee=assignee, service_point_id=getattr(actor, "service_point_id", None),
                    due_date=due_date, requested_by=actor)
    errand.save()
    if now is not None:
        Errand.objects.filter(pk=errand.pk).update(created_at=now, updated_at=now)
    _errand_event(actor, errand, events.ERRAND_REQUESTED, now, description=description[:200],
                  due_date=due_date.isoformat(), assignee=assignee.display_name,
                  consent_by=granted.granted_by, consent_method=str(granted.get_method_display() or ""))
    return errand


def _check_consent(errand: Errand) -> None:
    if errand.consent.withdrawn_at is not None:
        raise ApplicationError("老年人或监护人已撤回委托代办授权，不能继续办理", code="consent_withdrawn")


# Whoever of the jurisdiction may run errands may take one over (the assignee is ill, the elder
# calls while she is out): the events name who acted. The second pair of eyes is at closure.


@transaction.atomic
def errand_start(*, actor: Any, errand: Errand, now: dt.datetime | None = None) -> Errand:
    errand = _errand_locked(actor, errand, cw_access.ERRAND_RUN)
    if errand.status != Errand.Status.REQUESTED:
        raise ApplicationError(f"该代办{errand.get_status_display()}，不能开始办理", code="errand_state")
    _check_consent(errand)
    errand.status, errand.started_at = Errand.Status.IN_PROGRESS, now or timezone.now()
    _save(errand, "status", "started_at")
    _errand_event(actor, errand, events.ERRAND_STARTED, now)
    return errand


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _evidence_add(actor: Any, errand: Errand, file_name: str, data: bytes) -> ErrandEvidence:
    if len(data) > ErrandEvidence.MAX_BYTES:
        raise FieldErrors({"evidence": [f"文件不能超过 {ErrandEvidence.MAX_BYTES // (1024 * 1024)} MB"]})
    if not data:
        raise FieldErrors({"evidence": ["文件是空的"]})
    content_type = _sniff(data)  # by content, not by the name or the browser's word
    if content_type is None:
        raise FieldErrors({"evidence": ["只能上传照片（JPEG、PNG）或 PDF 文件"]})
    stem = (file_name or "凭证").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0][:80] or "凭证"
    ev = ErrandEvidence.objects.create(
        errand=errand, file_name=stem + ErrandEvidence.CONTENT_TYPES[content_type], content_type=content_type,
        size=len(data), data_enc=pii.encrypt_bytes(data, f"{EVIDENCE_CTX}.{errand.pk}"), uploaded_by=actor)
    _errand_event(actor, errand, events.ERRAND_EVIDENCE_ADDED, file_name=ev.file_name, size=ev.size)
    return ev


@transaction.atomic
def errand_evidence_add(*, actor: Any, errand: Errand, file_name: str, data: bytes) -> ErrandEvidence:
    errand = _errand_locked(actor, errand, cw_access.ERRAND_RUN)
    if errand.status in (Errand.Status.CLOSED, Errand.Status.CANCELLED):
        raise ApplicationError(f"该代办{errand.get_status_display()}，不能再上传凭证", code="errand_state")
    return _evidence_add(actor, errand, file_name, data)


@transaction.atomic
def errand_complete(
    *, actor: Any, errand: Errand, note: str, evidence: tuple[str, bytes] | None = None,
    now: dt.datetime | None = None,
) -> Errand:
    """Done (已办完): ``note`` says what was done; ``evidence`` an optional (file name, bytes) of a
    photo or PDF. It then waits for closure by a second person or the point lead."""
    errand = _errand_locked(actor, errand, cw_access.ERRAND_RUN)
    if not errand.is_open:
        raise ApplicationError(f"该代办{errand.get_status_display()}，不能再办完", code="errand_state")
    _check_consent(errand)
    errors: dict[str, list[str]] = {}
    note = _clean_text(note, "note", errors, required=True, limit=NOTE_MAX, label="办理结果")
    if errors:
        raise FieldErrors(errors)
    when = now or timezone.now()
    if evidence is not None:
        _evidence_add(actor, errand, evidence[0], evidence[1])
    errand.started_at = errand.started_at or when
    errand.status, errand.completion_note = Errand.Status.DONE, note
    errand.completed_by, errand.completed_at = actor, when
    _save(errand, "status", "started_at", "completion_note", "completed_by", "completed_at")
    _errand_event(actor, errand, events.ERRAND_COMPLETED, now, note=note[:200],
                  evidence=errand.evidence.count())
    return errand


@transaction.atomic
def errand_close(*, actor: Any, errand: Errand, note: str = "", now: dt.datetime | None = None) -> Errand:
    """Closure (结案) by a second person — not the one who did the errand — or by the point lead
    (or an administrator), who answers for the point."""
    errand = _errand_locked(actor, errand, cw_access.ERRAND_CLOSE)
    if errand.status != Errand.Status.DONE:
        raise ApplicationError("只有已办完的代办才能结案", code="errand_state")
    if actor.pk == errand.completed_by_id and not errand_is_lead(actor, errand):
        raise ForbiddenError("结案须由另一名工作人员或工作点负责人确认，不能由办理人本人结案")
    errand.status, errand.closed_by, errand.closed_at = Errand.Status.CLOSED, actor, now or timezone.now()
    _save(errand, "status", "closed_by", "closed_at")
    _errand_event(actor, errand, events.ERRAND_CLOSED, now, note=(note or "").strip()[:200],
                  completed_by=errand.completed_by.display_name if errand.completed_by else "")
    return errand


@transaction.atomic
def errand_cancel(*, actor: Any, errand: Errand, reason: str, now: dt.datetime | None = None) -> Errand:
    errand = _errand_locked(actor, errand, cw_access.ERRAND_RUN)
    if not errand.is_open:
        raise ApplicationError(f"该代办{errand.get_status_display()}，不能取消", code="errand_state")
    errors: dict[str, list[str]] = {}
    reason = _clean_text(reason, "reason", errors, required=True, limit=200, label="取消原因")
    if errors:
        raise FieldErrors(errors)
    errand.status, errand.cancel_reason = Errand.Status.CANCELLED, reason
    _save(errand, "status", "cancel_reason")
    _errand_event(actor, errand, events.ERRAND_CANCELLED, now, reason=reason)
    return errand


__all__ = [
    "consultation_record", "consultation_reveal", "conference_hold", "decision_followup", "errand_cancel",
    "errand_close", "errand_complete", "errand_eligible", "errand_is_lead", "errand_evidence_add", "errand_request", "errand_start",
    "followup_cancel", "followup_complete", "followup_create",
]


# --------------------------------------------------------------------------- alarms closed

ALARM_CLOSED_EVENTS = ("alarm.resolved", "alarm.false_alarm")


def followups_for_alarm_events(events: list[Any]) -> int:
    """An emergency call closed (the alarms app's ``alarm.resolved`` / ``alarm.false_alarm``,
    heard through the event bus — casework knows no alarm model): a follow-up visit on the
    responsible worker's list, due within 48 hours (the date the event carries). Idempotent: one
    follow-up per alarm however often the event is delivered. Returns how many were made."""
    made = 0
    for e in events:
        if e.type not in ALARM_CLOSED_EVENTS or e.elder_id is None:
            continue
        if e.occurred_at < timezone.now() - dt.timedelta(hours=48):
            continue  # closed long before it reached us (history loaded, the demo's past month): window over
        p = e.payload or {}
        alarm_id = str(p.get("alarm_id", ""))
        if not alarm_id or FollowUp.objects.filter(source=FollowUp.Source.ALARM, source_id=alarm_id).exists():
            continue
        elder = Elder.objects.filter(pk=e.elder_id).first()
        actor = e.actor
        if elder is None or actor is None:
            continue
        assignee_id = p.get("followup_assignee_id")
        assignee = (User.objects.filter(pk=int(assignee_id)).first() if assignee_id else None) or actor
        try:
            _check_assignee(assignee, str(elder.region_id), "assignee", cw_access.FOLLOWUP_MANAGE)
        except FieldErrors:
            assignee = actor  # the responsible worker left or moved: whoever closed the call
        due = dt.date.fromisoformat(p["followup_due_date"]) if p.get("followup_due_date") else _today()
        due = max(due, _today())
        outcome = str(p.get("outcome_label") or "")
        title = f"紧急呼叫后上门回访（{outcome}）" if outcome else "紧急呼叫后上门回访"
        _followup_new(actor=actor, elder=elder, title=title, due_date=due, source=FollowUp.Source.ALARM,
                      source_id=alarm_id, assignee=assignee, region_code=str(elder.region_id))
        made += 1
    return made
