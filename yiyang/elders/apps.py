from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldersConfig(AppConfig):
    name = "yiyang.elders"
    label = "elders"
    verbose_name = _("老年人档案")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import (
            DemoBuilder,
            HomeTile,
            NavItem,
            PageSection,
            RegionFigure,
            register_demo,
            register_home_tile,
            register_nav,
            register_region_figure,
        )
        from yiyang.elders import access, demo, home, location_views
        from yiyang.elders.events import EVENT_TYPES
        from yiyang.elders.registry import register_elder_section

        register_event_types(EVENT_TYPES)
        register_nav(NavItem("elders", _("老年人"), "elders:list", order=10, capability=access.ELDER_VIEW,
                             namespaces=("elders",), exclude_url_names=("import",)))
        register_nav(NavItem("elders_import", _("批量导入"), "elders:import", order=80,
                             capability=access.ELDER_IMPORT, namespaces=("elders",), only_url_names=("import",)))
        register_home_tile(HomeTile("elders", _("在册老年人"), "elders:list", order=10,
                                    capability=access.ELDER_VIEW, value=home.active_count))
        register_home_tile(HomeTile("elders_create", _("登记老年人"), "elders:create", order=11,
                                    capability=access.ELDER_CREATE, symbol="＋"))
        register_home_tile(HomeTile("elders_import", _("批量导入"), "elders:import", order=80,
                                    capability=access.ELDER_IMPORT, symbol="⇪"))
        register_region_figure(RegionFigure("elders_registered", _("在册老年人"), order=10,
                                            capability=access.ELDER_VIEW, compute=home.registered_figure))
        register_elder_section(PageSection("elders_location", "elders/_location_section.html", order=5,
                                           context=location_views.location_section))
        register_demo(DemoBuilder("elders", demo.demo_build, after=("regions", "accounts", "stations")))
