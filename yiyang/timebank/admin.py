"""The time bank in the admin. The ledger is read-only here (a correction is a compensating
booking through ``ledger.ledger_correct``, offered as an action with a reason on the point's
pages); members, teams, rules and the catalogue are edited as data."""

from django.contrib import admin

from yiyang.timebank.models import (
    Account,
    CatalogueItem,
    Entry,
    Estate,
    FamilyLink,
    FraudFlag,
    Kinship,
    LedgerTransaction,
    Member,
    Redemption,
    RegionRule,
    ServiceRequest,
    Team,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ("account", "seq", "amount", "balance_after", "hash")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnly):
    list_display = ("created_at", "category", "service_kind", "region_code", "reason", "actor")
    list_filter = ("category", "service_kind")
    search_fields = ("region_code", "reference")
    date_hierarchy = "created_at"
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    list_display = ("id", "account", "seq", "amount", "balance_after", "created_at")
    raw_id_fields = ("account", "transaction")


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("name", "kind", "region_code", "balance", "seq")
    list_filter = ("kind",)
    search_fields = ("name", "region_code")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "volunteer_status", "active")
    list_filter = ("volunteer_status", "active")
    search_fields = ("name",)
    exclude = ("id_number_enc", "phone_enc", "id_number_bidx", "phone_bidx")
    raw_id_fields = ("user", "elder", "estate", "service_point", "point_reviewed_by", "platform_reviewed_by")
    readonly_fields = ("birth_date", "sex", "volunteer_status", "point_reviewed_by", "point_reviewed_at",
                       "platform_reviewed_by", "platform_reviewed_at")

    def has_add_permission(self, request):
        return False  # real-name registration goes through the service (ID check, blind index)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "leader", "approved")
    raw_id_fields = ("leader", "members", "service_point")


@admin.register(Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "property_company")
    search_fields = ("name",)


@admin.register(Kinship)
class KinshipAdmin(admin.ModelAdmin):
    list_display = ("member", "relative", "relation", "verified_at")
    raw_id_fields = ("member", "relative", "verified_by")


@admin.register(FamilyLink)
class FamilyLinkAdmin(admin.ModelAdmin):
    list_display = ("member", "elder", "relation", "created_at")
    raw_id_fields = ("member", "elder", "consent")


@admin.register(RegionRule)
class RegionRuleAdmin(admin.ModelAdmin):
    list_display = ("region", "credits_per_hour", "redeem_min_age", "storage_cap", "exchange_scope")
    raw_id_fields = ("updated_by",)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("kind", "elder", "region_code", "status", "volunteer", "wanted_at")
    list_filter = ("status", "kind")
    raw_id_fields = ("elder", "estate", "service_point", "posted_by", "posted_for_member", "volunteer", "team",
                     "certified_by", "booking")
    readonly_fields = ("status", "booking", "certified_by", "certified_at", "certified_minutes")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FraudFlag)
class FraudFlagAdmin(admin.ModelAdmin):
    list_display = ("request", "kind", "resolution", "raised_at")
    list_filter = ("kind", "resolution")
    raw_id_fields = ("request", "resolved_by")


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "partner", "service_point", "price", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("service_point",)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnly):
    list_display = ("member", "item", "region_code", "exchanged", "created_at")
