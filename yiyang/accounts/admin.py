from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from yiyang.accounts.models import ApiToken, LoginFailure, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "role", "region", "service_point", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "region__name"]
    raw_id_fields = ["region", "service_point"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        (_("岗位与管辖"), {"fields": ["full_name", "role", "region", "service_point", "phone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("岗位与管辖"), {"fields": ["full_name", "role", "region", "service_point"]}),
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    readonly_fields = ["user", "key_hash", "created_at", "last_used_at"]


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ["username", "at", "remote_addr"]
