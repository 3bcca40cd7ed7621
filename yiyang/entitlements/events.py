"""Event types of entitlements (政策宣传)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EXPLAINED = "entitlement.explained"
CHANGED = "entitlement.changed"
ACKNOWLEDGED = "entitlement.acknowledged"
RULE_SAVED = "entitlement.rule_saved"
RULE_DELETED = "entitlement.rule_deleted"
BENEFIT_SAVED = "entitlement.benefit_saved"
RECIPIENTS_EXPORTED = "entitlement.recipients_exported"
ROUND_DRAFTED = "entitlement.round_drafted"
ROUND_SUBMITTED = "entitlement.round_submitted"
ROUND_APPROVED = "entitlement.round_approved"
ROUND_EXPORTED = "entitlement.round_exported"
ROUND_CANCELLED = "entitlement.round_cancelled"

EVENT_TYPES: dict[str, str | Promise] = {
    EXPLAINED: _("已告知老人政策"),
    CHANGED: _("享受资格变化"),
    ACKNOWLEDGED: _("已告知资格变化"),
    RULE_SAVED: _("修改政策规则"),
    RULE_DELETED: _("删除政策规则"),
    BENEFIT_SAVED: _("修改政策项目"),
    RECIPIENTS_EXPORTED: _("导出发放名单"),
    ROUND_DRAFTED: _("编制发放批次"),
    ROUND_SUBMITTED: _("提交发放批次"),
    ROUND_APPROVED: _("审核通过发放批次"),
    ROUND_EXPORTED: _("导出发放批次"),
    ROUND_CANCELLED: _("作废发放批次"),
}
