"""Cross-domain tables: the event log (audit trail and elder timeline) and the access log.

Both are append-only: no service updates or deletes a row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldRecord(models.Model):
    """Base for records field workers create: UUID keys (an offline phone can mint them,
    shards never collide) and a version number so a later sync can detect conflicts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        abstract = True


class Event(models.Model):
    """One state change: who did what, when, to which record. The elder's timeline is
    the events that carry their ``elder_id``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("事件类型"), max_length=64)
    occurred_at = models.DateTimeField(_("发生时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Plain columns, not foreign keys: events outlive and outnumber their subjects and must
    # stay on the shard of their region (DESIGN §7).
    elder_id = models.UUIDField(_("老年人"), null=True, blank=True)
    subject_type = models.CharField(_("对象类型"), max_length=40, blank=True)
    subject_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    payload = models.JSONField(_("内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        indexes = [
            models.Index(fields=["elder_id", "occurred_at"], name="event_elder_time"),
            models.Index(fields=["region_code", "occurred_at"], name="event_region_time"),
        ]
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.type} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class AccessLog(models.Model):
    """Every reveal, export or print of a person's sensitive data (DESIGN §5)."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("查看明文")
        EXPORT = "export", _("导出")
        PRINT = "print", _("打印")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    elder_id = models.UUIDField(_("老年人"), null=True, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    fields = models.JSONField(_("字段"), default=list)
    purpose = models.CharField(_("事由"), max_length=200)
    remote_addr = models.CharField(_("来源地址"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("敏感信息访问记录")
        verbose_name_plural = _("敏感信息访问记录")
        indexes = [models.Index(fields=["elder_id", "at"], name="accesslog_elder_time")]
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class PeriodicJob(models.Model):
    """One periodic job an app declared (``core.tasks.periodic``): when it runs next and what
    it last enqueued. Workers claim due rows under a lock, so a run is enqueued once however
    many workers there are."""

    key = models.CharField(_("任务"), max_length=100, unique=True)
    label = models.CharField(_("说明"), max_length=200, blank=True)
    schedule = models.CharField(_("周期"), max_length=40)
    enabled = models.BooleanField(_("启用"), default=True)
    next_run_at = models.DateTimeField(_("下次运行"), db_index=True)
    last_enqueued_at = models.DateTimeField(_("上次排队"), null=True, blank=True)
    last_task_id = models.CharField(_("上次任务编号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.label or self.key}（{self.schedule}）"


class Notification(models.Model):
    """A message to one user: a reminder, an overdue list, an alarm. The in-app list is the
    record; ``core.notify`` also hands it to the configured backends (console, SMS, webhook).
    ``dedupe_key`` makes a second send of the same reminder (a retried task, a second worker)
    write nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(_("类型"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), max_length=2000, blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=120)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once")]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.title
