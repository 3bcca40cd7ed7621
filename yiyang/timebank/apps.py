from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimebankConfig(AppConfig):
    name = "yiyang.timebank"
    label = "timebank"
    verbose_name = _("时间银行")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import (
            DemoBuilder,
            NavItem,
            PageSection,
            RegionFigure,
            register_demo,
            register_home_section,
            register_nav,
            register_region_figure,
        )
        from yiyang.elders.registry import register_elder_section
        from yiyang.timebank import access, demo, home
        from yiyang.timebank.events import EVENT_TYPES

        register_event_types(EVENT_TYPES)
        register_nav(NavItem("timebank", _("时间银行"), "timebank:point", order=40, capability=access.TB_VIEW,
                             namespaces=("timebank",), badge=home.point_badge))
        register_nav(NavItem("timebank_me", _("我的时间银行"), "timebank:me", order=5, capability=access.TB_MEMBER,
                             namespaces=("timebank",)))
        register_home_section(PageSection("timebank_member", "timebank/_home_member.html", order=1,
                                          context=home.member_home))
        register_elder_section(PageSection("timebank", "timebank/_elder_section.html", order=40,
                                           context=home.elder_section))
        register_region_figure(RegionFigure("timebank_hours", _("志愿服务时长（小时）"), order=40,
                                            capability=access.TB_STATS, compute=home.hours_figure,
                                            help=_("本月经服务点认证的时间银行服务时长")))
        register_demo(DemoBuilder("timebank", demo.demo_build, after=("elders", "stations")))
