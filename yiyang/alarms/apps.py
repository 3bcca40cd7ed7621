import datetime as dt

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "yiyang.alarms"
    label = "alarms"
    verbose_name = _("紧急呼叫")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.alarms import access, demo, home, tasks
        from yiyang.alarms.events import EVENT_TYPES
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
        from yiyang.core.tasks import periodic
        from yiyang.elders.registry import register_elder_section

        register_event_types(EVENT_TYPES)
        tick = int(settings.YIYANG.get("ALARM_TICK_S", 5))
        periodic("alarms.tick", tasks.alarms_tick, every=dt.timedelta(seconds=tick),
                 label="紧急呼叫：到时未接警的升级通知、通知重发")
        periodic("alarms.checkins", tasks.alarms_checkins, every=dt.timedelta(minutes=1),
                 label="每日报平安：过了截止时间仍未报平安的老人")
        periodic("alarms.prune", tasks.alarms_prune, every=dt.timedelta(hours=1), label="清理紧急呼叫定时任务的旧记录")
        register_nav(NavItem("alarms", _("呼叫"), "alarms:board", order=12, capability=access.ALARM_VIEW,
                             namespaces=("alarms",), badge=home.unanswered_badge))
        for order, (key, label, compute, help_) in enumerate((
            ("alarms_month", _("本月紧急呼叫"), home.alarms_count_figure, _("本月发起的紧急呼叫（含低电量、未报平安）")),
            ("alarms_ack", _("接警用时（中位）"), home.alarms_ack_figure, _("从呼叫到有人接警：中位数与第90百分位")),
            ("alarms_escalations", _("呼叫升级"), home.alarms_escalations_figure, _("无人按时接警而升级通知的次数")),
            ("alarms_false", _("误报"), home.alarms_false_figure, _("处置结果为误报的呼叫")),
        )):
            register_region_figure(RegionFigure(key, label, order=70 + order, capability=access.ALARM_VIEW,
                                                compute=compute, help=help_))
        register_elder_section(PageSection("alarms", "alarms/_elder_section.html", order=12,
                                           context=home.elder_section))
        register_demo(DemoBuilder("alarms", demo.demo_build, after=("elders", "accounts", "casework")))
        register_todo(TodoList("alarms", _("紧急呼叫"), order=5, capability=access.ALARM_RESPOND,
                               items=home.todo_alarms))
