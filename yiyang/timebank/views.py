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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yiyang.core.access import has_capability, jurisdiction_filter, require_capability
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.overview import month_parse
from yiyang.core.web import form_add_errors
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.timebank import access, ledger, selectors, services
from yiyang.timebank.forms import (
    CertifyForm,
    CorrectionForm,
    CreditsForm,
    FlagForm,
    KinshipForm,
    PositionForm,
    RateForm,
    ReasonForm,
    RequestForm,
    ReviewForm,
    RuleForm,
    TransferForm,
)
from yiyang.timebank.models import (
    CatalogueItem,
    Category,
    Estate,
    FamilyLink,
    FraudFlag,
    LedgerTransaction,
    Member,
    Redemption,
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
        # The elder first: outside the jurisdiction is 404 whatever the role holds.
        elder_id = request.GET.get("elder") or request.POST.get("elder")
        elders = [elder_access.access_elder(request.user, elder_id)] if elder_id else []
        require_capability(request.user, access.TB_POST)
    if not elders:
        raise NotFoundError("没有可以代为发布需求的老人（家属须经老人授权“家属代办”）")
    estates = list(Estate.objects.filter(region_id__in={e.region_id for e in elders}).order_by("name"))
    form = RequestForm(request.POST or None, elders=elders, estates=estates)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        elder = next(e for e in elders if str(e.pk) == d["elder"])
        estate = next((x for x in estates if str(x.pk) == d.get("estate")), None)
        try:
            req = services.request_post(actor=request.user, elder=elder, kind=d["kind"], description=d["description"],
                                        wanted_at=d["wanted_at"], expected_minutes=d["expected_minutes"],
                                        estate=estate)
        except FieldErrors as exc:
            form_add_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("需求已发布，附近的志愿者可以看到并接单。"))
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
        "req": req, "member": member, "is_volunteer": is_volunteer, "place": selectors.place_of(req),
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
# What each action says once done (a flash message).
ACTION_DONE = {
    "take": _("已接单，请按约定时间上门，到达后签到。"), "checkin": _("已签到。"), "checkout": _("已签退，请评价本次服务。"),
    "rate": _("评价已提交。"), "certify": _("服务已认证，积分已记入。"), "reject": _("已不予认证。"), "cancel": _("需求已取消。"),
}


@login_required
@require_POST
def request_action(request: HttpRequest, request_id: uuid.UUID, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise NotFoundError()
    req = access.access_request(request.user, request_id,
                                access.TB_CERTIFY if action in ("certify", "reject") else None)
    user = request.user
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
        messages.success(request, ACTION_DONE[action])
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
        "can_post": has_capability(user, access.TB_POST), "can_correct": has_capability(user, access.TB_CORRECT),
        "can_members": has_capability(user, access.TB_MEMBERS),
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
        messages.success(request, gettext("已审核：%(name)s") % {"name": m.name})
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
        messages.success(request, gettext("异常提示已处理。"))
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
    estates = selectors.estate_stats_for(request.user, month)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(selectors.stats_xlsx(rows, month, estates), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="timebank-{month:%Y-%m}.xlsx"'
        return response
    return render(request, "timebank/stats.html", {
        "rows": rows, "columns": selectors.STATS_COLUMNS, "month": month, "estates": estates,
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
        messages.success(request, gettext("规则已保存。"))
        return redirect("timebank:rules")
    inherited = rules_for(region.code)
    return render(request, "timebank/rules.html", {"form": form, "region": region, "own": current is not None,
                                                   "inherited": inherited})




# --------------------------------------------------------------------------- teams


@login_required
def teams(request: HttpRequest) -> HttpResponse:
    """志愿服务团队: a member's teams, or — for staff — the teams of the jurisdiction."""
    rows = list(access.teams_for(request.user))
    for team in rows:
        team.account_row = ledger.team_account(team)  # type: ignore[attr-defined]
    return render(request, "timebank/teams.html", {"teams": rows, "member": access.member_of(request.user)})


@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    """One team: its members, its account (hours booked to it) and its services; the leader
    (or staff at the counter) donates the team's hours — the only thing they may do where the
    region's rule 团队时长只能捐赠 holds."""
    team = access.access_team(request.user, team_id)
    account = ledger.team_account(team)
    me = access.member_of(request.user)
    can_donate = (me is not None and team.leader_id == me.pk) or (
        me is None and has_capability(request.user, access.TB_REDEEM))
    form = CreditsForm(request.POST or None)
    if request.method == "POST":
        if not can_donate:
            raise ForbiddenError("只有团队负责人可以捐赠团队时长")
        if form.is_valid():
            try:
                services.donate(actor=request.user, team=team, amount=form.hundredths)
            except FieldErrors as exc:
                form_add_errors(form, exc)
            except ApplicationError as exc:
                if exc.status in (403, 404):
                    raise
                form.add_error(None, exc.message)
            else:
                messages.success(request, gettext("已将团队时长捐赠至爱心池。"))
                return redirect("timebank:team", team_id=team.pk)
    served = list(ServiceRequest.objects.filter(team=team, status=RequestStatus.CERTIFIED)
                  .select_related("volunteer").order_by("-certified_at")[:30])
    return render(request, "timebank/team.html", {
        "team": team, "account": account, "members": list(team.members.order_by("name")), "served": served,
        "hours": sum(r.certified_minutes or 0 for r in served) / 60, "entries": selectors.statement(account, 30),
        "rule": rules_for(team.region_id), "can_donate": can_donate, "form": form})


# --------------------------------------------------------------------------- family


@login_required
def family(request: HttpRequest) -> HttpResponse:
    """家人: verified relatives (credits may be transferred to them) and the elders the member
    is linked to — each shown only while her consent to family proxy is in force."""
    member = access.require_member(request.user)
    account = ledger.member_account(member)
    relatives = selectors.relatives_of(member)
    form = TransferForm(request.POST or None, relatives=[m for m, _ in relatives])
    if request.method == "POST" and form.is_valid():
        to = next(m for m, _ in relatives if str(m.pk) == form.cleaned_data["to"])
        try:
            services.transfer(actor=request.user, member=member, to=to, amount=form.hundredths)
        except FieldErrors as exc:
            form_add_errors(form, exc)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("已转赠给%(name)s。") % {"name": to.name})
            return redirect("timebank:family")
    links = list(FamilyLink.objects.filter(member=member).select_related("elder", "consent").order_by("created_at"))
    return render(request, "timebank/family.html", {
        "member": member, "account": account, "relatives": relatives, "form": form, "links": links,
        "allow_transfer": rules_for(member.region_id).allow_transfer})


@login_required
def family_elder(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    """A parent as her family sees her in the time bank (consent in force): her requests and
    who served her, her own time-bank balance if she is a member."""
    elder = access.access_linked_elder(request.user, elder_id)
    reqs = list(access.requests_for(request.user).filter(elder=elder).order_by("-wanted_at")[:50])
    own = Member.objects.filter(elder=elder, active=True).first()
    return render(request, "timebank/family_elder.html", {
        "elder": elder, "requests": reqs, "own_account": ledger.member_account(own) if own else None,
        "hours": sum(r.certified_minutes or 0 for r in reqs if r.status == RequestStatus.CERTIFIED) / 60})


@login_required
def member_relatives(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    """Staff verify a relative of a member (户口簿、结婚证…): credits may then be transferred
    between them, and neither may serve the other for credit."""
    m = access.access_member(request.user, member_id, access.TB_MEMBERS)
    if access.member_of(request.user) is not None:
        raise NotFoundError()
    form = KinshipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        relative = selectors.member_by_id_number(form.cleaned_data["id_number"])
        if relative is None:
            form.add_error("id_number", "未找到该身份证号登记的时间银行成员（请先登记）")
        else:
            try:
                services.kinship_verify(actor=request.user, member=m, relative=relative,
                                        relation=form.cleaned_data["relation"],
                                        evidence=form.cleaned_data["evidence"])
            except FieldErrors as exc:
                form_add_errors(form, exc)
            else:
                messages.success(request, gettext("已核验：%(member)s 与 %(relative)s")
                                 % {"member": m.name, "relative": relative.name})
                return redirect("timebank:member_relatives", member_id=m.pk)
    return render(request, "timebank/member_relatives.html", {
        "m": m, "relatives": selectors.relatives_of(m), "form": form,
        "links": list(FamilyLink.objects.filter(member=m).select_related("elder", "consent"))})


# --------------------------------------------------------------------------- redemption


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """兑换目录: the items, the district's first (在地兑换); a member redeems from here. Staff
    browse it; a region's administrator edits the items in the admin."""
    me = access.member_of(request.user)
    if me is None:
        require_capability(request.user, access.TB_VIEW)
    items = selectors.catalogue_for(request.user)
    account = ledger.member_account(me) if me is not None else None
    home = me.region_id if me is not None else (getattr(request.user, "region_id", None) or "")
    rows = [{"item": i, "local": i.region_code[:6] == home[:6],
             "affordable": account is not None and account.balance >= i.price} for i in items]
    mine = (list(Redemption.objects.filter(member=me).select_related("item").order_by("-created_at")[:20])
            if me is not None else [])
    return render(request, "timebank/catalogue.html", {
        "rows": rows, "member": me, "account": account, "redemptions": mine,
        "redeem_age": rules_for(me.region_id).redeem_min_age if me is not None else None,
        "can_edit": getattr(request.user, "is_staff", False) and has_capability(request.user, access.TB_RULES)})


@login_required
@require_POST
def catalogue_redeem(request: HttpRequest, item_id: int) -> HttpResponse:
    me = access.require_member(request.user)
    item = CatalogueItem.objects.select_related("service_point").filter(pk=item_id, active=True).first()
    if item is None:
        raise NotFoundError()
    try:
        red = services.redeem(actor=request.user, member=me, item=item)
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, (gettext("已兑换：%(item)s（通存通兑），请到%(point)s出示。") if red.exchanged
                                  else gettext("已兑换：%(item)s（在地兑换），请到%(point)s出示。"))
                         % {"item": item.name, "point": item.service_point.name})
    return redirect("timebank:catalogue")


# --------------------------------------------------------------------------- corrections


@login_required
def corrections(request: HttpRequest) -> HttpResponse:
    """冲正: recent bookings of the jurisdiction to open and correct, and the corrections made."""
    require_capability(request.user, access.TB_CORRECT)
    recent = list(selectors.bookings_for(request.user))
    done = [t for t in recent if t.category == Category.CORRECTION]
    return render(request, "timebank/corrections.html", {
        "bookings": [t for t in recent if t.category != Category.CORRECTION], "done": done})


@login_required
def booking(request: HttpRequest, transaction_id: uuid.UUID) -> HttpResponse:
    """One booking: its legs, what it was for (the certified service, with the elder), its
    correction if any; staff with ``timebank.correct`` book a compensating entry with a reason."""
    txn = access.access_booking(request.user, transaction_id)
    can_correct = has_capability(request.user, access.TB_CORRECT)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST":
        if not can_correct:
            raise ForbiddenError()
        if form.is_valid():
            try:
                fix = services.booking_correct(actor=request.user, booking=txn, reason=form.cleaned_data["reason"])
            except FieldErrors as exc:
                form_add_errors(form, exc)
            except ApplicationError as exc:
                if exc.status in (403, 404):
                    raise
                form.add_error(None, exc.message)
            else:
                messages.success(request, gettext("已冲正：每条分录以相反金额记入，原记账保留。"))
                return redirect("timebank:booking", transaction_id=fix.pk)
    service = ServiceRequest.objects.select_related("elder", "volunteer").filter(
        booking_id=(txn.corrects_id or txn.pk)).first()
    corrected_by = LedgerTransaction.objects.filter(corrects=txn).first()
    return render(request, "timebank/booking.html", {
        "txn": txn, "entries": list(txn.entries.select_related("account").order_by("id")), "service": service,
        "corrected_by": corrected_by, "form": form,
        "can_correct": can_correct and txn.category != Category.CORRECTION and corrected_by is None})
