"""Event types of the resource directory. Subjects are services (no elder on them)."""

from django.utils.translation import gettext_lazy as _

SERVICE_UPDATED = "directory.service_updated"
SERVICE_CONFIRMED = "directory.service_confirmed"
IMPORTED = "directory.imported"
SERVICE_LIST_CREATED = "service_list.created"
SERVICE_LIST_SHARED = "service_list.shared"

EVENT_TYPES = {
    SERVICE_UPDATED: _("修改服务信息"),
    SERVICE_CONFIRMED: _("确认服务信息"),
    IMPORTED: _("导入服务资源"),
    SERVICE_LIST_CREATED: _("制定养老服务清单"),
    SERVICE_LIST_SHARED: _("分享养老服务清单"),
}
