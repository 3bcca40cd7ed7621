"""The assessment exchange format (docs/assessment-format.md): one JSON object that another
region can read, so a result is recognised wherever the elder goes (003: 评估结果全国范围互认).

The scoring part — ``scheme``, ``items``, ``coma``, ``diagnosed_dementia_or_mental_disorder``,
``risk_events_30d`` — is also the input of ``yiyang assessment score`` and
``POST /api/v1/assessments/score``; the rest describes who, when, where and the result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.assessments import events
from yiyang.assessments.models import Assessment, AssessmentAssessor
from yiyang.assessments.scoring import SCHEME, ScoringError, score
from yiyang.assessments.services import _number, add_months, assessment_log_access, validity_months
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors
from yiyang.core.identifiers import IdentifierError, normalize_person_name
from yiyang.core.models import AccessLog
from yiyang.core.text import purpose_clean

FORMAT = "yiyang.assessment/1"


def assessment_to_exchange(a: Assessment) -> dict[str, Any]:
    answers = a.answers
    doc: dict[str, Any] = {
        "format": FORMAT,
        "scheme": a.scheme,
        "number": a.number,
        "assessed_on": a.assessed_on.isoformat(),
        "reason": a.reason,
        "status": a.status,
        "region_code": a.region_code,
        "subject": {"id_number": a.elder.id_number, "name": a.elder.name, "birth_date": a.elder.birth_date.isoformat(),
                    "sex": a.elder.sex},
        "assessors": [{"name": link.name, "certificate": link.certificate,
                       "signed_at": link.signed_at.isoformat() if link.signed_at else None}
                      for link in a.assessor_links.all()],
        "valid_until": a.valid_until.isoformat() if a.valid_until else None,
    }
    if a.scheme == Assessment.Scheme.MZT_039_2013:
        doc["mzt039"] = answers.get("mzt039", {})
        doc["result"] = {"level_name": a.legacy_level_name}
        return doc
    doc.update({
        "items": answers.get("items", {}),
        "coma": bool(answers.get("coma")),
        "diagnosed_dementia_or_mental_disorder": bool(answers.get("diagnosed_dementia_or_mental_disorder")),
        "risk_events_30d": sum((answers.get("risk_events") or {}).values()),
        "part_a": {k: answers.get(k) for k in ("information_provider", "provider_relation", "diagnoses",
                                               "medications", "risk_events", "health_problems") if k in answers},
    })
    if a.total is not None:
        doc["result"] = {"dimensions": a.dimensions, "total": a.total, "preliminary_level": a.preliminary_level,
                         "level": a.level, "level_name": a.level_name,
                         "rules_applied": answers.get("rules_applied", [])}
    return doc


@transaction.atomic
def assessment_export(*, actor: Any, assessment: Assessment, purpose: str, remote_addr: str = "") -> dict[str, Any]:
    """The exchange document of ``assessment``. It carries the full ID number (the receiving
    bureau must match the person), so like every reveal it needs a reason, and the access log
    keeps who exported whose result, when and why."""
    purpose = purpose_clean(purpose, action="导出", example="老人迁往外地，转交评估结果")
    doc = assessment_to_exchange(assessment)
    assessment_log_access(actor=actor, assessment=assessment, action=AccessLog.Action.EXPORT,
                          purpose=purpose, remote_addr=remote_addr)
    return doc


@transaction.atomic
def assessment_import_exchange(*, actor: Any, elder: Any, doc: dict[str, Any], origin: str = "") -> Assessment:
    """Recognise a GB/T 42195—2022 result made elsewhere. The result is re-scored here from
    the items: a document whose stated result disagrees with its own items is refused."""
    if doc.get("format") not in (FORMAT, None):
        raise ApplicationError(f"不支持的格式：{doc.get('format')}", code="bad_format")
    subject = doc.get("subject") or {}
    if subject.get("id_number") and subject["id_number"].upper() != elder.id_number:
        raise ApplicationError("评估结果中的身份证号与该老年人不一致", code="subject_mismatch")
    try:
        result = score(doc)
        assessed_on = dt.date.fromisoformat(str(doc.get("assessed_on")))
    except ScoringError as exc:
        raise FieldErrors({exc.item or "items": [str(exc)]}, message="评估结果无效") from None
    except ValueError:
        raise FieldErrors({"assessed_on": ["应为 YYYY-MM-DD 日期"]}) from None
    stated = doc.get("result") or {}
    if stated and (stated.get("total") != result.total or stated.get("level") != result.level):
        raise ApplicationError(
            f"评估结果与条目得分不符（文件：总分 {stated.get('total')}、等级 {stated.get('level')}；"
            f"按条目计算：总分 {result.total}、等级 {result.level}）", code="result_mismatch")
    assessors = doc.get("assessors") or []
    if len(assessors) < 1:
        raise FieldErrors({"assessors": ["缺少评估员信息"]})
    assessor_names = []
    for n, x in enumerate(assessors, start=1):
        name = str(x.get("name") or "").strip()
        if not name:
            raise FieldErrors({"assessors": [f"第{n}位评估员缺少姓名"]})
        try:  # a person's name is stored as everywhere (王𬌗, 阿依古丽·买买提)...
            name = normalize_person_name(name)
        except IdentifierError:
            pass  # ...but another system's account name (zhang_min01) is its business, not a reason to refuse
        assessor_names.append(name[:50])
    d = result.dimensions
    a = Assessment(
        elder=elder, region_code=elder.region_id, scheme=SCHEME, number=_number(assessed_on),
        reason=str(doc["reason"]) if doc.get("reason") in Assessment.Reason.values else Assessment.Reason.OTHER,
        assessed_on=assessed_on, status=Assessment.Status.CONFIRMED, dim_self_care=d["B.1"],
        dim_mobility=d["B.2"], dim_mental=d["B.3"], dim_perception=d["B.4"], total=result.total,
        preliminary_level=result.preliminary_level, level=result.level, created_by=actor, confirmed_by=actor,
        confirmed_at=timezone.now(), source="exchange",
        valid_until=add_months(assessed_on, validity_months()), origin_region=(origin or doc.get("region_code") or "")[:60],
    )
    part = doc.get("part_a") or {}
    a.set_answers({"items": dict(doc["items"]), "coma": bool(doc.get("coma")),
                   "diagnosed_dementia_or_mental_disorder": bool(doc.get("diagnosed_dementia_or_mental_disorder")),
                   "risk_events": part.get("risk_events") or {"other": int(doc.get("risk_events_30d") or 0)},
                   "rules_applied": result.rules_applied, "original_number": doc.get("number", ""),
                   **{k: part.get(k) for k in ("information_provider", "diagnoses", "medications", "health_problems")
                      if k in part}})
    a.save()
    AssessmentAssessor.objects.bulk_create([
        AssessmentAssessor(assessment=a, name=name, certificate=str(x.get("certificate") or "")[:50])
        for name, x in zip(assessor_names, assessors, strict=True)
    ])
    event_record(type=events.IMPORTED, actor=actor, elder_id=elder.pk, subject=a, region_code=a.region_code,
                 payload={"scheme": SCHEME, "level": a.level, "level_name": a.level_name, "origin": a.origin_region,
                          "original_number": doc.get("number", "")})
    return a
