"""Service points (养老服务专员工作点 / 养老顾问点 / 时间银行服务点): the place front-line
staff work from. Visits, alarms and the time bank hang on a point. The approval
workflow and the public directory come later; here: the table, admin and demo."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServicePoint(models.Model):
    class Kind(models.TextChoices):
        COMMISSIONER_POINT = "commissioner_point", _("养老服务专员工作点")
        STREET_CONSULTANT = "street_consultant", _("街镇养老顾问点")
        COMMUNITY_CONSULTANT = "community_consultant", _("居村养老顾问点")
        INSTITUTION_CONSULTANT = "institution_consultant", _("专业机构养老顾问点")
        TIME_BANK = "time_bank", _("时间银行服务点")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所在区域"), on_delete=models.PROTECT, db_column="region_code",
        related_name="service_points",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    hours = models.CharField(_("服务时间"), max_length=100, blank=True, help_text=_("例如：周一至周五 9:00–17:30"))
    lead = models.ForeignKey(
        "accounts.User", verbose_name=_("负责人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(_("运营中"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务点")
        verbose_name_plural = _("服务点")
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name
