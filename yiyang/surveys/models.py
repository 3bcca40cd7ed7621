"""需求调查 (needs survey, DESIGN §3 C): a versioned questionnaire and the answers to it.

* A **questionnaire** is a numbered version: draft → published → retired. At most one
  version is published at a time. A published or retired version is never edited in place
  (its questions are what earlier answers mean); an administrator copies it to a new
  draft, edits that, and publishes it, which retires the previous one.
* Each **option** of a question maps to zero or more **need tags** (需求标签: 助餐,
  助浴 …). A response's need tags are the union of the tags of the options chosen; the
  service list (a later issue) consumes them through ``selectors.elder_current_needs``.
* A **response** points at the version it answered, forever. Its answers can say a lot
  about a person's health and home (falls, incontinence care, loneliness), so they are
  stored only encrypted (``answers_enc``, DESIGN §5); the derived need tags are plain,
  because lists, matching and indicators need them.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core import pii
from yiyang.core.models import FieldRecord

ANSWERS_CTX = "survey.answers"  # associated data of the answers' ciphertext
TEXT_MAX_LENGTH = 500  # a free-text answer: a worker's short note, not an essay


class NeedTag(models.Model):
    """One kind of need (需求标签). The code is what other domains match on (resources,
    service lists); the name is what people read."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True,
                                 help_text=_("停用后不能再被新选项引用；已有调查结果不受影响"))

    class Meta:
        verbose_name = _("需求标签")
        verbose_name_plural = _("需求标签")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Questionnaire(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    name = models.CharField(_("问卷名称"), max_length=100)
    version = models.PositiveIntegerField(_("版本号"), unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(_("说明"), blank=True)
    based_on = models.ForeignKey("self", verbose_name=_("复制自"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("需求调查问卷")
        verbose_name_plural = _("需求调查问卷")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="published"),
                                    name="questionnaire_one_published"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版 · {self.get_status_display()}）"

    @property
    def editable(self) -> bool:
        """Only a draft may change; what a published version asked must stay what it asked."""
        return self.status == self.Status.DRAFT


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")
        YES_NO = "yes_no", _("是否")
        TEXT = "text", _("文字")

    questionnaire = models.ForeignKey(Questionnaire, verbose_name=_("问卷"), on_delete=models.CASCADE,
                                      related_name="questions")
    code = models.SlugField(_("代码"), max_length=40,
                            help_text=_("英文字母、数字、下划线；同一问卷内不重复，接口按它提交答案"))
    section = models.CharField(_("分组"), max_length=40, help_text=_("例如：生活照料、助餐"))
    text = models.CharField(_("问题"), max_length=200, help_text=_("调查员念给老人听的话，用口语"))
    help_text = models.CharField(_("提示"), max_length=300, blank=True, help_text=_("给调查员的提示，可空"))
    kind = models.CharField(_("题型"), max_length=12, choices=Kind.choices, default=Kind.SINGLE)
    required = models.BooleanField(_("必答"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["questionnaire", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="question_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class Option(models.Model):
    question = models.ForeignKey(Question, verbose_name=_("问题"), on_delete=models.CASCADE,
                                 related_name="options")
    code = models.SlugField(_("代码"), max_length=40, help_text=_("是否题的两个选项代码须为 yes 和 no"))
    text = models.CharField(_("选项"), max_length=100)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    exclusive = models.BooleanField(_("互斥"), default=False,
                                    help_text=_("多选题中“以上都没有”一类的选项：不能与其他选项同时选"))
    need_tags = models.ManyToManyField(NeedTag, verbose_name=_("对应需求"), blank=True, related_name="+")

    class Meta:
        verbose_name = _("选项")
        verbose_name_plural = _("选项")
        ordering = ["question", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="option_code_unique"),
        ]

    def __str__(self) -> str:
        return self.text


class SurveyResponse(FieldRecord):
    """One completed needs survey of one elder. Never edited: a new survey is a new row,
    and the latest one is the elder's current needs."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT,
                              related_name="survey_responses")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    questionnaire = models.ForeignKey(Questionnaire, verbose_name=_("问卷版本"), on_delete=models.PROTECT,
                                      related_name="responses")
    answers_enc = models.BinaryField(_("回答（密文）"))
    need_tags = models.JSONField(_("需求标签"), default=list, blank=True,
                                 help_text=_("需求标签代码，由所选选项得出"))
    surveyed_on = models.DateField(_("调查日期"))
    surveyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("调查人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("来源"), max_length=20, default="form")

    class Meta:
        verbose_name = _("需求调查记录")
        verbose_name_plural = _("需求调查记录")
        ordering = ["-surveyed_on", "-created_at"]
        indexes = [
            models.Index(fields=["elder", "surveyed_on", "created_at"], name="survey_elder_latest"),
            models.Index(fields=["region_code", "surveyed_on"], name="survey_region_day"),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.surveyed_on:%Y-%m-%d}"

    @property
    def answers(self) -> dict[str, Any]:
        if not self.answers_enc:
            return {}
        return json.loads(pii.decrypt(self.answers_enc, ANSWERS_CTX))

    @staticmethod
    def encrypt_answers(answers: dict[str, Any]) -> bytes | None:
        return pii.encrypt(json.dumps(answers, ensure_ascii=False, sort_keys=True), ANSWERS_CTX)
