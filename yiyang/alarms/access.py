"""Who may see, raise and answer alarms, and manage devices and rosters; and what a device may
do. Jurisdiction through core's one helper: outside → 404, inside without the capability → 403.
A device is not a person: its key reaches its own elder's alarms and nothing else (another
elder is "not found" for it, like a record outside a worker's node)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiyang.accounts.models import Role
from yiyang.alarms.models import Alarm, Device
from yiyang.core.access import access_record, capability, grant, has_capability, jurisdiction_filter
from yiyang.core.exceptions import ForbiddenError, NotFoundError

ALARM_VIEW = capability("alarm.view", "查看紧急呼叫与呼叫看板")
ALARM_RAISE = capability("alarm.raise", "代老人发起紧急呼叫（热线、上门）")
ALARM_RESPOND = capability("alarm.respond", "接警、到场、处置紧急呼叫")
ALARM_MANAGE = capability("alarm.manage", "管理呼叫设备、值班表与升级策略")

grant(Role.COMMISSIONER, ALARM_VIEW, ALARM_RAISE, ALARM_RESPOND)
grant(Role.POINT_LEAD, ALARM_VIEW, ALARM_RAISE, ALARM_RESPOND)
grant(Role.COMMUNITY_ADMIN, ALARM_VIEW, ALARM_RAISE, ALARM_RESPOND, ALARM_MANAGE)
grant(Role.STREET_ADMIN, ALARM_VIEW, ALARM_RAISE, ALARM_RESPOND, ALARM_MANAGE)
for _role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, ALARM_VIEW, ALARM_MANAGE)


def access_alarms(user: Any, capability: str = ALARM_VIEW) -> QuerySet[Alarm]:
    if not has_capability(user, capability):
        raise ForbiddenError()
    return jurisdiction_filter(Alarm.objects.all(), user, "region_code")


def access_alarm(user: Any, alarm_id: Any, capability: str = ALARM_VIEW) -> Alarm:
    return access_record(user, Alarm.objects.select_related("elder", "device", "responder"), alarm_id,
                         region="region_code", capabilities=(ALARM_VIEW, capability))


def access_devices(user: Any) -> QuerySet[Device]:
    if not has_capability(user, ALARM_VIEW):
        raise ForbiddenError()
    return jurisdiction_filter(Device.objects.all(), user, "region_code")


def device_access_alarm(device: Device, alarm_id: Any) -> Alarm:
    """An alarm of the device's own elder (any other: not found)."""
    try:
        alarm = Alarm.objects.select_related("elder", "device").get(pk=alarm_id)
    except (Alarm.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    except Exception as exc:  # a malformed UUID
        from django.core.exceptions import ValidationError

        if isinstance(exc, ValidationError):
            raise NotFoundError() from None
        raise
    if alarm.elder_id != device.elder_id:
        raise NotFoundError()
    return alarm
