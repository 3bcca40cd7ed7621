from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "yiyang.regions"
    label = "regions"
    verbose_name = _("行政区划")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.registry import DemoBuilder, register_demo
        from yiyang.regions import demo

        register_demo(DemoBuilder("regions", demo.demo_build))
