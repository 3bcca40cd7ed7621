from django.contrib import admin, messages
from django.utils.translation import gettext as _

from yiyang.visits import services
from yiyang.visits.models import ElderContact, Visit, VisitPlan, VisitRateCell, VisitRule


@admin.register(VisitRule)
class VisitRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "region_prefix", "every_months", "due_day", "way", "is_indicator", "active")
    list_filter = ("active", "is_indicator", "way", "every_months")
    search_fields = ("name", "code")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.visit_rule_saved(actor=request.user, rule=obj, created=not change)
        messages.info(request, _("探访规则已保存；后台任务正在按新规则更新所有老人的探访计划。"))


@admin.register(VisitPlan)
class VisitPlanAdmin(admin.ModelAdmin):
    list_display = ("elder", "rule", "region_code", "window_start", "due_date", "window_end", "way", "status")
    list_filter = ("status", "rule", "way")
    search_fields = ("region_code",)
    raw_id_fields = ("elder", "visit", "cancelled_by")
    date_hierarchy = "due_date"

    def has_add_permission(self, request):
        return False  # plans come from the rules (the scheduler), not by hand

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("elder", "visited_at", "way", "outcome", "checkin_far", "recorded_by")
    list_filter = ("way", "outcome", "checkin_far")
    raw_id_fields = ("elder", "plan", "recorded_by")
    date_hierarchy = "visited_at"
    readonly_fields = ("created_at", "updated_at")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VisitRateCell)
class VisitRateCellAdmin(admin.ModelAdmin):
    list_display = ("month", "region_code", "rule", "due", "done")
    list_filter = ("month", "rule")
    search_fields = ("region_code",)
    actions = ["recount"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="从探访计划重新统计所选月份（核对用）")
    def recount(self, request, queryset):
        services.rate_cells_recount((c.region_code, c.month, c.rule_id) for c in queryset)
        self.message_user(request, "已重新统计。")


@admin.register(ElderContact)
class ElderContactAdmin(admin.ModelAdmin):
    list_display = ("elder", "region_code", "last_at", "last_kind")
    raw_id_fields = ("elder",)
