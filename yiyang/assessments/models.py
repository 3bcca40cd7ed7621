"""老年人能力综合评估 (GB/T 42195—2022) and imported MZ/T 039—2013 history.

Item answers and part A (diagnoses, medication, risk events, health problems) are health
data: they are stored only encrypted (``answers_enc``). The result — dimension sums, total
and levels — is kept in plain columns: entitlements, lists and indicators need it.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core import pii
from yiyang.core.models import FieldRecord

ANSWERS_CTX = "assessment.answers"


class Assessment(FieldRecord):
    class Scheme(models.TextChoices):
        GBT_42195_2022 = "GB/T 42195-2022", "GB/T 42195—2022"
        MZT_039_2013 = "MZ/T 039-2013", "MZ/T 039—2013"

    class Reason(models.TextChoices):
        FIRST = "first", _("首次评估")
        REGULAR = "regular", _("常规评估")
        IMMEDIATE = "immediate", _("即时评估")
        REVIEW = "review", _("因对评估结果有疑问进行的复评")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        CONFIRMED = "confirmed", _("已确认")
        CANCELLED = "cancelled", _("已作废")

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT,
                              related_name="assessments")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    scheme = models.CharField(_("评估标准"), max_length=20, choices=Scheme.choices, default=Scheme.GBT_42195_2022)
    number = models.CharField(_("评估编号"), max_length=40, unique=True)
    reason = models.CharField(_("评估原因"), max_length=20, choices=Reason.choices, default=Reason.FIRST)
    assessed_on = models.DateField(_("评估基准日期"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    answers_enc = models.BinaryField(_("评估内容（密文）"), null=True, blank=True)
    # Result (plain): None until every item is answered.
    dim_self_care = models.PositiveSmallIntegerField(_("自理能力"), null=True, blank=True)
    dim_mobility = models.PositiveSmallIntegerField(_("基础运动能力"), null=True, blank=True)
    dim_mental = models.PositiveSmallIntegerField(_("精神状态"), null=True, blank=True)
    dim_perception = models.PositiveSmallIntegerField(_("感知觉与社会参与"), null=True, blank=True)
    total = models.PositiveSmallIntegerField(_("总分"), null=True, blank=True)
    preliminary_level = models.PositiveSmallIntegerField(_("初步等级"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("能力等级"), null=True, blank=True)
    legacy_level_name = models.CharField(_("原等级名称"), max_length=40, blank=True,
                                         help_text=_("MZ/T 039—2013 历史结果的等级"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    previous = models.ForeignKey("self", verbose_name=_("上次评估"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=20, default="form")
    origin_region = models.CharField(_("评估地区"), max_length=60, blank=True,
                                     help_text=_("外地评估结果互认时，原评估机构所在地区"))

    class Meta:
        verbose_name = _("能力评估")
        verbose_name_plural = _("能力评估")
        indexes = [
            models.Index(fields=["elder", "status", "assessed_on"], name="assessment_elder_status"),
            models.Index(fields=["region_code", "status", "valid_until"], name="assessment_region_due"),
        ]
        ordering = ["-assessed_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.get_status_display()}"

    @property
    def answers(self) -> dict[str, Any]:
        if not self.answers_enc:
            return {}
        return json.loads(pii.decrypt(self.answers_enc, ANSWERS_CTX))

    def set_answers(self, answers: dict[str, Any]) -> None:
        self.answers_enc = pii.encrypt(json.dumps(answers, ensure_ascii=False, sort_keys=True), ANSWERS_CTX)

    @property
    def level_name(self) -> str:
        from yiyang.assessments.scoring import LEVEL_NAMES

        if self.scheme == self.Scheme.MZT_039_2013:
            return self.legacy_level_name
        return LEVEL_NAMES.get(self.level, "") if self.level is not None else ""

    @property
    def dimensions(self) -> dict[str, int | None]:
        return {"B.1": self.dim_self_care, "B.2": self.dim_mobility, "B.3": self.dim_mental,
                "B.4": self.dim_perception}


class AssessmentAssessor(models.Model):
    """An assessor who took part (the standard asks for two)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="assessor_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评估员"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("评估员姓名"), max_length=50)
    certificate = models.CharField(_("资格证号"), max_length=50, blank=True)
    signed_at = models.DateTimeField(_("签字时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评估员")
        verbose_name_plural = _("评估员")
        constraints = [models.UniqueConstraint(fields=["assessment", "user"], name="assessor_once",
                                               condition=models.Q(user__isnull=False))]

    def __str__(self) -> str:
        return self.name
