"""Reads of the needs survey.

Public for other domains:

* ``elder_current_needs(elder)`` — the elder's needs as ``[(tag code, tag name), …]`` from
  their latest survey; this is what the service list (养老服务清单) and matching consume.
* ``elders_current_needs(elder_ids)`` — the same for many elders at once (batch service
  lists, indicators): one query per 500 elders, not one per elder.
* ``elder_latest_survey(elder)`` — the latest response itself (date, who, version).

Reading one response's answers is a read of sensitive data: it goes through
``survey_response_for`` (jurisdiction via ``elder_access.access_elder``) and the caller logs it
with ``services.survey_response_log_access``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from yiyang.core.exceptions import ApplicationError, NotFoundError
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.surveys.models import NeedTag, Option, Question, Questionnaire, SurveyResponse

BATCH = 500


class NoQuestionnaire(ApplicationError):
    status = 404
    code = "no_questionnaire"

    def __init__(self, message: str = "尚未发布需求调查问卷，请联系管理员在后台发布", **kw: Any):
        super().__init__(message, **kw)


def _with_structure(qs: QuerySet[Questionnaire]) -> QuerySet[Questionnaire]:
    return qs.prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("order", "id").prefetch_related(
            Prefetch("options", queryset=Option.objects.order_by("order", "id").prefetch_related(
                Prefetch("need_tags", queryset=NeedTag.objects.order_by("sort_order", "code")))))))


def questionnaire_published() -> Questionnaire:
    """The version in use, with its questions, options and tags prefetched; raises
    ``NoQuestionnaire`` (404) when an administrator has published none."""
    q = _with_structure(Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED)).first()
    if q is None:
        raise NoQuestionnaire()
    return q


def questionnaire_detail(*, version: int | None = None, pk: int | None = None) -> Questionnaire:
    """One version by number or id (any status), structure prefetched; 404 if absent."""
    qs = Questionnaire.objects.all()
    if version is not None:
        qs = qs.filter(version=version)
    if pk is not None:
        qs = qs.filter(pk=pk)
    q = _with_structure(qs).first()
    if q is None:
        raise NotFoundError("没有这个版本的问卷")
    return q


def questionnaire_for_answering(pk: Any = None) -> Questionnaire:
    """The version a form or client answers: the one it names if it may still be answered
    (published, or retired since the form was opened), else the published one."""
    if pk:
        try:
            q = _with_structure(Questionnaire.objects.filter(
                pk=int(pk), status__in=[Questionnaire.Status.PUBLISHED, Questionnaire.Status.RETIRED])).first()
        except (TypeError, ValueError):
            q = None
        if q is not None:
            return q
    return questionnaire_published()


def sections_of(questionnaire: Questionnaire) -> list[tuple[str, list[Question]]]:
    """Questions grouped by section, in question order (a section appears where its first
    question is)."""
    groups: dict[str, list[Question]] = {}
    for q in questionnaire.questions.all():
        groups.setdefault(q.section, []).append(q)
    return list(groups.items())


def need_tag_names() -> dict[str, str]:
    return dict(NeedTag.objects.values_list("code", "name"))


def tag_pairs(codes: Iterable[str], names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    names = need_tag_names() if names is None else names
    return [(c, names.get(c, c)) for c in codes]


def survey_history(elder: Elder) -> QuerySet[SurveyResponse]:
    """The elder's responses, newest first."""
    return (SurveyResponse.objects.filter(elder=elder)
            .select_related("questionnaire", "surveyed_by")
            .order_by("-surveyed_on", "-created_at"))


def elder_latest_survey(elder: Elder) -> SurveyResponse | None:
    return survey_history(elder).first()


def elder_current_needs(elder: Elder) -> list[tuple[str, str]]:
    """The elder's current needs: ``[(tag code, tag name), …]`` from the latest survey (by
    survey date, then entry time), in the tags' display order; ``[]`` if never surveyed.

    A later survey replaces the earlier one entirely: a need no longer reported is no
    longer a need. Codes are stable (``NeedTag.code``: ``meals``, ``bathing`` …); names
    are the current Chinese names (助餐, 助浴 …).
    """
    latest = SurveyResponse.objects.filter(elder=elder).order_by("-surveyed_on", "-created_at").values_list(
        "need_tags", flat=True).first()
    return tag_pairs(latest or [])


def elders_current_needs(elder_ids: Iterable[Any]) -> dict[Any, list[tuple[str, str]]]:
    """``elder_current_needs`` for many elders: {elder id: [(code, name), …]}. Elders never
    surveyed are absent from the result."""
    ids = list(elder_ids)
    names = need_tag_names()
    result: dict[Any, list[tuple[str, str]]] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        latest = SurveyResponse.objects.filter(elder=OuterRef("elder")).order_by(
            "-surveyed_on", "-created_at").values("pk")[:1]
        rows = SurveyResponse.objects.filter(elder_id__in=chunk, pk=Subquery(latest)).values_list(
            "elder_id", "need_tags")
        for elder_id, tags in rows:
            result[elder_id] = tag_pairs(tags or [], names)
    return result


def survey_response_for(user: Any, response_id: Any) -> SurveyResponse:
    """One response, if its elder is visible to ``user`` (else 404, like absent)."""
    try:
        response = SurveyResponse.objects.select_related("questionnaire", "surveyed_by").get(pk=response_id)
    except (SurveyResponse.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    except Exception as exc:  # a malformed UUID raises ValidationError
        if exc.__class__.__name__ == "ValidationError":
            raise NotFoundError() from None
        raise
    response.elder = elder_access.access_elder(user, response.elder_id, elder_access.ELDER_VIEW)
    return response


@dataclass
class AnswerRow:
    question: Question
    display: str  # the answer as the worker chose it, in words; "" when unanswered
    need_tags: list[tuple[str, str]]


def answer_rows(response: SurveyResponse, questionnaire: Questionnaire | None = None
                ) -> list[tuple[str, list[AnswerRow]]]:
    """The answers of ``response`` in words, grouped by section of the version it
    answered. Decrypts the answers: log the access."""
    questionnaire = questionnaire or questionnaire_detail(pk=response.questionnaire_id)
    answers = response.answers
    groups: list[tuple[str, list[AnswerRow]]] = []
    for section, questions in sections_of(questionnaire):
        rows = []
        for q in questions:
            value = answers.get(q.code)
            options = {o.code: o for o in q.options.all()}
            chosen = value if isinstance(value, list) else ([value] if value and q.kind != Question.Kind.TEXT else [])
            if q.kind == Question.Kind.TEXT:
                display = value or ""
            else:
                display = "、".join(options[c].text if c in options else c for c in chosen)
            tags = [(t.code, t.name) for c in chosen if c in options for t in options[c].need_tags.all()]
            rows.append(AnswerRow(question=q, display=display, need_tags=list(dict.fromkeys(tags))))
        groups.append((section, rows))
    return groups
