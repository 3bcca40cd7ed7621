from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "yiyang.stations"
    label = "stations"
    verbose_name = _("服务点")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.registry import DemoBuilder, register_demo
        from yiyang.stations import demo

        register_demo(DemoBuilder("stations", demo.demo_build, after=("regions", "accounts")))
