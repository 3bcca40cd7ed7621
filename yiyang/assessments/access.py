"""Ability assessments hold health data: who may read them, assess, and confirm a result."""

from __future__ import annotations

from typing import Any

from yiyang.accounts.models import Role
from yiyang.assessments.models import Assessment
from yiyang.core.access import access_record, capability, grant

ASSESSMENT_VIEW = capability("assessment.view", "查看能力评估")
ASSESSMENT_CREATE = capability("assessment.create", "开展能力评估")
ASSESSMENT_CONFIRM = capability("assessment.confirm", "确认或作废评估结果（共同评估员之外）")

grant(Role.COMMISSIONER, ASSESSMENT_VIEW, ASSESSMENT_CREATE)
grant(Role.POINT_LEAD, ASSESSMENT_VIEW, ASSESSMENT_CREATE, ASSESSMENT_CONFIRM)
for _role in (Role.COMMUNITY_ADMIN, Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, ASSESSMENT_VIEW, ASSESSMENT_CREATE, ASSESSMENT_CONFIRM)


def access_assessment(user: Any, assessment_id: Any, capability: str = ASSESSMENT_VIEW) -> Assessment:
    """One ability assessment: 404 outside the caller's jurisdiction; inside it, 403 for a
    role that may not read health data or lacks ``capability``."""
    return access_record(user, Assessment.objects.select_related("elder", "elder__region"), assessment_id,
                         region="region_code", capabilities=(ASSESSMENT_VIEW, capability))
