from django.contrib import admin

from yiyang.stations.models import ServicePoint


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "hours", "lead", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "address", "region__name"]
    raw_id_fields = ["region", "lead"]
