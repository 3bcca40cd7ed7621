"""Event types of entitlements (政策宣传)."""

from django.utils.translation import gettext_lazy as _

EXPLAINED = "entitlement.explained"
CHANGED = "entitlement.changed"
ACKNOWLEDGED = "entitlement.acknowledged"
RULE_SAVED = "entitlement.rule_saved"
RULE_DELETED = "entitlement.rule_deleted"
BENEFIT_SAVED = "entitlement.benefit_saved"

EVENT_TYPES = {
    EXPLAINED: _("向老人讲解政策"),
    CHANGED: _("享受资格变化"),
    ACKNOWLEDGED: _("已告知资格变化"),
    RULE_SAVED: _("修改政策规则"),
    RULE_DELETED: _("删除政策规则"),
    BENEFIT_SAVED: _("修改政策项目"),
}
