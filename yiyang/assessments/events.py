"""Event types of ability assessments."""

from django.utils.translation import gettext_lazy as _

STARTED = "assessment.started"
SUBMITTED = "assessment.submitted"
CONFIRMED = "assessment.confirmed"
CANCELLED = "assessment.cancelled"
IMPORTED = "assessment.imported"
PRINTED = "assessment.printed"

EVENT_TYPES = {
    STARTED: _("开始能力评估"),
    SUBMITTED: _("提交能力评估"),
    CONFIRMED: _("能力评估确认"),
    CANCELLED: _("作废能力评估"),
    IMPORTED: _("导入历史评估结果"),
    PRINTED: _("打印评估报告"),
}
