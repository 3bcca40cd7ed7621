"""Ability assessments hold health data: who may read them, assess, and confirm a result."""

from __future__ import annotations

import uuid
from typing import Any

from yiyang.accounts.models import Role
from yiyang.assessments.models import Assessment
from yiyang.core.access import access_record, capability, grant, require_capability
from yiyang.core.exceptions import NotFoundError

ASSESSMENT_VIEW = capability("assessment.view", "查看能力评估")
ASSESSMENT_CREATE = capability("assessment.create", "开展能力评估")
ASSESSMENT_CONFIRM = capability("assessment.confirm", "确认或作废评估结果（共同评估员之外）")

grant(Role.COMMISSIONER, ASSESSMENT_VIEW, ASSESSMENT_CREATE)
grant(Role.POINT_LEAD, ASSESSMENT_VIEW, ASSESSMENT_CREATE, ASSESSMENT_CONFIRM)
for _role in (Role.COMMUNITY_ADMIN, Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, ASSESSMENT_VIEW, ASSESSMENT_CREATE, ASSESSMENT_CONFIRM)


def in_same_street(user: Any, region_code: str) -> bool:
    """The account is bound to a node inside the street (街道) that holds ``region_code``."""
    node = str(getattr(user, "region_id", None) or "")
    return len(region_code) == 12 and node.startswith(region_code[:9]) and node != region_code[:9].ljust(12, "0")


def access_assessment(user: Any, assessment_id: Any, capability: str = ASSESSMENT_VIEW) -> Assessment:
    """One ability assessment: 404 outside the caller's jurisdiction; inside it, 403 for a
    role that may not read health data or lacks ``capability``.

    Relationship: an assessor linked to this assessment (a 专员 of a neighbouring community
    of the same street who assessed with the first) reaches it too — only it, not the elder's
    other records — to read, co-sign and confirm what they assessed."""
    qs = Assessment.objects.select_related("elder", "elder__region")
    try:
        return access_record(user, qs, assessment_id, region="region_code", capabilities=(ASSESSMENT_VIEW, capability))
    except NotFoundError:
        linked = _as_linked_assessor(user, qs, assessment_id)
        if linked is None:
            raise
        for code in (ASSESSMENT_VIEW, capability):
            require_capability(user, code)
        return linked


def _as_linked_assessor(user: Any, qs: Any, assessment_id: Any) -> Assessment | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        pk = uuid.UUID(str(assessment_id))
    except ValueError:
        return None
    return qs.filter(pk=pk, assessor_links__user=user).first()
