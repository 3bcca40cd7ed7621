from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "yiyang.surveys"
    label = "surveys"
    verbose_name = _("需求调查")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.surveys.events import EVENT_TYPES

        register_event_types(EVENT_TYPES)
