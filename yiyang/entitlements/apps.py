import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitlementsConfig(AppConfig):
    name = "yiyang.entitlements"
    label = "entitlements"
    verbose_name = _("政策与基本养老服务清单")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types, subscribe
        from yiyang.core.registry import (
            DemoBuilder,
            HomeTile,
            NavItem,
            PageSection,
            RegionFigure,
            TodoList,
            register_demo,
            register_home_tile,
            register_nav,
            register_region_figure,
            register_todo,
        )
        from yiyang.core.tasks import periodic
        from yiyang.elders import access as elder_access
        from yiyang.elders.registry import (
            register_benefit_source,
            register_elder_section,
            register_stored_benefit_source,
        )
        from yiyang.entitlements import access, demo, home, sections, selectors, tasks
        from yiyang.entitlements.events import EVENT_TYPES

        register_event_types(EVENT_TYPES)
        # What changes an elder's entitlements happens in other apps: hear of it, never be called.
        subscribe(tasks.ELDER_EVENTS + tasks.ASSESSMENT_EVENTS, tasks.entitlements_on_events)
        periodic("entitlements.nightly", tasks.entitlements_refresh_nightly, at=dt.time(1, 30),
                 label="每晚重新计算政策享受资格（到龄、政策生效或到期）")
        register_nav(NavItem("entitlement_changes", _("新享政策"), "entitlements:changes", order=30,
                             capability=elder_access.ELDER_VIEW, namespaces=("entitlements",),
                             exclude_url_names=access.PAYMENT_URL_NAMES))
        register_nav(NavItem("payments", _("发放名单"), "entitlements:recipients_index", order=40,
                             capability=access.RECIPIENTS_VIEW, namespaces=("entitlements",),
                             only_url_names=access.PAYMENT_URL_NAMES))
        register_home_tile(HomeTile("rounds_to_approve", _("待审核发放批次"), "entitlements:rounds", order=40,
                                    capability=access.ROUND_APPROVE, query="status=submitted",
                                    value=lambda request: selectors.rounds_awaiting_approval(request.user).count()))
        register_todo(TodoList("entitlements_untold", _("待告知政策"), order=30, capability=elder_access.ELDER_UPDATE,
                               items=home.todo_untold))
        register_region_figure(RegionFigure("entitlements_untold", _("待告知政策"), order=50,
                                            capability=elder_access.ELDER_VIEW, compute=home.untold_figure,
                                            help=_("新近可享受、尚未告知老人的政策项")))
        register_elder_section(PageSection("entitlements", "entitlements/_elder_section.html", order=30,
                                           context=sections.elder_entitlements))
        register_benefit_source(selectors.elder_benefits_plain)
        register_stored_benefit_source(selectors.elders_benefits_stored)
        register_demo(DemoBuilder("entitlements", demo.demo_build, after=("elders", "assessments")))
