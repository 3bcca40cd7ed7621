"""Assessment pages: start, the 26-item form, submit, co-sign/confirm, print, due list."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiyang.accounts.models import User
from yiyang.accounts.services import user_authenticate
from yiyang.assessments import access as assessment_access
from yiyang.assessments import selectors, services
from yiyang.assessments.exchange import assessment_export as exchange_export
from yiyang.assessments.forms import AssessmentForm, CoSignForm, ExportForm, StartForm
from yiyang.assessments.models import Assessment
from yiyang.assessments.scoring import DIMENSIONS, ITEMS, LEVEL_NAMES, LEVEL_PLAIN, RULE_TEXT
from yiyang.core import access
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.htmx import client_ip
from yiyang.core.models import AccessLog
from yiyang.core.web import forbidden, form_add_errors
from yiyang.elders import access as elder_access
from yiyang.elders.registry import elder_benefits_plain


def _get(request: HttpRequest, assessment_id: uuid.UUID, capability: str = assessment_access.ASSESSMENT_VIEW) -> Assessment:
    return assessment_access.access_assessment(request.user, assessment_id, capability)


@login_required
def assessment_start(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id, assessment_access.ASSESSMENT_CREATE)
    draft = selectors.open_draft(elder)
    if draft is not None:
        # One elder, one draft at a time: open it rather than silently starting a second one.
        messages.info(request, gettext("该老人有一份未完成的评估草稿（%(number)s，%(date)s），已为您打开，继续填写即可。")
                      % {"number": draft.number, "date": f"{draft.assessed_on:%Y-%m-%d}"})
        return redirect("assessments:edit", assessment_id=draft.pk)
    form = StartForm(request.POST or None, user=request.user, elder=elder,
                     initial={"assessed_on": timezone.localdate(),
                              "reason": "regular" if selectors.current_assessment(elder) else "first"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        co = User.objects.filter(pk=d["co_assessor"]).first() if d["co_assessor"] else None
        try:
            a = services.assessment_start(actor=request.user, elder=elder, reason=d["reason"],
                                          assessed_on=d["assessed_on"], co_assessor=co)
        except FieldErrors as exc:
            form_add_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("assessments:edit", assessment_id=a.pk)
    return render(request, "assessments/start.html", {"form": form, "elder": elder},
                  status=400 if form.errors else 200)


@login_required
def assessment_edit(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    a = _get(request, assessment_id, assessment_access.ASSESSMENT_CREATE) if request.method == "POST" else _get(request, assessment_id)
    if a.status != Assessment.Status.DRAFT:
        return redirect("assessments:detail", assessment_id=a.pk)
    if not access.has_capability(request.user, assessment_access.ASSESSMENT_CREATE):
        return forbidden(request, ForbiddenError())
    if request.method == "GET":
        services.assessment_log_access(actor=request.user, assessment=a, action=AccessLog.Action.REVEAL,
                                       purpose="填写能力评估", remote_addr=client_ip(request))
    form = AssessmentForm(request.POST or None, initial=AssessmentForm.initial_from(a.answers))
    missing_summary: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            a = services.assessment_record(actor=request.user, assessment=a, items=form.items(),
                                           part_a=form.part_a())
            given = {code for code, value in form.items().items() if value is not None}
            missing_summary = [(i.code, i.name) for i in ITEMS if i.code not in given]
            if "submit" in request.POST and missing_summary:
                # Every missing item at the top, each a link to it; the draft is kept.
                for code, _name in missing_summary:
                    form.add_error(code, "此项尚未评定")
            elif "submit" in request.POST:
                a = services.assessment_submit(actor=request.user, assessment=a)
                messages.success(request, gettext("评估已提交：总分 %(total)s，%(level)s。请第二评估员确认。")
                                 % {"total": a.total, "level": a.level_name})
                return redirect("assessments:detail", assessment_id=a.pk)
            else:
                messages.success(request, gettext("已保存草稿"))
                return redirect("assessments:edit", assessment_id=a.pk)
        except FieldErrors as exc:
            form_add_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    # The counts follow what the form shows (the worker's answers as sent, or as saved).
    shown = {i.code for i in ITEMS if form[i.code].value() not in (None, "")}
    missing = [f"{i.code} {i.name}" for i in ITEMS if i.code not in shown]
    section_counts = [(d, sum(1 for i in ITEMS if i.dimension == d.code and i.code in shown),
                       sum(1 for i in ITEMS if i.dimension == d.code)) for d in DIMENSIONS]
    return render(request, "assessments/form.html", {
        "a": a, "form": form, "missing": missing, "assessors": a.assessor_links.all(),
        "missing_summary": missing_summary if form.errors else [], "answered_count": len(shown),
        "item_count": len(ITEMS), "section_counts": section_counts,
    }, status=400 if form.errors else 200)


@login_required
def assessment_detail(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    a = _get(request, assessment_id)
    answers = a.answers
    services.assessment_log_access(actor=request.user, assessment=a, action=AccessLog.Action.REVEAL,
                                   purpose="查看评估记录", remote_addr=client_ip(request))
    items = answers.get("items", {})
    groups = [(d, [(i, items.get(i.code), i.options.get(items.get(i.code), "")) for i in ITEMS
                   if i.dimension == d.code]) for d in DIMENSIONS]
    links = list(a.assessor_links.select_related("user"))
    user = request.user
    can_confirm = a.status == Assessment.Status.SUBMITTED and (
        any(x.user_id == user.pk and x.user_id != a.submitted_by_id for x in links)
        or access.has_capability(user, assessment_access.ASSESSMENT_CONFIRM))
    co_signer = next((x.user for x in links if x.user_id and x.user_id != a.submitted_by_id), None)
    return render(request, "assessments/detail.html", {
        "a": a, "answers": answers, "groups": groups, "assessors": links,
        "dim_rows": [(d, a.dimensions[d.code]) for d in DIMENSIONS],
        "rules": [RULE_TEXT.get(r, r) for r in answers.get("rules_applied", [])],
        "can_confirm": can_confirm, "co_signer": co_signer,
        "cosign_form": CoSignForm() if a.status == Assessment.Status.SUBMITTED and co_signer else None,
        "level_names": LEVEL_NAMES,
        "export_form": ExportForm() if a.status == Assessment.Status.CONFIRMED else None,
    })


@login_required
@require_POST
def assessment_export(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    """The exchange document as a file (互认). It holds the full ID number, so — like every
    reveal — a reason is asked and written to the access log."""
    a = _get(request, assessment_id)
    form = ExportForm(request.POST)
    try:
        if not form.is_valid():
            raise FieldErrors({k: [str(m) for m in v] for k, v in form.errors.items()})
        doc = exchange_export(actor=request.user, assessment=a, purpose=form.cleaned_data["purpose"],
                              remote_addr=client_ip(request))
    except FieldErrors as exc:
        messages.error(request, "；".join(m for ms in exc.errors.values() for m in ms))
        return redirect(reverse("assessments:detail", args=[a.pk]) + "#export")
    response = JsonResponse(doc, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="assessment-{a.number}.json"'
    return response


@login_required
@require_POST
def assessment_confirm(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    """Confirm as the logged-in user, or — both assessors at the elder's home with one
    phone — the second assessor co-signs here with their own password."""
    a = _get(request, assessment_id)
    actor = request.user
    if request.POST.get("password"):
        co = next((x.user for x in a.assessor_links.select_related("user")
                   if x.user_id and x.user_id != a.submitted_by_id), None)
        if co is None:
            messages.error(request, gettext("没有可签字的第二评估员"))
            return redirect("assessments:detail", assessment_id=a.pk)
        try:
            actor = user_authenticate(request=request, username=co.username, password=request.POST["password"])
        except ApplicationError as exc:
            messages.error(request, gettext("第二评估员签字失败：%(reason)s") % {"reason": exc.message})
            return redirect("assessments:detail", assessment_id=a.pk)
    try:
        a = services.assessment_confirm(actor=actor, assessment=a)
    except ForbiddenError as exc:
        messages.error(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("评估已确认：%(level)s（有效期至 %(until)s）")
                         % {"level": a.level_name, "until": f"{a.valid_until:%Y-%m-%d}"})
        if access.in_jurisdiction(request.user, a.region_code):
            return redirect("elders:detail", elder_id=a.elder_id)
        # A co-assessor from a neighbouring community reaches the assessment, not the elder's page.
    return redirect("assessments:detail", assessment_id=a.pk)


@login_required
@require_POST
def assessment_cancel(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    a = _get(request, assessment_id, assessment_access.ASSESSMENT_CREATE)
    try:
        services.assessment_cancel(actor=request.user, assessment=a, note=request.POST.get("note", ""))
        messages.success(request, gettext("评估已作废"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("elders:detail", elder_id=a.elder_id)


@login_required
def assessment_print(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    a = _get(request, assessment_id)
    if a.status != Assessment.Status.CONFIRMED:
        messages.error(request, gettext("只有已确认的评估可以打印报告"))
        return redirect("assessments:detail", assessment_id=a.pk)
    services.assessment_log_access(actor=request.user, assessment=a, action=AccessLog.Action.PRINT,
                                   purpose="打印评估报告", remote_addr=client_ip(request))
    answers = a.answers
    items = answers.get("items", {})
    groups = [(d, [(i, items.get(i.code), i.options.get(items.get(i.code), "")) for i in ITEMS
                   if i.dimension == d.code]) for d in DIMENSIONS]
    return render(request, "assessments/print.html", {
        "a": a, "elder": a.elder, "groups": groups, "answers": answers,
        "level_plain": LEVEL_PLAIN.get(a.level, "") if a.level is not None else "",
        "benefits": elder_benefits_plain(a.elder),
        "dim_rows": [(d, a.dimensions[d.code]) for d in DIMENSIONS],
        "rules": [RULE_TEXT.get(r, r) for r in answers.get("rules_applied", [])],
        "assessors": a.assessor_links.all(), "printed_at": timezone.now(), "printed_by": request.user,
    })


@login_required
def assessments_due(request: HttpRequest) -> HttpResponse:
    if not access.has_capability(request.user, assessment_access.ASSESSMENT_VIEW):
        return forbidden(request, ForbiddenError())
    try:
        within = max(0, min(365, int(request.GET.get("within", "30"))))
    except ValueError:
        within = 30
    due = selectors.elders_due_for_assessment(request.user, within_days=within)
    region = request.GET.get("region", "")
    if region.isdigit() and len(region) == 12:  # from a supervisor's figure: one community or street
        from yiyang.core.access import prefix_q
        from yiyang.regions.codes import prefix_of

        due = due.filter(prefix_q(prefix_of(region), "region"))
    page = Paginator(due, 30).get_page(request.GET.get("page"))
    return render(request, "assessments/due.html", {"page": page, "within": within, "today": timezone.localdate(),
                                                    "level_names": LEVEL_NAMES})


@login_required
@require_POST
def assessment_request_immediate(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    try:
        elder = elder_access.access_elder(request.user, elder_id, assessment_access.ASSESSMENT_CREATE)
        a = services.assessment_request_immediate(actor=request.user, elder=elder,
                                                  note=request.POST.get("note", ""))
    except NotFoundError:
        raise Http404 from None
    except ForbiddenError as exc:
        return forbidden(request, exc)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("elders:detail", elder_id=elder_id)
    messages.success(request, gettext("已登记即时评估需求，该老人已列入待评估名单"))
    return redirect("assessments:edit", assessment_id=a.pk)
