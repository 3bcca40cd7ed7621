from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "yiyang.assessments"
    label = "assessments"
    verbose_name = _("能力评估")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.assessments import access, demo, home, sections
        from yiyang.assessments.events import EVENT_TYPES
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import (
            DemoBuilder,
            NavItem,
            PageSection,
            RegionFigure,
            TodoList,
            register_demo,
            register_nav,
            register_region_figure,
            register_todo,
        )
        from yiyang.elders.registry import register_elder_section

        register_event_types(EVENT_TYPES)
        register_nav(NavItem("assessments", _("待评估"), "assessments:due", order=20,
                             capability=access.ASSESSMENT_VIEW, namespaces=("assessments",), badge=home.due_badge))
        register_todo(TodoList("assessments", _("待评估"), order=20, capability=access.ASSESSMENT_CREATE,
                               items=home.todo_due))
        register_region_figure(RegionFigure("assessment_coverage", _("评估覆盖率"), order=30,
                                            capability=access.ASSESSMENT_VIEW, compute=home.coverage_figure,
                                            help=_("能力评估在有效期内的老人 ÷ 在册老人")))
        register_elder_section(PageSection("ability", "assessments/_elder_section.html", order=10,
                                           context=sections.elder_ability))
        register_demo(DemoBuilder("assessments", lambda ctx: demo.demo_build(seed=ctx.seed), after=("elders",)))
