"""Who may do what with the elder registry: its capabilities, the roles they are granted to,
and ``access_elder`` / ``access_elders`` on core's jurisdiction primitive."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiyang.accounts.models import Role
from yiyang.core.access import access_record, capability, grant, has_capability, jurisdiction_filter
from yiyang.elders.models import Elder, ElderRegionCount

ELDER_VIEW = capability("elder.view", "查看老年人档案")
ELDER_CREATE = capability("elder.create", "登记老年人")
ELDER_UPDATE = capability("elder.update", "修改档案、记录服务")
ELDER_DEACTIVATE = capability("elder.deactivate", "注销与恢复")
ELDER_REVEAL = capability("elder.reveal", "查看身份证号、电话、地址明文（留痕）")
ELDER_IMPORT = capability("elder.import", "批量导入")
ELDER_ACCESS_LOG = capability("elder.access_log", "查看敏感信息访问记录")

FRONT_LINE = (ELDER_VIEW, ELDER_CREATE, ELDER_UPDATE, ELDER_DEACTIVATE, ELDER_REVEAL)
ADMIN = (*FRONT_LINE, ELDER_IMPORT, ELDER_ACCESS_LOG)

for _role in (Role.COMMISSIONER, Role.POINT_LEAD):
    grant(_role, *FRONT_LINE)
for _role in (Role.COMMUNITY_ADMIN, Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, *ADMIN)
# Operators install and import; they do not browse people's files. Providers see elders only
# through referrals (a later capability, written here on the same primitive).
grant(Role.OPERATOR, ELDER_IMPORT)


def access_elders(user: Any, capability: str = ELDER_VIEW) -> QuerySet[Elder]:
    """The elders the caller may see; empty for roles without ``capability``."""
    if not has_capability(user, capability):
        return Elder.objects.none()
    return jurisdiction_filter(Elder.objects.all(), user, "region")


def access_region_counts(user: Any) -> QuerySet[ElderRegionCount]:
    """The per-community counts of the caller's jurisdiction (``counts.py``), under the same
    rule as the elders they count."""
    if not has_capability(user, ELDER_VIEW):
        return ElderRegionCount.objects.none()
    return jurisdiction_filter(ElderRegionCount.objects.all(), user, "region_code")


def access_elder(user: Any, elder_id: Any, capability: str = ELDER_VIEW) -> Elder:
    """One elder, if visible to the caller (else 404) and the role may ``capability``
    (else 403)."""
    return access_record(user, Elder.objects.select_related("region", "region__parent"), elder_id,
                         region="region_id", capabilities=(ELDER_VIEW, capability))
