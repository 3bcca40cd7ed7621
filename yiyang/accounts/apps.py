from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yiyang.accounts"
    label = "accounts"
    verbose_name = _("人员与权限")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.accounts import demo
        from yiyang.core.registry import DemoBuilder, register_demo

        register_demo(DemoBuilder("accounts", demo.demo_build, after=("regions",), summary=demo.demo_summary))
