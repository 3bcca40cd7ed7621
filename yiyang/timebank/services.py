"""Writes of the time bank: members and their review, requests and the service that answers
them, certification, transfers, donations, redemptions and corrections. Every credit moves
through ``ledger.ledger_book``; every state change writes an event in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from yiyang.core import geo, pii
from yiyang.core.access import has_capability, in_jurisdiction
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.identifiers import IdentifierError, normalize_person_name, normalize_phone, parse_id_number
from yiyang.core.text import LINE_MAX, REMARK_MAX, too_long
from yiyang.elders.models import Consent
from yiyang.regions.models import Region
from yiyang.stations.models import ServicePoint
from yiyang.timebank import access as tb_access
from yiyang.timebank import events
from yiyang.timebank.ledger import (
    ledger_book,
    ledger_correct,
    member_account,
    point_account,
    pool_account,
    team_account,
)
from yiyang.timebank.models import (
    Account,
    CatalogueItem,
    Category,
    Estate,
    FamilyLink,
    FraudFlag,
    Kinship,
    LedgerTransaction,
    Member,
    PostedAs,
    Redemption,
    RegionRule,
    Relation,
    RequestStatus,
    ServiceKind,
    ServiceRequest,
    Team,
    VolunteerStatus,
    credits_text,
)
from yiyang.timebank.rules import rules_for

ID_CTX = "timebank.id_number"
PHONE_CTX = "timebank.phone"


@transaction.atomic
def member_register(
    *,
    actor: Any,
    name: str,
    id_number: str,
    region_code: str,
    phone: str = "",
    volunteer: bool = False,
    service_point: Any = None,
    estate: Any = None,
    elder: Any = None,
    user: Any = None,
    skills: str = "",
    home_cell: str = "",
) -> Member:
    """Register a person in the time bank with the registry's real-name rules (the ID number's
    check character, GB 11643); a volunteer starts at the point's review."""
    errors: dict[str, list[str]] = {}
    try:
        clean_name = normalize_person_name(name)
    except IdentifierError as exc:
        errors["name"] = [str(exc)]
    try:
        ident = parse_id_number(id_number)
    except IdentifierError as exc:
        errors["id_number"] = [f"身份证号{exc}"]
    clean_phone = ""
    if phone:
        try:
            clean_phone = normalize_phone(phone)
        except IdentifierError as exc:
            errors["phone"] = [str(exc)]
    region = Region.objects.filter(code=region_code, level=Region.Level.COMMUNITY).first()
    if region is None:
        errors["region_code"] = ["请选择所在社区"]
    if errors:
        raise FieldErrors(errors)
    assert region is not None
    bidx = pii.blind_index(ident.value, ID_CTX) or ""
    if Member.objects.filter(id_number_bidx=bidx).exists():
        raise FieldErrors({"id_number": ["该身份证号已登记为时间银行成员"]})
    if volunteer:
        min_age = rules_for(region_code).volunteer_min_age
        if ident.age_on(timezone.localdate()) < min_age:
            raise FieldErrors({"id_number": [f"志愿者须年满{min_age}周岁"]})
    try:
        with transaction.atomic():
            member = Member.objects.create(
                name=clean_name, id_number_enc=pii.encrypt(ident.value, ID_CTX), id_number_bidx=bidx,
                birth_date=ident.birth_date, sex=ident.sex,
                phone_enc=pii.encrypt(clean_phone, PHONE_CTX) if clean_phone else None,
                phone_bidx=(pii.blind_index(clean_phone, PHONE_CTX) or "") if clean_phone else "",
                region=region, estate=estate, service_point=service_point, elder=elder, user=user,
                skills=skills, home_cell=home_cell,
                volunteer_status=VolunteerStatus.APPLIED if volunteer else VolunteerStatus.NONE,
            )
    except IntegrityError:
        raise FieldErrors({"id_number": ["该身份证号已登记为时间银行成员"]}) from None
    member_account(member)
    event_record(type=events.MEMBER_JOINED, actor=actor, subject=member, region_code=region_code,
                 elder_id=elder.pk if elder is not None else None,
                 payload={"name": member.name, "volunteer": volunteer})
    return member


# --------------------------------------------------------------------------- review, relations


def _check_review_scope(actor: Any, member: Member, capability: str) -> None:
    if not has_capability(actor, capability):
        raise ForbiddenError()
    if not in_jurisdiction(actor, member.region_id):
        raise NotFoundError()


@transaction.atomic
def volunteer_review(*, actor: Any, member: Member, approve: bool, note: str = "") -> Member:
    """Two stages: the service point (审核) first, then the platform (复核). A refusal at either
    stage ends the application with the note."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    note = (note or "").strip()
    if len(note) > LINE_MAX:
        raise FieldErrors({"note": [too_long(note, LINE_MAX) or ""]})
    now = timezone.now()
    if member.volunteer_status == VolunteerStatus.APPLIED:
        _check_review_scope(actor, member, tb_access.TB_POINT_REVIEW)
        stage = "point"
        member.point_reviewed_by, member.point_reviewed_at = actor, now
        member.volunteer_status = VolunteerStatus.POINT_APPROVED if approve else VolunteerStatus.REJECTED
    elif member.volunteer_status == VolunteerStatus.POINT_APPROVED:
        _check_review_scope(actor, member, tb_access.TB_PLATFORM_REVIEW)
        if member.point_reviewed_by_id == getattr(actor, "pk", None):
            raise ApplicationError("平台复核须由服务点审核人以外的人员进行", code="same_reviewer")
        stage = "platform"
        member.platform_reviewed_by, member.platform_reviewed_at = actor, now
        member.volunteer_status = VolunteerStatus.APPROVED if approve else VolunteerStatus.REJECTED
    else:
        raise ApplicationError("该成员当前不在待审核状态", code="not_pending", status=409)
    if not approve and not note:
        raise FieldErrors({"note": ["不通过时请填写审核意见"]})
    member.review_note = note
    member.save(update_fields=["volunteer_status", "point_reviewed_by", "point_reviewed_at", "platform_reviewed_by",
                               "platform_reviewed_at", "review_note", "updated_at"])
    event_record(type=events.VOLUNTEER_REVIEWED, actor=actor, subject=member, region_code=member.region_id,
                 payload={"stage": stage, "approved": approve, "status": member.volunteer_status, "note": note})
    return member


@transaction.atomic
def kinship_verify(*, actor: Any, member: Member, relative: Member, relation: str, evidence: str = "") -> Kinship:
    """Staff record a relationship they checked (户口簿、结婚证…): transfers may go to the relative,
    and the volunteer may not serve them for credit."""
    if not has_capability(actor, tb_access.TB_MEMBERS):
        raise ForbiddenError()
    if not (in_jurisdiction(actor, member.region_id) or in_jurisdiction(actor, relative.region_id)):
        raise NotFoundError()
    if member.pk == relative.pk:
        raise FieldErrors({"relative": ["不能与本人建立亲属关系"]})
    if relation not in Relation.values:
        raise FieldErrors({"relation": ["请选择关系"]})
    now = timezone.now()
    kin, _ = Kinship.objects.update_or_create(
        member=member, relative=relative,
        defaults={"relation": relation, "evidence": (evidence or "")[:LINE_MAX], "verified_by": actor,
                  "verified_at": now})
    return kin


@transaction.atomic
def family_link(*, actor: Any, member: Member, elder: Any, relation: str) -> FamilyLink:
    """Link a family member to an elder of the registry. Needs the elder's consent to family
    proxy (家属代办) in force: without it, a family member sees nothing of the elder."""
    if not has_capability(actor, tb_access.TB_MEMBERS):
        raise ForbiddenError()
    if not in_jurisdiction(actor, elder.region_id):
        raise NotFoundError()
    consent = elder.consents.filter(purpose=Consent.Purpose.FAMILY_PROXY, withdrawn_at__isnull=True).first()
    if consent is None:
        raise ApplicationError("老人尚未授权家属代办（请先在老人档案中记录“家属代办”授权）",
                               code="consent_required")
    if relation not in Relation.values:
        raise FieldErrors({"relation": ["请选择关系"]})
    link, _ = FamilyLink.objects.update_or_create(member=member, elder=elder,
                                                  defaults={"relation": relation, "consent": consent})
    return link


# --------------------------------------------------------------------------- requests


def point_for(region_code: str, estate: Estate | None = None) -> ServicePoint | None:
    """The time-bank point that certifies services in a place: the estate's own (物业), else the
    community's, else its street's."""
    points = ServicePoint.objects.filter(kind=ServicePoint.Kind.TIME_BANK, active=True)
    if estate is not None and estate.service_point_id:
        own = points.filter(pk=estate.service_point_id).first()
        if own is not None:
            return own
    return (points.filter(region_id=region_code).order_by("pk").first()
            or points.filter(region__code__startswith=region_code[:9]).order_by("region_id", "pk").first())


@transaction.atomic
def request_post(
    *, actor: Any, elder: Any, kind: str, description: str, wanted_at: Any, expected_minutes: int = 60,
    estate: Any = None, at: Any = None,
) -> ServiceRequest:
    """需求发布: by the elder (a member linked to her registry record), a family member for a
    parent whose consent is recorded, or a worker for an elder without a phone."""
    member = tb_access.member_of(actor)
    if member is not None:
        if elder.pk not in tb_access.linked_elder_ids(member):
            raise NotFoundError()
        posted_as = PostedAs.ELDER if member.elder_id == elder.pk else PostedAs.FAMILY
    else:
        if not in_jurisdiction(actor, elder.region_id):
            raise NotFoundError()
        if not has_capability(actor, tb_access.TB_POST):
            raise ForbiddenError()
        posted_as = PostedAs.WORKER
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = ["请说明需要什么帮助"]
    elif len(description) > REMARK_MAX:
        errors["description"] = [too_long(description, REMARK_MAX) or ""]
    if kind not in ServiceKind.values:
        errors["kind"] = ["请选择服务类型"]
    if not (15 <= int(expected_minutes or 0) <= 480):
        errors["expected_minutes"] = ["预计时长应在15～480分钟之间"]
    if wanted_at is None:
        errors["wanted_at"] = ["请填写期望服务时间"]
    if not elder.active:
        errors["elder"] = ["该老人档案已注销"]
    if estate is not None and estate.region_id != elder.region_id:
        errors["estate"] = ["请选择老人所在社区的物业小区"]
    if errors:
        raise FieldErrors(errors)
    point = point_for(elder.region_id, estate)
    if point is None:
        raise ApplicationError("该社区及所在街道尚无时间银行服务点，暂不能发布需求", code="no_point")
    req = ServiceRequest.objects.create(
        elder=elder, region_code=elder.region_id, estate=estate, service_point=point, kind=kind,
        description=description, wanted_at=wanted_at, expected_minutes=int(expected_minutes), posted_as=posted_as,
        posted_by=actor, posted_for_member=member if posted_as == PostedAs.FAMILY else None)
    event_record(type=events.REQUEST_POSTED, actor=actor, elder_id=elder.pk, subject=req, region_code=req.region_code,
                 occurred_at=at, payload={"kind": kind, "kind_label": str(req.get_kind_display()), "posted_as": posted_as,
                          "wanted_at": wanted_at.isoformat(), "estate": estate.name if estate else ""})
    return req


def _locked(req: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update(of=("self",)).select_related("elder", "volunteer").get(pk=req.pk)


def _expect(req: ServiceRequest, *statuses: str) -> None:
    if req.status not in statuses:
        raise ApplicationError(f"该需求当前为“{req.get_status_display()}”，不能进行此操作", code="wrong_status",
                               status=409)


@transaction.atomic
def request_take(*, actor: Any, req: ServiceRequest, team: Team | None = None, at: Any = None) -> ServiceRequest:
    """服务接单: an approved volunteer of the street takes an open request (first come; the row
    lock makes a second taker see it taken)."""
    member = tb_access.require_member(actor)
    if not member.is_volunteer:
        raise ForbiddenError("志愿者审核通过后才能接单")
    req = _locked(req)
    _expect(req, RequestStatus.OPEN)
    if not req.region_code.startswith(member.region_id[:9]):
        raise NotFoundError()
    if req.elder_id in tb_access.linked_elder_ids(member):
        raise ApplicationError("不能为自己或自己的家人接单", code="self_dealing")
    if team is not None and not team.members.filter(pk=member.pk).exists():
        raise ForbiddenError("您不是该团队的成员")
    req.status, req.volunteer, req.team, req.taken_at = RequestStatus.TAKEN, member, team, at or timezone.now()
    req.save(update_fields=["status", "volunteer", "team", "taken_at", "updated_at"])
    event_record(type=events.REQUEST_TAKEN, actor=actor, elder_id=req.elder_id, subject=req,
                 region_code=req.region_code, occurred_at=at, payload={"volunteer": member.name, "team": team.name if team else ""})
    return req


def _position(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    if latitude in (None, "") or longitude in (None, ""):
        return None
    try:
        return geo.position_check(latitude, longitude)
    except geo.PositionError as exc:
        raise FieldErrors({"latitude": [str(exc)]}) from exc


def _own_service(actor: Any, req: ServiceRequest) -> Member:
    member = tb_access.require_member(actor)
    if req.volunteer_id != member.pk:
        raise NotFoundError()
    return member


@transaction.atomic
def request_checkin(*, actor: Any, req: ServiceRequest, latitude: Any = None, longitude: Any = None,
                    at: Any = None) -> ServiceRequest:
    """签到: the time and where (the ≈200 m cell and the distance to the elder's home cell —
    never the exact position)."""
    req = _locked(req)
    _own_service(actor, req)
    _expect(req, RequestStatus.TAKEN)
    pos = _position(latitude, longitude)
    req.checkin_at = at or timezone.now()
    if pos is not None:
        req.checkin_cell = geo.cell_of(*pos)
        dist = geo.distance_to_cell_m(pos, req.elder.home_cell) if req.elder.home_cell else None
        req.checkin_distance_m = round(dist) if dist is not None else None
    req.status = RequestStatus.IN_SERVICE
    req.save(update_fields=["checkin_at", "checkin_cell", "checkin_distance_m", "status", "updated_at"])
    event_record(type=events.CHECKED_IN, actor=actor, elder_id=req.elder_id, subject=req, region_code=req.region_code,
                 occurred_at=req.checkin_at, payload={"distance_m": req.checkin_distance_m})
    return req


@transaction.atomic
def request_checkout(*, actor: Any, req: ServiceRequest, latitude: Any = None, longitude: Any = None,
                     at: Any = None) -> ServiceRequest:
    """签退: the length of the service, then the checks that raise flags for the point."""
    req = _locked(req)
    _own_service(actor, req)
    _expect(req, RequestStatus.IN_SERVICE)
    pos = _position(latitude, longitude)
    now = at or timezone.now()
    assert req.checkin_at is not None
    if now <= req.checkin_at:
        raise FieldErrors({"at": ["签退时间应晚于签到时间"]})
    req.checkout_at = now
    req.checkout_cell = geo.cell_of(*pos) if pos else ""
    req.minutes = max(1, int((now - req.checkin_at).total_seconds() // 60))
    req.status = RequestStatus.DONE
    req.save(update_fields=["checkout_at", "checkout_cell", "minutes", "status", "updated_at"])
    event_record(type=events.CHECKED_OUT, actor=actor, elder_id=req.elder_id, subject=req,
                 region_code=req.region_code, occurred_at=now, payload={"minutes": req.minutes})
    flags_raise(req)
    return req


def flags_raise(req: ServiceRequest) -> list[FraudFlag]:
    """The checks of a finished service: self-dealing, overlapping sessions of the volunteer,
    implausible hours (one session, or one day), check-in far from the elder's home."""
    rules = rules_for(req.region_code)
    found: list[tuple[str, str]] = []
    vol = req.volunteer
    assert vol is not None and req.checkin_at is not None and req.checkout_at is not None
    elder_member = Member.objects.filter(elder_id=req.elder_id).first()
    related = FamilyLink.objects.filter(member=vol, elder_id=req.elder_id).exists() or (
        elder_member is not None and Kinship.objects.filter(
            Q(member=vol, relative=elder_member) | Q(member=elder_member, relative=vol)).exists())
    if related or (elder_member is not None and elder_member.pk == vol.pk):
        found.append((FraudFlag.Kind.SELF_DEALING, "志愿者与服务对象有亲属关系"))
    overlapping = (ServiceRequest.objects.filter(volunteer=vol, checkin_at__lt=req.checkout_at,
                                                 checkout_at__gt=req.checkin_at)
                   .exclude(pk=req.pk).exclude(status__in=[RequestStatus.CANCELLED, RequestStatus.REJECTED]))
    if overlapping.exists():
        found.append((FraudFlag.Kind.OVERLAP, f"与另外 {overlapping.count()} 次服务时间重叠"))
    minutes = req.minutes or 0
    day = timezone.localtime(req.checkin_at).date()
    day_total = minutes + sum(
        r.minutes or 0 for r in ServiceRequest.objects.filter(volunteer=vol, checkin_at__date=day)
        .exclude(pk=req.pk).exclude(status__in=[RequestStatus.CANCELLED, RequestStatus.REJECTED]))
    if minutes > rules.max_session_minutes:
        found.append((FraudFlag.Kind.IMPLAUSIBLE, f"单次服务 {minutes} 分钟，超过上限 {rules.max_session_minutes} 分钟"))
    elif day_total > rules.max_daily_minutes:
        found.append((FraudFlag.Kind.IMPLAUSIBLE, f"当日累计 {day_total} 分钟，超过上限 {rules.max_daily_minutes} 分钟"))
    if req.checkin_distance_m is not None and req.checkin_distance_m > rules.far_checkin_m:
        found.append((FraudFlag.Kind.FAR_CHECKIN, f"签到处距老人住址约 {req.checkin_distance_m} 米"))
    flags = []
    now = timezone.now()
    for kind, detail in found:
        flag, created = FraudFlag.objects.get_or_create(request=req, kind=kind, defaults={
            "detail": detail, "raised_at": now, "region_code": req.region_code})
        if created:
            flags.append(flag)
            event_record(type=events.FLAG_RAISED, subject=req, region_code=req.region_code,
                         payload={"kind": kind, "detail": detail})
    return flags


@transaction.atomic
def request_rate(*, actor: Any, req: ServiceRequest, rating: int, comment: str = "", at: Any = None) -> ServiceRequest:
    """服务评单: the volunteer rates the visit; the elder's side (the elder, a linked family
    member, or a worker for an elder without a phone) rates the volunteer. Both → 待认证."""
    req = _locked(req)
    _expect(req, RequestStatus.DONE)
    comment = (comment or "").strip()
    errors = {}
    if not (1 <= int(rating) <= 5):
        errors["rating"] = ["评分为1～5星"]
    if len(comment) > REMARK_MAX:
        errors["comment"] = [too_long(comment, REMARK_MAX) or ""]
    if errors:
        raise FieldErrors(errors)
    member = tb_access.member_of(actor)
    if member is not None and req.volunteer_id == member.pk:
        side = "volunteer"
        req.volunteer_rating, req.volunteer_comment = int(rating), comment
    elif member is not None and req.elder_id in tb_access.linked_elder_ids(member):
        side = "elder"
        req.elder_rating, req.elder_comment = int(rating), comment
    elif member is None and in_jurisdiction(actor, req.region_code) and has_capability(actor, tb_access.TB_POST):
        side = "elder"
        req.elder_rating, req.elder_comment = int(rating), comment
    else:
        raise NotFoundError()
    if req.volunteer_rating and req.elder_rating:
        req.status = RequestStatus.RATED
    req.save(update_fields=["volunteer_rating", "volunteer_comment", "elder_rating", "elder_comment", "status",
                            "updated_at"])
    event_record(type=events.RATED, actor=actor, elder_id=req.elder_id, subject=req, region_code=req.region_code,
                 occurred_at=at, payload={"side": side, "rating": int(rating)})
    return req


def credits_for(minutes: int, region_code: str) -> int:
    return round(minutes * rules_for(region_code).credits_per_hour / 60)


@transaction.atomic
def request_certify(*, actor: Any, req: ServiceRequest, minutes: int | None = None, at: Any = None) -> ServiceRequest:
    """服务认证: the point confirms the service and the credits are booked — from the point's
    account to the volunteer's (or the team's); above the storage cap the excess goes to the
    district's pool in the same transaction. Open flags must be cleared first."""
    if not has_capability(actor, tb_access.TB_CERTIFY):
        raise ForbiddenError()
    if not in_jurisdiction(actor, req.region_code):
        raise NotFoundError()
    req = _locked(req)
    _expect(req, RequestStatus.RATED)
    if req.flags.filter(resolution=FraudFlag.Resolution.OPEN).exists():
        raise ApplicationError("尚有待核查的异常提示，请先处理", code="open_flags", status=409)
    if req.flags.filter(resolution=FraudFlag.Resolution.CONFIRMED).exists():
        raise ApplicationError("异常已确认为违规，不能认证", code="confirmed_flag", status=409)
    certified = int(minutes) if minutes is not None else int(req.minutes or 0)
    if not (1 <= certified <= (req.minutes or 0)):
        raise FieldErrors({"minutes": [f"认证时长应在 1～{req.minutes} 分钟之间"]})
    amount = credits_for(certified, req.region_code)
    assert req.volunteer is not None
    holder = team_account(req.team) if req.team_id else member_account(req.volunteer)
    txn = ledger_book(category=Category.SERVICE, service_kind=req.kind, legs=[
        (point_account(req.service_point), -amount), (holder, amount)], actor=actor, region_code=req.region_code,
        reference=str(req.pk), at=at)
    overflow_to_pool(actor=actor, account=holder, region_code=req.volunteer.region_id, at=at)
    req.status, req.certified_by, req.certified_at = RequestStatus.CERTIFIED, actor, at or timezone.now()
    req.certified_minutes, req.booking = certified, txn
    req.save(update_fields=["status", "certified_by", "certified_at", "certified_minutes", "booking", "updated_at"])
    event_record(type=events.SERVICE_CONFIRMED, actor=actor, elder_id=req.elder_id, subject=req,
                 region_code=req.region_code, occurred_at=at,
                 payload={"kind": req.kind, "kind_label": str(req.get_kind_display()), "minutes": certified,
                          "credits": credits_text(amount), "volunteer": req.volunteer.name})
    return req


def overflow_to_pool(*, actor: Any, account: Account, region_code: str, at: Any = None) -> LedgerTransaction | None:
    """Above the storage cap of the holder's region, the excess is donated to the pool."""
    cap = rules_for(region_code).storage_cap
    account.refresh_from_db(fields=["balance"])
    if not cap or account.kind != Account.Kind.PERSON or account.balance <= cap:
        return None
    return ledger_book(category=Category.OVERFLOW, legs=[(account, -(account.balance - cap)),
                                                         (pool_account(region_code), account.balance - cap)],
                       actor=actor, region_code=region_code, reason=f"超出储存上限 {credits_text(cap)}", at=at)


@transaction.atomic
def request_reject(*, actor: Any, req: ServiceRequest, reason: str) -> ServiceRequest:
    if not has_capability(actor, tb_access.TB_CERTIFY):
        raise ForbiddenError()
    if not in_jurisdiction(actor, req.region_code):
        raise NotFoundError()
    reason = (reason or "").strip()
    if not reason or len(reason) > LINE_MAX:
        raise FieldErrors({"reason": ["请填写不予认证的原因（200字以内）"]})
    req = _locked(req)
    _expect(req, RequestStatus.DONE, RequestStatus.RATED)
    req.status, req.cancel_reason = RequestStatus.REJECTED, reason
    req.save(update_fields=["status", "cancel_reason", "updated_at"])
    event_record(type=events.SERVICE_REJECTED, actor=actor, elder_id=req.elder_id, subject=req,
                 region_code=req.region_code, payload={"reason": reason})
    return req


@transaction.atomic
def request_cancel(*, actor: Any, req: ServiceRequest, reason: str) -> ServiceRequest:
    """The poster's side or staff cancel a request not yet served."""
    reason = (reason or "").strip()
    if not reason or len(reason) > LINE_MAX:
        raise FieldErrors({"reason": ["请填写取消原因（200字以内）"]})
    member = tb_access.member_of(actor)
    req = _locked(req)
    if member is not None:
        if req.elder_id not in tb_access.linked_elder_ids(member):
            raise NotFoundError()
    elif not in_jurisdiction(actor, req.region_code):
        raise NotFoundError()
    elif not has_capability(actor, tb_access.TB_POST):
        raise ForbiddenError()
    _expect(req, RequestStatus.OPEN, RequestStatus.TAKEN)
    req.status, req.cancel_reason = RequestStatus.CANCELLED, reason
    req.save(update_fields=["status", "cancel_reason", "updated_at"])
    event_record(type=events.REQUEST_CANCELLED, actor=actor, elder_id=req.elder_id, subject=req,
                 region_code=req.region_code, payload={"reason": reason})
    return req


@transaction.atomic
def flag_resolve(*, actor: Any, flag: FraudFlag, confirmed: bool, note: str) -> FraudFlag:
    if not has_capability(actor, tb_access.TB_CERTIFY):
        raise ForbiddenError()
    if not in_jurisdiction(actor, flag.region_code):
        raise NotFoundError()
    note = (note or "").strip()
    if not note or len(note) > LINE_MAX:
        raise FieldErrors({"note": ["请填写核查情况（200字以内）"]})
    flag = FraudFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolution != FraudFlag.Resolution.OPEN:
        raise ApplicationError("该提示已处理", code="already_resolved", status=409)
    flag.resolution = FraudFlag.Resolution.CONFIRMED if confirmed else FraudFlag.Resolution.CLEARED
    flag.resolved_by, flag.resolved_at, flag.note = actor, timezone.now(), note
    flag.save(update_fields=["resolution", "resolved_by", "resolved_at", "note"])
    event_record(type=events.FLAG_RESOLVED, actor=actor, subject=flag.request, region_code=flag.region_code,
                 payload={"kind": flag.kind, "resolution": flag.resolution, "note": note})
    return flag


# --------------------------------------------------------------------------- moving credits


def _amount(value: Any) -> int:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        amount = 0
    if amount <= 0:
        raise FieldErrors({"amount": ["数量应为正数（以百分之一积分计）"]})
    return amount


def _acting_member(actor: Any, member: Member) -> None:
    """Credits leave a person's account by their own hand, or by staff of their jurisdiction
    at the counter (an elder without a phone)."""
    me = tb_access.member_of(actor)
    if me is not None:
        if me.pk != member.pk:
            raise NotFoundError()
        return
    if not in_jurisdiction(actor, member.region_id):
        raise NotFoundError()
    if not has_capability(actor, tb_access.TB_REDEEM):
        raise ForbiddenError()


@transaction.atomic
def transfer(*, actor: Any, member: Member, to: Member, amount: Any, at: Any = None) -> LedgerTransaction:
    """转赠: to a relative whose kinship staff verified, where the region allows."""
    amount = _amount(amount)
    _acting_member(actor, member)
    if not rules_for(member.region_id).allow_transfer:
        raise ApplicationError("本地区规则不允许转赠", code="transfer_not_allowed")
    verified = Kinship.objects.filter(Q(member=member, relative=to) | Q(member=to, relative=member),
                                      verified_at__isnull=False).exists()
    if not verified:
        raise ApplicationError("只能转赠给经核验的亲属", code="not_verified_relative")
    txn = ledger_book(category=Category.TRANSFER, legs=[(member_account(member), -amount), (member_account(to), amount)],
                      actor=actor, region_code=member.region_id, reference=str(to.pk), at=at)
    overflow_to_pool(actor=actor, account=member_account(to), region_code=to.region_id, at=at)
    event_record(type=events.TRANSFERRED, actor=actor, subject=member, region_code=member.region_id, occurred_at=at,
                 payload={"to": to.name, "credits": credits_text(amount)})
    return txn


@transaction.atomic
def donate(*, actor: Any, amount: Any, member: Member | None = None, team: Team | None = None,
           at: Any = None) -> LedgerTransaction:
    """捐赠 to the district's pool for the neediest elders — a person's credits, or a team's
    (the only thing a team's hours may do where ``team_only_donate`` holds)."""
    amount = _amount(amount)
    if member is not None:
        _acting_member(actor, member)
        region, source = member.region_id, member_account(member)
    elif team is not None:
        me = tb_access.member_of(actor)
        if me is not None and team.leader_id != me.pk:
            raise ForbiddenError("只有团队负责人可以捐赠团队时长")
        if me is None and not (in_jurisdiction(actor, team.region_id) and has_capability(actor, tb_access.TB_REDEEM)):
            raise NotFoundError()
        region, source = team.region_id, team_account(team)
    else:
        raise ValueError("donate needs a member or a team")
    if not rules_for(region).allow_donation:
        raise ApplicationError("本地区规则不允许捐赠", code="donation_not_allowed")
    txn = ledger_book(category=Category.DONATION, legs=[(source, -amount), (pool_account(region), amount)],
                      actor=actor, region_code=region, at=at)
    event_record(type=events.DONATED, actor=actor, region_code=region, occurred_at=at,
                 payload={"from": source.name, "credits": credits_text(amount)})
    return txn


@transaction.atomic
def pool_grant(*, actor: Any, member: Member, amount: Any, reason: str) -> LedgerTransaction:
    """爱心池拨付: staff give pool credits to a needy elder's account, with the reason."""
    amount = _amount(amount)
    if not has_capability(actor, tb_access.TB_REDEEM):
        raise ForbiddenError()
    if not in_jurisdiction(actor, member.region_id):
        raise NotFoundError()
    reason = (reason or "").strip()
    if not reason or len(reason) > LINE_MAX:
        raise FieldErrors({"reason": ["请填写拨付原因（200字以内）"]})
    return ledger_book(category=Category.GRANT, legs=[(pool_account(member.region_id), -amount),
                                                      (member_account(member), amount)],
                       actor=actor, region_code=member.region_id, reason=reason)


SCOPE_DIGITS = {"community": 12, "street": 9, "district": 6, "city": 4, "any": 0}


@transaction.atomic
def redeem(*, actor: Any, member: Member, item: CatalogueItem, at: Any = None) -> Redemption:
    """兑换: the member's age against the home region's rule; the item local first (在地兑换)
    — within the home region's exchange scope; an item in another district is an exchange
    (通存通兑), which the item's region must accept. The member is the same row everywhere:
    the other region reads it, never copies it."""
    _acting_member(actor, member)
    if not item.active:
        raise ApplicationError("该项目已下架", code="item_inactive")
    home = rules_for(member.region_id)
    if member.age < home.redeem_min_age:
        raise ApplicationError(f"年满{home.redeem_min_age}周岁方可兑换（可转赠给经核验的亲属）", code="too_young")
    digits = SCOPE_DIGITS[home.exchange_scope]
    if member.region_id[:digits] != item.region_code[:digits]:
        raise ApplicationError(f"本地区规则只允许在{RegionRule.Scope(home.exchange_scope).label}范围内兑换",
                               code="outside_exchange_scope")
    exchanged = member.region_id[:6] != item.region_code[:6]
    if exchanged and not rules_for(item.region_code).accept_exchange:
        raise ApplicationError("兑换地规则不接受外地积分", code="exchange_not_accepted")
    now = at or timezone.now()
    txn = ledger_book(category=Category.EXCHANGE if exchanged else Category.REDEMPTION,
                      legs=[(member_account(member), -item.price), (point_account(item.service_point), item.price)],
                      actor=actor, region_code=item.region_code,
                      other_region_code=member.region_id if exchanged else "", reference=f"item:{item.pk}", at=now)
    red = Redemption.objects.create(item=item, member=member, region_code=item.region_code, booking=txn,
                                    exchanged=exchanged, created_at=now,
                                    actor=actor if getattr(actor, "pk", None) else None)
    event_record(type=events.REDEEMED, actor=actor, subject=red, region_code=item.region_code, occurred_at=now,
                 elder_id=member.elder_id, payload={"item": item.name, "credits": credits_text(item.price),
                                                    "exchanged": exchanged})
    return red


@transaction.atomic
def booking_correct(*, actor: Any, booking: LedgerTransaction, reason: str) -> LedgerTransaction:
    if not has_capability(actor, tb_access.TB_CORRECT):
        raise ForbiddenError()
    if not in_jurisdiction(actor, booking.region_code):
        raise NotFoundError()
    if len((reason or "").strip()) > LINE_MAX:
        raise FieldErrors({"reason": [too_long(reason.strip(), LINE_MAX) or ""]})
    fix = ledger_correct(actor=actor, booking=booking, reason=reason)
    event_record(type=events.CORRECTED, actor=actor, region_code=booking.region_code,
                 payload={"booking": str(booking.pk), "reason": reason.strip()})
    return fix


@transaction.atomic
def rule_save(*, actor: Any, region_code: str, values: dict[str, Any]) -> RegionRule:
    if not has_capability(actor, tb_access.TB_RULES):
        raise ForbiddenError()
    if not in_jurisdiction(actor, region_code):
        raise NotFoundError()
    rule, _ = RegionRule.objects.get_or_create(region_id=region_code)
    changed = {}
    for key, value in values.items():
        if getattr(rule, key) != value:
            changed[key] = str(value)
            setattr(rule, key, value)
    rule.updated_by = actor
    rule.full_clean()
    rule.save()
    event_record(type=events.RULE_CHANGED, actor=actor, region_code=region_code, payload={"changed": changed})
    return rule
