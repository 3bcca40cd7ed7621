"""巡查访视 / 探访关爱 (DESIGN §3 E): who is visited how often (rules), each elder's planned
visit with its window (plans), what happened (visit records), and the monthly visit rate kept
as a maintained aggregate.

A plan covers one period of its rule (a month, two months, a quarter…): the visit may be made
from ``window_start``; it is *due* by ``due_date``; after ``window_end`` it is *missed*. Due,
overdue and missed are derived from these dates when read, never stored as flags that go
stale. Only facts are stored: a plan is ``open``, ``done`` (a visit that counts was recorded
in its window) or ``cancelled`` (with a reason)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.models import FieldRecord


class Way(models.TextChoices):
    HOME = "home", _("上门")
    VIDEO = "video", _("视频")
    PHONE = "phone", _("电话")


# A rule asking for a way is satisfied by that way or a closer one: a home visit satisfies a
# rule asking for a call; a call does not satisfy a rule asking for a home visit.
WAY_RANK = {Way.PHONE: 1, Way.VIDEO: 2, Way.HOME: 3}


class Outcome(models.TextChoices):
    MET = "met", _("已探访")
    NOT_HOME = "not_home", _("未遇")
    REFUSED = "refused", _("拒访")


# Outcomes that close a plan. 未遇 is an attempt: the elder was not reached, the plan stays
# open. 拒访 closes it: the worker reached the elder, who declined; it is recorded with the
# reason and counts as a visit made (docs/visits.md says why).
CLOSING_OUTCOMES = (Outcome.MET, Outcome.REFUSED)


class Risk(models.TextChoices):
    FALL = "fall", _("跌倒或跌倒风险")
    NO_FOOD = "no_food", _("吃饭无着落")
    UNSAFE_HOME = "unsafe_home", _("居家不安全（燃气、电器、无障碍）")
    SCAM = "scam", _("疑似诈骗、推销")
    HEALTH = "health", _("身体状况变差")
    MENTAL = "mental", _("情绪低落、孤独")
    NEGLECT = "neglect", _("照护缺失、疑似虐待")
    HYGIENE = "hygiene", _("个人或居家卫生差")
    OTHER = "other", _("其他")


class ElderState(models.TextChoices):
    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")
    URGENT = "urgent", _("需立即处理")


class VisitRule(models.Model):
    """Which elders are visited, how often and how. An elder matches a rule when any of its
    criteria holds (a category, a living situation, an ability level at or above the bound),
    or always when ``all_elders``. Of the rules that match an elder in her region, the one
    with the shortest period wins (then ``priority``): the strictest demand is kept."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    region_prefix = models.CharField(_("适用区域（代码前缀，空为全部）"), max_length=12, blank=True,
                                     help_text=_("如 440304006 只适用于梅林街道；空表示所有区域"))
    all_elders = models.BooleanField(_("适用于所有在册老人"), default=False)
    categories = models.JSONField(_("人员类别（任一）"), default=list, blank=True,
                                  help_text=_("人员类别代码，如 disabled、severe_disability"))
    living_situations = models.JSONField(_("居住情况（任一）"), default=list, blank=True,
                                         help_text=_("如 alone、empty_nest、left_behind"))
    min_ability_level = models.PositiveSmallIntegerField(_("能力等级不低于"), null=True, blank=True,
                                                         help_text=_("GB/T 42195 等级，2 即中度失能及以上"))
    every_months = models.PositiveSmallIntegerField(_("每几个月一次"), default=1,
                                                    choices=[(1, _("每月")), (2, _("每两月")), (3, _("每季度")),
                                                             (6, _("每半年")), (12, _("每年"))])
    due_day = models.PositiveSmallIntegerField(_("应访日（周期最后一个月的第几日）"), default=20,
                                               help_text=_("过了这一天未访即为逾期；周期结束前仍可补访"))
    way = models.CharField(_("方式"), max_length=10, choices=Way.choices, default=Way.HOME)
    priority = models.PositiveSmallIntegerField(_("优先顺序"), default=100)
    is_indicator = models.BooleanField(_("计入特殊困难老年人月探访率"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("探访规则")
        verbose_name_plural = _("探访规则")
        ordering = ["every_months", "priority", "code"]

    def __str__(self) -> str:
        return self.name

    def period_of(self, day: dt.date) -> tuple[dt.date, dt.date, dt.date]:
        """(window_start, due_date, window_end) of the period that contains ``day``. Periods
        are aligned to the calendar (a quarterly rule's periods are the quarters)."""
        n = self.every_months
        first_month = ((day.month - 1) // n) * n + 1
        start = dt.date(day.year, first_month, 1)
        last_month_index = start.month - 1 + n - 1
        last_month_first = dt.date(start.year + last_month_index // 12, last_month_index % 12 + 1, 1)
        end = (last_month_first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        due = last_month_first.replace(day=min(max(self.due_day, 1), end.day))
        return start, due, end


class PlanStatus(models.TextChoices):
    OPEN = "open", _("待探访")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class VisitPlan(models.Model):
    """One elder's visit for one period of a rule. At most one plan that is not cancelled per
    elder and period start: the scheduler may run twice, on two workers, and make one."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(VisitRule, verbose_name=_("探访规则"), on_delete=models.PROTECT, related_name="plans")
    region_code = models.CharField(_("社区代码"), max_length=12)
    window_start = models.DateField(_("最早可访日"))
    due_date = models.DateField(_("应访日"))
    window_end = models.DateField(_("最迟日"))
    way = models.CharField(_("方式"), max_length=10, choices=Way.choices)
    status = models.CharField(_("状态"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    visit = models.ForeignKey("Visit", verbose_name=_("完成的探访"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("取消人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("探访计划")
        verbose_name_plural = _("探访计划")
        constraints = [
            models.UniqueConstraint(fields=["elder", "window_start"], condition=~Q(status="cancelled"),
                                    name="visitplan_one_live_per_period"),
        ]
        indexes = [
            # The worker's list and badge: open plans of her communities (a code-prefix range), by
            # date. Status first: an equality before the range, so both narrow the seek
            # (region first, the range would leave status to a filter — EXPLAIN showed it unused).
            models.Index(fields=["status", "region_code", "due_date"], name="visitplan_status_region_due"),
            # The rate's raw recount and its drill-down: plans of a community due in a month.
            models.Index(fields=["region_code", "due_date"], name="visitplan_region_due"),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.window_start:%Y-%m}"

    def phase(self, today: dt.date) -> str:
        """upcoming / due / overdue / missed / done / cancelled — from the dates, as of today."""
        if self.status != PlanStatus.OPEN:
            return str(self.status)
        if today > self.window_end:
            return "missed"
        if today > self.due_date:
            return "overdue"
        return "due" if today >= self.window_start else "upcoming"


class Visit(FieldRecord):
    """What happened at one visit (or one attempt). Where the worker stood is not kept: only
    the distance from the elder's home cell, and whether it was far."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(VisitPlan, verbose_name=_("探访计划"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="visits")
    region_code = models.CharField(_("社区代码"), max_length=12)
    visited_at = models.DateTimeField(_("探访时间"))
    way = models.CharField(_("方式"), max_length=10, choices=Way.choices)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, default=Outcome.MET)
    missed_reason = models.CharField(_("未遇或拒访原因"), max_length=200, blank=True)
    elder_state = models.CharField(_("老人状况"), max_length=10, choices=ElderState.choices, blank=True)
    findings = models.TextField(_("探访情况"), max_length=2000, blank=True)
    risks = models.JSONField(_("发现的风险"), default=list, blank=True)
    needs_changed = models.JSONField(_("需求变化"), default=list, blank=True)
    checkin_distance_m = models.PositiveIntegerField(_("签到距住址（米）"), null=True, blank=True)
    checkin_far = models.BooleanField(_("签到位置偏远"), default=False)
    backdate_note = models.CharField(_("补录说明（管理员）"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = _("探访记录")
        verbose_name_plural = _("探访记录")
        indexes = [
            models.Index(fields=["elder", "visited_at"], name="visit_elder_at"),
            models.Index(fields=["region_code", "visited_at"], name="visit_region_at"),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.visited_at:%Y-%m-%d}"


class VisitRateCell(models.Model):
    """The monthly visit rate's maintained aggregate: for one community, one month (the month
    of the plans' due date) and one rule, how many plans were due and how many are done.
    Written in the transaction that changes a plan, by recounting that cell under a row lock
    (so it can never drift); a test recounts every cell from the raw plans."""

    region_code = models.CharField(_("社区代码"), max_length=12)
    month = models.DateField(_("月份"))
    rule = models.ForeignKey(VisitRule, verbose_name=_("探访规则"), on_delete=models.PROTECT, related_name="+")
    due = models.PositiveIntegerField(_("应访"), default=0)
    done = models.PositiveIntegerField(_("已访"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("月探访率（汇总）")
        verbose_name_plural = _("月探访率（汇总）")
        constraints = [models.UniqueConstraint(fields=["month", "region_code", "rule"], name="visitrate_cell")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.month:%Y-%m} {self.done}/{self.due}"


class ElderContact(models.Model):
    """When anything was last heard of an elder — a visit that met her, a call, a consultation,
    a service, a device heartbeat — kept from those events (visits subscribes to them), so the
    "not seen" list is one indexed query."""

    elder = models.OneToOneField("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE,
                                 primary_key=True, related_name="+")
    region_code = models.CharField(_("社区代码"), max_length=12)
    last_at = models.DateTimeField(_("最近联系时间"))
    last_kind = models.CharField(_("方式"), max_length=40)

    class Meta:
        verbose_name = _("最近联系")
        verbose_name_plural = _("最近联系")
        indexes = [models.Index(fields=["region_code", "last_at"], name="eldercontact_region_at")]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.last_at:%Y-%m-%d} {self.last_kind}"
