"""Event types of visits. Each carries the elder, so it is on her timeline."""

from django.utils.translation import gettext_lazy as _

RECORDED = "visit.recorded"
PLAN_CANCELLED = "visit.plan_cancelled"
RULE_CHANGED = "visit.rule_changed"

EVENT_TYPES = {
    RECORDED: _("探访"),
    PLAN_CANCELLED: _("取消探访计划"),
    RULE_CHANGED: _("修改探访规则"),
}

# What counts as "heard of the elder" for the not-seen list, by event type: the visits app's
# own records (a visit that met the elder) and other apps' contacts, by their event names —
# subscribed to, never imported. Types not installed yet simply never arrive.
CONTACT_EVENTS = {
    "consultation.recorded": "咨询",
    "followup.completed": "跟踪回访",
    "errand.completed": "委托代办",
    "assessment.confirmed": "能力评估",
    "survey.submitted": "需求调查",
    "device.heartbeat": "设备报平安",
    "checkin.ok": "报平安",
    "timebank.service_confirmed": "志愿服务",
    "alarm.resolved": "紧急呼叫处置",
}
