from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiyang.core"
    label = "core"
    verbose_name = _("基础")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import NavItem, register_nav

        register_event_types({"core.demo_built": _("生成演示数据")})
        from yiyang.core.notify import unread_count

        register_nav(NavItem("home", _("首页"), "core:home", order=0, namespaces=("core",),
                             exclude_url_names=("notifications",)))
        register_nav(NavItem("notifications", _("通知"), "core:notifications", order=890, namespaces=("core",),
                             only_url_names=("notifications",), badge=lambda request: unread_count(request.user)))
        register_nav(NavItem("admin", _("后台"), "admin:index", order=900, staff_only=True))
