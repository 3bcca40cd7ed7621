from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from yiyang.accounts.models import ApiToken, User
from yiyang.accounts.services import login_lock_release


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "role", "region", "service_point", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "region__name"]
    raw_id_fields = ["region", "service_point"]
    actions = ["unlock_login"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        (_("岗位与管辖"), {"fields": ["full_name", "role", "region", "service_point", "phone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("岗位与管辖"), {"fields": ["full_name", "role", "region", "service_point"]}),
    ]

    @admin.action(description=_("解除所选人员的登录锁定"))
    def unlock_login(self, request, queryset):
        n = login_lock_release(actor=request.user, usernames=[u.username for u in queryset])
        self.message_user(request, _("已清除 %(n)d 条登录失败记录") % {"n": n}, messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    readonly_fields = ["user", "key_hash", "created_at", "last_used_at"]


# axes' own list of failure records (by username and address), with an unlock that is
# logged: deleting through our service writes an event per username.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    actions = ["unlock"]

    @admin.action(description=_("解除锁定（删除所选失败记录）"))
    def unlock(self, request, queryset):
        n = login_lock_release(actor=request.user, attempts=list(queryset))
        self.message_user(request, _("已清除 %(n)d 条登录失败记录") % {"n": n}, messages.SUCCESS)
