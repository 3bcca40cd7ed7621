"""Alarm pages: the board (community and street, refreshed by htmx every few seconds) and one
alarm with its log and the next step's button. Thin: access_*, selectors and services, as the
API."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiyang.alarms import access as alarm_access
from yiyang.alarms import selectors, services
from yiyang.alarms.forms import CancelForm, ResolveForm
from yiyang.alarms.models import UNANSWERED_STATES, State
from yiyang.core import access
from yiyang.core.exceptions import ApplicationError, FieldErrors
from yiyang.core.web import form_add_errors


@login_required
def board(request: HttpRequest) -> HttpResponse:
    alarm_access.access_alarms(request.user)
    now = timezone.now()
    alarms = list(selectors.open_alarms(request.user)[:200])
    context = {
        "alarms": alarms, "now": now,
        "unanswered": sum(1 for a in alarms if a.state in UNANSWERED_STATES),
        "closed": list(selectors.recent_closed(request.user, now=now)),
        "offline": selectors.devices_offline(request.user, now)[:50],
        "untested": selectors.devices_untested(request.user, now)[:50],
        "can_respond": access.has_capability(request.user, alarm_access.ALARM_RESPOND),
    }
    template = "alarms/_board.html" if request.headers.get("HX-Request") == "true" else "alarms/board.html"
    return render(request, template, context)


def _detail_context(request: HttpRequest, alarm: object, **extra: object) -> dict[str, object]:
    return {"alarm": alarm, "events": selectors.alarm_events(alarm),  # type: ignore[arg-type]
            "can_respond": access.has_capability(request.user, alarm_access.ALARM_RESPOND),
            "resolve_form": extra.pop("resolve_form", None) or ResolveForm(),
            "cancel_form": CancelForm(), "State": State, **extra}


@login_required
def alarm_list(request: HttpRequest) -> HttpResponse:
    """The alarms behind a figure: a region (within the caller's node) and a month, optionally
    one state (误报)."""
    from yiyang.core.overview import month_parse

    alarm_access.access_alarms(request.user)
    prefix = selectors.region_scope(request.user, request.GET.get("region", ""))
    month = month_parse(request.GET.get("month") or None)
    state = request.GET.get("state", "")
    if state and state not in State.values:
        state = ""
    qs = selectors.alarms_in(request.user, prefix=prefix, month=month, state=state)
    return render(request, "alarms/list.html", {"alarms": qs[:500], "count": qs.count(), "month": month,
                                                "state": State(state).label if state else ""})


@login_required
@require_POST
def facts(request: HttpRequest, alarm_id: uuid.UUID) -> HttpResponse:
    """The elder's key facts one tap from the board — address, phone, emergency contacts,
    categories, living situation, latest ability level — with the access logged (who, when,
    whose, why: 紧急呼叫处置), through the registry's own reveal."""
    from yiyang.assessments.selectors import current_assessment
    from yiyang.elders.models import LivingSituation
    from yiyang.elders.selectors import elder_categories
    from yiyang.elders.services import elder_reveal

    alarm = alarm_access.access_alarm(request.user, alarm_id)
    elder = alarm.elder
    values = elder_reveal(actor=request.user, elder=elder, fields=["address", "phone", "contacts"],
                          purpose=f"紧急呼叫处置（{alarm.get_kind_display()} {timezone.localtime(alarm.raised_at):%m-%d %H:%M}）",
                          remote_addr=request.META.get("REMOTE_ADDR", ""))
    living = LivingSituation(elder.living_situation).label if elder.living_situation else ""
    assessment = current_assessment(elder)
    return render(request, "alarms/_facts.html", {
        "alarm": alarm, "elder": elder, "values": values, "living": living,
        "categories": [name for _code, name in elder_categories(elder)], "level": assessment.level_name if assessment else "",
    })


@login_required
def detail(request: HttpRequest, alarm_id: uuid.UUID) -> HttpResponse:
    alarm = alarm_access.access_alarm(request.user, alarm_id)
    return render(request, "alarms/detail.html", _detail_context(request, alarm))


@login_required
@require_POST
def act(request: HttpRequest, alarm_id: uuid.UUID, action: str) -> HttpResponse:
    if action not in ("acknowledge", "arrive", "resolve", "cancel"):
        raise Http404()
    alarm = alarm_access.access_alarm(request.user, alarm_id, alarm_access.ALARM_RESPOND)
    try:
        if action == "acknowledge":
            services.alarm_acknowledge(actor=request.user, alarm=alarm)
            messages.success(request, gettext("已接警，升级通知已停止"))
        elif action == "arrive":
            services.alarm_arrive(actor=request.user, alarm=alarm)
            messages.success(request, gettext("已登记到场"))
        elif action == "cancel":
            cancel = CancelForm(request.POST)
            reason = cancel.cleaned_data["reason"] if cancel.is_valid() else ""
            services.alarm_cancel(actor=request.user, alarm=alarm, reason=reason)
            messages.success(request, gettext("呼叫已取消"))
        else:
            form = ResolveForm(request.POST)
            if not form.is_valid():
                return render(request, "alarms/detail.html", _detail_context(request, alarm, resolve_form=form),
                              status=400)
            try:
                services.alarm_resolve(actor=request.user, alarm=alarm, outcome=form.cleaned_data["outcome"],
                                       note=form.cleaned_data["note"])
            except FieldErrors as exc:
                form_add_errors(form, exc)
                return render(request, "alarms/detail.html", _detail_context(request, alarm, resolve_form=form),
                              status=400)
            messages.success(request, gettext("处置已结束，已为责任专员安排 48 小时内的回访"))
    except FieldErrors:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("alarms:detail", alarm_id=alarm.pk)
