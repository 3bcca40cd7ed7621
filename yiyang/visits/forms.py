"""The visit form, made for a phone: big choices to tap, little to type."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from yiyang.core.web import PlainForm
from yiyang.visits.models import ElderState, Outcome, Risk, Way

FOLLOW_UP_ROWS = 3


class VisitForm(PlainForm):
    way = forms.ChoiceField(label="方式", choices=Way.choices, widget=forms.RadioSelect, initial=Way.HOME)
    outcome = forms.ChoiceField(label="结果", choices=Outcome.choices, widget=forms.RadioSelect, initial=Outcome.MET)
    missed_reason = forms.CharField(label="未遇或拒访原因", max_length=200, required=False)
    elder_state = forms.ChoiceField(label="老人状况", choices=[("", "—"), *ElderState.choices], required=False,
                                    widget=forms.RadioSelect)
    risks = forms.MultipleChoiceField(label="发现的风险", choices=Risk.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    needs_changed = forms.MultipleChoiceField(label="需求有变化", choices=[], required=False,
                                              widget=forms.CheckboxSelectMultiple)
    findings = forms.CharField(label="探访情况", max_length=2000, required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    visited_at = forms.DateTimeField(label="探访时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                               format="%Y-%m-%dT%H:%M"))
    backdate_note = forms.CharField(label="补录说明（管理员）", max_length=300, required=False)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    set_home = forms.BooleanField(label="我在老人家中：把这里记为住址位置", required=False)

    def __init__(self, *args, need_choices: list[tuple[str, str]] = (), **kwargs):  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["needs_changed"].choices = list(need_choices)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["visited_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def follow_up_rows(self):
        return [(self[f"fu_title_{i}"], self[f"fu_due_{i}"]) for i in range(FOLLOW_UP_ROWS)]

    def clean(self):
        data = super().clean() or {}
        follow_ups = []
        for i in range(FOLLOW_UP_ROWS):
            title, due = (data.get(f"fu_title_{i}") or "").strip(), data.get(f"fu_due_{i}")
            if title and not due:
                due = timezone.localdate() + dt.timedelta(days=7)
            if due and not title:
                self.add_error(f"fu_title_{i}", "请写明要跟踪的事")
            elif title:
                follow_ups.append((title, due))
        data["follow_ups"] = follow_ups
        return data


# The follow-up rows are ordinary fields of the class (so PlainForm words their limits too).
for _i in range(FOLLOW_UP_ROWS):
    VisitForm.base_fields[f"fu_title_{_i}"] = forms.CharField(
        label=f"跟踪事项{_i + 1}", max_length=200, required=False,
        widget=forms.TextInput(attrs={"placeholder": "要跟踪的事，如：联系物业加装扶手", "aria-label": f"跟踪事项{_i + 1}"}))
    VisitForm.base_fields[f"fu_due_{_i}"] = forms.DateField(
        label=f"跟踪事项{_i + 1}的期限", required=False,
        widget=forms.DateInput(attrs={"type": "date", "aria-label": f"跟踪事项{_i + 1}的期限"}))


class PlanCancelForm(PlainForm):
    reason = forms.CharField(label="取消原因", max_length=200)
