"""Event types of casework. Each carries the elder's id when there is one, so it appears on
the elder's timeline (an anonymous consultation's event has none: it stays in the audit trail)."""

from django.utils.translation import gettext_lazy as _

CONSULTATION_RECORDED = "consultation.recorded"
FOLLOWUP_CREATED = "followup.created"
FOLLOWUP_COMPLETED = "followup.completed"
FOLLOWUP_CANCELLED = "followup.cancelled"
CONFERENCE_HELD = "conference.held"
ERRAND_REQUESTED = "errand.requested"
ERRAND_STARTED = "errand.started"
ERRAND_COMPLETED = "errand.completed"
ERRAND_CLOSED = "errand.closed"
ERRAND_CANCELLED = "errand.cancelled"
ERRAND_EVIDENCE_ADDED = "errand.evidence_added"
VISITOR_REVEALED = "consultation.visitor_revealed"

EVENT_TYPES = {
    CONSULTATION_RECORDED: _("咨询服务"),
    FOLLOWUP_CREATED: _("新建跟踪事项"),
    FOLLOWUP_COMPLETED: _("完成跟踪事项"),
    FOLLOWUP_CANCELLED: _("取消跟踪事项"),
    CONFERENCE_HELD: _("集体会诊"),
    ERRAND_REQUESTED: _("受理委托代办"),
    ERRAND_STARTED: _("开始办理代办"),
    ERRAND_COMPLETED: _("代办已办完"),
    ERRAND_CLOSED: _("代办结案"),
    ERRAND_CANCELLED: _("取消委托代办"),
    ERRAND_EVIDENCE_ADDED: _("上传代办凭证"),
    VISITOR_REVEALED: _("查看来访者联系方式"),
}
