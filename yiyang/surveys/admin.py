"""Back office: administrators edit the questionnaire here, without code.

The rule the admin enforces: only a draft version can be edited. A published (or
retired) version is shown read-only; the action "复制为新版本" makes an editable draft,
and "发布所选版本" publishes a draft (and retires the version in use). Both actions go
through the services (validation, events).

Questions are edited inline on the questionnaire; a question's options (with their need
tags) inline on the question's own page, reached by the "编辑选项" link.

Survey responses are not listed here: their answers are sensitive and are read on the
elder's pages, inside the reader's jurisdiction and with the access logged.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Max
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from yiyang.core.exceptions import ApplicationError
from yiyang.surveys import services
from yiyang.surveys.models import NeedTag, Option, Question, Questionnaire


@admin.register(NeedTag)
class NeedTagAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "description", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request, obj=None):
        # The code is what resources and service lists match on: fixed once created.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # answers and options refer to tags; deactivate instead


class _DraftOnly:
    """Inlines and pages that may change only while the questionnaire is a draft."""

    @staticmethod
    def _questionnaire_of(obj: Any) -> Questionnaire | None:
        if isinstance(obj, Questionnaire):
            return obj
        if isinstance(obj, Question):
            return obj.questionnaire
        return None

    def _editable(self, obj: Any) -> bool:
        q = self._questionnaire_of(obj)
        return q is None or q.editable


class QuestionInline(_DraftOnly, admin.TabularInline):
    model = Question
    fields = ["order", "section", "code", "text", "help_text", "kind", "required", "options_link"]
    readonly_fields = ["options_link"]
    extra = 0
    show_change_link = False
    ordering = ["order", "id"]

    @admin.display(description=_("选项"))
    def options_link(self, obj):
        if not obj.pk:
            return "—"
        n = obj.options.count()
        return format_html('<a href="{}">{}（{}）</a>', reverse("admin:surveys_question_change", args=[obj.pk]),
                           _("编辑选项") if obj.questionnaire.editable else _("查看选项"), n)

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Questionnaire)
class QuestionnaireAdmin(_DraftOnly, admin.ModelAdmin):
    list_display = ["version", "name", "status", "published_at", "retired_at", "question_count", "response_count"]
    list_display_links = ["version", "name"]
    list_filter = ["status"]
    readonly_fields = ["version", "status", "based_on", "created_at", "published_at", "retired_at"]
    fields = ["name", "description", *readonly_fields]
    inlines = [QuestionInline]
    actions = ["copy_as_new_version", "publish"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_questions=Count("questions", distinct=True),
                                                      n_responses=Count("responses", distinct=True))

    @admin.display(description=_("问题数"), ordering="n_questions")
    def question_count(self, obj):
        return obj.n_questions

    @admin.display(description=_("已答份数"), ordering="n_responses")
    def response_count(self, obj):
        return obj.n_responses

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A draft nobody answered may go; anything published is history.
        return self._editable(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:  # a brand-new questionnaire is the next version, as a draft
            obj.version = (Questionnaire.objects.aggregate(m=Max("version"))["m"] or 0) + 1
            obj.status = Questionnaire.Status.DRAFT
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for question in form.instance.questions.all():
            services.question_add_yes_no_options(question=question)

    @admin.action(description=_("复制为新版本"))
    def copy_as_new_version(self, request, queryset):
        for q in queryset.order_by("version"):
            copy = services.questionnaire_copy(actor=request.user, questionnaire=q)
            self.message_user(request, f"已将第{q.version}版复制为第{copy.version}版（草稿），可以修改后发布",
                              messages.SUCCESS)

    @admin.action(description=_("发布所选版本（停用当前版本）"))
    def publish(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "一次只能发布一个版本", messages.ERROR)
            return
        q = queryset.get()
        try:
            services.questionnaire_publish(actor=request.user, questionnaire=q)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"第{q.version}版已发布；之前的版本已停用，已有的调查记录仍指向原版本",
                              messages.SUCCESS)


class OptionInline(_DraftOnly, admin.TabularInline):
    model = Option
    fields = ["order", "code", "text", "need_tags", "exclusive"]
    extra = 0
    ordering = ["order", "id"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "need_tags":
            kwargs["queryset"] = NeedTag.objects.filter(active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Question)
class QuestionAdmin(_DraftOnly, admin.ModelAdmin):
    list_display = ["code", "text", "section", "kind", "required", "questionnaire"]
    list_filter = ["questionnaire", "kind", "section"]
    list_select_related = ["questionnaire"]
    search_fields = ["code", "text"]
    fields = ["questionnaire", "order", "section", "code", "text", "help_text", "kind", "required"]
    inlines = [OptionInline]

    def get_readonly_fields(self, request, obj=None):
        return ["questionnaire"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "questionnaire":  # questions may be added to drafts only
            kwargs["queryset"] = Questionnaire.objects.filter(status=Questionnaire.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.question_add_yes_no_options(question=form.instance)
