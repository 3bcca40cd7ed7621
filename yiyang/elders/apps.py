from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldersConfig(AppConfig):
    name = "yiyang.elders"
    label = "elders"
    verbose_name = _("老年人档案")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.elders.events import EVENT_TYPES

        register_event_types(EVENT_TYPES)
