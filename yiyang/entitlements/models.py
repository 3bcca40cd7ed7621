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

    # No single-column indexes: the unique (elder, benefit) serves every lookup by elder and
    # (benefit, status) every one by benefit; a recompute inserts millions of rows, and each
    # index costs every insert.
    # No foreign-key constraints in the database either (``db_constraint=False``). These rows
    # are derived — recomputed from the archive and the rules, their ids read from those
    # tables in the same statement — and neither an elder nor a benefit is ever deleted
    # (deactivated, switched off). Checking the keys of 11 rows per elder cost PostgreSQL more
    # than writing them: a city's first computation took 409 s per million elders with the
    # two checks, 160 s without (docs/benchmarks.md). The ORM still cascades a delete.
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE,
                              related_name="entitlement_statuses", db_index=False, db_constraint=False)
    benefit = models.ForeignKey(Benefit, verbose_name=_("政策项目"), on_delete=models.CASCADE, related_name="+",
                                db_index=False, db_constraint=False)
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


class ElderFacts(models.Model):
    """What the rules read of one elder, as the bulk evaluation sees it: not a table but the
    name of the common table expression ``compiler.Evaluation`` builds per slice of elders
    (``managed = False``: no migration creates it). The status columns ``s0…`` and the stored
    ones ``o0…`` are added by the query."""

    id = models.UUIDField(primary_key=True)
    birth_date = models.DateField()
    region_code = models.CharField(max_length=12)
    hukou_local = models.BooleanField()
    living_situation = models.CharField(max_length=20)
    not_in_difficulty = models.BooleanField()
    level = models.SmallIntegerField(null=True)  # None = never assessed under GB/T 42195—2022
    cats = models.BigIntegerField()  # the recorded categories the rules name, one bit each

    class Meta:
        managed = False
        db_table = "entitlements_elder_facts"
        verbose_name = _("老年人事实（批量计算）")

    def __str__(self) -> str:
        return str(self.id)


class EntitlementChange(models.Model):
    """One change of status, kept for the worker to tell the elder ("who is newly entitled")."""

    class Cause(models.TextChoices):
        RULE = "rule", _("政策规则变更")
        ELDER = "elder", _("档案变更")
        ASSESSMENT = "assessment", _("能力评估")
        DATE = "date", _("到龄或政策到期")

    # No index of its own: (elder, at) leads with it.
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE,
                              related_name="entitlement_changes", db_index=False)
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


class EntitlementRecompute(models.Model):
    """One background recompute (重新计算): after a rule is saved or deleted, a benefit switched
    on or off, or nightly. The worker runs it slice by slice and keeps the counts here, so the
    rule's page shows a progress bar (done / total) and then what changed; ``cursor`` is the
    last elder id done (a run taken up again after a worker died goes on from there)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("出错，将重试")

    cause = models.CharField(_("原因"), max_length=12, choices=EntitlementChange.Cause.choices)
    on = models.DateField(_("计算日期"))
    scope = models.JSONField(_("范围"), default=list, help_text=_("区划代码列表；空字符串 = 所有地区"))
    rule = models.ForeignKey(BenefitRule, verbose_name=_("相关规则"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="recomputes")
    benefit = models.ForeignKey(Benefit, verbose_name=_("政策项目"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("老年人总数"), default=0)
    done = models.PositiveIntegerField(_("已计算"), default=0)
    changes = models.PositiveIntegerField(_("变化项数"), default=0)
    became_entitled = models.PositiveIntegerField(_("变为可享受"), default=0)
    became_maybe = models.PositiveIntegerField(_("变为可能符合"), default=0)
    became_not = models.PositiveIntegerField(_("变为不符合"), default=0)
    cursor = models.CharField(_("进度位置"), max_length=40, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("资格重新计算")
        verbose_name_plural = _("资格重新计算")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.state == self.State.DONE

    @property
    def percent(self) -> int:
        return 100 if self.finished else int(100 * self.done / self.total) if self.total else 0


# --------------------------------------------------------------------------- payment rounds


class PaymentRound(models.Model):
    """发放批次: the list of those entitled to one benefit in one region node for one month,
    frozen when drafted (its lines are copies, not links to the live statuses), drafted by
    one person and approved by another, then exported for the payment.

    The state only moves forward: 草稿 → 待审核 → 已审核 → 已导出. A draft or a submitted round
    may be cancelled (作废), after which the month may be drafted again; an approved round
    never changes. Its difference from the previous approved round of the same benefit and
    region (who joined, who left and why) is frozen with it (``PaymentRoundChange``).
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已审核")
        EXPORTED = "exported", _("已导出")
        CANCELLED = "cancelled", _("已作废")

    benefit = models.ForeignKey(Benefit, verbose_name=_("政策项目"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("发放区划"), max_length=12, db_index=True,
                                   help_text=_("本批次覆盖的区划节点（社区、街道或区）"))
    month = models.DateField(_("发放月份"), help_text=_("该月1日"))
    status = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    previous = models.ForeignKey("self", verbose_name=_("上期批次"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    count = models.PositiveIntegerField(_("人数"), default=0)
    joined_count = models.PositiveIntegerField(_("比上期新增"), default=0)
    left_count = models.PositiveIntegerField(_("比上期减少"), default=0)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("编制人"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("编制时间"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导出人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField(_("首次导出时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("作废人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    note = models.CharField(_("作废说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("发放批次")
        verbose_name_plural = _("发放批次")
        ordering = ["-month", "benefit__sort_order", "region_code", "-id"]
        constraints = [
            # One live round per benefit, node and month; a cancelled one leaves room for a new draft.
            models.UniqueConstraint(fields=["benefit", "region_code", "month"],
                                    condition=~models.Q(status="cancelled"), name="payment_round_one_per_month"),
        ]
        indexes = [models.Index(fields=["benefit", "region_code", "month"], name="payment_round_lookup")]

    def __str__(self) -> str:
        return f"{self.benefit} · {self.region_code} · {self.month:%Y-%m}"

    @property
    def frozen(self) -> bool:
        """Approved or exported: nothing about it may change any more."""
        return self.status in (self.State.APPROVED, self.State.EXPORTED)


class PaymentRoundLine(models.Model):
    """One person on a round, copied from the stored status when the round was drafted: the
    name and the (encrypted) ID number as they were then. ``elder_id`` is a plain column, not
    a foreign key: lines outnumber elders and stay on their region's shard (DESIGN §7)."""

    # No index of its own: the unique (round, elder_id) and the (round, region, name) order index
    # both lead with it, and a round's lines are bulk-inserted by the ten thousand.
    round = models.ForeignKey(PaymentRound, verbose_name=_("发放批次"), on_delete=models.PROTECT,
                              related_name="lines", db_index=False)
    elder_id = models.UUIDField(_("老年人"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number_enc = models.BinaryField(_("身份证号（密文）"))
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    region_code = models.CharField(_("所属社区"), max_length=12)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    since = models.DateTimeField(_("起始时间"))

    class Meta:
        verbose_name = _("发放名单行")
        verbose_name_plural = _("发放名单行")
        ordering = ["region_code", "name", "elder_id"]
        constraints = [models.UniqueConstraint(fields=["round", "elder_id"], name="payment_line_unique")]
        indexes = [models.Index(fields=["round", "region_code", "name", "elder_id"], name="payment_line_order")]

    def __str__(self) -> str:
        return f"{self.round_id} · {self.name}"

    @property
    def id_number_masked(self) -> str:
        from yiyang.core import pii

        return pii.mask_id_number(pii.decrypt(self.id_number_enc, "elder.id_number"))


class PaymentRoundChange(models.Model):
    """Who joined or left a round compared with the previous approved round of the same
    benefit and node, and why — worked out and frozen when the round is drafted, so the
    approver checks the changes, not the whole list."""

    class Kind(models.TextChoices):
        JOINED = "joined", _("新增")
        LEFT = "left", _("减少")

    class Cause(models.TextChoices):
        DEACTIVATED = "deactivated", _("档案注销")
        MOVED_OUT = "moved_out", _("迁出")
        MOVED_IN = "moved_in", _("迁入")
        STATUS = "status", _("资格变化")
        REGISTERED = "registered", _("新登记")
        OTHER = "other", _("其他")

    # No index of its own: (round, kind) leads with it.
    round = models.ForeignKey(PaymentRound, verbose_name=_("发放批次"), on_delete=models.PROTECT,
                              related_name="changes", db_index=False)
    kind = models.CharField(_("变化"), max_length=8, choices=Kind.choices)
    elder_id = models.UUIDField(_("老年人"))
    name = models.CharField(_("姓名"), max_length=50)
    region_code = models.CharField(_("所属社区"), max_length=12)
    cause = models.CharField(_("原因类别"), max_length=12, choices=Cause.choices)
    reason = models.CharField(_("原因"), max_length=500)

    class Meta:
        verbose_name = _("批次人员变化")
        verbose_name_plural = _("批次人员变化")
        ordering = ["kind", "region_code", "name", "elder_id"]
        indexes = [models.Index(fields=["round", "kind"], name="payment_change_round")]

    def __str__(self) -> str:
        return f"{self.round_id} · {self.get_kind_display()} · {self.name}"
