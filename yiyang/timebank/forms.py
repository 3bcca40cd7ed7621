"""Forms of the time-bank pages: they only collect input; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.core.web import PlainForm
from yiyang.timebank.models import RegionRule, Relation, ServiceKind


class RequestForm(PlainForm):
    elder = forms.ChoiceField(label=_("为谁发布"))
    kind = forms.ChoiceField(label=_("服务类型"), choices=ServiceKind.choices)
    description = forms.CharField(label=_("需要什么帮助"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    wanted_at = forms.DateTimeField(label=_("期望服务时间"),
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    expected_minutes = forms.IntegerField(label=_("预计时长（分钟）"), min_value=15, max_value=480, initial=60)
    estate = forms.ChoiceField(label=_("物业小区（选填）"), required=False)

    def __init__(self, *args, elders=(), estates=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["elder"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(e.pk), e.name) for e in elders]
        estate = self.fields["estate"]
        assert isinstance(estate, forms.ChoiceField)
        estate.choices = [("", _("不指定（由社区服务点认证）")), *[(str(x.pk), x.name) for x in estates]]
        if not estates:
            del self.fields["estate"]


class PositionForm(PlainForm):
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)


class RateForm(PlainForm):
    rating = forms.TypedChoiceField(label=_("评分"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)],
                                    widget=forms.RadioSelect)
    comment = forms.CharField(label=_("评价"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class CertifyForm(PlainForm):
    minutes = forms.IntegerField(label=_("认证时长（分钟）"), min_value=1, max_value=1440, required=False)


class ReasonForm(PlainForm):
    reason = forms.CharField(label=_("原因"), max_length=200)


class ReviewForm(PlainForm):
    approve = forms.TypedChoiceField(label=_("审核结果"), coerce=lambda v: v == "1",
                                     choices=[("1", _("通过")), ("0", _("不通过"))])
    note = forms.CharField(label=_("审核意见"), max_length=200, required=False)


class FlagForm(PlainForm):
    confirmed = forms.TypedChoiceField(label=_("核查结果"), coerce=lambda v: v == "1",
                                       choices=[("0", _("核查无误")), ("1", _("确认违规"))])
    note = forms.CharField(label=_("核查情况"), max_length=200)


class RuleForm(forms.ModelForm):
    class Meta:
        model = RegionRule
        fields = ["credits_per_hour", "volunteer_min_age", "redeem_min_age", "storage_cap", "allow_transfer",
                  "allow_donation", "team_only_donate", "exchange_scope", "accept_exchange", "max_session_minutes",
                  "max_daily_minutes", "far_checkin_m"]


class CreditsForm(PlainForm):
    """An amount of credits as people say it (时间币, two decimals); the services take hundredths."""

    amount = forms.DecimalField(label=_("数量（时间币）"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2)

    @property
    def hundredths(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


class TransferForm(CreditsForm):
    to = forms.ChoiceField(label=_("转赠给"))

    def __init__(self, *args, relatives=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(m.pk), m.name) for m in relatives]


class KinshipForm(PlainForm):
    id_number = forms.CharField(label=_("亲属的身份证号"), max_length=18)
    relation = forms.ChoiceField(label=_("关系"), choices=Relation.choices)
    evidence = forms.CharField(label=_("核验凭据（如户口簿、结婚证）"), max_length=200)


class CorrectionForm(PlainForm):
    reason = forms.CharField(label=_("冲正原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
