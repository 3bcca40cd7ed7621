from typing import Any

from django.contrib import admin

from yiyang.directory.candidates import candidates_refresh, services_at_locations
from yiyang.directory.models import (
    Contact,
    CostOption,
    Location,
    Organization,
    OrganizationStaff,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceListBatch,
    ServiceNeed,
)


class NeedInline(admin.TabularInline):
    model = ServiceNeed
    extra = 0


class ScheduleInline(admin.TabularInline):
    model = Schedule
    extra = 0


class CostInline(admin.TabularInline):
    model = CostOption
    extra = 0


class CapacityInline(admin.TabularInline):
    model = ServiceCapacity
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class AreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0
    raw_id_fields = ["region"]


class AtLocationInline(admin.TabularInline):
    model = ServiceAtLocation
    extra = 0
    raw_id_fields = ["location"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "status", "organization", "region", "confirmed_at"]
    list_filter = ["kind", "status", "ownership", "medical_integration"]
    search_fields = ["name", "organization__name"]
    raw_id_fields = ["organization", "region", "confirmed_by"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [NeedInline, AtLocationInline, ScheduleInline, CostInline, CapacityInline, ContactInline, AreaInline]

    # Matching reads copies of what is edited here (``candidates``): they follow every save (a
    # deleted service's rows go with it, by cascade).
    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        candidates_refresh([form.instance.pk])


class StaffInline(admin.TabularInline):
    model = OrganizationStaff
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_status", "region", "updated_at"]
    search_fields = ["name"]
    raw_id_fields = ["region"]
    inlines = [StaffInline]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "region", "latitude", "longitude"]
    search_fields = ["name", "address"]
    raw_id_fields = ["organization", "region"]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        candidates_refresh(services_at_locations([obj.pk]))  # a moved place moves its services

    def delete_model(self, request: Any, obj: Any) -> None:
        services = services_at_locations([obj.pk])
        super().delete_model(request, obj)
        candidates_refresh(services)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        services = services_at_locations(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        candidates_refresh(services)


@admin.register(ServiceListBatch)
class ServiceListBatchAdmin(admin.ModelAdmin):
    """Batches are made from /resources/lists/batch/ or ``yiyang directory lists``; here they
    are read (a failed one shows its error), not edited."""

    list_display = ("region_code", "status", "done", "total", "created", "with_services", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ServiceListBatch._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
