"""Casework pages (htmx, server-rendered, phone-first). Thin: access_* → forms → services."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiyang.casework import access as cw_access
from yiyang.casework import selectors, services
from yiyang.casework.forms import (
    ConferenceForm,
    ConsultationForm,
    ErrandCompleteForm,
    ErrandForm,
    FollowUpForm,
    NoteForm,
    user_by_pk,
)
from yiyang.casework.models import ConferenceDecision, Consultation, Errand, FollowUp
from yiyang.core.access import has_capability, require_capability
from yiyang.core.exceptions import ApplicationError, FieldErrors
from yiyang.core.htmx import client_ip, is_htmx
from yiyang.core.web import form_add_errors
from yiyang.elders import access as elder_access
from yiyang.elders import selectors as elder_selectors
from yiyang.regions.models import Region


def _elder_from_query(request: HttpRequest, capability: str) -> Any:
    """The elder of ``?elder=``: jurisdiction first (outside → 404 for every role), then the
    capability (403); without an elder, only the capability."""
    elder_id = request.GET.get("elder") or request.POST.get("elder") or ""
    if elder_id:
        return elder_access.access_elder(request.user, elder_id, capability)
    require_capability(request.user, capability)
    return None


def _region_name(code: str) -> str:
    return Region.objects.filter(code=code).values_list("name", flat=True).first() or "" if code else ""


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, settings.YIYANG["PAGE_SIZE"]).get_page(request.GET.get("page"))


# --------------------------------------------------------------------------- consultations


@login_required
def consultation_list(request: HttpRequest) -> HttpResponse:
    require_capability(request.user, cw_access.CASEWORK_VIEW)
    channel = request.GET.get("channel", "")
    page = _page(request, selectors.consultations_for(request.user, channel=channel))
    return render(request, "casework/consultation_list.html", {
        "page": page, "channel": channel, "channels": Consultation.Channel.choices,
        "can_record": has_capability(request.user, cw_access.CONSULTATION_RECORD),
    })


@login_required
def consultation_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    elder = _elder_from_query(request, cw_access.CONSULTATION_RECORD)
    form = ConsultationForm(request.POST or None, user=user, initial={"elder": elder.pk if elder else None})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = {k: d[k] for k in ("channel", "visitor_type", "visitor_count", "family_count", "visited_at",
                                  "visitor_name", "visitor_age", "visitor_phone", "visitor_address", "service_item",
                                  "result", "reason", "advice", "aftercare")}
        data["elder"] = elder_access.access_elder(user, d["elder"]) if d["elder"] else None
        data["community"] = Region.objects.filter(code=d["community"]).first() if d["community"] else None
        followup = None
        if d["followup_title"]:
            followup = {"title": d["followup_title"], "due_date": d["followup_due"],
                        "assignee": user_by_pk(d["followup_assignee"])}
        try:
            c = services.consultation_record(actor=user, data=data, followup=followup)
        except FieldErrors as exc:
            form_add_errors(form, FieldErrors({("followup_" + k if k in ("title", "due_date", "assignee") else k): v
                                               for k, v in exc.errors.items()}))
        else:
            messages.success(request, gettext("咨询服务已记录") + (gettext("，跟踪事项已加入“我的跟踪”") if followup else ""))
            return redirect("casework:consultation_detail", consultation_id=c.pk)
    return render(request, "casework/consultation_form.html", {"form": form, "elder": elder},
                  status=400 if form.errors else 200)


@login_required
def elder_search(request: HttpRequest) -> HttpResponse:
    """The consultation form's elder picker (htmx): a few matches by name, phone or ID number."""
    require_capability(request.user, cw_access.CONSULTATION_RECORD)
    q = request.GET.get("q", "").strip()
    rows = []
    if len(q) >= 2:
        rows = list(elder_selectors.elder_list_for(request.user, elder_selectors.ElderFilters(q=q, active=True))[:8])
    return render(request, "casework/_elder_search.html", {"rows": rows, "q": q})


@login_required
def consultation_detail(request: HttpRequest, consultation_id: uuid.UUID) -> HttpResponse:
    c = cw_access.access_consultation(request.user, consultation_id)
    revealed = None
    if request.method == "POST":
        try:
            revealed = services.consultation_reveal(actor=request.user, consultation=c,
                                                    purpose=request.POST.get("purpose", ""),
                                                    remote_addr=client_ip(request))
        except FieldErrors as exc:
            messages.error(request, "；".join(m for ms in exc.errors.values() for m in ms))
    return render(request, "casework/consultation_detail.html", {
        "c": c, "followups": selectors.consultation_followups(c), "revealed": revealed,
        "can_reveal": has_capability(request.user, cw_access.VISITOR_REVEAL) and (
            c.visitor_name_enc or c.visitor_phone_enc or c.visitor_address_enc),
    })


# --------------------------------------------------------------------------- follow-ups


@login_required
def followup_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_capability(user, cw_access.CASEWORK_VIEW)
    scope, region = request.GET.get("scope", "mine"), request.GET.get("region", "")
    if scope == "all":
        qs = selectors.followups_for(user, region=region)
    elif scope == "overdue":
        qs = selectors.followups_for(user, overdue=True, region=region)
    elif scope == "done":
        qs = selectors.followups_for(user, status=FollowUp.Status.DONE, mine=True).order_by("-closed_at")
    else:
        scope, qs = "mine", selectors.followups_open_for(user)
    return render(request, "casework/followup_list.html", {
        "page": _page(request, qs), "scope": scope, "region": _region_name(region), "note_form": NoteForm(),
        "can_manage": has_capability(user, cw_access.FOLLOWUP_MANAGE),
    })


@login_required
def followup_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    elder = _elder_from_query(request, cw_access.FOLLOWUP_MANAGE)
    form = FollowUpForm(request.POST or None, user=user, region_code=elder.region_id if elder else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.followup_create(actor=user, elder=elder, title=d["title"], due_date=d["due_date"],
                                     source=FollowUp.Source.MANUAL, assignee=user_by_pk(d["assignee"]))
        except FieldErrors as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, gettext("跟踪事项已新建"))
            return redirect(reverse("elders:detail", args=[elder.pk]) + "#casework" if elder
                            else reverse("casework:followups"))
    return render(request, "casework/followup_form.html", {"form": form, "elder": elder},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def followup_complete(request: HttpRequest, followup_id: uuid.UUID) -> HttpResponse:
    f = cw_access.access_followup(request.user, followup_id, cw_access.FOLLOWUP_MANAGE)
    form = NoteForm(request.POST)
    error = ""
    try:
        f = services.followup_complete(actor=request.user, followup=f, note=request.POST.get("note", ""))
    except FieldErrors as exc:
        error = "；".join(m for ms in exc.errors.values() for m in ms)
    except ApplicationError as exc:
        error = exc.message
    if is_htmx(request):
        f.is_overdue = f.overdue  # type: ignore[attr-defined]
        return render(request, "casework/_followup_row.html", {"f": f, "note_form": form, "error": error,
                                                               "can_manage": True},
                      status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, gettext("跟踪事项已完成"))
    return redirect(request.POST.get("next") or reverse("casework:followups"))


# --------------------------------------------------------------------------- errands


@login_required
def errand_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_capability(user, cw_access.CASEWORK_VIEW)
    status, region = request.GET.get("status", "open"), request.GET.get("region", "")
    if status not in ("open", "overdue", "mine", "to_close", "all", *Errand.Status.values):
        status = "open"
    if status == "overdue":
        qs = selectors.errands_for(user, overdue=True, region=region)
    elif status == "mine":
        qs = selectors.errands_open_for(user)
    elif status == "to_close":
        qs = selectors.errands_to_close(user)
    else:
        qs = selectors.errands_for(user, status="" if status == "all" else status, region=region)
    return render(request, "casework/errand_list.html", {
        "page": _page(request, qs), "status": status, "region": _region_name(region), "statuses": Errand.Status.choices,
    })


@login_required
def errand_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    elder = _elder_from_query(request, cw_access.ERRAND_RUN)
    if elder is None:
        messages.error(request, gettext("请从老年人档案页受理委托代办"))
        return redirect("elders:list")
    consent = services.errand_consent_in_force(elder)
    form = ErrandForm(request.POST or None, user=user, region_code=elder.region_id)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        new_consent = None
        if consent is None and (d["consent_granted_by"] or d["consent_method"]):
            new_consent = {"granted_by": d["consent_granted_by"], "method": d["consent_method"],
                           "granted_at": d["consent_granted_at"], "evidence": d["consent_evidence"]}
        try:
            e = services.errand_request(actor=user, elder=elder, kind=d["kind"], description=d["description"],
                                        due_date=d["due_date"], assignee=user_by_pk(d["assignee"]),
                                        consent=new_consent)
        except FieldErrors as exc:
            form_add_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("委托代办已受理"))
            return redirect("casework:errand_detail", errand_id=e.pk)
    return render(request, "casework/errand_form.html", {
        "form": form, "elder": elder, "consent": consent, "eligible": services.errand_eligible(elder),
    }, status=400 if form.errors else 200)


@login_required
def errand_detail(request: HttpRequest, errand_id: uuid.UUID) -> HttpResponse:
    user = request.user
    e = cw_access.access_errand(user, errand_id)
    return render(request, "casework/errand_detail.html", _errand_context(user, e, ErrandCompleteForm()))


def _errand_context(user: Any, e: Errand, complete_form: ErrandCompleteForm) -> dict[str, Any]:
    is_worker = has_capability(user, cw_access.ERRAND_RUN)
    can_close = (e.status == Errand.Status.DONE and has_capability(user, cw_access.ERRAND_CLOSE)
                 and (e.completed_by_id != user.pk or services.errand_is_lead(user, e)))
    return {"e": e, "evidence": e.evidence.select_related("uploaded_by"), "complete_form": complete_form,
            "can_start": is_worker and e.status == Errand.Status.REQUESTED,
            "can_complete": is_worker and e.is_open, "can_cancel": is_worker and e.is_open,
            "can_close": can_close,
            "waiting_for_other": e.status == Errand.Status.DONE and not can_close}


@login_required
@require_POST
def errand_action(request: HttpRequest, errand_id: uuid.UUID, action: str) -> HttpResponse:
    user = request.user
    capability = cw_access.ERRAND_CLOSE if action == "close" else cw_access.ERRAND_RUN
    e = cw_access.access_errand(user, errand_id, capability)
    complete_form = ErrandCompleteForm(request.POST, request.FILES) if action == "complete" else ErrandCompleteForm()
    try:
        if action == "start":
            services.errand_start(actor=user, errand=e)
            messages.success(request, gettext("已开始办理"))
        elif action == "complete":
            upload = request.FILES.get("evidence")
            if upload is not None and upload.size and upload.size > e.evidence.model.MAX_BYTES:
                raise FieldErrors({"evidence": ["文件不能超过 5 MB"]})
            evidence = (upload.name or "", upload.read()) if upload is not None else None
            services.errand_complete(actor=user, errand=e, note=request.POST.get("note", ""), evidence=evidence)
            messages.success(request, gettext("已办完，等待另一名工作人员或负责人结案"))
        elif action == "close":
            services.errand_close(actor=user, errand=e, note=request.POST.get("note", ""))
            messages.success(request, gettext("已结案"))
        elif action == "cancel":
            services.errand_cancel(actor=user, errand=e, reason=request.POST.get("reason", ""))
            messages.success(request, gettext("已取消"))
        else:
            raise ApplicationError("未知操作")
    except FieldErrors as exc:
        if action == "complete":
            form_add_errors(complete_form, exc)
            e = cw_access.access_errand(user, errand_id)
            return render(request, "casework/errand_detail.html", _errand_context(user, e, complete_form), status=400)
        messages.error(request, "；".join(m for ms in exc.errors.values() for m in ms))
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    return redirect("casework:errand_detail", errand_id=e.pk)


@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> HttpResponse:
    ev = cw_access.access_evidence(request.user, evidence_id)
    response = HttpResponse(ev.data(), content_type=ev.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{_quote(ev.file_name)}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# --------------------------------------------------------------------------- case conferences


@login_required
def conference_list(request: HttpRequest) -> HttpResponse:
    require_capability(request.user, cw_access.CASEWORK_VIEW)
    return render(request, "casework/conference_list.html",
                  {"page": _page(request, selectors.conferences_for(request.user))})


@login_required
def conference_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    elder = _elder_from_query(request, cw_access.CONFERENCE_HOLD)
    if elder is None:
        messages.error(request, gettext("请从老年人档案页发起集体会诊"))
        return redirect("elders:list")
    form = ConferenceForm(request.POST or None, user=user, region_code=elder.region_id)
    decisions = [{"text": request.POST.get(f"decision_{i}", ""), "due": request.POST.get(f"decision_due_{i}", "")}
                 for i in range(5)] if request.method == "POST" else [{"text": "", "due": ""} for _ in range(3)]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        by_pk = {str(u.pk): u for u in form.staff}
        rows, bad = [], False
        for i, dec in enumerate(decisions):
            due = None
            if dec["due"]:
                try:
                    due = form.fields["held_on"].to_python(dec["due"])
                except Exception:  # noqa: BLE001 - a malformed date is a form error
                    form.add_error(None, gettext("第%(n)s条决定的跟踪期限不是有效日期") % {"n": i + 1})
                    bad = True
            rows.append({"text": dec["text"], "due_date": due})
        if not bad:
            try:
                c = services.conference_hold(actor=user, elder=elder, held_on=d["held_on"], problem=d["problem"],
                                             minutes=d["minutes"], participants=[by_pk[p] for p in d["participants"]],
                                             decisions=rows)
            except FieldErrors as exc:
                form_add_errors(form, exc)
            else:
                messages.success(request, gettext("集体会诊已记录"))
                return redirect("casework:conference_detail", conference_id=c.pk)
    return render(request, "casework/conference_form.html", {"form": form, "elder": elder, "decisions": decisions},
                  status=400 if form.errors else 200)


@login_required
def conference_detail(request: HttpRequest, conference_id: uuid.UUID) -> HttpResponse:
    c = cw_access.access_conference(request.user, conference_id)
    return render(request, "casework/conference_detail.html", {
        "c": c, "participants": c.participants.all(),
        "decisions": c.decisions.select_related("followup", "followup__assignee"),
        "can_manage": has_capability(request.user, cw_access.FOLLOWUP_MANAGE),
    })


@login_required
@require_POST
def decision_followup(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = ConferenceDecision.objects.select_related("conference__elder").filter(pk=decision_id).first()
    conf = cw_access.access_conference(request.user, decision.conference_id if decision else None,
                                       cw_access.FOLLOWUP_MANAGE)
    assert decision is not None
    form = FollowUpForm(request.POST, user=request.user, region_code=conf.region_code)
    if form.is_valid():
        try:
            services.decision_followup(actor=request.user, decision=decision, due_date=form.cleaned_data["due_date"],
                                       title=form.cleaned_data["title"],
                                       assignee=user_by_pk(form.cleaned_data["assignee"]))
            messages.success(request, gettext("已生成跟踪事项"))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, gettext("请填写跟踪事项和完成期限"))
    return redirect("casework:conference_detail", conference_id=conf.pk)
