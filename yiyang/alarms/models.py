"""一键呼救 (DESIGN §3 F): an elder's alarm from a device, a hotline operator or a worker, kept as a
persisted state machine with its log, escalated by data (a policy per region) until someone
acknowledges, and closed with an outcome.

Only facts are stored: the state and the time and actor of each transition; the escalation's
position (which step fires next, in which loop, when); each notification sent (the outbox, one
row per recipient and step, so a step can never notify anyone twice)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiyang.core.models import FieldRecord


class Kind(models.TextChoices):
    SOS = "sos", _("一键呼救")
    FALL = "fall", _("跌倒报警")
    LOW_BATTERY = "low_battery", _("设备电量低")
    CHECKIN_MISSED = "checkin_missed", _("未按时报平安")


class Priority(models.TextChoices):
    HIGH = "high", _("紧急")
    LOW = "low", pgettext_lazy("alarm priority", "一般")  # not the rating 一般 (Fair)


# What each kind's priority is: a press or a fall is an emergency; a battery or a missed
# check-in first prompts the elder (the low ladder), then carers.
KIND_PRIORITY = {Kind.SOS: Priority.HIGH, Kind.FALL: Priority.HIGH, Kind.LOW_BATTERY: Priority.LOW,
                 Kind.CHECKIN_MISSED: Priority.LOW}


class Source(models.TextChoices):
    DEVICE = "device", _("呼叫设备")
    HOTLINE = "hotline", _("热线接线员")
    WORKER = "worker", _("工作人员")
    PORTAL = "portal", _("老人服务门户")
    SYSTEM = "system", _("系统（未报平安）")


class State(models.TextChoices):
    RAISED = "raised", _("已呼叫")
    DISPATCHED = "dispatched", _("已派发")
    ACKNOWLEDGED = "acknowledged", _("已接警")
    ON_SCENE = "on_scene", _("已到场")
    RESOLVED = "resolved", _("已处置")
    FALSE_ALARM = "false_alarm", _("误报")
    CANCELLED = "cancelled", _("已取消")


OPEN_STATES = (State.RAISED, State.DISPATCHED, State.ACKNOWLEDGED, State.ON_SCENE)
UNANSWERED_STATES = (State.RAISED, State.DISPATCHED)
CLOSED_STATES = (State.RESOLVED, State.FALSE_ALARM, State.CANCELLED)


class Outcome(models.TextChoices):
    HOSPITAL = "hospital", _("送医")
    ON_SITE = "on_site", _("上门处置")
    FAMILY = "family", _("家属处理")
    PHONE = "phone", _("电话确认平安")
    FALSE_ALARM = "false_alarm", _("误报")
    OTHER = "other", _("其他")


class Target(models.TextChoices):
    """Who a step of an escalation policy notifies."""

    ELDER = "elder", _("老人本人（提示确认）")
    ASSIGNED_WORKER = "assigned_worker", _("责任专员")
    ROSTER = "roster", _("社区值班人员")
    COMMUNITY_LEADS = "community_leads", _("社区管理员与工作点负责人")
    STREET_PHONE = "street_phone", _("街道值班电话")
    STREET_ADMINS = "street_admins", _("街道管理员")
    CONTACTS = "contacts", _("紧急联系人")
    WEBHOOK = "webhook", _("外部系统（Webhook）")


class AlarmProfile(models.Model):
    """An elder enrolled in the emergency-call service: the responsible worker (责任专员) who is
    called first, and whether the elder checks in daily (独居老人每日报平安)."""

    elder = models.OneToOneField("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE,
                                 primary_key=True, related_name="+")
    region_code = models.CharField(_("社区代码"), max_length=12, db_index=True)
    responder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("责任专员"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    daily_checkin = models.BooleanField(_("每日报平安"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("呼叫服务对象")
        verbose_name_plural = _("呼叫服务对象")

    def __str__(self) -> str:
        return str(self.elder_id)


class Device(models.Model):
    """A registered device (SOS pendant, fall sensor, smart speaker) of one elder, with its own
    API credential: only the SHA-256 of the key is kept, and the key raises alarms for this
    elder only."""

    class Type(models.TextChoices):
        PENDANT = "pendant", _("呼叫挂件")
        FALL_SENSOR = "fall_sensor", _("跌倒感应器")
        SMART_HOME = "smart_home", _("智能家居终端")
        PHONE = "phone", _("老人手机")

    id = models.BigAutoField(primary_key=True)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("社区代码"), max_length=12)
    serial = models.CharField(_("设备编号"), max_length=40, unique=True)
    type = models.CharField(_("类型"), max_length=20, choices=Type.choices, default=Type.PENDANT)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True)
    active = models.BooleanField(_("启用"), default=True)
    heartbeat_timeout_s = models.PositiveIntegerField(_("心跳超时（秒）"), default=6 * 3600,
                                                      help_text=_("超过这么久未收到设备信号即视为离线"))
    last_seen_at = models.DateTimeField(_("最近信号"), null=True, blank=True)
    battery_pct = models.PositiveSmallIntegerField(_("电量（%）"), null=True, blank=True)
    battery_at = models.DateTimeField(_("电量上报时间"), null=True, blank=True)
    last_test_at = models.DateTimeField(_("最近测试按键"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("呼叫设备")
        verbose_name_plural = _("呼叫设备")
        indexes = [models.Index(fields=["region_code", "active"], name="device_region_active")]

    def __str__(self) -> str:
        return self.serial

    def offline(self, now: dt.datetime) -> bool:
        return self.active and (self.last_seen_at is None
                                or now - self.last_seen_at > dt.timedelta(seconds=self.heartbeat_timeout_s))


class DutyRoster(models.Model):
    """Who is on duty for a community's alarms: a weekly shift (every day when no weekday). A
    shift that ends before it starts runs overnight."""

    region_code = models.CharField(_("社区代码"), max_length=12, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("值班人员"), on_delete=models.CASCADE,
                             related_name="+")
    weekday = models.PositiveSmallIntegerField(
        _("星期"), null=True, blank=True,
        choices=[(0, _("星期一")), (1, _("星期二")), (2, _("星期三")), (3, _("星期四")), (4, _("星期五")),
                 (5, _("星期六")), (6, _("星期日"))], help_text=_("空表示每天"))
    start = models.TimeField(_("开始"), default=dt.time(0, 0))
    end = models.TimeField(_("结束"), default=dt.time(23, 59, 59))

    class Meta:
        verbose_name = _("社区值班表")
        verbose_name_plural = _("社区值班表")
        ordering = ["region_code", "weekday", "start"]

    def __str__(self) -> str:
        return f"{self.region_code} {self.user}"

    def covers(self, local: dt.datetime) -> bool:
        t = local.time()
        if self.start <= self.end:
            return (self.weekday is None or self.weekday == local.weekday()) and self.start <= t <= self.end
        # Overnight: the evening part on its weekday, the morning part on the next day.
        if t >= self.start:
            return self.weekday is None or self.weekday == local.weekday()
        return t <= self.end and (self.weekday is None or (self.weekday + 1) % 7 == local.weekday())


class DutyPhone(models.Model):
    """A street's (or district's) duty phone, called by the ``street_phone`` step."""

    region_code = models.CharField(_("区域代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    phone = models.CharField(_("值班电话"), max_length=20)

    class Meta:
        verbose_name = _("街道值班电话")
        verbose_name_plural = _("街道值班电话")

    def __str__(self) -> str:
        return self.name


class EscalationPolicy(models.Model):
    """Escalation as data: for alarms of one priority in a region (the most specific prefix
    wins; an empty prefix covers everywhere), the ordered steps to notify, each followed by a
    wait for an acknowledgement, and how many times the ladder repeats."""

    name = models.CharField(_("名称"), max_length=60)
    region_prefix = models.CharField(_("适用区域（代码前缀，空为全部）"), max_length=12, blank=True)
    priority = models.CharField(_("适用级别"), max_length=10, choices=Priority.choices, default=Priority.HIGH)
    repeat = models.PositiveSmallIntegerField(_("重复次数"), default=1,
                                              help_text=_("最后一步仍无人接警时，从第一步再来几遍"))
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("升级策略")
        verbose_name_plural = _("升级策略")
        constraints = [models.UniqueConstraint(fields=["region_prefix", "priority"], name="policy_region_priority")]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, verbose_name=_("升级策略"), on_delete=models.CASCADE,
                               related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    target = models.CharField(_("通知对象"), max_length=20, choices=Target.choices)
    wait_s = models.PositiveIntegerField(_("等待接警（秒）"), null=True, blank=True,
                                         help_text=_("通知后等待多久无人接警即升级到下一步；空为默认（YIYANG_ALARM_ACK_TIMEOUT_S）"))
    webhook_url = models.URLField(_("Webhook 地址"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("升级步骤")
        verbose_name_plural = _("升级步骤")
        ordering = ["policy", "order"]
        constraints = [models.UniqueConstraint(fields=["policy", "order"], name="step_policy_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_target_display()}"


class Alarm(FieldRecord):
    """One alarm and where it stands. The escalation's state lives here, in the database, and a
    periodic job advances it under a row lock: no timer in any process."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("社区代码"), max_length=12)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.SOS)
    priority = models.CharField(_("级别"), max_length=10, choices=Priority.choices, default=Priority.HIGH)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    device = models.ForeignKey(Device, verbose_name=_("设备"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="alarms")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("呼叫登记人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("说明"), max_length=500, blank=True)
    state = models.CharField(_("状态"), max_length=14, choices=State.choices, default=State.RAISED)
    raised_at = models.DateTimeField(_("呼叫时间"))
    device_time = models.DateTimeField(_("设备时间"), null=True, blank=True)
    presses = models.PositiveIntegerField(_("呼叫次数"), default=1)
    last_press_at = models.DateTimeField(_("最近一次呼叫"))
    responder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("责任专员"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    dispatched_at = models.DateTimeField(_("派发时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("接警时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接警人"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    arrived_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("到场人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("结束人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("处置结果"), max_length=14, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("处置说明"), max_length=500, blank=True)
    # The escalation: the policy followed, the step that fires next (in which pass of the
    # ladder) and when; None when it is over (acknowledged, closed, or the ladder exhausted).
    policy = models.ForeignKey(EscalationPolicy, verbose_name=_("升级策略"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    esc_step = models.PositiveSmallIntegerField(_("下一升级步骤"), default=0)
    esc_loop = models.PositiveSmallIntegerField(_("升级轮次"), default=0)
    next_escalation_at = models.DateTimeField(_("下次升级时间"), null=True, blank=True)
    last_escalated_at = models.DateTimeField(_("最近升级时间"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    exhausted = models.BooleanField(_("升级已用尽"), default=False)

    class Meta:
        verbose_name = _("紧急呼叫")
        verbose_name_plural = _("紧急呼叫")
        indexes = [
            # The board: open alarms of a code range, newest first.
            models.Index(fields=["state", "region_code", "raised_at"], name="alarm_state_region"),
            # Figures: a region's alarms by month.
            models.Index(fields=["region_code", "raised_at"], name="alarm_region_raised"),
            # Merging presses: this elder's alarms of a kind.
            models.Index(fields=["elder", "kind", "raised_at"], name="alarm_elder_kind"),
            # The escalation job: what is due.
            models.Index(fields=["next_escalation_at"], name="alarm_next_escalation",
                         condition=Q(next_escalation_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.raised_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class AlarmEvent(models.Model):
    """The alarm's own log: every transition, merged press and escalation step, in order."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("呼叫")
        MERGED = "merged", _("重复呼叫（已合并）")
        LATE_PRESS = "late_press", _("迟到的呼叫信号")
        DISPATCHED = "dispatched", _("派发")
        ESCALATED = "escalated", _("升级通知")
        EXHAUSTED = "exhausted", _("升级已用尽，仍无人接警")
        ACKNOWLEDGED = "acknowledged", _("接警")
        ARRIVED = "arrived", _("到场")
        RESOLVED = "resolved", _("处置完毕")
        FALSE_ALARM = "false_alarm", _("确认误报")
        CANCELLED = "cancelled", _("取消")
        DELIVERY_FAILED = "delivery_failed", _("通知发送失败")

    id = models.BigAutoField(primary_key=True)
    alarm = models.ForeignKey(Alarm, verbose_name=_("紧急呼叫"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作方"), max_length=60, blank=True)
    step = models.PositiveSmallIntegerField(_("升级步骤"), null=True, blank=True)
    detail = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("呼叫记录")
        verbose_name_plural = _("呼叫记录")
        ordering = ["alarm", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%H:%M:%S}"


class AlarmKey(models.Model):
    """An ``Idempotency-Key`` a caller sent with an alarm: the same key from the same caller
    answers with the same alarm, however many times it is sent."""

    principal = models.CharField(_("调用方"), max_length=40)
    key = models.CharField(_("幂等键"), max_length=100)
    alarm = models.ForeignKey(Alarm, verbose_name=_("紧急呼叫"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("呼叫幂等键")
        verbose_name_plural = _("呼叫幂等键")
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="alarmkey_once")]

    def __str__(self) -> str:
        return self.key


class Delivery(models.Model):
    """One notification of one recipient for one step of one alarm's escalation (the outbox).
    The unique key makes a step notify a recipient once, whichever worker runs it, however
    often; the sender claims a row before sending and passes its id on, so a gateway can drop a
    resend after a crash."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("站内通知")
        SMS = "sms", _("短信")
        WEBHOOK = "webhook", _("Webhook")
        CONSOLE = "console", _("日志（未配置短信网关）")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    id = models.BigAutoField(primary_key=True)
    alarm = models.ForeignKey(Alarm, verbose_name=_("紧急呼叫"), on_delete=models.CASCADE, related_name="deliveries")
    loop = models.PositiveSmallIntegerField(_("轮次"))
    step = models.PositiveSmallIntegerField(_("步骤"))
    target = models.CharField(_("通知对象"), max_length=20, choices=Target.choices)
    recipient = models.CharField(_("接收方键"), max_length=64)
    label = models.CharField(_("接收方"), max_length=60)
    channel = models.CharField(_("方式"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    claimed_at = models.DateTimeField(_("开始发送"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("呼叫通知")
        verbose_name_plural = _("呼叫通知")
        constraints = [models.UniqueConstraint(fields=["alarm", "loop", "step", "recipient"], name="delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.label} {self.get_channel_display()}"


class CheckinRule(models.Model):
    """By when the elders of a region who check in daily (独居老人每日报平安) must have done so;
    the most specific prefix wins, an empty one covers everywhere."""

    region_prefix = models.CharField(_("适用区域（代码前缀，空为全部）"), max_length=12, unique=True, blank=True)
    deadline = models.TimeField(_("每日报平安截止时间"), default=dt.time(10, 0))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("报平安规则")
        verbose_name_plural = _("报平安规则")

    def __str__(self) -> str:
        return f"{self.region_prefix or '全部'} {self.deadline:%H:%M}"


class Checkin(models.Model):
    """An elder's "I'm OK" of one day: from the device's button, or recorded by a worker who
    heard from her. One row per elder and day (the first)."""

    class Source(models.TextChoices):
        DEVICE = "device", _("设备按键")
        WORKER = "worker", _("工作人员代记")

    id = models.BigAutoField(primary_key=True)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(_("社区代码"), max_length=12)
    day = models.DateField(_("日期"))
    at = models.DateTimeField(_("时间"))
    source = models.CharField(_("方式"), max_length=10, choices=Source.choices)

    class Meta:
        verbose_name = _("每日报平安")
        verbose_name_plural = _("每日报平安")
        constraints = [models.UniqueConstraint(fields=["elder", "day"], name="checkin_once_a_day")]
        indexes = [models.Index(fields=["region_code", "day"], name="checkin_region_day")]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.day}"
