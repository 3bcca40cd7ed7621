"""Forms of the casework pages. They only shape input; the rules are in ``services``."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiyang.accounts.models import User
from yiyang.casework import access as cw_access
from yiyang.casework.models import Consultation, Errand
from yiyang.core.access import has_capability
from yiyang.core.web import PlainForm
from yiyang.elders.models import Consent
from yiyang.regions import access as region_access
from yiyang.regions.models import Region


def colleagues(user: Any, region_code: str | None = None, capability: str = cw_access.FOLLOWUP_MANAGE) -> list[User]:
    """Staff who could take a task: active, holding ``capability``, whose node covers
    ``region_code`` (the caller's node when None) — the caller first."""
    code = region_code or (user.region_id or "")
    qs = User.objects.filter(is_active=True).select_related("region").order_by("full_name", "username")
    if not code:
        return [user]
    # A user covers the code when their node's prefix starts it: check in Python over the few
    # staff of the nodes on the path (the node itself and its ancestors).
    ancestors = [code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12)]
    out = [u for u in qs.filter(region_id__in=ancestors) if has_capability(u, capability)
           and u.region is not None and code.startswith(u.region.prefix)]
    out.sort(key=lambda u: (u.pk != user.pk, u.display_name))
    return out


def community_choices(user: Any) -> list[tuple[str, str]]:
    qs = region_access.access_regions(user).filter(level=Region.Level.COMMUNITY, active=True).select_related("parent")
    return [(r.code, f"{r.parent.name if r.parent else ''} {r.name}".strip()) for r in qs.order_by("code")]


def _choices(field: forms.Field) -> forms.ChoiceField:
    return cast(forms.ChoiceField, field)


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class ConsultationForm(PlainForm):
    channel = forms.ChoiceField(label=_("咨询方式"), choices=Consultation.Channel.choices, widget=forms.RadioSelect,
                                initial=Consultation.Channel.WALK_IN)
    # A key as text: a malformed one is the access check's 404, like any other id.
    elder = forms.CharField(required=False, max_length=36, widget=forms.HiddenInput)
    service_item = forms.ChoiceField(label=_("服务事项"), choices=[("", "—"), *Consultation.ServiceItem.choices])
    reason = forms.CharField(label=_("来访事由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    advice = forms.CharField(label=_("顾问建议"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
                             help_text=_("不超过 500 字"))
    result = forms.ChoiceField(label=_("服务结果"), choices=Consultation.Result.choices, widget=forms.RadioSelect,
                               initial=Consultation.Result.ANSWERED)
    # 来访者 — optional; collapsed on the page.
    visitor_type = forms.ChoiceField(label=_("来访者类型"), choices=Consultation.VisitorType.choices,
                                     initial=Consultation.VisitorType.ELDER)
    visitor_count = forms.IntegerField(label=_("人数"), min_value=1, max_value=50, initial=1)
    family_count = forms.IntegerField(label=_("家属数"), min_value=0, max_value=50, initial=0)
    visited_at = forms.DateTimeField(label=_("来访时间"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                format="%Y-%m-%dT%H:%M"),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    visitor_name = forms.CharField(label=_("姓名"), required=False, max_length=50)
    visitor_age = forms.IntegerField(label=_("年龄"), required=False, min_value=0, max_value=130)
    visitor_phone = forms.CharField(label=_("电话"), required=False, max_length=20,
                                    widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    community = forms.ChoiceField(label=_("所属居委"), required=False)
    visitor_address = forms.CharField(label=_("地址"), required=False, max_length=200)
    aftercare = forms.CharField(label=_("事后跟踪情况"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 2}))
    # 跟踪事项 — optional.
    followup_title = forms.CharField(label=_("跟踪事项"), required=False, max_length=200)
    followup_due = forms.DateField(label=_("完成期限"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    followup_assignee = forms.ChoiceField(label=_("负责人"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["community"]).choices = [("", "—"), *community_choices(user)]
        _choices(self.fields["followup_assignee"]).choices = [(str(u.pk), u.display_name) for u in colleagues(user)]
        if not self.is_bound:
            self.initial.setdefault("visited_at", _now_local())
            self.initial.setdefault("followup_due", timezone.localdate() + dt.timedelta(days=7))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("followup_title") and not data.get("followup_due"):
            self.add_error("followup_due", _("请填写完成期限"))
        if data.get("result") == Consultation.Result.FOLLOW_UP and not data.get("followup_title"):
            self.add_error("followup_title", _("服务结果为“需后续跟踪”时，请写下跟踪事项"))
        return data


class FollowUpForm(PlainForm):
    title = forms.CharField(label=_("跟踪事项"), max_length=200)
    due_date = forms.DateField(label=_("完成期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    assignee = forms.ChoiceField(label=_("负责人"), required=False)

    def __init__(self, *args: Any, user: Any, region_code: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["assignee"]).choices = [(str(u.pk), u.display_name) for u in colleagues(user, region_code)]
        if not self.is_bound:
            self.initial.setdefault("due_date", timezone.localdate() + dt.timedelta(days=7))


class NoteForm(PlainForm):
    note = forms.CharField(label=_("跟踪结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ErrandForm(PlainForm):
    kind = forms.ChoiceField(label=_("代办事项"), choices=Errand.Kind.choices, widget=forms.RadioSelect)
    description = forms.CharField(label=_("具体内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(label=_("办理期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    assignee = forms.ChoiceField(label=_("经办人"), required=False)
    consent_granted_by = forms.CharField(label=_("表示同意的人"), required=False, max_length=50,
                                         help_text=_("老年人本人或监护人的姓名，例如：王秀英（本人）"))
    consent_method = forms.ChoiceField(label=_("同意方式"), required=False,
                                       choices=[("", "—"), *Consent.Method.choices])
    consent_granted_at = forms.DateTimeField(label=_("同意时间"), required=False,
                                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                        format="%Y-%m-%dT%H:%M"),
                                             input_formats=["%Y-%m-%dT%H:%M"])
    consent_evidence = forms.CharField(label=_("凭据"), required=False, max_length=200,
                                       help_text=_("例如：委托书编号；口头同意时写见证人姓名"))

    def __init__(self, *args: Any, user: Any, region_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["assignee"]).choices = [(str(u.pk), u.display_name)
                                           for u in colleagues(user, region_code, cw_access.ERRAND_RUN)]
        if not self.is_bound:
            self.initial.setdefault("due_date", timezone.localdate() + dt.timedelta(days=3))
            self.initial.setdefault("consent_granted_at", _now_local())


class ErrandCompleteForm(PlainForm):
    note = forms.CharField(label=_("办理结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label=_("凭证（照片或 PDF，不超过 5 MB）"), required=False,
                               widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))


class ConferenceForm(PlainForm):
    held_on = forms.DateField(label=_("会诊日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    participants = forms.MultipleChoiceField(label=_("参加人员"), required=False, widget=forms.CheckboxSelectMultiple)
    problem = forms.CharField(label=_("会诊问题"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label=_("会议纪要"), required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, user: Any, region_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = [u for u in colleagues(user, region_code, cw_access.CASEWORK_VIEW) if u.pk != user.pk]
        _choices(self.fields["participants"]).choices = [(str(u.pk), u.display_name) for u in self.staff]
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())


def user_by_pk(pk: str) -> User | None:
    """The colleague picked in a form (None when empty); whether they may take the work is the
    service's check."""
    if not pk:
        return None
    return User.objects.select_related("region").filter(pk=pk, is_active=True).first()
