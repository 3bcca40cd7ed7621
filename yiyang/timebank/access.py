"""Who may do what in the time bank.

Staff reach members, requests and accounts of their jurisdiction through core's primitive
(outside → 404, inside without the capability → 403). Volunteers and family members are not
staff: they log in with the role ``timebank_member`` (no staff capability at all) and reach
only what their *relationship* allows —

* a volunteer: open requests of their street (to take one), and the requests they took;
* a family member: the requests of an elder they are linked to, while the elder's consent
  (``Consent.Purpose.FAMILY_PROXY``) is in force;
* an elder who is a member: their own requests;
* everyone: their own account and statement.

Anything else is 404 for them, like a record outside a worker's jurisdiction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from yiyang.accounts.models import Role
from yiyang.core.access import capability, grant, has_capability, in_jurisdiction, jurisdiction_filter
from yiyang.core.exceptions import ForbiddenError, NotFoundError
from yiyang.elders.models import Elder
from yiyang.timebank.models import FamilyLink, LedgerTransaction, Member, RequestStatus, ServiceRequest, Team

MEMBER_ROLE = Role.TIMEBANK_MEMBER

TB_VIEW = capability("timebank.view", "查看时间银行（成员、需求、服务、账户）")
TB_POST = capability("timebank.post", "为老人发布服务需求（工作人员代发）")
TB_MEMBERS = capability("timebank.members", "登记时间银行成员、核验亲属与家属关联")
TB_POINT_REVIEW = capability("timebank.point_review", "服务点审核志愿者")
TB_PLATFORM_REVIEW = capability("timebank.platform_review", "平台审核志愿者")
TB_CERTIFY = capability("timebank.certify", "认证服务、处理异常提示")
TB_REDEEM = capability("timebank.redeem", "办理兑换、拨付爱心池积分")
TB_CORRECT = capability("timebank.correct", "冲正记账（注明原因）")
TB_RULES = capability("timebank.rules", "修改本区域时间银行规则")
TB_STATS = capability("timebank.stats", "查看时间银行统计并导出")
TB_MEMBER = capability("timebank.member", "以成员身份使用时间银行（志愿者、家属）")

grant(Role.COMMISSIONER, TB_VIEW, TB_POST, TB_MEMBERS, TB_REDEEM)
grant(Role.POINT_LEAD, TB_VIEW, TB_POST, TB_MEMBERS, TB_POINT_REVIEW, TB_CERTIFY, TB_REDEEM, TB_CORRECT, TB_STATS)
grant(Role.COMMUNITY_ADMIN, TB_VIEW, TB_POST, TB_MEMBERS, TB_POINT_REVIEW, TB_CERTIFY, TB_REDEEM, TB_CORRECT,
      TB_STATS)
grant(Role.STREET_ADMIN, TB_VIEW, TB_STATS, TB_PLATFORM_REVIEW)
for _role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, TB_VIEW, TB_STATS, TB_PLATFORM_REVIEW, TB_RULES, TB_CORRECT)
grant(MEMBER_ROLE, TB_MEMBER)


def member_of(user: Any) -> Member | None:
    """The time-bank member the login belongs to, or None (staff)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.timebank_member
    except Member.DoesNotExist:
        return None
    except AttributeError:
        return None


def require_member(user: Any) -> Member:
    member = member_of(user)
    if member is None or not member.active:
        raise ForbiddenError("此功能供时间银行成员（志愿者、家属）使用")
    return member


def linked_elder_ids(member: Member) -> list[Any]:
    """Elders the member may act for: their own registry record, and parents (or others)
    linked with a consent still in force."""
    ids = list(FamilyLink.objects.filter(member=member, consent__withdrawn_at__isnull=True)
               .values_list("elder_id", flat=True))
    if member.elder_id:
        ids.append(member.elder_id)
    return ids


def requests_for(user: Any) -> QuerySet[ServiceRequest]:
    """Every request the caller may see: by jurisdiction for staff, by relationship for members."""
    qs = ServiceRequest.objects.select_related("elder", "volunteer", "service_point", "team")
    member = member_of(user)
    if member is not None:
        # A family member's view ends with the elder's consent, even of requests she posted.
        return qs.filter(Q(volunteer=member) | Q(elder_id__in=linked_elder_ids(member)))
    if not has_capability(user, TB_VIEW):
        raise ForbiddenError()
    return jurisdiction_filter(qs, user, "region_code")


def open_requests_for(member: Member) -> QuerySet[ServiceRequest]:
    """Open requests an approved volunteer may see to take: those of their street (在地服务)."""
    if not member.is_volunteer:
        return ServiceRequest.objects.none()
    street = member.region_id[:9]
    return (ServiceRequest.objects.select_related("elder", "service_point")
            .filter(status=RequestStatus.OPEN, region_code__startswith=street))


def access_request(user: Any, request_id: Any, capability: str | None = None) -> ServiceRequest:
    """One request. Members: only through a relationship (or an open request of their street
    to take); staff: their jurisdiction, then ``capability`` (403)."""
    qs = ServiceRequest.objects.select_related("elder", "volunteer", "service_point", "team", "posted_for_member",
                                               "estate")
    try:
        req = qs.get(pk=request_id)
    except (ServiceRequest.DoesNotExist, ValueError, TypeError, Exception):  # noqa: BLE001 - malformed ids too
        raise NotFoundError() from None
    member = member_of(user)
    if member is not None:
        related = req.volunteer_id == member.pk or req.elder_id in linked_elder_ids(member)
        takeable = req.status == RequestStatus.OPEN and open_requests_for(member).filter(pk=req.pk).exists()
        if not (related or takeable):
            raise NotFoundError()
        if capability is not None and capability != TB_MEMBER:
            raise ForbiddenError()
        return req
    if not in_jurisdiction(user, req.region_code):
        raise NotFoundError()
    if not has_capability(user, TB_VIEW) or (capability is not None and not has_capability(user, capability)):
        raise ForbiddenError()
    return req


def access_member(user: Any, member_id: Any, capability: str = TB_VIEW) -> Member:
    """A member's record: the member themself, or staff of the member's community's jurisdiction."""
    try:
        m = Member.objects.select_related("region", "service_point", "estate").get(pk=member_id)
    except Exception:  # noqa: BLE001 - malformed ids look like absent ones
        raise NotFoundError() from None
    me = member_of(user)
    if me is not None:
        if me.pk != m.pk:
            raise NotFoundError()
        return m
    if not in_jurisdiction(user, m.region_id):
        raise NotFoundError()
    if not has_capability(user, TB_VIEW) or not has_capability(user, capability):
        raise ForbiddenError()
    return m


def members_for(user: Any, capability: str = TB_VIEW) -> QuerySet[Member]:
    if not has_capability(user, capability):
        raise ForbiddenError()
    return jurisdiction_filter(Member.objects.select_related("region"), user, "region_id")


# --------------------------------------------------------------------------- teams, family, bookings


def teams_for(user: Any) -> QuerySet[Team]:
    """Teams a member belongs to (or leads); for staff, the teams of their jurisdiction."""
    qs = Team.objects.select_related("leader", "service_point", "region").order_by("name")
    member = member_of(user)
    if member is not None:
        return qs.filter(Q(members=member) | Q(leader=member)).distinct()
    if not has_capability(user, TB_VIEW):
        raise ForbiddenError()
    return jurisdiction_filter(qs, user, "region_id")


def access_team(user: Any, team_id: Any) -> Team:
    """One team: a member of it, or staff of its region (outside → 404, no ``timebank.view`` → 403)."""
    try:
        team = Team.objects.select_related("leader", "service_point", "region").get(pk=team_id)
    except (Team.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    member = member_of(user)
    if member is not None:
        if team.leader_id != member.pk and not team.members.filter(pk=member.pk).exists():
            raise NotFoundError()
        return team
    if not in_jurisdiction(user, team.region_id):
        raise NotFoundError()
    if not has_capability(user, TB_VIEW):
        raise ForbiddenError()
    return team


def access_linked_elder(user: Any, elder_id: Any) -> Elder:
    """An elder as her family sees her in the time bank: only a member linked to her with her
    consent to family proxy (家属代办) in force — otherwise 404, as for anyone else. Staff use
    the registry's own ``elders.access.access_elder``."""
    member = member_of(user)
    if member is None:
        raise NotFoundError()
    try:
        ids = {str(pk) for pk in linked_elder_ids(member)}
    except (ValueError, TypeError):
        raise NotFoundError() from None
    if str(elder_id) not in ids:
        raise NotFoundError()
    return Elder.objects.get(pk=elder_id)


def access_booking(user: Any, transaction_id: Any, capability: str | None = None) -> LedgerTransaction:
    """One booking of the ledger, for staff of its region (``timebank.view``, then
    ``capability``). Members see their bookings on their statement, not here: 404."""
    if member_of(user) is not None:
        raise NotFoundError()
    try:
        txn = LedgerTransaction.objects.select_related("actor", "corrects").get(pk=transaction_id)
    except (LedgerTransaction.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    if not in_jurisdiction(user, txn.region_code):
        raise NotFoundError()
    if not has_capability(user, TB_VIEW) or (capability is not None and not has_capability(user, capability)):
        raise ForbiddenError()
    return txn
