"""Pages of the payment lists (发放名单) and rounds (发放批次). Thin: access → selectors /
payments services → template. Access refusals propagate as ``NotFoundError`` /
``ForbiddenError`` and core's ``AccessErrorMiddleware`` renders the 404 / 403 page; a
service's refusal of an action (a round approved by its drafter, a recompute pending) comes
back as a message on the round's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.core import access, pii
from yiyang.core.exceptions import ApplicationError, ForbiddenError
from yiyang.core.htmx import client_ip
from yiyang.core.tasks import tasks_pending
from yiyang.entitlements import access as payment_access
from yiyang.entitlements import payments, selectors
from yiyang.entitlements.exports import xlsx_response
from yiyang.entitlements.models import Benefit, PaymentRound, PaymentRoundChange, Status
from yiyang.entitlements.tasks import REFRESH_TASKS

PAGE_SIZE = 50
STATUS_CHOICES = [(Status.ENTITLED.value, Status.ENTITLED.label), (Status.MAYBE.value, Status.MAYBE.label)]


def _querystring(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _month_choices() -> list[tuple[str, str, bool]]:
    """Last month, this month (chosen) and next month, as (value, label, selected)."""
    this = payments.month_start(timezone.localdate())
    last = (this - dt.timedelta(days=1)).replace(day=1)
    nxt = (this + dt.timedelta(days=32)).replace(day=1)
    return [(f"{m:%Y-%m}", payments.month_label(m), m == this) for m in (last, this, nxt)]


@login_required
def recipients_index(request: HttpRequest) -> HttpResponse:
    """发放名单: every active benefit with how many are entitled / maybe in the jurisdiction."""
    access.require_capability(request.user, payment_access.RECIPIENTS_VIEW)
    counts = selectors.recipient_counts(request.user)
    benefits = [(b, counts.get(b.pk, dict.fromkeys(selectors.LISTABLE, 0)))
                for b in Benefit.objects.filter(active=True).order_by("sort_order", "code")]
    open_rounds = selectors.rounds_for(request.user).filter(
        status__in=[PaymentRound.State.DRAFT, PaymentRound.State.SUBMITTED]).count()
    return render(request, "entitlements/payments_index.html", {
        "benefits": benefits, "node": selectors.region_names([selectors.user_node(request.user)]),
        "open_rounds": open_rounds,
    })


@login_required
def recipients(request: HttpRequest, benefit: str) -> HttpResponse:
    """The list of one benefit, filtered by community and status, paged; export and drafting."""
    access.require_capability(request.user, payment_access.RECIPIENTS_VIEW)
    b = selectors.benefit_for_list(benefit)
    region = request.GET.get("region", "")
    status = request.GET.get("status", Status.ENTITLED.value)
    if status not in selectors.LISTABLE:
        status = Status.ENTITLED.value
    qs = selectors.recipients_for(request.user, b, region=region, status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    names = selectors.region_names({s.elder.region_id for s in page.object_list})
    rows = [{"s": s, "id_number": pii.mask_id_number(pii.decrypt(s.elder.id_number_enc, payments.ID_CTX)),
             "community": names.get(s.elder.region_id, ("", ""))}
            for s in page.object_list]
    counts = selectors.recipient_counts(request.user, region=region, benefit=b).get(
        b.pk, dict.fromkeys(selectors.LISTABLE, 0))
    node = region or selectors.user_node(request.user)
    user = request.user
    return render(request, "entitlements/recipients.html", {
        "benefit": b, "page": page, "rows": rows, "counts": counts, "chosen": {"region": region, "status": status},
        "regions": selectors.region_choices(user), "statuses": STATUS_CHOICES, "querystring": _querystring(request),
        "node": node, "node_name": selectors.region_names([node]).get(node, ("", ""))[0] if node else "",
        "can_export": access.has_capability(user, payment_access.RECIPIENTS_EXPORT),
        "can_draft": access.has_capability(user, payment_access.ROUND_DRAFT) and status == Status.ENTITLED
        and bool(node) and access.in_jurisdiction(user, node),
        "months": _month_choices(),
        "rounds": selectors.rounds_for(user, selectors.RoundFilters(benefit=b.code)).exclude(
            status=PaymentRound.State.CANCELLED)[:5],
    })


@login_required
@require_POST
def recipients_export(request: HttpRequest, benefit: str) -> HttpResponse:
    access.require_capability(request.user, payment_access.RECIPIENTS_EXPORT)
    b = selectors.benefit_for_list(benefit)
    region = request.POST.get("region", "")
    status = request.POST.get("status", Status.ENTITLED.value)
    purpose = request.POST.get("purpose") or request.POST.get("reason", "")
    try:
        file = payments.recipients_export(actor=request.user, benefit=b, region=region, status=status,
                                          purpose=purpose, remote_addr=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, _first_message(exc))
        back = reverse("entitlements:recipients", args=[b.code])
        return redirect(f"{back}?{urlencode({'region': region, 'status': status})}")
    return xlsx_response(file)


def _first_message(exc: ApplicationError) -> str:
    fields = exc.detail.get("fields") if isinstance(exc.detail, dict) else None
    if fields:
        return "；".join(m for msgs in fields.values() for m in msgs)
    return exc.message


# --------------------------------------------------------------------------- rounds


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    """发放批次: the rounds of the jurisdiction, newest month first."""
    access.require_capability(request.user, payment_access.RECIPIENTS_VIEW)
    f = selectors.RoundFilters(benefit=request.GET.get("benefit", ""), status=request.GET.get("status", ""))
    page = Paginator(selectors.rounds_for(request.user, f), PAGE_SIZE).get_page(request.GET.get("page"))
    names = selectors.region_names(r.region_code for r in page.object_list)
    return render(request, "entitlements/rounds.html", {
        "page": page, "rows": [(r, names.get(r.region_code, ("", ""))) for r in page.object_list],
        "chosen": {"benefit": f.benefit, "status": f.status}, "querystring": _querystring(request),
        "benefits": Benefit.objects.filter(active=True).order_by("sort_order"), "states": PaymentRound.State.choices,
    })


@login_required
@require_POST
def round_draft(request: HttpRequest) -> HttpResponse:
    access.require_capability(request.user, payment_access.ROUND_DRAFT)
    code = request.POST.get("benefit", "")
    b = selectors.benefit_for_list(code)
    region = request.POST.get("region_code") or request.POST.get("region") or selectors.user_node(request.user)
    try:
        month = dt.date.fromisoformat(f"{request.POST.get('month', '')}-01") if request.POST.get("month") else None
    except ValueError:
        month = None
    try:
        r = payments.round_draft(actor=request.user, benefit=b, region_code=region, month=month)
    except ApplicationError as exc:
        messages.error(request, _first_message(exc))
        back = reverse("entitlements:recipients", args=[b.code])
        return redirect(f"{back}?{urlencode({'region': region})}")
    messages.success(request, _("已编制%(benefit)s%(month)s发放批次（%(count)s人），请核对后提交审核") % {
        "benefit": b.name, "month": payments.month_label(r.month), "count": r.count})
    return redirect("entitlements:round_detail", round_id=r.pk)


@login_required
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    """One round: its difference from the previous round on top, the actions, then the list."""
    r = payment_access.access_round(request.user, round_id)
    user = request.user
    page = Paginator(selectors.round_lines(r), PAGE_SIZE).get_page(request.GET.get("page"))
    changes = list(selectors.round_changes(r))
    codes = {r.region_code, *(line.region_code for line in page.object_list), *(c.region_code for c in changes)}
    names = selectors.region_names(codes)
    State = PaymentRound.State
    is_drafter = r.drafted_by_id == user.pk
    pending = r.status == State.SUBMITTED and tasks_pending(REFRESH_TASKS)
    return render(request, "entitlements/round_detail.html", {
        "r": r, "page": page, "names": names, "region_name": names.get(r.region_code, ("", ""))[0],
        "lines": [(line, names.get(line.region_code, ("", ""))) for line in page.object_list],
        "joined": [(c, names.get(c.region_code, ("", ""))) for c in changes if c.kind == PaymentRoundChange.Kind.JOINED],
        "left": [(c, names.get(c.region_code, ("", ""))) for c in changes if c.kind == PaymentRoundChange.Kind.LEFT],
        "month": payments.month_label(r.month),
        "previous_month": payments.month_label(r.previous.month) if r.previous else "",
        "changes_since_draft": selectors.round_changes_since_draft(r),
        "pending": pending, "is_drafter": is_drafter,
        "can_submit": r.status == State.DRAFT and access.has_capability(user, payment_access.ROUND_DRAFT),
        "can_approve": r.status == State.SUBMITTED and access.has_capability(user, payment_access.ROUND_APPROVE),
        "can_cancel": r.status in (State.DRAFT, State.SUBMITTED) and (
            access.has_capability(user, payment_access.ROUND_DRAFT)
            or access.has_capability(user, payment_access.ROUND_APPROVE)),
        "can_export": r.frozen and access.has_capability(user, payment_access.RECIPIENTS_EXPORT),
        "querystring": _querystring(request),
    })


def _act(request: HttpRequest, r: PaymentRound, action: Any, done: str, **kwargs: Any) -> HttpResponse:
    try:
        action(actor=request.user, round=r, **kwargs)
    except ApplicationError as exc:  # a refusal of the action itself (access was checked before)
        messages.error(request, _first_message(exc))
    else:
        messages.success(request, done)
    return redirect("entitlements:round_detail", round_id=r.pk)


@login_required
@require_POST
def round_submit(request: HttpRequest, round_id: int) -> HttpResponse:
    r = payment_access.access_round(request.user, round_id, payment_access.ROUND_DRAFT)
    return _act(request, r, payments.round_submit, "已提交审核，请等待另一位管理员审核")


@login_required
@require_POST
def round_approve(request: HttpRequest, round_id: int) -> HttpResponse:
    r = payment_access.access_round(request.user, round_id, payment_access.ROUND_APPROVE)
    return _act(request, r, payments.round_approve, "已审核通过，可以导出发放")


@login_required
@require_POST
def round_cancel(request: HttpRequest, round_id: int) -> HttpResponse:
    r = payment_access.access_round(request.user, round_id)
    if not (access.has_capability(request.user, payment_access.ROUND_DRAFT)
            or access.has_capability(request.user, payment_access.ROUND_APPROVE)):
        raise ForbiddenError()
    return _act(request, r, payments.round_cancel, "已作废该批次，可重新编制", note=request.POST.get("note", ""))


@login_required
@require_POST
def round_export(request: HttpRequest, round_id: int) -> HttpResponse:
    r = payment_access.access_round(request.user, round_id, payment_access.RECIPIENTS_EXPORT)
    try:
        file = payments.round_export(actor=request.user, round=r,
                                     purpose=request.POST.get("purpose") or request.POST.get("reason", ""),
                                     remote_addr=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, _first_message(exc))
        return redirect("entitlements:round_detail", round_id=r.pk)
    return xlsx_response(file)
