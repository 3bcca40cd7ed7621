from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "yiyang.surveys"
    label = "surveys"
    verbose_name = _("需求调查")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import DemoBuilder, PageSection, register_demo
        from yiyang.elders.registry import register_elder_section
        from yiyang.surveys import demo, sections
        from yiyang.surveys.events import EVENT_TYPES

        register_event_types(EVENT_TYPES)
        register_elder_section(PageSection("needs", "surveys/_elder_section.html", order=20,
                                           context=sections.elder_needs))
        register_demo(DemoBuilder("surveys", lambda ctx: demo.demo_build(seed=ctx.seed), after=("elders",)))
