"""Back-office tables. Sensitive values are shown masked and are never editable here:
changes go through the elder pages (services, events, access log)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiyang.elders.models import Category, CategoryAlias, Consent, Elder, EmergencyContact, ImportBatch


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "derived", "sort_order"]
    list_editable = ["sort_order"]


@admin.register(CategoryAlias)
class CategoryAliasAdmin(admin.ModelAdmin):
    """The words the importer, the form and the API take in 人员类别 besides the names."""

    list_display = ["word", "category", "living_situation", "note"]
    list_filter = ["category", "living_situation"]
    search_fields = ["word", "note"]


class ContactInline(admin.TabularInline):
    model = EmergencyContact
    fields = ("name", "relation", "masked_phone", "is_guardian")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("电话"))
    def masked_phone(self, obj):
        return obj.phone_masked


@admin.register(Elder)
class ElderAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_id", "sex", "birth_date", "region", "living_situation", "active"]
    list_filter = ["active", "sex", "living_situation", "categories"]
    search_fields = ["name"]
    list_select_related = ["region"]
    readonly_fields = ["masked_id", "masked_phone", "masked_address", "birth_date", "sex", "region", "version",
                       "registered_by", "import_batch", "created_at", "updated_at", "active", "deactivation_reason",
                       "deactivated_at"]
    fields = ["name", *readonly_fields, "living_situation", "hukou_local", "notes"]
    inlines = [ContactInline]

    def has_add_permission(self, request):
        return False  # registration goes through the service (validation, blind index, event)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # elders are deactivated, never deleted

    @admin.display(description=_("身份证号"))
    def masked_id(self, obj):
        return obj.id_number_masked

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return obj.phone_masked

    @admin.display(description=_("居住地址"))
    def masked_address(self, obj):
        return obj.address_masked


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["elder", "purpose", "granted_by", "granted_at", "withdrawn_at"]
    list_filter = ["purpose"]
    raw_id_fields = ["elder", "recorded_by"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["file_name", "rows", "actor", "source", "created_at"]
