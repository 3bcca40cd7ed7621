from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "yiyang.surveys"
    label = "surveys"
    verbose_name = _("需求调查")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import (
            DemoBuilder,
            PageSection,
            RegionFigure,
            register_demo,
            register_region_figure,
        )
        from yiyang.elders import access as elder_access
        from yiyang.elders.registry import register_elder_section
        from yiyang.surveys import demo, home, sections
        from yiyang.surveys.events import EVENT_TYPES

        register_event_types(EVENT_TYPES)
        register_elder_section(PageSection("needs", "surveys/_elder_section.html", order=20,
                                           context=sections.elder_needs))
        register_region_figure(RegionFigure("survey_coverage", _("需求调查覆盖率"), order=40,
                                            capability=elder_access.ELDER_VIEW, compute=home.coverage_figure,
                                            help=_("做过需求调查的老人 ÷ 在册老人")))
        register_demo(DemoBuilder("surveys", lambda ctx: demo.demo_build(seed=ctx.seed), after=("elders",)))
