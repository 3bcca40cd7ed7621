from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimebankConfig(AppConfig):
    name = "yiyang.timebank"
    label = "timebank"
    verbose_name = _("时间银行")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.timebank.events import EVENT_TYPES

        register_event_types(EVENT_TYPES)
