from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "yiyang.casework"
    label = "casework"
    verbose_name = _("个案服务")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.casework.events import EVENT_TYPES
        from yiyang.core.events import register_event_types

        register_event_types(EVENT_TYPES)
