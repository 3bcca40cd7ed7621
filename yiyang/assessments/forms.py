"""Forms of the assessment pages: they collect input; rules live in scoring/services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.accounts.models import User
from yiyang.assessments.models import Assessment
from yiyang.assessments.scoring import DIMENSIONS, ITEMS
from yiyang.assessments.services import HEALTH_PROBLEMS, RISK_EVENTS, co_assessor_eligible
from yiyang.core import access
from yiyang.core.text import LINE_MAX, NAME_MAX, PURPOSE_MIN, REMARK_MAX, SHORT_MAX
from yiyang.core.web import PlainForm

RISK_CHOICES = [(0, "无"), (1, "1次"), (2, "2次"), (3, "3次及以上")]


def co_assessor_choices(user: Any, region_code: str) -> list[tuple[str, str]]:
    """Every assessor who may co-assess in this community (``services.co_assessor_eligible``):
    the 专员 of this and the neighbouring communities of the street first, then the street's,
    the district's and the city's staff (issue 7 C.1: before, only administrators were listed)."""
    ancestors = [region_code[:n].ljust(12, "0") for n in (2, 4, 6, 9)]
    candidates = (User.objects.filter(Q(region_id__in=ancestors) | access.prefix_q(region_code[:9], "region"),
                                      is_active=True)
                  .exclude(pk=user.pk).select_related("region").order_by("-region_id", "username"))
    rows = [u for u in candidates[:500] if co_assessor_eligible(u, region_code)]
    # This community, then the other communities of the street, then upwards.
    rows.sort(key=lambda u: (u.region_id != region_code, u.region_id in ancestors, -int(u.region_id or 0)))
    return [("", "—")] + [
        (str(u.pk), f"{u.display_name}（{u.get_role_display()}·{u.region.name if u.region else ''}）") for u in rows
    ]


class StartForm(PlainForm):
    reason = forms.ChoiceField(label=_("评估原因"), choices=Assessment.Reason.choices)
    assessed_on = forms.DateField(label=_("评估基准日期"),
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    co_assessor = forms.ChoiceField(label=_("第二评估员"), required=False)

    def __init__(self, *args: Any, user: Any, elder: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["co_assessor"]).choices = co_assessor_choices(user, elder.region_id)


class AssessmentForm(PlainForm):
    """The 26 items (radio buttons with the standard's wording) and part A."""

    information_provider = forms.CharField(label=_("信息提供者姓名"), required=False, max_length=NAME_MAX)
    provider_relation = forms.CharField(label=_("与老人的关系"), required=False, max_length=SHORT_MAX)
    diagnoses = forms.CharField(label=_("疾病诊断"), required=False, max_length=REMARK_MAX,
                                widget=forms.Textarea(attrs={"rows": 2}))
    medications = forms.CharField(label=_("用药情况"), required=False, max_length=REMARK_MAX,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    diagnosed_dementia_or_mental_disorder = forms.BooleanField(
        label=_("已确诊痴呆（F00–F03）或经精神科医师确诊的其他精神和行为障碍（F04–F99）"), required=False)
    health_problems = forms.MultipleChoiceField(label=_("健康相关问题"), required=False,
                                                choices=list(HEALTH_PROBLEMS.items()),
                                                widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for key, label in RISK_EVENTS.items():
            self.fields[f"risk_{key}"] = forms.TypedChoiceField(
                label=label, choices=RISK_CHOICES, coerce=int, initial=0, widget=forms.RadioSelect)
        for item in ITEMS:
            self.fields[item.code] = forms.TypedChoiceField(
                label=f"{item.code} {item.name}", help_text=item.description, required=False, coerce=int,
                empty_value=None, widget=forms.RadioSelect,
                choices=[(score, f"{score}分：{text}") for score, text in sorted(item.options.items(), reverse=True)],
            )

    def item_groups(self) -> list[tuple[Any, list[Any]]]:
        return [(d, [self[i.code] for i in ITEMS if i.dimension == d.code]) for d in DIMENSIONS]

    def risk_fields(self) -> list[Any]:
        return [self[f"risk_{k}"] for k in RISK_EVENTS]

    def items(self) -> dict[str, int | None]:
        return {i.code: self.cleaned_data.get(i.code) for i in ITEMS}

    def part_a(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "information_provider": d.get("information_provider", ""), "provider_relation": d.get("provider_relation", ""),
            "diagnoses": d.get("diagnoses", ""), "medications": d.get("medications", ""),
            "diagnosed_dementia_or_mental_disorder": d.get("diagnosed_dementia_or_mental_disorder", False),
            "health_problems": d.get("health_problems", []),
            "risk_events": {k: d.get(f"risk_{k}", 0) or 0 for k in RISK_EVENTS},
        }

    @staticmethod
    def initial_from(answers: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = dict(answers.get("items", {}))
        for k in ("information_provider", "provider_relation", "diagnoses", "medications",
                  "diagnosed_dementia_or_mental_disorder", "health_problems"):
            if k in answers:
                initial[k] = answers[k]
        for k, v in (answers.get("risk_events") or {}).items():
            initial[f"risk_{k}"] = v
        return initial


class ExportForm(PlainForm):
    purpose = forms.CharField(
        label=_("导出事由"), max_length=LINE_MAX, min_length=PURPOSE_MIN,
        help_text=_("导出的文件含完整身份证号，供接收地核对身份；事由写入访问记录"),
        widget=forms.TextInput(attrs={"placeholder": _("例如：老人迁往外地，转交评估结果"), "autocomplete": "off"}),
        error_messages={"required": _("请填写导出事由"), "min_length": _("请填写导出事由（至少2个字）")},
    )


class CoSignForm(PlainForm):
    password = forms.CharField(label=_("第二评估员密码"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "off"}))
