"""Jurisdiction and role checks: the only place that decides who may reach what.

Every page and endpoint that touches a protected record calls an ``access_*`` function.
Two questions, always in this order:

1. *Jurisdiction* — is the record in the caller's region node or below? If not, it does
   not exist for them: ``NotFoundError`` (404), never a 403 that would confirm it exists.
2. *Capability* — may the caller's role do this to records it can see? If not,
   ``ForbiddenError`` (403).

Tested as a matrix of roles × regions × endpoints in ``tests/test_access_matrix.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from yiyang.accounts.models import Role
from yiyang.core.exceptions import ForbiddenError, NotFoundError
from yiyang.regions.codes import prefix_range

if TYPE_CHECKING:
    from yiyang.elders.models import Elder
    from yiyang.regions.models import Region

ELDER_VIEW = "elder.view"
ELDER_CREATE = "elder.create"
ELDER_UPDATE = "elder.update"
ELDER_DEACTIVATE = "elder.deactivate"
ELDER_REVEAL = "elder.reveal"  # see the full ID number, phone, address (logged)
ELDER_IMPORT = "elder.import"
ELDER_ACCESS_LOG = "elder.access_log"  # read "who looked at this elder's data"

# Ability assessments hold health data: who may read them, assess, and confirm a result.
ASSESSMENT_VIEW = "assessment.view"
ASSESSMENT_CREATE = "assessment.create"
ASSESSMENT_CONFIRM = "assessment.confirm"  # confirm or void a result besides the co-assessor

_FRONT_LINE = {ELDER_VIEW, ELDER_CREATE, ELDER_UPDATE, ELDER_DEACTIVATE, ELDER_REVEAL,
               ASSESSMENT_VIEW, ASSESSMENT_CREATE}
_ADMIN = _FRONT_LINE | {ELDER_IMPORT, ELDER_ACCESS_LOG, ASSESSMENT_CONFIRM}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COMMISSIONER: frozenset(_FRONT_LINE),
    Role.POINT_LEAD: frozenset(_FRONT_LINE | {ASSESSMENT_CONFIRM}),
    Role.COMMUNITY_ADMIN: frozenset(_ADMIN),
    Role.STREET_ADMIN: frozenset(_ADMIN),
    Role.DISTRICT_ADMIN: frozenset(_ADMIN),
    Role.CITY_ADMIN: frozenset(_ADMIN),
    # Providers see elders only through referrals (a later capability): none here.
    Role.PROVIDER_STAFF: frozenset(),
    # Operators install and import; they do not browse people's files.
    Role.OPERATOR: frozenset({ELDER_IMPORT}),
}


def capabilities_of(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(_ADMIN)
    return ROLE_CAPABILITIES.get(user.role, frozenset())


def has_capability(user: Any, capability: str) -> bool:
    return capability in capabilities_of(user)


def jurisdiction_prefix(user: Any) -> str | None:
    """The code prefix of the caller's node; '' for a superuser (everything); None when
    the account has no node (sees nothing)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser and user.region_id is None:
        return ""
    if user.region_id is None:
        return None
    return user.region.prefix


def in_jurisdiction(user: Any, region_code: str) -> bool:
    prefix = jurisdiction_prefix(user)
    return prefix is not None and region_code.startswith(prefix)


def _require(user: Any, capability: str) -> None:
    if not has_capability(user, capability):
        raise ForbiddenError()


def access_elders(user: Any, capability: str = ELDER_VIEW) -> QuerySet[Elder]:
    """The elders the caller may see; empty for roles without ``capability``."""
    from yiyang.elders.models import Elder

    prefix = jurisdiction_prefix(user)
    if prefix is None or not has_capability(user, capability):
        return Elder.objects.none()
    if prefix == "":
        return Elder.objects.all()
    lo, hi = prefix_range(prefix)
    return Elder.objects.filter(region__gte=lo, region__lt=hi)


def access_elder(user: Any, elder_id: Any, capability: str = ELDER_VIEW) -> Elder:
    """One elder, if visible to the caller (else 404) and the role may ``capability``
    (else 403)."""
    from yiyang.elders.models import Elder

    prefix = jurisdiction_prefix(user)
    if prefix is None:
        raise NotFoundError()
    try:
        elder = Elder.objects.select_related("region", "region__parent").get(pk=elder_id)
    except (Elder.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    except Exception as exc:  # a malformed UUID raises ValidationError
        if exc.__class__.__name__ == "ValidationError":
            raise NotFoundError() from None
        raise
    if not elder.region_id.startswith(prefix):
        raise NotFoundError()
    # Only now, inside the jurisdiction, may the answer differ by role: 403.
    _require(user, ELDER_VIEW)
    _require(user, capability)
    return elder


def access_region(user: Any, code: str, capability: str | None = None) -> Region:
    """A region node inside the caller's jurisdiction (else 404)."""
    from yiyang.regions.models import Region

    prefix = jurisdiction_prefix(user)
    if prefix is None:
        raise NotFoundError("区域不存在或不在您的管辖范围内")
    region = Region.objects.filter(code=code).select_related("parent").first()
    if region is None or not region.code.startswith(prefix):
        raise NotFoundError("区域不存在或不在您的管辖范围内")
    if capability:
        _require(user, capability)
    return region


def access_regions(user: Any) -> QuerySet[Region]:
    from yiyang.regions.models import Region

    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return Region.objects.none()
    if prefix == "":
        return Region.objects.all()
    lo, hi = prefix_range(prefix)
    return Region.objects.filter(code__gte=lo, code__lt=hi)


def require_capability(user: Any, capability: str) -> None:
    _require(user, capability)


def access_assessment(user: Any, assessment_id: Any, capability: str = ASSESSMENT_VIEW) -> Any:
    """One ability assessment: 404 outside the caller's jurisdiction; inside it, 403 for a
    role that may not read health data or lacks ``capability``."""
    from django.core.exceptions import ValidationError

    from yiyang.assessments.models import Assessment

    prefix = jurisdiction_prefix(user)
    if prefix is None:
        raise NotFoundError()
    try:
        a = Assessment.objects.select_related("elder", "elder__region").get(pk=assessment_id)
    except (Assessment.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    if not a.region_code.startswith(prefix):
        raise NotFoundError()
    _require(user, ASSESSMENT_VIEW)
    _require(user, capability)
    return a
