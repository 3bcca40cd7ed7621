"""Event types of alarms on the platform's bus (``core.events``). Each carries the elder, so it
is on her timeline; other apps subscribe by these names (visits counts ``alarm.resolved`` as a
contact; casework makes the follow-up visit from ``alarm.resolved`` and ``alarm.false_alarm``)."""

from django.utils.translation import gettext_lazy as _

RAISED = "alarm.raised"
DISPATCHED = "alarm.dispatched"
ESCALATED = "alarm.escalated"
ACKNOWLEDGED = "alarm.acknowledged"
ARRIVED = "alarm.arrived"
RESOLVED = "alarm.resolved"
FALSE_ALARM = "alarm.false_alarm"
CANCELLED = "alarm.cancelled"
EXHAUSTED = "alarm.exhausted"
DEVICE_REGISTERED = "device.registered"
DEVICE_HEARTBEAT = "device.heartbeat"
DEVICE_TESTED = "device.tested"
DEVICE_OFFLINE = "device.offline"
CHECKIN_OK = "checkin.ok"

EVENT_TYPES = {
    RAISED: _("紧急呼叫"),
    DISPATCHED: _("紧急呼叫已派发"),
    ESCALATED: _("紧急呼叫升级通知"),
    ACKNOWLEDGED: _("紧急呼叫已接警"),
    ARRIVED: _("紧急呼叫已到场"),
    RESOLVED: _("紧急呼叫处置完毕"),
    FALSE_ALARM: _("紧急呼叫确认误报"),
    CANCELLED: _("紧急呼叫已取消"),
    EXHAUSTED: _("紧急呼叫升级用尽仍无人接警"),
    DEVICE_REGISTERED: _("登记呼叫设备"),
    DEVICE_HEARTBEAT: _("设备报平安"),
    DEVICE_TESTED: _("呼叫设备测试"),
    DEVICE_OFFLINE: _("呼叫设备离线"),
    CHECKIN_OK: _("报平安"),
}
