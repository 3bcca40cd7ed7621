from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "yiyang.assessments"
    label = "assessments"
    verbose_name = _("能力评估")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.assessments import access, demo, sections
        from yiyang.assessments.events import EVENT_TYPES
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import DemoBuilder, NavItem, PageSection, register_demo, register_nav
        from yiyang.elders.registry import register_elder_section

        register_event_types(EVENT_TYPES)
        register_nav(NavItem("assessments", _("待评估"), "assessments:due", order=20,
                             capability=access.ASSESSMENT_VIEW, namespaces=("assessments",)))
        register_elder_section(PageSection("ability", "assessments/_elder_section.html", order=10,
                                           context=sections.elder_ability))
        register_demo(DemoBuilder("assessments", lambda ctx: demo.demo_build(seed=ctx.seed), after=("elders",)))
