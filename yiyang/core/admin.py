from django.contrib import admin

from yiyang.core.models import AccessLog, Event


class ReadOnly(admin.ModelAdmin):
    """Append-only logs: nobody edits or deletes them, not even here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ["occurred_at", "type", "actor", "region_code", "elder_id"]
    list_filter = ["type"]
    search_fields = ["elder_id", "region_code", "subject_id"]
    date_hierarchy = "occurred_at"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnly):
    list_display = ["at", "actor", "action", "elder_id", "fields", "purpose"]
    list_filter = ["action"]
    search_fields = ["elder_id", "purpose"]
    date_hierarchy = "at"
