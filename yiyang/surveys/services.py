"""Writes of the needs survey. Each runs in a transaction and writes an event.

* ``survey_submit`` — record one elder's answers (the field worker's form and the API).
* ``questionnaire_copy`` / ``questionnaire_publish`` — the versioning an administrator
  drives from the Django admin: copy a version to a new draft, publish a draft (which
  retires the version in use).
* ``survey_response_log_access`` — answers are sensitive: every view is logged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from yiyang.core import access
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors, NotFoundError
from yiyang.core.models import AccessLog
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.surveys import events, selectors
from yiyang.surveys.models import Option, Question, Questionnaire, SurveyResponse
from yiyang.surveys.validation import check_structure, clean_answers

EARLIEST_SURVEY_DAY = dt.date(2000, 1, 1)


@transaction.atomic
def survey_submit(
    *,
    actor: Any,
    elder: Elder,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    surveyed_on: dt.date,
    source: str = "form",
) -> SurveyResponse:
    """Record a needs survey of ``elder`` answered on ``questionnaire``.

    ``answers`` maps question codes to values (see ``validation.clean_answers``). Raises
    ``FieldErrors`` with plain-Chinese messages keyed by question code (and
    ``surveyed_on``) when anything is wrong; nothing is written then. The need tags are
    derived from the chosen options; the event ``survey.submitted`` goes on the elder's
    timeline with the tag names, and what changed since the previous survey.
    """
    if actor is not None and getattr(actor, "pk", None):
        if not access.in_jurisdiction(actor, elder.region_id):
            raise NotFoundError()
        access.require_capability(actor, elder_access.ELDER_UPDATE)
    if not elder.active:
        raise ApplicationError("该老年人已注销，不能再做需求调查", code="inactive")
    if questionnaire.status == Questionnaire.Status.DRAFT:
        raise ApplicationError("这个版本的问卷还是草稿，发布后才能使用", code="questionnaire_draft")
    # Validate against the version's own structure (prefetched), whatever the caller passed.
    structure = selectors.questionnaire_detail(pk=questionnaire.pk)
    clean = clean_answers(structure, answers)
    errors = dict(clean.errors)
    today = timezone.localdate()
    if not isinstance(surveyed_on, dt.date):
        errors["surveyed_on"] = ["请填写调查日期"]
    elif surveyed_on > today:
        errors["surveyed_on"] = ["调查日期不能晚于今天"]
    elif surveyed_on < EARLIEST_SURVEY_DAY:
        errors["surveyed_on"] = ["调查日期有误，请检查年份"]
    if errors:
        raise FieldErrors(errors, message="需求调查没有填完整或有误，请按提示修改")

    previous = selectors.elder_latest_survey(elder)
    response = SurveyResponse.objects.create(
        elder=elder, region_code=elder.region_id, questionnaire=structure,
        answers_enc=SurveyResponse.encrypt_answers(clean.answers), need_tags=clean.need_tags,
        surveyed_on=surveyed_on, surveyed_by=actor if getattr(actor, "pk", None) else None, source=source[:20],
    )
    event_record(type=events.SUBMITTED, actor=actor, elder_id=elder.pk, subject=response,
                 region_code=elder.region_id,
                 payload=submitted_payload(response, previous_tags=previous.need_tags if previous else None,
                                           names=selectors.need_tag_names()))
    return response


def submitted_payload(response: SurveyResponse, *, previous_tags: list[str] | None,
                      names: dict[str, str]) -> dict[str, Any]:
    """The ``survey.submitted`` event payload (also written by the demo in bulk)."""
    tags = list(response.need_tags)
    payload: dict[str, Any] = {
        "questionnaire_version": response.questionnaire.version,
        "surveyed_on": response.surveyed_on.isoformat(),
        "need_tags": [names.get(c, c) for c in tags],
        "need_tag_codes": tags,
    }
    if previous_tags is not None:
        payload["added"] = [names.get(c, c) for c in tags if c not in previous_tags]
        payload["removed"] = [names.get(c, c) for c in previous_tags if c not in tags]
    return payload


def survey_response_log_access(*, actor: Any, response: SurveyResponse, purpose: str,
                               action: str = AccessLog.Action.REVEAL, remote_addr: str = "") -> None:
    """A view of a response's answers is a view of sensitive data (DESIGN §5): log it."""
    AccessLog.objects.create(
        at=timezone.now(), actor=actor, action=action, elder_id=response.elder_id,
        region_code=response.region_code, fields=["需求调查回答"], purpose=purpose[:200],
        remote_addr=remote_addr[:64],
    )


def _next_version() -> int:
    return (Questionnaire.objects.aggregate(m=Max("version"))["m"] or 0) + 1


@transaction.atomic
def questionnaire_copy(*, actor: Any, questionnaire: Questionnaire) -> Questionnaire:
    """A new draft version with the same questions, options and need tags, for an
    administrator to edit. The source is untouched (whatever its status)."""
    source = selectors.questionnaire_detail(pk=questionnaire.pk)
    copy = Questionnaire.objects.create(
        name=source.name, version=_next_version(), status=Questionnaire.Status.DRAFT,
        description=source.description, based_on=source,
    )
    for q in source.questions.all():
        new_q = Question.objects.create(
            questionnaire=copy, code=q.code, section=q.section, text=q.text, help_text=q.help_text,
            kind=q.kind, required=q.required, order=q.order,
        )
        for o in q.options.all():
            new_o = Option.objects.create(question=new_q, code=o.code, text=o.text, order=o.order,
                                          exclusive=o.exclusive)
            new_o.need_tags.set(list(o.need_tags.all()))
    event_record(type=events.QUESTIONNAIRE_COPIED, actor=actor, subject=copy,
                 payload={"from_version": source.version, "version": copy.version})
    return copy


@transaction.atomic
def questionnaire_publish(*, actor: Any, questionnaire: Questionnaire) -> Questionnaire:
    """Publish a draft: it becomes the version new surveys use, and the version in use until
    now is retired. Answers already given keep pointing at the version they answered."""
    q = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if q.status != Questionnaire.Status.DRAFT:
        raise ApplicationError(f"第{q.version}版不是草稿（{q.get_status_display()}），不能再发布；"
                               "请先“复制为新版本”", code="not_draft")
    problems = check_structure(selectors.questionnaire_detail(pk=q.pk))
    if problems:
        raise FieldErrors(problems, message=f"第{q.version}版还不能发布：" + "；".join(
            m for ms in problems.values() for m in ms))
    now = timezone.now()
    retired = list(Questionnaire.objects.select_for_update().filter(status=Questionnaire.Status.PUBLISHED))
    for old in retired:
        old.status = Questionnaire.Status.RETIRED
        old.retired_at = now
        old.save(update_fields=["status", "retired_at"])
    q.status = Questionnaire.Status.PUBLISHED
    q.published_at = now
    q.save(update_fields=["status", "published_at"])
    event_record(type=events.QUESTIONNAIRE_PUBLISHED, actor=actor, subject=q,
                 payload={"version": q.version, "retired_versions": [o.version for o in retired]})
    return q


@transaction.atomic
def question_add_yes_no_options(*, question: Question) -> None:
    """Give a yes/no question its two options (是 / 否) if it has none yet, so an
    administrator adding one in the admin does not have to type them."""
    if question.kind != Question.Kind.YES_NO or question.options.exists():
        return
    if not question.questionnaire.editable:
        return
    Option.objects.bulk_create([
        Option(question=question, code="yes", text="是", order=10),
        Option(question=question, code="no", text="否", order=20),
    ])
