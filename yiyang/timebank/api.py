"""/api/v1/timebank — thin: access, selectors, services."""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from ninja import Query, Router, Status

from yiyang.core.access import in_jurisdiction, require_capability
from yiyang.core.exceptions import FieldErrors, NotFoundError
from yiyang.elders import access as elder_access
from yiyang.timebank import access, ledger, selectors, services
from yiyang.timebank.models import (
    Account,
    CatalogueItem,
    Entry,
    Estate,
    FraudFlag,
    LedgerTransaction,
    Member,
    Redemption,
    RequestStatus,
    ServiceRequest,
    Team,
    credits_text,
)
from yiyang.timebank.schemas import (
    AccountRead,
    CatalogueRead,
    CertifyIn,
    DonationIn,
    EntryRead,
    FlagRead,
    FlagResolveIn,
    MemberCreate,
    MemberRead,
    PositionIn,
    RateIn,
    ReasonIn,
    RedemptionIn,
    RedemptionRead,
    RequestCreate,
    RequestRead,
    ReviewIn,
    TransactionRead,
    TransferIn,
)

router = Router(tags=["时间银行 timebank"])


def member_read(m: Member) -> MemberRead:
    acc = Account.objects.filter(member=m).first()
    return MemberRead(id=m.pk, name=m.name, region_code=m.region_id, age=m.age, age_group=m.age_group,
                      volunteer_status=m.volunteer_status, volunteer_status_label=m.get_volunteer_status_display(),
                      account_id=acc.pk if acc else None, balance=acc.balance if acc else 0,
                      balance_text=credits_text(acc.balance if acc else 0))


def request_read(r: ServiceRequest) -> RequestRead:
    credits = None
    if r.booking_id:
        credits = credits_text(sum(int(e.amount) for e in Entry.objects.filter(transaction_id=r.booking_id, amount__gt=0)))
    return RequestRead(
        id=r.pk, elder_id=r.elder_id, elder_name=r.elder.name, region_code=r.region_code,
        estate=r.estate.name if r.estate_id and r.estate else None,
        service_point=r.service_point.name, kind=r.kind, kind_label=r.get_kind_display(), description=r.description,
        wanted_at=r.wanted_at, expected_minutes=r.expected_minutes, posted_as=r.posted_as, status=r.status,
        status_label=r.get_status_display(), volunteer=r.volunteer.name if r.volunteer else None,
        checkin_at=r.checkin_at, checkin_distance_m=r.checkin_distance_m, checkout_at=r.checkout_at,
        minutes=r.minutes, elder_rating=r.elder_rating, volunteer_rating=r.volunteer_rating,
        certified_minutes=r.certified_minutes, credits=credits,
        flags=[f"{f.get_kind_display()}（{f.get_resolution_display()}）" for f in r.flags.all()])


def account_read(acc: Account) -> AccountRead:
    return AccountRead(id=acc.pk, name=acc.name, kind=acc.kind, region_code=acc.region_code, balance=acc.balance,
                       balance_text=acc.balance_text, statement=[EntryRead(
                           id=e.pk, at=e.created_at, category=e.transaction.category,
                           category_label=e.transaction.get_category_display(),
                           service_kind=e.transaction.service_kind, amount=e.amount, amount_text=e.amount_text,
                           balance_after=e.balance_after, balance_after_text=e.balance_after_text,
                           reason=e.transaction.reason, transaction_id=e.transaction_id)
                           for e in selectors.statement(acc)])


def txn_read(t: LedgerTransaction) -> TransactionRead:
    return TransactionRead(id=t.pk, category=t.category, category_label=t.get_category_display(),
                           created_at=t.created_at)


def _member_or_self(request: HttpRequest, member_id: uuid.UUID | None) -> Member:
    if member_id is None:
        return access.require_member(request.user)
    return access.access_member(request.user, member_id)


# --------------------------------------------------------------------------- members


@router.get("/members", response=list[MemberRead], summary="时间银行成员（工作人员：管辖范围内；成员：本人）")
def member_list(request: HttpRequest, status: str = Query("", max_length=20)):
    me = access.member_of(request.user)
    if me is not None:
        return [member_read(me)]
    qs = access.members_for(request.user)
    if status:
        qs = qs.filter(volunteer_status=status)
    return [member_read(m) for m in qs.order_by("name")[:500]]


@router.post("/members", response={201: MemberRead}, summary="登记成员（实名：身份证号校验）")
def member_create(request: HttpRequest, payload: MemberCreate):
    require_capability(request.user, access.TB_MEMBERS)
    if not in_jurisdiction(request.user, payload.region_code):
        raise NotFoundError()
    m = services.member_register(actor=request.user, name=payload.name, id_number=payload.id_number,
                                 region_code=payload.region_code, phone=payload.phone, volunteer=payload.volunteer,
                                 skills=payload.skills, service_point=services.point_for(payload.region_code))
    return Status(201, member_read(m))


@router.get("/members/{member_id}", response=MemberRead, summary="一位成员")
def member_detail(request: HttpRequest, member_id: uuid.UUID):
    return member_read(access.access_member(request.user, member_id))


@router.post("/members/{member_id}/review", response=MemberRead,
             summary="审核志愿者：服务点审核，再由平台复核（两人）")
def member_review(request: HttpRequest, member_id: uuid.UUID, payload: ReviewIn):
    m = access.access_member(request.user, member_id)
    return member_read(services.volunteer_review(actor=request.user, member=m, approve=payload.approve,
                                                 note=payload.note))


# --------------------------------------------------------------------------- requests


@router.get("/requests", response=list[RequestRead], summary="服务需求（工作人员：管辖范围；成员：与本人相关的）")
def request_list(request: HttpRequest, status: str = Query("", max_length=12)):
    qs = access.requests_for(request.user).prefetch_related("flags")
    if status:
        qs = qs.filter(status=status)
    return [request_read(r) for r in qs.order_by("-wanted_at")[:200]]


@router.get("/requests/open", response=list[RequestRead], summary="附近待接单的需求（志愿者，本街道，由近及远）")
def request_open(request: HttpRequest):
    me = access.require_member(request.user)
    return [request_read(r) for r, _ in selectors.nearest_first(me, access.open_requests_for(me))[:100]]


@router.post("/requests", response={201: RequestRead}, summary="发布服务需求（老人本人、家属代发、工作人员代发）")
def request_create(request: HttpRequest, payload: RequestCreate):
    me = access.member_of(request.user)
    if me is not None:
        from yiyang.elders.models import Elder

        elder = Elder.objects.filter(pk=payload.elder_id, pk__in=access.linked_elder_ids(me)).first()
        if elder is None:
            raise NotFoundError()
    else:
        elder = elder_access.access_elder(request.user, payload.elder_id)
    estate = None
    if payload.estate_id is not None:
        estate = Estate.objects.filter(pk=payload.estate_id, region_id=elder.region_id).first()
        if estate is None:
            raise FieldErrors({"estate_id": ["请选择老人所在社区的物业小区"]})
    req = services.request_post(actor=request.user, elder=elder, kind=payload.kind, description=payload.description,
                                wanted_at=payload.wanted_at, expected_minutes=payload.expected_minutes, estate=estate)
    return Status(201, request_read(req))


@router.get("/requests/{request_id}", response=RequestRead, summary="一项需求及其服务")
def request_detail(request: HttpRequest, request_id: uuid.UUID):
    return request_read(access.access_request(request.user, request_id))


@router.post("/requests/{request_id}/take", response=RequestRead, summary="接单（审核通过的志愿者）")
def request_take(request: HttpRequest, request_id: uuid.UUID, team_id: int | None = None):
    req = access.access_request(request.user, request_id)
    team = Team.objects.filter(pk=team_id).first() if team_id else None
    return request_read(services.request_take(actor=request.user, req=req, team=team))


@router.post("/requests/{request_id}/checkin", response=RequestRead, summary="签到（时间、位置）")
def request_checkin(request: HttpRequest, request_id: uuid.UUID, payload: PositionIn):
    req = access.access_request(request.user, request_id)
    return request_read(services.request_checkin(actor=request.user, req=req, latitude=payload.latitude,
                                                 longitude=payload.longitude))


@router.post("/requests/{request_id}/checkout", response=RequestRead, summary="签退（时间、位置）")
def request_checkout(request: HttpRequest, request_id: uuid.UUID, payload: PositionIn):
    req = access.access_request(request.user, request_id)
    return request_read(services.request_checkout(actor=request.user, req=req, latitude=payload.latitude,
                                                  longitude=payload.longitude))


@router.post("/requests/{request_id}/rate", response=RequestRead, summary="服务评单（老人一方或志愿者）")
def request_rate(request: HttpRequest, request_id: uuid.UUID, payload: RateIn):
    req = access.access_request(request.user, request_id)
    return request_read(services.request_rate(actor=request.user, req=req, rating=payload.rating,
                                              comment=payload.comment))


@router.post("/requests/{request_id}/certify", response=RequestRead, summary="服务认证，积分记入")
def request_certify(request: HttpRequest, request_id: uuid.UUID, payload: CertifyIn):
    req = access.access_request(request.user, request_id, access.TB_CERTIFY)
    return request_read(services.request_certify(actor=request.user, req=req, minutes=payload.minutes))


@router.post("/requests/{request_id}/reject", response=RequestRead, summary="不予认证（注明原因）")
def request_reject(request: HttpRequest, request_id: uuid.UUID, payload: ReasonIn):
    req = access.access_request(request.user, request_id, access.TB_CERTIFY)
    return request_read(services.request_reject(actor=request.user, req=req, reason=payload.reason))


@router.post("/requests/{request_id}/cancel", response=RequestRead, summary="取消需求（注明原因）")
def request_cancel(request: HttpRequest, request_id: uuid.UUID, payload: ReasonIn):
    req = access.access_request(request.user, request_id)
    return request_read(services.request_cancel(actor=request.user, req=req, reason=payload.reason))


# --------------------------------------------------------------------------- flags


@router.get("/flags", response=list[FlagRead], summary="待核查的异常提示（管辖范围内）")
def flag_list(request: HttpRequest):
    return [FlagRead(id=f.pk, request_id=f.request_id, kind=f.kind, kind_label=f.get_kind_display(), detail=f.detail,
                     resolution=f.resolution, raised_at=f.raised_at)
            for f in selectors.flags_open(request.user)[:200]]


@router.post("/flags/{flag_id}/resolve", response=FlagRead, summary="处理异常提示：核查无误或确认违规")
def flag_resolve(request: HttpRequest, flag_id: int, payload: FlagResolveIn):
    flag = FraudFlag.objects.filter(pk=flag_id).first()
    if flag is None or not in_jurisdiction(request.user, flag.region_code):
        raise NotFoundError()
    f = services.flag_resolve(actor=request.user, flag=flag, confirmed=payload.confirmed, note=payload.note)
    return FlagRead(id=f.pk, request_id=f.request_id, kind=f.kind, kind_label=f.get_kind_display(), detail=f.detail,
                    resolution=f.resolution, raised_at=f.raised_at)


# --------------------------------------------------------------------------- accounts and credits


@router.get("/accounts/me", response=AccountRead, summary="本人账户：余额与明细")
def account_me(request: HttpRequest):
    return account_read(ledger.member_account(access.require_member(request.user)))


@router.get("/accounts/{account_id}", response=AccountRead, summary="账户余额与明细（余额 = 分录之和）")
def account_detail(request: HttpRequest, account_id: int):
    return account_read(selectors.access_account(request.user, account_id))


@router.post("/transfers", response={201: TransactionRead}, summary="转赠给经核验的亲属")
def transfer_create(request: HttpRequest, payload: TransferIn):
    src = _member_or_self(request, payload.from_member_id)
    to = Member.objects.filter(pk=payload.to_member_id).first()
    if to is None:
        raise NotFoundError()
    return Status(201, txn_read(services.transfer(actor=request.user, member=src, to=to, amount=payload.amount)))


@router.post("/donations", response={201: TransactionRead}, summary="捐赠至爱心池（个人；团队时长只能捐赠）")
def donation_create(request: HttpRequest, payload: DonationIn):
    if payload.team_id is not None:
        team = Team.objects.filter(pk=payload.team_id).first()
        if team is None:
            raise NotFoundError()
        return Status(201, txn_read(services.donate(actor=request.user, team=team, amount=payload.amount)))
    member = _member_or_self(request, payload.member_id)
    return Status(201, txn_read(services.donate(actor=request.user, member=member, amount=payload.amount)))


@router.get("/catalogue", response=list[CatalogueRead], summary="兑换目录（本区在前）")
def catalogue(request: HttpRequest):
    return [CatalogueRead(id=i.pk, name=i.name, kind=i.kind, partner=i.partner, service_point=i.service_point.name,
                          region_code=i.region_code, price=i.price, price_text=credits_text(i.price))
            for i in selectors.catalogue_for(request.user)[:200]]


@router.post("/redemptions", response={201: RedemptionRead}, summary="兑换（在地优先；异地为通存通兑）")
def redemption_create(request: HttpRequest, payload: RedemptionIn):
    member = _member_or_self(request, payload.member_id)
    item = CatalogueItem.objects.select_related("service_point").filter(pk=payload.item_id).first()
    if item is None:
        raise NotFoundError()
    red = services.redeem(actor=request.user, member=member, item=item)
    return Status(201, redemption_read(red))


@router.post("/transactions/{transaction_id}/correct", response={201: TransactionRead},
             summary="冲正一笔记账（反向记账，注明原因；原记录保留）")
def transaction_correct(request: HttpRequest, transaction_id: uuid.UUID, payload: ReasonIn):
    booking = access.access_booking(request.user, transaction_id, access.TB_CORRECT)
    return Status(201, txn_read(services.booking_correct(actor=request.user, booking=booking,
                                                         reason=payload.reason)))


def redemption_read(red: Redemption) -> RedemptionRead:
    return RedemptionRead(id=red.pk, item=red.item.name, member_id=red.member_id, exchanged=red.exchanged,
                          category=red.booking.category, price_text=credits_text(red.item.price),
                          created_at=red.created_at)


__all__ = ["RequestStatus", "router"]
