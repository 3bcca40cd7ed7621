"""Forms of the directory pages: the public search and a provider's edit of one service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyang.core.web import PlainForm
from yiyang.directory.models import Service

KIND_CHOICES = [("", _("全部类型")), *Service.Kind.choices]


class SearchForm(PlainForm):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=KIND_CHOICES)
    need = forms.ChoiceField(label=_("需要"), required=False)
    region = forms.ChoiceField(label=_("社区"), required=False)
    q = forms.CharField(label=_("名称"), required=False, max_length=50)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, needs: list[tuple[str, str]], regions: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [("", _("全部需要")), *needs]  # type: ignore[attr-defined]
        self.fields["region"].choices = [("", _("全部社区")), *regions]  # type: ignore[attr-defined]


class ServiceEditForm(PlainForm):
    status = forms.ChoiceField(label=_("状态"), choices=Service.Status.choices)
    phone = forms.CharField(label=_("服务电话"), max_length=40, required=False)
    hours = forms.CharField(label=_("服务时间"), required=False, max_length=500,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("每行一段，例如：周一至周五 8:00-17:30；周六、周日 9:00-12:00；每天 11:00-13:00"))
    fees_description = forms.CharField(label=_("收费说明"), max_length=400, required=False)
    description = forms.CharField(label=_("服务内容"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
