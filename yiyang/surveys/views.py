"""Survey pages (server-rendered). Thin: access_* → selectors/services → template."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core import access
from yiyang.core.exceptions import ApplicationError, FieldErrors
from yiyang.core.htmx import client_ip
from yiyang.elders import access as elder_access
from yiyang.surveys import forms, selectors, services
from yiyang.surveys.validation import clean_answers


@login_required
def survey_form(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    """The field form: one question per card, grouped by section; on error the page comes
    back with every answer kept and the message under its question."""
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    context: dict[str, Any] = {"elder": elder}
    if not elder.active:
        context["unavailable"] = "该老年人已注销，不能再做需求调查。"
        return render(request, "surveys/form.html", context)
    try:
        questionnaire = selectors.questionnaire_for_answering(request.POST.get("questionnaire"))
    except selectors.NoQuestionnaire as exc:
        context["unavailable"] = exc.message
        return render(request, "surveys/form.html", context)

    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    surveyed_on = request.POST.get("surveyed_on", timezone.localdate().isoformat())
    if request.method == "POST":
        answers = forms.answers_from_post(questionnaire, request.POST)
        day = forms.parse_day(surveyed_on)
        if day is None:
            # Show every problem at once, not the date first and the answers after.
            errors = {"surveyed_on": ["请填写调查日期（年-月-日）"], **clean_answers(questionnaire, answers).errors}
        else:
            try:
                response = services.survey_submit(actor=request.user, elder=elder, questionnaire=questionnaire,
                                                  answers=answers, surveyed_on=day, source="form")
            except FieldErrors as exc:
                errors = exc.errors
            except ApplicationError as exc:
                errors = {"__all__": [exc.message]}
            else:
                names = dict(selectors.tag_pairs(response.need_tags))
                found = "、".join(names.values()) or _("暂无服务需求")
                messages.success(request, _("已保存 %(name)s 的需求调查：%(needs)s") % {"name": elder.name, "needs": found})
                return redirect("surveys:detail", response_id=response.pk)
    sections = forms.form_sections(questionnaire, answers, errors)
    summary = [(s.number, s.question, msg) for _section, states in sections for s in states for msg in s.errors]
    context.update({
        "questionnaire": questionnaire, "sections": sections, "errors": errors, "error_summary": summary,
        "surveyed_on": surveyed_on, "today": timezone.localdate().isoformat(),
        "date_errors": errors.get("surveyed_on", []), "general_errors": errors.get("__all__", []),
        "question_count": sum(len(states) for _s, states in sections),
    })
    return render(request, "surveys/form.html", context, status=400 if errors else 200)


@login_required
def survey_detail(request: HttpRequest, response_id: uuid.UUID) -> HttpResponse:
    """One response in words (grouped like the form), with the need tags it produced. The
    answers are sensitive: the view is logged."""
    response = selectors.survey_response_for(request.user, response_id)
    services.survey_response_log_access(actor=request.user, response=response, purpose="查看需求调查",
                                        remote_addr=client_ip(request))
    latest = selectors.elder_latest_survey(response.elder)
    return render(request, "surveys/detail.html", {
        "response": response, "elder": response.elder,
        "need_tags": selectors.tag_pairs(response.need_tags),
        "groups": selectors.answer_rows(response),
        "is_latest": latest is not None and latest.pk == response.pk,
        "can_survey": access.has_capability(request.user, elder_access.ELDER_UPDATE) and response.elder.active,
    })


@login_required
def surveys_missing(request: HttpRequest) -> HttpResponse:
    """The elders behind the coverage figure's gap: active, never surveyed."""
    from django.core.paginator import Paginator

    from yiyang.surveys.home import elders_without_survey

    elder_access.access_elders(request.user)  # 403 for a role that may not see elders
    region = request.GET.get("region", "")
    prefix = ""
    if region.isdigit() and len(region) == 12:
        from yiyang.regions.codes import prefix_of

        prefix = prefix_of(region)
    page = Paginator(elders_without_survey(request.user, prefix), 50).get_page(request.GET.get("page"))
    return render(request, "surveys/missing.html", {"page": page, "region": region})
