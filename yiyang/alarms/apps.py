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
        from yiyang.alarms import access, tasks
        from yiyang.alarms.events import EVENT_TYPES
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import NavItem, register_nav
        from yiyang.core.tasks import periodic

        register_event_types(EVENT_TYPES)
        tick = int(settings.YIYANG.get("ALARM_TICK_S", 5))
        periodic("alarms.tick", tasks.alarms_tick, every=dt.timedelta(seconds=tick),
                 label="紧急呼叫：到时未接警的升级通知、通知重发")
        periodic("alarms.prune", tasks.alarms_prune, every=dt.timedelta(hours=1), label="清理紧急呼叫定时任务的旧记录")
        register_nav(NavItem("alarms", _("呼叫"), "alarms:board", order=12, capability=access.ALARM_VIEW,
                             namespaces=("alarms",)))
