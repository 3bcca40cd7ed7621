"""Benefits of the basic elderly-care service list (基本养老服务清单) and their rules as data.

A ``Benefit`` is one item of the list (高龄津贴, 护理补贴…). Who qualifies is said by its
``BenefitRule`` rows: a condition in the small JSON language of ``engine.py``, a scope
(everywhere, or a region node whose subtree it overrides), and an effective period.

``EntitlementStatus`` keeps the last computed status of each elder × benefit, and
``EntitlementChange`` logs every change of it, so a worker can see "who is newly entitled"
and tell them (已告知).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Benefit(models.Model):
    class Kind(models.TextChoices):
        MATERIAL = "material", _("物质帮助")
        CARE = "care", _("照护服务")
        CARING = "caring", _("关爱服务")

    code = models.SlugField(_("代码"), max_length=60, unique=True,
                            help_text=_("英文小写和下划线，例如 advanced_age_allowance；接口中使用，创建后不要修改"))
    name = models.CharField(_("名称"), max_length=60, unique=True)
    kind = models.CharField(_("清单类别"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("谁可以享受"), help_text=_("用老人听得懂的话说明条件和内容"))
    amount = models.CharField(_("标准"), max_length=200, blank=True, help_text=_("例如：每人每月200元；免费"))
    how_to_apply = models.TextField(_("如何申请"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("政策项目")
        verbose_name_plural = _("政策项目")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class BenefitRule(models.Model):
    benefit = models.ForeignKey(Benefit, verbose_name=_("政策项目"), on_delete=models.CASCADE, related_name="rules")
    region_code = models.CharField(
        _("适用区划"), max_length=12, blank=True, db_index=True,
        help_text=_("留空 = 所有地区；填写某个区划的12位代码 = 该区划及其下级都按本条执行（覆盖上级的规则）"),
    )
    effective_from = models.DateField(_("生效日期"), null=True, blank=True, help_text=_("留空 = 一直有效"))
    effective_to = models.DateField(_("截止日期"), null=True, blank=True, help_text=_("含当天；留空 = 长期有效"))
    conditions = models.JSONField(_("条件"), default=dict, blank=True)
    priority = models.SmallIntegerField(
        _("优先级"), default=0, help_text=_("同一区划同时有多条有效规则时，数字大的优先"))
    source = models.CharField(_("政策依据"), max_length=200, blank=True, help_text=_("文件名称和文号"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("更新人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("政策规则")
        verbose_name_plural = _("政策规则")
        ordering = ["benefit__sort_order", "region_code", "-priority", "effective_from"]

    def __str__(self) -> str:
        return f"{self.benefit.name} · {self.region_code or '所有地区'}"


class Status(models.TextChoices):
    ENTITLED = "entitled", _("可享受")
    MAYBE = "maybe", _("可能符合")
    NOT = "not", _("不符合")


class EntitlementStatus(models.Model):
    """The last computed status of one elder for one benefit."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE,
                              related_name="entitlement_statuses")
    benefit = models.ForeignKey(Benefit, verbose_name=_("政策项目"), on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    since = models.DateTimeField(_("起始时间"))

    class Meta:
        verbose_name = _("享受资格")
        verbose_name_plural = _("享受资格")
        constraints = [models.UniqueConstraint(fields=["elder", "benefit"], name="entitlement_status_unique")]
        indexes = [models.Index(fields=["benefit", "status"], name="entitlement_status_benefit")]

    def __str__(self) -> str:
        return f"{self.elder_id} · {self.benefit_id} · {self.status}"


class EntitlementChange(models.Model):
    """One change of status, kept for the worker to tell the elder ("who is newly entitled")."""

    class Cause(models.TextChoices):
        RULE = "rule", _("政策规则变更")
        ELDER = "elder", _("档案变更")
        ASSESSMENT = "assessment", _("能力评估")
        DATE = "date", _("到龄或政策到期")

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE,
                              related_name="entitlement_changes")
    benefit = models.ForeignKey(Benefit, verbose_name=_("政策项目"), on_delete=models.CASCADE, related_name="+")
    from_status = models.CharField(_("原状态"), max_length=10, choices=Status.choices)
    to_status = models.CharField(_("新状态"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    cause = models.CharField(_("原因"), max_length=12, choices=Cause.choices)
    rule = models.ForeignKey(BenefitRule, verbose_name=_("相关规则"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("告知人"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(_("告知时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("资格变化")
        verbose_name_plural = _("资格变化")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["elder", "at"], name="entitlement_change_elder"),
            models.Index(fields=["to_status", "acknowledged_at", "at"], name="entitlement_change_open"),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} · {self.benefit_id}: {self.from_status} → {self.to_status}"

    @property
    def newly_entitled(self) -> bool:
        return self.to_status == Status.ENTITLED and self.from_status != Status.ENTITLED
