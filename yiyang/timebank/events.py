"""Event types of the time bank. Those about a service carry the elder, so they are on her
timeline; ``timebank.service_confirmed`` is also a contact for the visits app's not-seen list."""

from django.utils.translation import gettext_lazy as _

MEMBER_JOINED = "timebank.member_joined"
VOLUNTEER_REVIEWED = "timebank.volunteer_reviewed"
REQUEST_POSTED = "timebank.request_posted"
REQUEST_TAKEN = "timebank.request_taken"
REQUEST_CANCELLED = "timebank.request_cancelled"
CHECKED_IN = "timebank.checked_in"
CHECKED_OUT = "timebank.checked_out"
RATED = "timebank.rated"
SERVICE_CONFIRMED = "timebank.service_confirmed"
SERVICE_REJECTED = "timebank.service_rejected"
FLAG_RAISED = "timebank.flag_raised"
FLAG_RESOLVED = "timebank.flag_resolved"
TRANSFERRED = "timebank.transferred"
DONATED = "timebank.donated"
REDEEMED = "timebank.redeemed"
CORRECTED = "timebank.corrected"
RULE_CHANGED = "timebank.rule_changed"

EVENT_TYPES = {
    MEMBER_JOINED: _("加入时间银行"),
    VOLUNTEER_REVIEWED: _("志愿者审核"),
    REQUEST_POSTED: _("发布服务需求"),
    REQUEST_TAKEN: _("志愿者接单"),
    REQUEST_CANCELLED: _("取消服务需求"),
    CHECKED_IN: _("志愿服务签到"),
    CHECKED_OUT: _("志愿服务签退"),
    RATED: _("服务评价"),
    SERVICE_CONFIRMED: _("志愿服务认证"),
    SERVICE_REJECTED: _("志愿服务不予认证"),
    FLAG_RAISED: _("时间银行异常提示"),
    FLAG_RESOLVED: _("处理异常提示"),
    TRANSFERRED: _("积分转赠"),
    DONATED: _("积分捐赠"),
    REDEEMED: _("积分兑换"),
    CORRECTED: _("积分冲正"),
    RULE_CHANGED: _("修改时间银行规则"),
}
