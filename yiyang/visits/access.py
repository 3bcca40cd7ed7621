"""Who may see and record visits, cancel a planned visit, back-date a record, and read the
visit rate. Jurisdiction through core's one helper: outside → 404, inside without the
capability → 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiyang.accounts.models import Role
from yiyang.core.access import access_record, capability, grant, has_capability, jurisdiction_filter
from yiyang.core.exceptions import ForbiddenError
from yiyang.visits.models import Visit, VisitPlan

VISIT_VIEW = capability("visit.view", "查看探访计划与记录")
VISIT_RECORD = capability("visit.record", "记录探访")
VISIT_PLAN_CANCEL = capability("visit.plan_cancel", "取消探访计划（注明原因）")
VISIT_BACKDATE = capability("visit.backdate", "补录超过期限的探访（注明说明）")
VISIT_RATE_VIEW = capability("visit.rate_view", "查看探访率及其名单")

grant(Role.COMMISSIONER, VISIT_VIEW, VISIT_RECORD, VISIT_RATE_VIEW)
grant(Role.POINT_LEAD, VISIT_VIEW, VISIT_RECORD, VISIT_PLAN_CANCEL, VISIT_RATE_VIEW)
grant(Role.COMMUNITY_ADMIN, VISIT_VIEW, VISIT_RECORD, VISIT_PLAN_CANCEL, VISIT_BACKDATE, VISIT_RATE_VIEW)
for _role in (Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, VISIT_VIEW, VISIT_PLAN_CANCEL, VISIT_BACKDATE, VISIT_RATE_VIEW)


def access_plans(user: Any, capability: str = VISIT_VIEW) -> QuerySet[VisitPlan]:
    if not has_capability(user, capability):
        raise ForbiddenError()
    return jurisdiction_filter(VisitPlan.objects.all(), user, "region_code")


def access_visits(user: Any, capability: str = VISIT_VIEW) -> QuerySet[Visit]:
    if not has_capability(user, capability):
        raise ForbiddenError()
    return jurisdiction_filter(Visit.objects.all(), user, "region_code")


def access_plan(user: Any, plan_id: Any, capability: str = VISIT_VIEW) -> VisitPlan:
    return access_record(user, VisitPlan.objects.select_related("elder", "rule"), plan_id,
                         region="region_code", capabilities=(VISIT_VIEW, capability))


def access_visit(user: Any, visit_id: Any, capability: str = VISIT_VIEW) -> Visit:
    return access_record(user, Visit.objects.select_related("elder", "plan", "recorded_by"), visit_id,
                         region="region_code", capabilities=(VISIT_VIEW, capability))
