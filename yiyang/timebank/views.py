"""Time-bank pages. Members' pages (我的时间银行, a request, the statement) are sized for a
phone; point staff review volunteers, certify services and look at flags; administrators set a
region's rules and read the statistics (exportable). Thin: access, selectors, services — the
same as the API."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from yiyang.core.access import has_capability, jurisdiction_filter, require_capability
from yiyang.core.exceptions import ApplicationError, FieldErrors, NotFoundError
from yiyang.core.overview import month_parse
from yiyang.core.web import form_add_errors
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.timebank import access, ledger, selectors, services
from yiyang.timebank.forms import (
    CertifyForm,
    FlagForm,
    PositionForm,
    RateForm,
    ReasonForm,
    RequestForm,
    ReviewForm,
    RuleForm,
)
from yiyang.timebank.models import (
    FraudFlag,
    RegionRule,
    RequestStatus,
    ServiceRequest,
    VolunteerStatus,
)
from yiyang.timebank.rules import rules_for


@login_required
def me(request: HttpRequest) -> HttpResponse:
    """我的时间银行: the balance, what to do next, the requests of my family, open requests nearby."""
    member = access.require_member(request.user)
    account = ledger.member_account(member)
    mine = list(access.requests_for(request.user).order_by("-wanted_at")[:30])
    taken = [r for r in mine if r.volunteer_id == member.pk]
    family = [r for r in mine if r.volunteer_id != member.pk]
    nearby = selectors.nearest_first(member, access.open_requests_for(member))[:30] if member.is_volunteer else []
    elders = list(Elder.objects.filter(pk__in=access.linked_elder_ids(member)))
    return render(request, "timebank/me.html", {
        "member": member, "account": account, "taken": taken, "family": family, "nearby": nearby,
        "elders": elders})


@login_required
def statement(request: HttpRequest) -> HttpResponse:
    member = access.require_member(request.user)
    account = ledger.member_account(member)
    return render(request, "timebank/statement.html", {"member": member, "account": account,
                                                        "entries": selectors.statement(account)})


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """需求发布: a member for the elders linked to them; staff for an elder of their jurisdiction
    (``?elder=<id>``) without a phone."""
    member = access.member_of(request.user)
    if member is not None:
        elders = list(Elder.objects.filter(pk__in=access.linked_elder_ids(member), active=True))
    else:
        require_capability(request.user, access.TB_POST)
        elder_id = request.GET.get("elder") or request.POST.get("elder")
        elders = [elder_access.access_elder(request.user, elder_id)] if elder_id else []
    if not elders:
        raise NotFoundError("没有可以代为发布需求的老人（家属须经老人授权“家属代办”）")
    form = RequestForm(request.POST or None, elders=elders)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        elder = next(e for e in elders if str(e.pk) == d["elder"])
        try:
            req = services.request_post(actor=request.user, elder=elder, kind=d["kind"], description=d["description"],
                                        wanted_at=d["wanted_at"], expected_minutes=d["expected_minutes"])
        except FieldErrors as exc:
            form_add_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "需求已发布，附近的志愿者可以看到并接单。")
            return redirect("timebank:request", request_id=req.pk)
    return render(request, "timebank/request_new.html", {"form": form})


def _request_context(request: HttpRequest, req: ServiceRequest) -> dict[str, Any]:
    user = request.user
    member = access.member_of(user)
    is_volunteer = member is not None and req.volunteer_id == member.pk
    elder_side = (member is not None and req.elder_id in access.linked_elder_ids(member)) or (
        member is None and has_capability(user, access.TB_POST))
    can_certify = member is None and has_capability(user, access.TB_CERTIFY)
    return {
        "req": req, "member": member, "is_volunteer": is_volunteer,
        "can_take": member is not None and member.is_volunteer and req.status == RequestStatus.OPEN
        and not is_volunteer and req.elder_id not in access.linked_elder_ids(member),
        "can_checkin": is_volunteer and req.status == RequestStatus.TAKEN,
        "can_checkout": is_volunteer and req.status == RequestStatus.IN_SERVICE,
        "can_rate_volunteer": is_volunteer and req.status == RequestStatus.DONE and not req.volunteer_rating,
        "can_rate_elder": elder_side and req.status == RequestStatus.DONE and not req.elder_rating,
        "can_certify": can_certify and req.status == RequestStatus.RATED,
        "can_reject": can_certify and req.status in (RequestStatus.DONE, RequestStatus.RATED),
        "can_cancel": elder_side and req.status in (RequestStatus.OPEN, RequestStatus.TAKEN),
        "flags": list(req.flags.all()),
        "position_form": PositionForm(), "rate_form": RateForm(), "certify_form": CertifyForm(),
        "reason_form": ReasonForm(), "flag_form": FlagForm(),
        "credits": req.booking.entries.filter(amount__gt=0).first() if req.booking_id else None,  # type: ignore[union-attr]
    }


@login_required
def request_detail(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    req = access.access_request(request.user, request_id)
    return render(request, "timebank/request.html", _request_context(request, req))


ACTIONS = ("take", "checkin", "checkout", "rate", "certify", "reject", "cancel")


@login_required
@require_POST
def request_action(request: HttpRequest, request_id: uuid.UUID, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise NotFoundError()
    req = access.access_request(request.user, request_id,
                                access.TB_CERTIFY if action in ("certify", "reject") else None)
    user = request.user
    done = {"take": "已接单，请按约定时间上门，到达后签到。", "checkin": "已签到。", "checkout": "已签退，请评价本次服务。",
            "rate": "评价已提交。", "certify": "服务已认证，积分已记入。", "reject": "已不予认证。", "cancel": "需求已取消。"}
    try:
        if action == "take":
            services.request_take(actor=user, req=req)
        elif action in ("checkin", "checkout"):
            pos = PositionForm(request.POST)
            lat = lon = None
            if pos.is_valid():
                lat, lon = pos.cleaned_data["latitude"], pos.cleaned_data["longitude"]
            fn = services.request_checkin if action == "checkin" else services.request_checkout
            fn(actor=user, req=req, latitude=lat, longitude=lon)
        elif action == "rate":
            rate = RateForm(request.POST)
            if not rate.is_valid():
                raise FieldErrors({"rating": ["请选择评分（1～5星）"]})
            services.request_rate(actor=user, req=req, rating=rate.cleaned_data["rating"],
                                  comment=rate.cleaned_data["comment"])
        elif action == "certify":
            cert = CertifyForm(request.POST)
            minutes = cert.cleaned_data["minutes"] if cert.is_valid() else None
            services.request_certify(actor=user, req=req, minutes=minutes)
        else:
            reason = ReasonForm(request.POST)
            text = reason.cleaned_data["reason"] if reason.is_valid() else ""
            (services.request_reject if action == "reject" else services.request_cancel)(actor=user, req=req,
                                                                                          reason=text)
    except FieldErrors as exc:
        messages.error(request, "；".join(m for ms in exc.errors.values() for m in ms))
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, done[action])
    return redirect("timebank:request", request_id=req.pk)


# --------------------------------------------------------------------------- point staff


@login_required
def point(request: HttpRequest) -> HttpResponse:
    """The point's desk: volunteers to review, services to certify, flags to look at."""
    require_capability(request.user, access.TB_VIEW)
    user = request.user
    members = access.members_for(user)
    pending = []
    if has_capability(user, access.TB_POINT_REVIEW):
        pending += list(members.filter(volunteer_status=VolunteerStatus.APPLIED))
    if has_capability(user, access.TB_PLATFORM_REVIEW):
        pending += list(members.filter(volunteer_status=VolunteerStatus.POINT_APPROVED))
    reqs = access.requests_for(user)
    to_certify = list(reqs.filter(status=RequestStatus.RATED).prefetch_related("flags").order_by("checkout_at"))
    flags = list(selectors.flags_open(user)) if has_capability(user, access.TB_CERTIFY) else []
    recent = list(reqs.exclude(status=RequestStatus.RATED).order_by("-updated_at")[:30])
    return render(request, "timebank/point.html", {
        "pending": pending, "to_certify": to_certify, "flags": flags, "recent": recent,
        "review_form": ReviewForm(), "flag_form": FlagForm(), "certify_form": CertifyForm(),
        "can_post": has_capability(user, access.TB_POST),
        "can_stats": has_capability(user, access.TB_STATS)})


@login_required
@require_POST
def member_review(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    m = access.access_member(request.user, member_id)
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise FieldErrors({"approve": ["请选择审核结果"]})
        services.volunteer_review(actor=request.user, member=m, approve=form.cleaned_data["approve"],
                                  note=form.cleaned_data["note"])
    except FieldErrors as exc:
        messages.error(request, "；".join(x for xs in exc.errors.values() for x in xs))
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已审核：{m.name}")
    return redirect("timebank:point")


@login_required
@require_POST
def flag_resolve(request: HttpRequest, flag_id: int) -> HttpResponse:
    require_capability(request.user, access.TB_CERTIFY)
    flag = jurisdiction_filter(FraudFlag.objects.all(), request.user, "region_code").filter(pk=flag_id).first()
    if flag is None:
        raise NotFoundError()
    form = FlagForm(request.POST)
    try:
        if not form.is_valid():
            raise FieldErrors({"note": ["请填写核查情况"]})
        services.flag_resolve(actor=request.user, flag=flag, confirmed=form.cleaned_data["confirmed"],
                              note=form.cleaned_data["note"])
    except FieldErrors as exc:
        messages.error(request, "；".join(x for xs in exc.errors.values() for x in xs))
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "异常提示已处理。")
    return redirect(request.POST.get("next") or "timebank:point")


# --------------------------------------------------------------------------- administrators


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    """Members, hours and exchanges per region for a month; ``?format=xlsx`` downloads it."""
    require_capability(request.user, access.TB_STATS)
    try:
        month = month_parse(request.GET.get("month"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        month = month_parse(None)
    rows = selectors.stats_for(request.user, month)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(selectors.stats_xlsx(rows, month), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="timebank-{month:%Y-%m}.xlsx"'
        return response
    return render(request, "timebank/stats.html", {
        "rows": rows, "columns": selectors.STATS_COLUMNS, "month": month,
        "can_rules": has_capability(request.user, access.TB_RULES)})


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The rules of the caller's region (a district or city administrator): defaults from
    reference.md §6 until a row is saved."""
    require_capability(request.user, access.TB_RULES)
    region = getattr(request.user, "region", None)
    if region is None:
        raise NotFoundError("请使用有管辖区域的账号设置规则")
    current = RegionRule.objects.filter(region=region).first()
    form = RuleForm(request.POST or None, instance=current or RegionRule(region=region))
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in RuleForm.Meta.fields}
        services.rule_save(actor=request.user, region_code=region.code, values=values)
        messages.success(request, "规则已保存。")
        return redirect("timebank:rules")
    inherited = rules_for(region.code)
    return render(request, "timebank/rules.html", {"form": form, "region": region, "own": current is not None,
                                                   "inherited": inherited})


