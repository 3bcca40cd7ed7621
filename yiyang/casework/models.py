"""个案服务 (casework): consultations (咨询服务), follow-up tasks (跟踪服务), case conferences
(集体会诊) and delegated errands (委托代办) — DESIGN §3 E.

Each record carries ``region_code``: the elder's community when the elder is known, otherwise
the node where it was recorded, so the jurisdiction filter is one range on one indexed column.
An anonymous visitor's name, phone and address are personal data: stored only encrypted
(``core.pii``), like the elders' fields. "Overdue" is never stored: it is ``due_date < today``
on an open record, derived when read (``selectors``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiyang.core import pii
from yiyang.core.models import FieldRecord

VISITOR_NAME_CTX = "consultation.visitor_name"
VISITOR_PHONE_CTX = "consultation.visitor_phone"
VISITOR_ADDRESS_CTX = "consultation.visitor_address"
EVIDENCE_CTX = "errand.evidence"


class Consultation(FieldRecord):
    """One consultation (咨询服务): a walk-in, a phone call, an online message or a hotline call,
    with the fields a district platform records (domain/reference.md §5)."""

    class Channel(models.TextChoices):
        WALK_IN = "walk_in", _("来访")
        PHONE = "phone", _("电话")
        ONLINE = "online", _("线上")
        HOTLINE = "hotline", _("热线")

    class VisitorType(models.TextChoices):
        ELDER = "elder", _("老年人本人")
        FAMILY = "family", _("家属")
        ELDER_AND_FAMILY = "elder_and_family", _("本人及家属")
        NEIGHBOUR = "neighbour", _("邻居或其他居民")
        ORGANISATION = "organisation", _("机构或社工")
        OTHER = "other", _("其他")

    class ServiceItem(models.TextChoices):
        POLICY = "policy", _("政策咨询")
        SUBSIDY = "subsidy", _("补贴申请")
        ASSESSMENT = "assessment", _("能力评估")
        INSTITUTION = "institution", _("机构养老（入住）")
        HOME_CARE = "home_care", _("居家养老服务")
        MEALS = "meals", _("助餐")
        ADAPTATION = "adaptation", _("适老化改造")
        MEDICAL = "medical", _("医疗康复")
        LEGAL = "legal", _("法律咨询")
        EMOTIONAL = "emotional", _("精神慰藉")
        OTHER = "other", _("其他")

    class Result(models.TextChoices):
        ANSWERED = "answered", _("当场解答")
        REFERRED = "referred", _("转介服务")
        FOLLOW_UP = "follow_up", _("需后续跟踪")
        UNRESOLVED = "unresolved", _("未能解决")

    ADVICE_MAX = 500

    channel = models.CharField(_("咨询方式"), max_length=12, choices=Channel.choices, default=Channel.WALK_IN)
    visitor_type = models.CharField(_("来访者类型"), max_length=20, choices=VisitorType.choices,
                                    default=VisitorType.ELDER)
    visitor_count = models.PositiveSmallIntegerField(_("人数"), default=1)
    family_count = models.PositiveSmallIntegerField(_("家属数"), default=0)
    visited_at = models.DateTimeField(_("来访时间"))
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="consultations")
    # The visitor (the elder, a relative or a neighbour): encrypted, shown masked in lists.
    visitor_name_enc = models.BinaryField(_("姓名（密文）"), null=True, blank=True)
    visitor_phone_enc = models.BinaryField(_("电话（密文）"), null=True, blank=True)
    visitor_address_enc = models.BinaryField(_("地址（密文）"), null=True, blank=True)
    visitor_age = models.PositiveSmallIntegerField(_("年龄"), null=True, blank=True)
    community = models.ForeignKey("regions.Region", verbose_name=_("所属居委"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12)
    service_point = models.ForeignKey("stations.ServicePoint", verbose_name=_("服务点"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    service_item = models.CharField(_("服务事项"), max_length=20, choices=ServiceItem.choices)
    result = models.CharField(_("服务结果"), max_length=12, choices=Result.choices)
    reason = models.TextField(_("来访事由"))
    advice = models.TextField(_("顾问建议"), blank=True, help_text=_("不超过 500 字"))
    aftercare = models.TextField(_("事后跟踪情况"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = _("咨询服务")
        verbose_name_plural = _("咨询服务")
        indexes = [
            models.Index(fields=["region_code", "visited_at"], name="consultation_region_time"),
            models.Index(fields=["elder", "visited_at"], name="consultation_elder_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.visited_at:%Y-%m-%d %H:%M}"

    @property
    def anonymous(self) -> bool:
        return self.elder_id is None

    @property
    def visitor_name(self) -> str:
        return pii.decrypt(self.visitor_name_enc, VISITOR_NAME_CTX)

    @property
    def visitor_phone(self) -> str:
        return pii.decrypt(self.visitor_phone_enc, VISITOR_PHONE_CTX)

    @property
    def visitor_address(self) -> str:
        return pii.decrypt(self.visitor_address_enc, VISITOR_ADDRESS_CTX)

    @property
    def visitor_name_masked(self) -> str:
        name = self.visitor_name
        return (name[0] + "*" * (len(name) - 1)) if name else ""

    @property
    def visitor_phone_masked(self) -> str:
        return pii.mask_phone(self.visitor_phone)

    @property
    def visitor_address_masked(self) -> str:
        return pii.mask_address(self.visitor_address)


class FollowUp(FieldRecord):
    """A follow-up task (跟踪服务): something a named person must do by a date. Sources: a
    consultation, a visit (the visits app calls ``services.followup_create``), a case
    conference's decision, or written by hand."""

    class Source(models.TextChoices):
        CONSULTATION = "consultation", _("咨询服务")
        VISIT = "visit", _("巡访")
        CONFERENCE = "conference", _("集体会诊")
        MANUAL = "manual", _("手动新建")
        ALARM = "alarm", _("紧急呼叫后回访")

    class Status(models.TextChoices):
        OPEN = "open", _("待跟踪")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    title = models.CharField(_("跟踪事项"), max_length=200)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="followups")
    region_code = models.CharField(_("区划代码"), max_length=12)
    due_date = models.DateField(_("完成期限"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT,
                                 related_name="followups")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    result_note = models.TextField(_("跟踪结果"), blank=True)
    source = models.CharField(_("来源"), max_length=14, choices=Source.choices, default=Source.MANUAL)
    # The source record's key as text: visits and consultations have UUID keys, decisions integers.
    source_id = models.CharField(_("来源记录"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT,
                                   related_name="+")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("办结人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("跟踪事项")
        verbose_name_plural = _("跟踪事项")
        indexes = [
            models.Index(fields=["assignee", "status", "due_date"], name="followup_assignee_open"),
            models.Index(fields=["region_code", "status", "due_date"], name="followup_region_open"),
            models.Index(fields=["elder", "status"], name="followup_elder_status"),
            models.Index(fields=["source", "source_id"], name="followup_source"),
        ]

    def __str__(self) -> str:
        return self.title

    def overdue_on(self, day: dt.date) -> bool:
        return self.status == self.Status.OPEN and self.due_date < day

    @property
    def overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())


class CaseConference(FieldRecord):
    """集体会诊: several staff of the jurisdiction gathered on one hard case (one elder)."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT,
                              related_name="case_conferences")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    held_on = models.DateField(_("会诊日期"))
    problem = models.TextField(_("会诊问题"))
    minutes = models.TextField(_("会议纪要"), blank=True)
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("参加人员"),
                                          related_name="case_conferences")
    convened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("召集人"), on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = _("集体会诊")
        verbose_name_plural = _("集体会诊")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} · {self.elder}"


class ConferenceDecision(models.Model):
    """One decision of a case conference; it may have spawned a follow-up task."""

    conference = models.ForeignKey(CaseConference, verbose_name=_("集体会诊"), on_delete=models.CASCADE,
                                   related_name="decisions")
    text = models.CharField(_("决定事项"), max_length=300)
    followup = models.OneToOneField(FollowUp, verbose_name=_("跟踪事项"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="decision")
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("会诊决定")
        verbose_name_plural = _("会诊决定")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class Errand(FieldRecord):
    """委托代办: an errand staff run for an elder without children or with disabilities, on the
    elder's (or guardian's) recorded consent (``elders.Consent``, purpose 委托代办). Done with
    evidence, then closed by a second person or the point lead."""

    class Kind(models.TextChoices):
        MEDICAL_ESCORT = "medical_escort", _("就医陪同")
        ADMISSION = "admission", _("入住手续")
        DOCUMENTS = "documents", _("证件办理")
        PAYMENT = "payment", _("代缴费用")
        SHOPPING = "shopping", _("代购物品")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("已受理")
        IN_PROGRESS = "in_progress", _("办理中")
        DONE = "done", _("已办完（待结案）")
        CLOSED = "closed", _("已结案")
        CANCELLED = "cancelled", _("已取消")

    OPEN_STATUSES = (Status.REQUESTED, Status.IN_PROGRESS)

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT,
                              related_name="errands")
    region_code = models.CharField(_("区划代码"), max_length=12)
    kind = models.CharField(_("代办事项"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("具体内容"))
    consent = models.ForeignKey("elders.Consent", verbose_name=_("授权同意"), on_delete=models.PROTECT,
                                related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT,
                                 related_name="errands")
    service_point = models.ForeignKey("stations.ServicePoint", verbose_name=_("服务点"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("办理期限"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理人"), on_delete=models.PROTECT,
                                     related_name="+")
    started_at = models.DateTimeField(_("开始办理时间"), null=True, blank=True)
    completion_note = models.TextField(_("办理结果"), blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("办理人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(_("办完时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("结案人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("委托代办")
        verbose_name_plural = _("委托代办")
        indexes = [
            models.Index(fields=["region_code", "status", "due_date"], name="errand_region_open"),
            models.Index(fields=["assignee", "status", "due_date"], name="errand_assignee_open"),
            models.Index(fields=["elder", "status"], name="errand_elder_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.elder}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def overdue_on(self, day: dt.date) -> bool:
        return self.is_open and self.due_date < day

    @property
    def overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())


class ErrandEvidence(models.Model):
    """A photo or PDF proving an errand was done (a receipt, a card). Stored encrypted in the
    database — never under static or a public media folder — and served only through the
    errand's access check."""

    MAX_BYTES = 5 * 1024 * 1024
    CONTENT_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}

    errand = models.ForeignKey(Errand, verbose_name=_("委托代办"), on_delete=models.CASCADE,
                               related_name="evidence")
    file_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    data_enc = models.BinaryField(_("内容（密文）"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办理凭证")
        verbose_name_plural = _("办理凭证")

    def __str__(self) -> str:
        return self.file_name

    def data(self) -> bytes:
        return pii.decrypt_bytes(bytes(self.data_enc), f"{EVIDENCE_CTX}.{self.errand_id}")
