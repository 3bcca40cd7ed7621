"""Who keeps the resource directory. Reading it is public (no login: elders and families
search it). Administrators keep the services of their jurisdiction; a provider's staff keep
their own organisation's services and nothing else. Checks through core's one helper."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from yiyang.accounts.models import Role
from yiyang.core.access import (
    access_record,
    capability,
    grant,
    has_capability,
    in_jurisdiction,
    jurisdiction_filter,
)
from yiyang.core.exceptions import ForbiddenError, NotFoundError
from yiyang.directory.models import OrganizationStaff, Service, ServiceList

DIRECTORY_MANAGE = capability("directory.manage", "维护辖区的服务资源目录")
DIRECTORY_PROVIDER = capability("directory.provider_edit", "维护本机构的服务信息（时间、价格、空余床位/餐位）")

SERVICE_LIST = capability("directory.service_list", "制定、打印和分享养老服务清单")

for _role in (Role.COMMUNITY_ADMIN, Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, DIRECTORY_MANAGE)
for _role in (Role.COMMISSIONER, Role.POINT_LEAD, Role.COMMUNITY_ADMIN, Role.STREET_ADMIN):
    grant(_role, SERVICE_LIST)
grant(Role.PROVIDER_STAFF, DIRECTORY_PROVIDER)
SERVICE_LIST_BATCH = capability("directory.service_list_batch", "为辖区全部老人批量生成养老服务清单")
for _role in (Role.COMMUNITY_ADMIN, Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, SERVICE_LIST_BATCH)


def access_batch_region(user: Any, region_code: str) -> Any:
    """A region the user may make a batch of lists for: a role that may (else 403), inside the
    jurisdiction (else 404, as for a region that does not exist)."""
    from yiyang.regions.models import Region

    if not has_capability(user, SERVICE_LIST_BATCH):
        raise ForbiddenError()
    if not in_jurisdiction(user, region_code or ""):
        raise NotFoundError()
    try:
        return Region.objects.get(pk=region_code)
    except Region.DoesNotExist:
        raise NotFoundError() from None


def batches_for(user: Any) -> QuerySet[Any]:
    """The batches of the user's jurisdiction (for a role that makes them; else 403)."""
    from yiyang.directory.models import ServiceListBatch

    if not has_capability(user, SERVICE_LIST_BATCH):
        raise ForbiddenError()
    return jurisdiction_filter(ServiceListBatch.objects.select_related("created_by"), user, "region_code")


def organizations_of(user: Any) -> list[Any]:
    """The organisations whose staff the user is."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(OrganizationStaff.objects.filter(user=user).values_list("organization_id", flat=True))


def editable_services(user: Any) -> QuerySet[Service]:
    """The services the user may edit: the jurisdiction's for administrators, the own
    organisation's for provider staff; none otherwise."""
    qs = Service.objects.all()
    if has_capability(user, DIRECTORY_MANAGE):
        return jurisdiction_filter(qs, user, "region")
    if has_capability(user, DIRECTORY_PROVIDER):
        return qs.filter(organization_id__in=organizations_of(user))
    return qs.none()


def access_service_edit(user: Any, service_id: Any) -> Service:
    """A service the user may edit. Not existing or not theirs → 404 (a provider does not learn
    which other services exist beyond the public ones); no capability at all → 403."""
    if not (has_capability(user, DIRECTORY_MANAGE) or has_capability(user, DIRECTORY_PROVIDER)):
        raise ForbiddenError()
    try:
        return editable_services(user).select_related("organization").get(pk=service_id)
    except (Service.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFoundError() from None


def access_service_list(user: Any, list_id: Any) -> ServiceList:
    """A saved list, in the caller's jurisdiction (else 404), for a role that makes lists (else 403)."""
    return access_record(user, ServiceList.objects.select_related("elder", "created_by"), list_id,
                         region="region_code", capabilities=(SERVICE_LIST,))


def access_referral(user: Any, referral_id: Any) -> Any:
    """A referral for the worker side: the elder's jurisdiction (else 404), a list-making role (else 403)."""
    from yiyang.directory.models import Referral

    return access_record(user, Referral.objects.select_related("elder", "service", "organization"), referral_id,
                         region="region_code", capabilities=(SERVICE_LIST,))


def provider_referrals(user: Any) -> Any:
    """The referrals sent to the user's own organisations, and no others."""
    from yiyang.directory.models import Referral

    if not has_capability(user, DIRECTORY_PROVIDER):
        raise ForbiddenError()
    return Referral.objects.filter(organization_id__in=organizations_of(user)).select_related("elder", "service")


def access_provider_referral(user: Any, referral_id: Any) -> Any:
    from yiyang.directory.models import Referral

    try:
        return provider_referrals(user).get(pk=referral_id)
    except (Referral.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFoundError() from None
