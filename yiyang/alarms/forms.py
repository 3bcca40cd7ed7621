from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.alarms.models import Outcome
from yiyang.core.web import PlainForm


class ResolveForm(PlainForm):
    outcome = forms.ChoiceField(label=_("处置结果"), choices=Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("处置说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(PlainForm):
    reason = forms.CharField(label=_("取消原因"), max_length=200, required=False)
