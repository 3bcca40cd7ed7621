"""Writes for ability assessments: draft → submitted → confirmed, legacy and exchange
imports, printing. Each state change writes an event on the elder's timeline."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.assessments import access as assessment_access
from yiyang.assessments import events
from yiyang.assessments.models import Assessment, AssessmentAssessor
from yiyang.assessments.scoring import ITEM_BY_CODE, SCHEME, ScoringError, score, validate_items
from yiyang.core import access
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError
from yiyang.core.identifiers import IdentifierError, normalize_person_name
from yiyang.core.models import AccessLog
from yiyang.core.text import LINE_MAX, NAME_MAX, REMARK_MAX, SHORT_MAX, clip, too_long

RISK_EVENTS = {"fall": "跌倒", "wandering": "走失", "choking": "噎食", "self_harm": "自杀自伤", "other": "其他"}
HEALTH_PROBLEMS = {
    "pressure_injury": "压力性损伤", "joint_mobility": "关节活动度受限", "wound": "伤口", "special_care": "特殊护理情况",
    "pain": "疼痛", "teeth": "牙齿缺失", "dentures": "义齿", "dysphagia": "吞咽困难", "malnutrition": "营养不良",
    "airway": "清理呼吸道无效", "coma": "昏迷",
}
LEGACY_LEVELS = ("能力完好", "轻度失能", "中度失能", "重度失能")
# The texts of part A and their maxima (forms and the API schema say the same).
PART_A_TEXT_MAX = {"information_provider": NAME_MAX, "provider_relation": SHORT_MAX,
                   "diagnoses": REMARK_MAX, "medications": REMARK_MAX}
CO_ASSESSOR_UNKNOWN = "本辖区内没有用户名为“{username}”的评估人员"


def validity_months() -> int:
    return int(settings.YIYANG["ASSESSMENT_VALIDITY_MONTHS"])


def assessors_required() -> int:
    return int(settings.YIYANG["ASSESSORS_REQUIRED"])


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _number(day: dt.date) -> str:
    return f"PG{day:%Y%m%d}{secrets.token_hex(3).upper()}"


def clean_part_a(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Part A of the form: information provider, diagnoses, medication, risk events in the
    last 30 days (each 0 / 1 / 2 / 3 = 3次及以上), health problems, coma, dementia."""
    errors: dict[str, list[str]] = {}
    risk: dict[str, int] = {}
    for key in RISK_EVENTS:
        value = (raw.get("risk_events") or {}).get(key, 0)
        try:
            n = int(value or 0)
        except (TypeError, ValueError):
            n = -1
        if not 0 <= n <= 3:
            errors.setdefault(f"risk_{key}", []).append("应为 无 / 1次 / 2次 / 3次及以上")
        risk[key] = n
    problems = [p for p in (raw.get("health_problems") or []) if p in HEALTH_PROBLEMS]
    texts = {key: str(raw.get(key) or "").strip() for key in PART_A_TEXT_MAX}
    for key, limit in PART_A_TEXT_MAX.items():
        if message := too_long(texts[key], limit):
            errors.setdefault(key, []).append(message)
    if texts["information_provider"] and "information_provider" not in errors:
        try:
            texts["information_provider"] = normalize_person_name(texts["information_provider"])
        except IdentifierError as exc:
            errors.setdefault("information_provider", []).append(str(exc))
    part = {
        **texts,
        "risk_events": risk,
        "health_problems": problems,
        "coma": bool(raw.get("coma")) or "coma" in problems,
        "diagnosed_dementia_or_mental_disorder": bool(raw.get("diagnosed_dementia_or_mental_disorder")),
    }
    return part, errors


def _apply_result(a: Assessment, answers: dict[str, Any]) -> None:
    """Score when every item is answered; otherwise clear the result."""
    try:
        result = score({
            "scheme": SCHEME, "items": answers.get("items", {}), "coma": answers.get("coma", False),
            "diagnosed_dementia_or_mental_disorder": answers.get("diagnosed_dementia_or_mental_disorder", False),
            "risk_events_30d": sum(answers.get("risk_events", {}).values()),
        })
    except ScoringError:
        a.dim_self_care = a.dim_mobility = a.dim_mental = a.dim_perception = None
        a.total = a.preliminary_level = a.level = None
        return
    d = result.dimensions
    a.dim_self_care, a.dim_mobility, a.dim_mental, a.dim_perception = d["B.1"], d["B.2"], d["B.3"], d["B.4"]
    a.total, a.preliminary_level, a.level = result.total, result.preliminary_level, result.level
    answers["rules_applied"] = result.rules_applied


def _check_items_partial(items: dict[str, Any]) -> tuple[dict[str, int], dict[str, list[str]]]:
    clean: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for code, value in items.items():
        if value in (None, ""):
            continue
        item = ITEM_BY_CODE.get(code)
        if item is None:
            errors.setdefault(code, []).append("未知的条目")
            continue
        try:
            v = int(value)
        except (TypeError, ValueError):
            errors.setdefault(code, []).append("应为整数")
            continue
        if v not in item.options:
            errors.setdefault(code, []).append(f"得分应在 0–{item.max_score} 之间")
            continue
        clean[code] = v
    return clean, errors


def _note_clean(note: str | None) -> str:
    note = (note or "").strip()
    if message := too_long(note, LINE_MAX):
        raise FieldErrors({"note": [message]}, message=f"说明{message}")
    return note


def _assessor_link(user: Any) -> AssessmentAssessor:
    return AssessmentAssessor(user=user, name=getattr(user, "display_name", str(user)))


@transaction.atomic
def assessment_start(
    *, actor: Any, elder: Any, reason: str = Assessment.Reason.FIRST, assessed_on: dt.date | None = None,
    co_assessor: Any = None,
) -> Assessment:
    """Open a draft; the actor is the first assessor, ``co_assessor`` (a staff account in
    the same jurisdiction) the second."""
    access.require_capability(actor, assessment_access.ASSESSMENT_CREATE)
    if reason not in Assessment.Reason.values:
        raise FieldErrors({"reason": ["请选择评估原因"]})
    if not elder.active:
        raise ApplicationError("该老年人已注销，不能评估", code="inactive")
    assessed_on = assessed_on or timezone.localdate()
    if assessed_on > timezone.localdate():
        raise FieldErrors({"assessed_on": ["评估基准日期不能晚于今天"]})
    a = Assessment.objects.create(
        elder=elder, region_code=elder.region_id, number=_number(assessed_on), reason=reason,
        assessed_on=assessed_on, created_by=actor,
    )
    a.set_answers({"items": {}})
    a.save(update_fields=["answers_enc"])
    link = _assessor_link(actor)
    link.assessment = a
    link.save()
    if co_assessor is not None:
        assessment_set_co_assessor(actor=actor, assessment=a, co_assessor=co_assessor)
    event_record(type=events.STARTED, actor=actor, elder_id=elder.pk, subject=a, region_code=a.region_code,
                 payload={"number": a.number, "reason": a.get_reason_display()})
    return a


def co_assessor_eligible(user: Any, region_code: str) -> bool:
    """May ``user`` be the second assessor of an elder of ``region_code``: an active account
    with an assessing role whose jurisdiction holds the community, or who assesses in another
    community of the same street (issue 7 C.1: two 专员 of neighbouring communities assess
    together; the link to the assessment is what lets the second one read and confirm it)."""
    if not (user.is_active and access.has_capability(user, assessment_access.ASSESSMENT_CREATE)):
        return False
    return access.in_jurisdiction(user, region_code) or assessment_access.in_same_street(user, region_code)


def co_assessor_find(*, username: str, region_code: str) -> Any:
    """The account named ``username`` if it may co-assess in ``region_code``. An unknown
    username and one outside the jurisdiction (or without an assessing role) get the same
    answer: the field must not tell whether a username exists somewhere else."""
    user = User.objects.select_related("region").filter(username=username).first()
    if user is None or not co_assessor_eligible(user, region_code):
        raise FieldErrors({"co_assessor": [CO_ASSESSOR_UNKNOWN.format(username=clip(username, 30))]})
    return user


def assessment_set_co_assessor(*, actor: Any, assessment: Assessment, co_assessor: Any) -> None:
    if assessment.status != Assessment.Status.DRAFT:
        raise ApplicationError("只有草稿可以更换评估员", code="not_draft")
    if co_assessor.pk == actor.pk:
        raise FieldErrors({"co_assessor": ["第二评估员不能是本人"]})
    if not co_assessor_eligible(co_assessor, assessment.region_code):
        raise FieldErrors({"co_assessor": [CO_ASSESSOR_UNKNOWN.format(username=clip(co_assessor.username, 30))]})
    assessment.assessor_links.exclude(user=assessment.created_by).delete()
    link = _assessor_link(co_assessor)
    link.assessment = assessment
    link.save()


@transaction.atomic
def assessment_record(
    *, actor: Any, assessment: Assessment, items: dict[str, Any] | None = None, part_a: dict[str, Any] | None = None,
) -> Assessment:
    """Save answers into a draft (partial answers allowed; bad values are errors)."""
    a = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if a.status != Assessment.Status.DRAFT:
        raise ApplicationError("评估已提交，不能再修改", code="not_draft")
    answers = a.answers
    errors: dict[str, list[str]] = {}
    if items is not None:
        clean, item_errors = _check_items_partial(items)
        errors.update(item_errors)
        answers["items"] = clean
    if part_a is not None:
        part, part_errors = clean_part_a(part_a)
        errors.update(part_errors)
        answers.update(part)
    if errors:
        raise FieldErrors(errors)
    _apply_result(a, answers)
    a.set_answers(answers)
    a.version += 1
    a.save()
    return a


@transaction.atomic
def assessment_create(
    *, actor: Any, elder: Any, reason: str = Assessment.Reason.FIRST, assessed_on: dt.date | None = None,
    co_assessor: Any = None, items: dict[str, Any] | None = None, part_a: dict[str, Any] | None = None,
    submit: bool = False,
) -> Assessment:
    """Open a draft with its answers (and submit it when asked) in one transaction: answers
    that fail validation leave no draft and no ``assessment.started`` event behind."""
    a = assessment_start(actor=actor, elder=elder, reason=reason, assessed_on=assessed_on, co_assessor=co_assessor)
    a = assessment_record(actor=actor, assessment=a, items=items, part_a=part_a)
    if submit:
        a = assessment_submit(actor=actor, assessment=a)
    return a


@transaction.atomic
def assessment_edit(
    *, actor: Any, assessment: Assessment, co_assessor: Any = None, items: dict[str, Any] | None = None,
    part_a: dict[str, Any] | None = None,
) -> Assessment:
    """Change a draft's second assessor and answers together: all or nothing."""
    if co_assessor is not None:
        assessment_set_co_assessor(actor=actor, assessment=assessment, co_assessor=co_assessor)
    return assessment_record(actor=actor, assessment=assessment, items=items, part_a=part_a)


@transaction.atomic
def assessment_submit(*, actor: Any, assessment: Assessment) -> Assessment:
    a = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if a.status != Assessment.Status.DRAFT:
        raise ApplicationError("该评估不是草稿，不能提交", code="not_draft")
    answers = a.answers
    try:
        validate_items(answers.get("items", {}))
    except ScoringError as exc:
        raise FieldErrors({exc.item or "items": [str(exc)]}, message="评估条目尚未填写完整") from None
    if a.assessor_links.count() < assessors_required():
        raise FieldErrors({"co_assessor": [f"需要 {assessors_required()} 名评估员共同评估，请选择第二评估员"]},
                          message="评估员人数不足")
    _apply_result(a, answers)
    a.set_answers(answers)
    a.status = Assessment.Status.SUBMITTED
    a.submitted_by, a.submitted_at = actor, timezone.now()
    a.version += 1
    a.save()
    a.assessor_links.filter(user=actor).update(signed_at=a.submitted_at)
    event_record(type=events.SUBMITTED, actor=actor, elder_id=a.elder_id, subject=a, region_code=a.region_code,
                 payload={"number": a.number, "total": a.total, "level": a.level})
    return a


@transaction.atomic
def assessment_confirm(*, actor: Any, assessment: Assessment) -> Assessment:
    """The second assessor (or a lead/administrator of the jurisdiction) confirms; the result
    becomes the elder's current level and the reassessment date is set."""
    a = Assessment.objects.select_for_update().select_related("elder").get(pk=assessment.pk)
    if a.status != Assessment.Status.SUBMITTED:
        raise ApplicationError("只有已提交的评估可以确认", code="not_submitted")
    is_co_assessor = a.assessor_links.filter(user=actor).exclude(user=a.submitted_by).exists()
    if not (is_co_assessor or access.has_capability(actor, assessment_access.ASSESSMENT_CONFIRM)):
        raise ForbiddenError("须由另一名评估员或工作点负责人、管理员确认")
    if a.submitted_by_id == actor.pk and not access.has_capability(actor, assessment_access.ASSESSMENT_CONFIRM):
        raise ForbiddenError("提交人不能自己确认")
    previous = (Assessment.objects.filter(elder=a.elder, status=Assessment.Status.CONFIRMED,
                                          scheme=Assessment.Scheme.GBT_42195_2022)
                .order_by("-assessed_on", "-confirmed_at").first())
    a.status = Assessment.Status.CONFIRMED
    a.confirmed_by, a.confirmed_at = actor, timezone.now()
    a.valid_until = add_months(a.assessed_on, validity_months())
    a.previous = previous
    a.version += 1
    a.save()
    a.assessor_links.filter(user=actor, signed_at__isnull=True).update(signed_at=a.confirmed_at)
    # A confirmed immediate or regular assessment closes any other open immediate request.
    Assessment.objects.filter(elder=a.elder, reason=Assessment.Reason.IMMEDIATE,
                              status=Assessment.Status.DRAFT).exclude(pk=a.pk).update(
        status=Assessment.Status.CANCELLED)
    event_record(type=events.CONFIRMED, actor=actor, elder_id=a.elder_id, subject=a, region_code=a.region_code,
                 payload={"number": a.number, "total": a.total, "level": a.level, "level_name": a.level_name,
                          "previous_level": previous.level if previous else None,
                          "valid_until": a.valid_until.isoformat()})
    return a


@transaction.atomic
def assessment_cancel(*, actor: Any, assessment: Assessment, note: str = "") -> Assessment:
    a = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if a.status == Assessment.Status.CONFIRMED and not access.has_capability(actor, assessment_access.ASSESSMENT_CONFIRM):
        raise ForbiddenError("已确认的评估只能由工作点负责人或管理员作废")
    if a.status == Assessment.Status.CANCELLED:
        raise ApplicationError("该评估已作废", code="cancelled")
    note = _note_clean(note)
    was = a.status
    a.status = Assessment.Status.CANCELLED
    a.version += 1
    a.save(update_fields=["status", "version", "updated_at"])
    event_record(type=events.CANCELLED, actor=actor, elder_id=a.elder_id, subject=a, region_code=a.region_code,
                 payload={"number": a.number, "note": note, "was": was})
    return a


@transaction.atomic
def assessment_request_immediate(*, actor: Any, elder: Any, note: str) -> Assessment:
    """即时评估: after a fall, a hospital stay, a sudden change — the elder is due now."""
    note = _note_clean(note)
    a = assessment_start(actor=actor, elder=elder, reason=Assessment.Reason.IMMEDIATE)
    answers = a.answers
    answers["trigger"] = note
    a.set_answers(answers)
    a.save(update_fields=["answers_enc"])
    return a


@transaction.atomic
def assessment_import_legacy(
    *, actor: Any, elder: Any, assessed_on: dt.date, level_name: str, adl_score: int | None = None,
    mental: int | None = None, perception: int | None = None, social: int | None = None, origin: str = "",
) -> Assessment:
    """A read-only MZ/T 039—2013 result from the old system (four dimensions graded 0–3,
    ADL/Barthel 0–100)."""
    errors: dict[str, list[str]] = {}
    if level_name not in LEGACY_LEVELS:
        errors["level_name"] = [f"应为：{'、'.join(LEGACY_LEVELS)}"]
    if adl_score is not None and not 0 <= adl_score <= 100:
        errors["adl_score"] = ["日常生活活动（Barthel）得分应在 0–100 之间"]
    for key, value in (("mental", mental), ("perception", perception), ("social", social)):
        if value is not None and not 0 <= value <= 3:
            errors[key] = ["分级应在 0–3 之间"]
    if errors:
        raise FieldErrors(errors)
    a = Assessment(
        elder=elder, region_code=elder.region_id, scheme=Assessment.Scheme.MZT_039_2013, number=_number(assessed_on),
        reason=Assessment.Reason.OTHER, assessed_on=assessed_on, status=Assessment.Status.CONFIRMED,
        legacy_level_name=level_name, created_by=actor if getattr(actor, "pk", None) else None, source="legacy",
        confirmed_at=timezone.now(), origin_region=origin[:60],
    )
    a.set_answers({"mzt039": {"adl_score": adl_score, "mental": mental, "perception": perception, "social": social}})
    a.save()
    event_record(type=events.IMPORTED, actor=actor, elder_id=elder.pk, subject=a, region_code=a.region_code,
                 payload={"scheme": a.scheme, "level_name": level_name, "assessed_on": assessed_on.isoformat()})
    return a


def assessment_log_access(*, actor: Any, assessment: Assessment, action: str, purpose: str,
                          remote_addr: str = "") -> None:
    """Assessment answers are health data: every view of them, export or print is logged."""
    AccessLog.objects.create(
        at=timezone.now(), actor=actor, action=action, elder_id=assessment.elder_id,
        region_code=assessment.region_code, fields=["能力评估"], purpose=purpose[:200], remote_addr=remote_addr[:64],
    )
    if action == AccessLog.Action.PRINT:
        event_record(type=events.PRINTED, actor=actor, elder_id=assessment.elder_id, subject=assessment,
                     region_code=assessment.region_code, payload={"number": assessment.number})
