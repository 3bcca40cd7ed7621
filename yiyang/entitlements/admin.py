"""Back office for the benefit list and its rules. Saving goes through the services, so a
rule change is validated, logged as an event and recomputes the elders in its scope."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from yiyang.core import access
from yiyang.elders import access as elder_access
from yiyang.elders.models import Category
from yiyang.entitlements import engine, selectors, services
from yiyang.entitlements.models import (
    Benefit,
    BenefitRule,
    EntitlementChange,
    EntitlementRecompute,
    PaymentRound,
    PaymentRoundChange,
)
from yiyang.regions.codes import normalize_code
from yiyang.regions.models import Region

CONDITIONS_HELP = mark_safe(  # noqa: S308 - a constant written here, no user input
    "用 JSON 写条件（英文双引号）。一个对象写一个条件，多个条件用 <code>all</code>（同时满足）"
    "或 <code>any</code>（满足其一）组合，<code>not</code> 表示取反；<code>{}</code> 表示所有老年人。<br>"
    "可用的条件：<br>"
    "<code>{\"age\": {\"&gt;=\": 80}}</code> 年满80周岁（按身份证出生日期，生日当天算满）；"
    "<code>{\"age\": {\"&lt;=\": 79}}</code> 不超过79周岁；<br>"
    "<code>{\"hukou_local\": true}</code> 本地户籍；"
    "<code>{\"hukou_region\": {\"in\": [\"440304000000\"]}}</code> 户籍在某区划；"
    "<code>{\"region\": {\"in\": [\"440304006000\"]}}</code> 居住在某区划；<br>"
    "<code>{\"categories\": {\"any\": [\"subsistence\", \"extreme_poverty\"]}}</code> 属于其一"
    "（也可用 <code>all</code> 同时属于、<code>none</code> 都不属于）；"
    "类别代码：advanced_age 高龄（自动按80周岁判断）、disabled 失能、dementia 失智、severe_disability 重度残疾、"
    "family_planning_special 计划生育特殊家庭、extreme_poverty 特困供养、subsistence 低保、"
    "near_subsistence 低保边缘、childless_widowed 孤寡、low_income 经济困难、veteran 退役军人；<br>"
    "<code>{\"level\": {\"&gt;=\": 2}}</code> 能力评估等级（0 能力完好、1 轻度失能、2 中度失能、3 重度失能、4 完全失能），"
    "尚未评估的老人结果为“可能符合”；<br>"
    "<code>{\"living_situation\": {\"in\": [\"alone\", \"empty_nest\", \"left_behind\"]}}</code> 居住情况"
    "（alone 独居、empty_nest 空巢、left_behind 留守、with_children 与子女同住、with_relatives 与其他亲属同住、"
    "in_institution 入住养老机构、other 其他）；<br>"
    "<code>{\"economic\": {\"in\": [\"extreme_poverty\", \"subsistence\", \"near_subsistence\", \"low_income\"]}}</code> "
    "经济状况（按档案中的特困、低保、低保边缘、经济困难类别判断，都没有登记时为“可能符合”）；<br>"
    "<code>{\"available\": false}</code> 本地区暂未开展。<br>"
    "例：<code>{\"all\": [{\"age\": {\"&gt;=\": 80}}, {\"hukou_local\": true}]}</code> = 年满80周岁且本地户籍。"
    "详见 docs/entitlements.md。"
)


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value  # what the user typed, shown back with its error
        return json.dumps(value, ensure_ascii=False, indent=2)


class BenefitRuleForm(forms.ModelForm):
    conditions = PrettyJSONField(
        label=_("条件"), required=False, help_text=CONDITIONS_HELP,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80, "class": "vLargeTextField", "spellcheck": "false"}),
        error_messages={"invalid": "条件不是有效的 JSON：请检查是否使用英文双引号 \"、逗号和括号是否成对"},
    )
    request_user: Any = None  # set by the admin's get_form

    class Meta:
        model = BenefitRule
        fields = ["benefit", "region_code", "effective_from", "effective_to", "priority", "conditions", "source"]

    def clean_region_code(self) -> str:
        raw = (self.cleaned_data.get("region_code") or "").strip()
        user = self.request_user
        if not raw:
            if user is not None and not user.is_superuser:
                raise forms.ValidationError("只有市级管理员可以修改适用于所有地区的规则，请填写您管辖范围内的区划代码")
            return ""
        code = normalize_code(raw)
        if not (code.isdigit() and len(code) == 12):
            raise forms.ValidationError("区划代码应为12位数字（例如 440304000000），留空表示所有地区")
        if not Region.objects.filter(code=code).exists():
            raise forms.ValidationError(f"区划代码 {code} 不在区划表中")
        if user is not None and not access.in_jurisdiction(user, code):
            raise forms.ValidationError("该区划不在您的管辖范围内")
        return code

    def clean_conditions(self) -> Any:
        value = self.cleaned_data.get("conditions")
        if value is None:
            return {}
        problems = engine.validate_condition(value, category_codes=Category.objects.values_list("code", flat=True))
        if problems:
            raise forms.ValidationError(["条件写法有误，请按下面的提示修改：", *problems])
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", "截止日期不能早于生效日期")
        return data


class BenefitRuleInline(admin.TabularInline):
    model = BenefitRule
    fields = ("region_code", "effective_from", "effective_to", "priority", "described")
    readonly_fields = ("region_code", "effective_from", "effective_to", "priority", "described")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # rules are added on their own page, where they are validated and recomputed

    @admin.display(description=_("条件"))
    def described(self, obj: BenefitRule) -> str:
        return engine.describe(obj.conditions, selectors.vocabulary([obj]))


@admin.register(Benefit)
class BenefitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "active", "sort_order"]
    list_filter = ["kind", "active"]
    list_editable = ["sort_order"]
    search_fields = ["name", "code"]
    fields = ["name", "code", "kind", "description", "amount", "how_to_apply", "active", "sort_order"]
    inlines = [BenefitRuleInline]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []  # the API and the stored statuses use the code

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # switch a benefit off (启用) instead: its history stays

    def save_model(self, request: Any, obj: Benefit, form: Any, change: bool) -> None:
        was_active = form.initial.get("active") if change else None
        queued = services.benefit_save(actor=request.user, benefit=obj, was_active=was_active)
        if queued is not None:
            messages.info(request, queued.summary())


@admin.register(BenefitRule)
class BenefitRuleAdmin(admin.ModelAdmin):
    form = BenefitRuleForm
    list_display = ["benefit", "scope", "effective_from", "effective_to", "priority", "described"]
    list_filter = ["benefit"]
    list_select_related = ["benefit"]
    readonly_fields = ["described", "recompute", "updated_at", "updated_by"]
    fields = ["benefit", "region_code", "effective_from", "effective_to", "priority", "conditions", "described",
              "source", "recompute", "updated_at", "updated_by"]

    def get_queryset(self, request: Any) -> Any:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        prefix = access.jurisdiction_prefix(request.user)
        if not prefix:
            return qs.none()
        return qs.filter(region_code__startswith=prefix)

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = cast(type[BenefitRuleForm], super().get_form(request, obj, change=change, **kwargs))
        form.request_user = request.user  # get_form makes a new class per request
        return form

    @admin.display(description=_("适用区划"))
    def scope(self, obj: BenefitRule) -> str:
        if not obj.region_code:
            return "所有地区"
        name = Region.objects.filter(code=obj.region_code).values_list("name", flat=True).first()
        return f"{name}（{obj.region_code}）" if name else obj.region_code

    @admin.display(description=_("条件（文字）"))
    def described(self, obj: BenefitRule) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return engine.describe(obj.conditions, selectors.vocabulary([obj]))

    @admin.display(description=_("重新计算"))
    def recompute(self, obj: BenefitRule) -> str:
        """The last background recompute this rule caused: progress bar, then the result."""
        run = obj.recomputes.order_by("-created_at", "-id").first() if obj is not None and obj.pk else None
        if run is None:
            return "—"
        # Rendered by the template engine, escaped there.
        return mark_safe(render_to_string("entitlements/_recompute.html", {"run": run}))  # noqa: S308

    def response_add(self, request: Any, obj: BenefitRule, post_url_continue: Any = None) -> Any:
        return self._back_to_rule(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request: Any, obj: BenefitRule) -> Any:
        return self._back_to_rule(request, obj) or super().response_change(request, obj)

    def _back_to_rule(self, request: Any, obj: BenefitRule) -> Any:
        """After 保存, the rule's own page: its recompute's progress is shown there."""
        if "_addanother" in request.POST or "_saveasnew" in request.POST or "_continue" in request.POST:
            return None
        return HttpResponseRedirect(reverse("admin:entitlements_benefitrule_change", args=[obj.pk]))

    def save_model(self, request: Any, obj: BenefitRule, form: Any, change: bool) -> None:
        previous = form.initial.get("region_code") if change else None
        result = services.benefit_rule_save(actor=request.user, rule=obj, previous_region_code=previous)
        messages.info(request, result.summary())

    def delete_model(self, request: Any, obj: BenefitRule) -> None:
        result = services.benefit_rule_delete(actor=request.user, rule=obj)
        messages.info(request, result.summary())

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for rule in queryset:
            self.delete_model(request, rule)


@admin.register(EntitlementChange)
class EntitlementChangeAdmin(admin.ModelAdmin):
    list_display = ["elder", "benefit", "from_status", "to_status", "cause", "at", "acknowledged_at"]
    list_filter = ["benefit", "to_status", "cause"]
    list_select_related = ["elder", "benefit"]

    def get_queryset(self, request: Any) -> Any:
        # Names of elders: only those in the viewer's jurisdiction.
        return super().get_queryset(request).filter(elder__in=elder_access.access_elders(request.user))

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


# --------------------------------------------------------------------------- payment rounds


class ReadOnlyAdminMixin:
    """Rows written only by the services (a payment round's workflow): viewable, never edited
    here — an approved round must never change, and a draft changes through its own page."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class PaymentRoundChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentRoundChange
    fields = ("kind", "name", "region_code", "cause", "reason")
    readonly_fields = ("kind", "name", "region_code", "cause", "reason")
    extra = 0
    verbose_name = _("与上期相比的人员变化")
    verbose_name_plural = _("与上期相比的人员变化")


ROUND_FIELDS = ("benefit", "region_code", "month", "status", "count", "joined_count", "left_count", "previous",
                "drafted_by", "drafted_at", "submitted_by", "submitted_at", "approved_by", "approved_at",
                "exported_by", "exported_at", "cancelled_by", "cancelled_at", "note")


@admin.register(PaymentRound)
class PaymentRoundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "benefit", "region_code", "month", "status", "count", "joined_count", "left_count",
                    "drafted_by", "approved_by"]
    list_filter = ["benefit", "status", "month"]
    list_select_related = ["benefit", "drafted_by", "approved_by"]
    search_fields = ["region_code"]
    date_hierarchy = "month"
    fields = ROUND_FIELDS
    readonly_fields = ROUND_FIELDS
    inlines = [PaymentRoundChangeInline]

    def get_queryset(self, request: Any) -> Any:
        return access.jurisdiction_filter(super().get_queryset(request), request.user, "region_code")


@admin.register(EntitlementRecompute)
class EntitlementRecomputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The background recomputes (rule changes, benefits switched on or off, nightly): written
    only by the worker."""

    list_display = ["created_at", "cause", "benefit", "rule", "state", "done", "total", "changes", "became_entitled",
                    "became_not", "finished_at"]
    list_filter = ["state", "cause"]
    list_select_related = ["benefit", "rule", "rule__benefit"]
