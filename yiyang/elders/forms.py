"""Forms of the elder pages. They only collect input; the rules live in validation.py
and services.py, whose FieldErrors are put back on the fields."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.core.exceptions import FieldErrors
from yiyang.core.text import NOTE_MAX, REMARK_MAX
from yiyang.core.web import PlainForm
from yiyang.elders.models import (
    ECONOMIC_CATEGORY_CODES,
    ECONOMIC_NONE,
    ECONOMIC_UNKNOWN,
    Category,
    Consent,
    Elder,
    LivingSituation,
    economic_status_of,
)
from yiyang.elders.validation import Lookups, clean_elder_fields
from yiyang.regions import access as region_access
from yiyang.regions.models import Region


def community_choices(user: Any) -> list[tuple[str, str]]:
    qs = region_access.access_regions(user).filter(level=Region.Level.COMMUNITY, active=True).select_related("parent")
    return [(r.code, f"{r.parent.name if r.parent else ''} {r.name}".strip()) for r in qs.order_by("code")]


class ElderForm(PlainForm):
    partial = False  # an edit: empty sensitive fields are left as they are

    name = forms.CharField(label=_("姓名"), max_length=50, error_messages={"required": _("请填写姓名")})
    id_number = forms.CharField(label=_("身份证号"), max_length=20, error_messages={"required": _("请填写身份证号")},
                                help_text=_("18位（或旧式15位）；出生日期、性别自动识别"))
    region_code = forms.ChoiceField(label=_("所属社区"), error_messages={"required": _("请选择所属社区")})
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("居住地址"), max_length=200, required=False)
    living_situation = forms.ChoiceField(label=_("居住情况"), required=False,
                                         choices=[("", "—")] + list(LivingSituation.choices))
    categories = forms.MultipleChoiceField(label=_("人员类别"), required=False, widget=forms.CheckboxSelectMultiple)
    # Three-valued (issue 7 C.2): 未知 until someone checks; the difficulty statuses are kept
    # among the categories, so they are chosen here and not ticked there.
    economic_status = forms.ChoiceField(label=_("经济状况"), required=False,
                                        help_text=_("特困、低保等以民政认定为准；核实不属于的选“非经济困难”"))
    # Shown only when the ID number says the person is under 60 (validation._check_age).
    confirm_under_age = forms.BooleanField(label=_("确认登记未满60周岁的人员"), required=False)
    hukou_local = forms.BooleanField(label=_("本地户籍"), required=False, initial=True)
    notes = forms.CharField(label=_("备注"), required=False, max_length=NOTE_MAX,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region_code"]).choices = [("", "—")] + community_choices(user)
        plain = Category.objects.filter(derived=False).order_by("sort_order")
        # A difficulty category posted here is still understood; the boxes show the others.
        categories = cast(forms.MultipleChoiceField, self.fields["categories"])
        categories.choices = list(plain.values_list("code", "name"))
        categories.widget.choices = [(c, n) for c, n in categories.choices if c not in ECONOMIC_CATEGORY_CODES]
        cast(forms.ChoiceField, self.fields["economic_status"]).choices = [
            (ECONOMIC_UNKNOWN, _("未知")), (ECONOMIC_NONE, _("非经济困难")),
            *plain.filter(code__in=ECONOMIC_CATEGORY_CODES).values_list("code", "name")]
        self.fields["id_number"].widget.attrs.update({"inputmode": "text", "autocomplete": "off"})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})

    def clean(self) -> dict[str, Any] | None:
        """When a field already failed, check the others by the registry's rules now, so the
        worker sees every problem in one round instead of one after another."""
        cleaned = super().clean()
        if self.errors:
            raw = {k: self.data.get(k) for k in ("name", "id_number", "phone", "address", "region_code")}
            if self.partial:
                raw = {k: v for k, v in raw.items() if v or k in ("name", "region_code")}
            _clean, errors = clean_elder_fields(raw, Lookups.load(), partial=self.partial)
            for field, messages in errors.items():
                if field in self.fields and field not in self.errors:
                    for m in messages:
                        self.add_error(field, m)
        return cleaned

    def apply_errors(self, exc: FieldErrors) -> None:
        for field, messages in exc.errors.items():
            for m in messages:
                self.add_error(field if field in self.fields else None, m)

    groups: list[tuple[Any, list[str]]] = [
        (_("基本信息"), ["name", "id_number", "confirm_under_age", "region_code", "phone", "address"]),
        (_("居住情况与人员类别"), ["living_situation", "categories", "economic_status", "hukou_local", "notes"]),
    ]

    def for_service(self) -> dict[str, Any]:
        """The cleaned values as the service takes them: a difficulty status is one of the
        categories too (the service checks that the two agree)."""
        data = dict(self.cleaned_data)
        economic = data.get("economic_status") or ""
        if economic in ECONOMIC_CATEGORY_CODES:
            data["categories"] = [*data.get("categories", []), economic]
        return data

    def _confirm_shown(self) -> bool:
        """The under-60 confirmation appears once the ID number asks for it, and stays ticked."""
        return self.is_bound and ("confirm_under_age" in self.errors or bool(self.data.get("confirm_under_age")))

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields in the groups the page shows; a field in no group goes to the last one."""
        hidden = set() if self._confirm_shown() else {"confirm_under_age"}
        sets = [(legend, [self[n] for n in names if n in self.fields and n not in hidden])
                for legend, names in self.groups]
        grouped = {n for _legend, names in self.groups for n in names}
        sets[-1][1].extend(bf for bf in self if bf.name not in grouped)
        return [(legend, fields) for legend, fields in sets if fields]


class ElderCreateForm(ElderForm):
    contact_name = forms.CharField(label=_("紧急联系人"), max_length=50, required=False)
    contact_relation = forms.CharField(label=_("与老人关系"), max_length=20, required=False)
    contact_phone = forms.CharField(label=_("紧急联系人电话"), max_length=20, required=False)

    groups = [*ElderForm.groups, (_("紧急联系人"), ["contact_name", "contact_relation", "contact_phone"])]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["contact_name"].label = _("联系人姓名")
        self.fields["contact_phone"].label = _("联系人电话")
        self.fields["contact_relation"].widget.attrs.update({"placeholder": _("例如：儿子、女儿、邻居")})
        self.fields["contact_phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})

    def apply_errors(self, exc: FieldErrors) -> None:
        contacts = exc.errors.pop("contacts", [])
        super().apply_errors(exc)
        for m in contacts:
            self.add_error("contact_phone", m)


class ElderEditForm(ElderForm):
    """Editing never pre-fills the sensitive fields (that would reveal them without a
    logged reason): left empty, they stay as they are."""

    partial = True

    def __init__(self, *args: Any, elder: Elder, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, masked in (("id_number", elder.id_number_masked), ("phone", elder.phone_masked),
                             ("address", elder.address_masked)):
            field = self.fields[name]
            field.required = False
            field.help_text = _("留空则不修改（当前：%(value)s）") % {"value": masked or "—"}
            field.widget.attrs["placeholder"] = masked

    def changed_data_for_service(self) -> dict[str, Any]:
        data = self.for_service()
        for name in ("id_number", "phone", "address"):
            if not data.get(name):
                data.pop(name, None)
        return data


def initial_from_elder(elder: Elder) -> dict[str, Any]:
    codes = list(elder.categories.values_list("code", flat=True))
    return {
        "name": elder.name, "region_code": elder.region_id, "living_situation": elder.living_situation,
        "categories": [c for c in codes if c not in ECONOMIC_CATEGORY_CODES], "hukou_local": elder.hukou_local,
        "economic_status": economic_status_of(elder.not_in_difficulty, codes), "notes": elder.notes,
    }


class DeactivateForm(PlainForm):
    reason = forms.ChoiceField(label=_("注销原因"), choices=Elder.DeactivationReason.choices)
    note = forms.CharField(label=_("说明"), required=False, max_length=REMARK_MAX)


class ContactForm(PlainForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    relation = forms.CharField(label=_("关系"), max_length=20, required=False)
    phone = forms.CharField(label=_("电话"), max_length=20)
    is_guardian = forms.BooleanField(label=_("监护人/代理人"), required=False)


class ConsentForm(PlainForm):
    purpose = forms.ChoiceField(label=_("用途"), choices=Consent.Purpose.choices)
    granted_by = forms.CharField(label=_("表示同意的人"), max_length=50)
    method = forms.ChoiceField(label=_("同意方式"), choices=[("", "—"), *Consent.Method.choices], required=False)
    evidence = forms.CharField(label=_("凭据"), max_length=200, required=False)


class ImportForm(PlainForm):
    file = forms.FileField(label=_("Excel 或 CSV 文件"))
