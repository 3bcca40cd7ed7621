from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yiyang.accounts"
    label = "accounts"
    verbose_name = _("人员与权限")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from yiyang.accounts import demo, events
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import DemoBuilder, register_demo

        register_event_types(events.EVENT_TYPES)
        register_demo(DemoBuilder("accounts", demo.demo_build, after=("regions",), summary=demo.demo_summary))
        user_locked_out.connect(_on_locked_out, dispatch_uid="yiyang.accounts.locked_out")
        user_logged_in.connect(_on_logged_in, dispatch_uid="yiyang.accounts.logged_in")


def _on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    from yiyang.accounts.services import login_lock_record

    login_lock_record(request=request, username=username, ip_address=ip_address)


def _on_logged_in(sender, request=None, user=None, **kwargs) -> None:
    # Every login path (the admin's too) clears that username's failures from this address.
    from yiyang.accounts.services import login_failures_clear

    if request is not None and user is not None:
        login_failures_clear(request=request, username=user.get_username())
