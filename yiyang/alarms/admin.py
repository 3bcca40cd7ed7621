from django.contrib import admin

from yiyang.alarms.models import (
    Alarm,
    AlarmEvent,
    AlarmProfile,
    Checkin,
    CheckinRule,
    Delivery,
    Device,
    DutyPhone,
    DutyRoster,
    EscalationPolicy,
    EscalationStep,
)


class StepInline(admin.TabularInline):
    model = EscalationStep
    extra = 1


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "region_prefix", "priority", "repeat", "active", "updated_at")
    list_filter = ("priority", "active")
    inlines = [StepInline]


@admin.register(DutyRoster)
class DutyRosterAdmin(admin.ModelAdmin):
    list_display = ("region_code", "user", "weekday", "start", "end")
    list_filter = ("weekday",)
    search_fields = ("region_code", "user__username", "user__full_name")
    raw_id_fields = ("user",)


@admin.register(DutyPhone)
class DutyPhoneAdmin(admin.ModelAdmin):
    list_display = ("name", "region_code", "phone")


@admin.register(AlarmProfile)
class AlarmProfileAdmin(admin.ModelAdmin):
    list_display = ("elder", "region_code", "responder", "daily_checkin", "updated_at")
    list_filter = ("daily_checkin",)
    raw_id_fields = ("elder", "responder")
    search_fields = ("region_code",)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("serial", "type", "elder", "region_code", "active", "last_seen_at", "battery_pct", "last_test_at")
    list_filter = ("type", "active")
    search_fields = ("serial", "region_code")
    raw_id_fields = ("elder",)
    readonly_fields = ("key_hash", "last_seen_at", "battery_pct", "last_test_at", "created_at")

    def has_add_permission(self, request):
        return False  # a device gets its key through the alarms service (shown once), not here


class EventInline(admin.TabularInline):
    model = AlarmEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "actor", "actor_label", "step", "detail")

    def has_add_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ("loop", "step", "target", "label", "channel", "status", "attempts", "sent_at", "error")
    exclude = ("recipient", "user", "next_attempt_at", "claimed_at", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    """Read-only: an alarm changes through its transitions (the board, the API), never by hand."""

    list_display = ("raised_at", "kind", "state", "region_code", "elder", "presses", "escalations", "outcome")
    list_filter = ("state", "kind", "priority", "source", "outcome")
    search_fields = ("region_code",)
    date_hierarchy = "raised_at"
    inlines = [EventInline, DeliveryInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CheckinRule)
class CheckinRuleAdmin(admin.ModelAdmin):
    list_display = ("region_prefix", "deadline", "active")


@admin.register(Checkin)
class CheckinAdmin(admin.ModelAdmin):
    list_display = ("elder", "day", "at", "source", "region_code")
    list_filter = ("source",)
    raw_id_fields = ("elder",)
    date_hierarchy = "day"

    def has_change_permission(self, request, obj=None):
        return False
