from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitlementsConfig(AppConfig):
    name = "yiyang.entitlements"
    label = "entitlements"
    verbose_name = _("政策与基本养老服务清单")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.entitlements.events import EVENT_TYPES

        register_event_types(EVENT_TYPES)
