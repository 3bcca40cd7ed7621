"""Back-office view of casework (个案服务): read-only and within the viewer's jurisdiction.
Every change goes through the pages or the API (services, events on the elder's timeline);
an anonymous visitor's contact details show masked here, and evidence files are not shown."""

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiyang.casework.models import (
    CaseConference,
    ConferenceDecision,
    Consultation,
    Errand,
    ErrandEvidence,
    FollowUp,
)
from yiyang.core.access import jurisdiction_filter


class ReadOnlyInJurisdiction(admin.ModelAdmin):
    def get_queryset(self, request: Any) -> Any:
        return jurisdiction_filter(super().get_queryset(request), request.user, "region_code")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyInJurisdiction):
    list_display = ["visited_at", "channel", "elder", "masked_name", "masked_phone", "service_item", "result",
                    "region_code", "recorded_by"]
    list_filter = ["channel", "service_item", "result", "visitor_type"]
    list_select_related = ["elder", "recorded_by"]
    date_hierarchy = "visited_at"
    readonly_fields = ("channel", "visitor_type", "visitor_count", "family_count", "visited_at", "elder", "masked_name",
                       "visitor_age", "masked_phone", "masked_address", "community", "region_code", "service_point",
                       "service_item", "result", "reason", "advice", "aftercare", "recorded_by", "created_at")
    fields = readonly_fields

    @admin.display(description=_("姓名"))
    def masked_name(self, obj: Consultation) -> str:
        return obj.visitor_name_masked

    @admin.display(description=_("电话"))
    def masked_phone(self, obj: Consultation) -> str:
        return obj.visitor_phone_masked

    @admin.display(description=_("地址"))
    def masked_address(self, obj: Consultation) -> str:
        return obj.visitor_address_masked


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyInJurisdiction):
    list_display = ["title", "elder", "due_date", "assignee", "status", "source", "region_code"]
    list_filter = ["status", "source"]
    list_select_related = ["elder", "assignee"]
    search_fields = ["title"]


class DecisionInline(admin.TabularInline):
    model = ConferenceDecision
    readonly_fields = ("text", "followup")
    fields = readonly_fields
    extra = 0
    can_delete = False


@admin.register(CaseConference)
class CaseConferenceAdmin(ReadOnlyInJurisdiction):
    list_display = ["held_on", "elder", "convened_by", "region_code"]
    list_select_related = ["elder", "convened_by"]
    inlines = [DecisionInline]


class EvidenceInline(admin.TabularInline):
    model = ErrandEvidence
    readonly_fields = ("file_name", "content_type", "size", "uploaded_by", "uploaded_at")
    fields = readonly_fields
    extra = 0
    can_delete = False


@admin.register(Errand)
class ErrandAdmin(ReadOnlyInJurisdiction):
    list_display = ["elder", "kind", "status", "due_date", "assignee", "region_code"]
    list_filter = ["status", "kind"]
    list_select_related = ["elder", "assignee"]
    exclude = ["version"]
    inlines = [EvidenceInline]
