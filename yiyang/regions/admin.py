from django.contrib import admin

from yiyang.regions.models import CodeSet, Region


@admin.register(CodeSet)
class CodeSetAdmin(admin.ModelAdmin):
    list_display = ["version", "source", "is_current", "loaded_at"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "active"]
    list_filter = ["level", "active", "code_set"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
