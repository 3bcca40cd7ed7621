from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "yiyang.assessments"
    label = "assessments"
    verbose_name = _("能力评估")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.assessments.events import EVENT_TYPES
        from yiyang.core.events import register_event_types

        register_event_types(EVENT_TYPES)
