import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "yiyang.visits"
    label = "visits"
    verbose_name = _("巡查探访")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
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
        from yiyang.core.tasks import periodic
        from yiyang.elders.registry import register_elder_section
        from yiyang.visits import access, demo, home, tasks
        from yiyang.visits.events import CONTACT_EVENTS, EVENT_TYPES

        register_event_types(EVENT_TYPES)
        # What changes who is visited happens in other apps: hear of it, never be called.
        subscribe(tasks.ELDER_EVENTS + tasks.ASSESSMENT_EVENTS + tuple(CONTACT_EVENTS), tasks.visits_on_events)
        periodic("visits.sync", tasks.visits_sync_all, at=dt.time(0, 20),
                 label="每晚更新探访计划（新周期、规则或类别变化）")
        periodic("visits.remind", tasks.visits_remind, at=dt.time(7, 30),
                 label="探访提醒（前一天、当天）与逾期名单")
        register_nav(NavItem("visits", _("探访"), "visits:today", order=15, capability=access.VISIT_VIEW,
                             namespaces=("visits",), badge=home.due_badge))
        register_todo(TodoList("visits", _("今日探访"), order=10, capability=access.VISIT_RECORD,
                               items=home.todo_visits))
        register_todo(TodoList("not_seen", _("久未联系"), order=50, capability=access.VISIT_RECORD,
                               items=home.todo_not_seen))
        register_region_figure(RegionFigure("visit_rate", _("本月探访率"), order=20,
                                            capability=access.VISIT_RATE_VIEW, compute=home.rate_figure,
                                            help=_("已访 ÷ 应访（本月到期的探访计划）")))
        register_region_figure(RegionFigure("visits_overdue", _("逾期未访"), order=21,
                                            capability=access.VISIT_RATE_VIEW, compute=home.overdue_figure))
        register_elder_section(PageSection("visits", "visits/_elder_section.html", order=15,
                                           context=home.elder_section))
        register_demo(DemoBuilder("visits", demo.demo_build, after=("elders", "assessments")))
