"""Event types of the elder registry."""

from django.utils.translation import gettext_lazy as _

REGISTERED = "elder.registered"
UPDATED = "elder.updated"
DEACTIVATED = "elder.deactivated"
REACTIVATED = "elder.reactivated"
CONTACT_ADDED = "elder.contact_added"
CONTACT_REMOVED = "elder.contact_removed"
CONSENT_GRANTED = "elder.consent_granted"
CONSENT_WITHDRAWN = "elder.consent_withdrawn"
IMPORT_COMMITTED = "elders.import_committed"
DUPLICATE_JUDGED = "elder.duplicate_judged"
LOCATED = "elder.located"

EVENT_TYPES = {
    REGISTERED: _("登记建档"),
    UPDATED: _("修改档案"),
    DEACTIVATED: _("注销"),
    REACTIVATED: _("恢复在册"),
    CONTACT_ADDED: _("添加紧急联系人"),
    CONTACT_REMOVED: _("删除紧急联系人"),
    CONSENT_GRANTED: _("记录授权同意"),
    CONSENT_WITHDRAWN: _("撤回授权同意"),
    IMPORT_COMMITTED: _("批量导入"),
    DUPLICATE_JUDGED: _("核实疑似重复"),
    LOCATED: _("记录住址位置"),
}
