from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "yiyang.casework"
    label = "casework"
    verbose_name = _("个案服务")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.casework import access, demo, home, sections, tasks
        from yiyang.casework.events import EVENT_TYPES
        from yiyang.core.events import register_event_types, subscribe
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
        # An emergency call closed (the alarms app): the follow-up visit on the worker's list.
        subscribe(tasks.ALARM_CLOSED_EVENTS, tasks.casework_on_alarm_events)
        register_nav(NavItem("casework", _("跟踪与代办"), "casework:followups", order=25,
                             capability=access.CASEWORK_VIEW, namespaces=("casework",), badge=home.followups_badge))
        register_todo(TodoList("casework_followups", _("待跟踪事项"), order=40, capability=access.FOLLOWUP_MANAGE,
                               items=home.followups_todo))
        register_todo(TodoList("casework_errands", _("委托代办"), order=45, capability=access.ERRAND_RUN,
                               items=home.errands_todo))
        register_region_figure(RegionFigure("casework_overdue_followups", _("逾期跟踪"), order=60,
                                            capability=access.CASEWORK_VIEW, compute=home.overdue_followups_figure,
                                            help=_("今天已过期限仍未完成的跟踪事项")))
        register_region_figure(RegionFigure("casework_overdue_errands", _("逾期代办"), order=61,
                                            capability=access.CASEWORK_VIEW, compute=home.overdue_errands_figure,
                                            help=_("今天已过期限仍未办完的委托代办")))
        register_elder_section(PageSection("casework", "casework/_elder_section.html", order=40,
                                           context=sections.elder_casework))
        register_demo(DemoBuilder("casework", demo.demo_build, after=("elders", "stations", "accounts")))
