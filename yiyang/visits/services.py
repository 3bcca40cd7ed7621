"""Writes of visits: the scheduler that keeps each elder's plans current, recording a visit,
cancelling a plan, and the rate's maintained aggregate. Each runs in one transaction and
writes its events there."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from yiyang.assessments.selectors import latest_confirmed_subquery
from yiyang.core import access, geo
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError
from yiyang.elders.location import elder_location_set
from yiyang.elders.models import Elder, ElderCategory
from yiyang.visits import access as visit_access
from yiyang.visits import events
from yiyang.visits.models import (
    CLOSING_OUTCOMES,
    WAY_RANK,
    ElderContact,
    ElderState,
    Outcome,
    PlanStatus,
    Risk,
    Visit,
    VisitPlan,
    VisitRateCell,
    VisitRule,
    Way,
)

CellKey = tuple[str, dt.date, int]  # (community code, first day of the due month, rule id)

SYSTEM_CANCEL_NO_RULE = "不再适用任何探访规则（类别、居住情况或能力等级已变化）"
SYSTEM_CANCEL_RULE_CHANGED = "探访规则已变更，按新规则重新安排"
SYSTEM_CANCEL_INACTIVE = "档案已注销"


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


# ---------------------------------------------------------------------------------------------
# Rules


def rules_active() -> list[VisitRule]:
    return list(VisitRule.objects.filter(active=True).order_by("every_months", "priority", "code"))


@dataclass(frozen=True)
class ElderFacts:
    pk: Any
    region_code: str
    active: bool
    living_situation: str
    categories: frozenset[str]
    level: int | None


def rule_matches(rule: VisitRule, facts: ElderFacts) -> bool:
    if rule.region_prefix and not facts.region_code.startswith(rule.region_prefix):
        return False
    if rule.all_elders:
        return True
    if facts.categories & set(rule.categories or ()):
        return True
    if facts.living_situation and facts.living_situation in (rule.living_situations or ()):
        return True
    return rule.min_ability_level is not None and facts.level is not None and facts.level >= rule.min_ability_level


def rule_for(facts: ElderFacts, rules: list[VisitRule]) -> VisitRule | None:
    """The strictest rule that covers the elder (``rules`` come shortest period first)."""
    return next((r for r in rules if rule_matches(r, facts)), None)


def elder_facts(elder_ids: Iterable[Any]) -> list[ElderFacts]:
    ids = list(elder_ids)
    rows = (Elder.objects.filter(pk__in=ids).annotate(level=latest_confirmed_subquery("level"))
            .values_list("pk", "region_id", "active", "living_situation", "level"))
    cats: dict[Any, set[str]] = defaultdict(set)
    for elder_id, code in ElderCategory.objects.filter(elder_id__in=ids).values_list("elder_id", "category__code"):
        cats[elder_id].add(code)
    return [ElderFacts(pk, region, active, living or "", frozenset(cats.get(pk, ())), level)
            for pk, region, active, living, level in rows]


# ---------------------------------------------------------------------------------------------
# The scheduler


@dataclass
class SyncResult:
    elders: int = 0
    created: int = 0
    cancelled: int = 0
    moved: int = 0


@transaction.atomic
def visit_plans_sync(*, elder_ids: Iterable[Any], today: dt.date | None = None,
                     rules: list[VisitRule] | None = None) -> SyncResult:
    """Make each elder's plans match the rules as of ``today``: the plan of the current period
    (and, once that is done, of the next), nothing for an elder no rule covers, nothing open
    for a deactivated one. Idempotent: run it twice, or on two workers at once, and the second
    run writes nothing (a partial unique index allows one live plan per elder and period).

    A plan a person cancelled (with a reason) is not re-made for its period."""
    today = today or timezone.localdate()
    rules = rules if rules is not None else rules_active()
    facts = elder_facts(elder_ids)
    result = SyncResult(elders=len(facts))
    if not facts:
        return result
    by_elder: dict[Any, list[VisitPlan]] = defaultdict(list)
    for plan in VisitPlan.objects.filter(elder_id__in=[f.pk for f in facts], window_end__gte=today):
        by_elder[plan.elder_id].append(plan)
    to_create: list[VisitPlan] = []
    to_cancel: list[tuple[VisitPlan, str]] = []
    moved: list[VisitPlan] = []
    touched: set[CellKey] = set()

    for f in facts:
        plans = by_elder.get(f.pk, [])
        live = [p for p in plans if p.status != PlanStatus.CANCELLED]
        for p in live:
            if p.status == PlanStatus.OPEN and p.region_code != f.region_code:
                touched.add((p.region_code, month_of(p.due_date), p.rule_id))
                p.region_code = f.region_code
                moved.append(p)
        rule = rule_for(f, rules) if f.active else None
        if rule is None:
            reason = SYSTEM_CANCEL_INACTIVE if not f.active else SYSTEM_CANCEL_NO_RULE
            to_cancel += [(p, reason) for p in live if p.status == PlanStatus.OPEN]
            continue
        start, due, end = rule.period_of(today)
        wanted = [(start, due, end)]
        current = next((p for p in live if p.window_start == start), None)
        if current is not None and current.status == PlanStatus.DONE:
            wanted.append(rule.period_of(end + dt.timedelta(days=1)))
        wanted_starts = {w[0] for w in wanted}
        kept_starts = set()
        for p in live:
            if p.status != PlanStatus.OPEN:
                kept_starts.add(p.window_start)
            elif p.rule_id != rule.pk or p.window_start not in wanted_starts:
                # Another rule now applies, or the rule's periods changed (quarterly → monthly).
                to_cancel.append((p, SYSTEM_CANCEL_RULE_CHANGED))
            else:
                kept_starts.add(p.window_start)
        person_cancelled = {p.window_start for p in plans if p.status == PlanStatus.CANCELLED and p.cancelled_by_id}
        for w_start, w_due, w_end in wanted:
            if w_start in kept_starts or w_start in person_cancelled:
                continue
            to_create.append(VisitPlan(elder_id=f.pk, rule=rule, region_code=f.region_code, window_start=w_start,
                                       due_date=w_due, window_end=w_end, way=rule.way))

    now = timezone.now()
    for plan, reason in to_cancel:
        plan.status, plan.cancel_reason, plan.updated_at = PlanStatus.CANCELLED, reason, now
        touched.add((plan.region_code, month_of(plan.due_date), plan.rule_id))
    if to_cancel:
        VisitPlan.objects.bulk_update([p for p, _ in to_cancel], ["status", "cancel_reason", "updated_at"])
    if moved:
        VisitPlan.objects.bulk_update(moved, ["region_code"])
    if to_create:
        _link_earlier_visits(to_create)
        VisitPlan.objects.bulk_create(to_create, ignore_conflicts=True)
        touched |= {(p.region_code, month_of(p.due_date), p.rule_id) for p in to_create}
    for p in moved:
        touched.add((p.region_code, month_of(p.due_date), p.rule_id))
    rate_cells_recount(touched)
    result.created, result.cancelled, result.moved = len(to_create), len(to_cancel), len(moved)
    return result


def _link_earlier_visits(plans: list[VisitPlan]) -> None:
    """A plan made after a visit in its window (an unplanned visit, a rule that began
    mid-month) starts done: the visit already happened."""
    if not plans:
        return
    first = min(p.window_start for p in plans)
    visits: dict[Any, list[Visit]] = defaultdict(list)
    for v in (Visit.objects.filter(elder_id__in={p.elder_id for p in plans}, outcome__in=CLOSING_OUTCOMES,
                                   visited_at__date__gte=first).order_by("visited_at")):
        visits[v.elder_id].append(v)
    for p in plans:
        for v in visits.get(p.elder_id, ()):
            if p.window_start <= timezone.localtime(v.visited_at).date() <= p.window_end and _way_counts(v.way, p.way):
                p.status, p.visit = PlanStatus.DONE, v
                break


def _way_counts(done: str, asked: str) -> bool:
    return WAY_RANK[Way(done)] >= WAY_RANK[Way(asked)]


# ---------------------------------------------------------------------------------------------
# The rate's aggregate


def rate_cells_recount(keys: Iterable[CellKey]) -> None:
    """Recount these cells from the plans, each under its row lock (in key order, so two
    transactions never wait on each other in a circle)."""
    for region_code, month, rule_id in sorted(set(keys)):
        cell, _ = VisitRateCell.objects.select_for_update().get_or_create(
            region_code=region_code, month=month, rule_id=rule_id)
        counts = (VisitPlan.objects.filter(region_code=region_code, rule_id=rule_id, due_date__gte=month,
                                           due_date__lt=next_month(month))
                  .exclude(status=PlanStatus.CANCELLED)
                  .aggregate(due=Count("id"), done=Count("id", filter=Q(status=PlanStatus.DONE))))
        if (cell.due, cell.done) != (counts["due"], counts["done"]):
            cell.due, cell.done = counts["due"], counts["done"]
            cell.save(update_fields=["due", "done", "updated_at"])


# ---------------------------------------------------------------------------------------------
# Recording a visit

MAX_FINDINGS = 2000
MAX_REASON = 200
MAX_FOLLOW_UPS = 10


@dataclass(frozen=True)
class FollowUpIn:
    title: str
    due_date: dt.date


@transaction.atomic
def visit_record(
    *, actor: Any, elder: Elder, visited_at: dt.datetime, way: str, outcome: str = Outcome.MET,
    missed_reason: str = "", elder_state: str = "", findings: str = "", risks: Iterable[str] = (),
    needs_changed: Iterable[str] = (), follow_ups: Iterable[FollowUpIn] = (),
    position: tuple[float, float] | None = None, set_home: bool = False, backdate_note: str = "",
) -> Visit:
    """Record a visit (or an attempt: 未遇, 拒访). The open plan whose window holds the visit's
    day is closed by a visit that counts (met or refused, by the way the rule asks or a
    closer one); the next plan is made at once; follow-ups go to the worker's list."""
    if not access.has_capability(actor, visit_access.VISIT_RECORD):
        raise ForbiddenError()
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    risks, needs_changed, follow_ups = list(risks), list(needs_changed), list(follow_ups)
    if not elder.active:
        raise ApplicationError("该老人已注销，不能记录探访", code="elder_inactive", status=409)
    if way not in Way.values:
        errors.setdefault("way", []).append("方式应为 上门、视频 或 电话")
    if outcome not in Outcome.values:
        errors.setdefault("outcome", []).append("结果应为 已探访、未遇 或 拒访")
    if outcome in (Outcome.NOT_HOME, Outcome.REFUSED) and not missed_reason.strip():
        errors.setdefault("missed_reason", []).append("未遇或拒访时请写明原因")
    if len(missed_reason) > MAX_REASON:
        errors.setdefault("missed_reason", []).append(f"原因最多 {MAX_REASON} 字")
    if elder_state and elder_state not in ElderState.values:
        errors.setdefault("elder_state", []).append("老人状况无效")
    if len(findings) > MAX_FINDINGS:
        errors.setdefault("findings", []).append(f"探访情况最多 {MAX_FINDINGS} 字")
    bad_risks = [r for r in risks if r not in Risk.values]
    if bad_risks:
        errors.setdefault("risks", []).append(f"未知的风险：{'、'.join(map(str, bad_risks))}")
    if needs_changed:
        from yiyang.surveys.selectors import need_tag_names

        unknown = [n for n in needs_changed if n not in need_tag_names()]
        if unknown:
            errors.setdefault("needs_changed", []).append(f"未知的需求：{'、'.join(map(str, unknown))}")
    if len(follow_ups) > MAX_FOLLOW_UPS:
        errors.setdefault("follow_ups", []).append(f"一次最多 {MAX_FOLLOW_UPS} 项跟踪事项")
    for f in follow_ups:
        if not f.title.strip() or len(f.title) > 200:
            errors.setdefault("follow_ups", []).append("跟踪事项需写明内容（最多 200 字）")
        elif f.due_date < timezone.localdate():
            errors.setdefault("follow_ups", []).append(f"跟踪事项“{f.title[:20]}”的期限早于今天")
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if visited_at > now + dt.timedelta(minutes=10):
        errors.setdefault("visited_at", []).append("探访时间不能晚于现在")
    window = settings.YIYANG["VISIT_BACKDATE_DAYS"]
    if visited_at < now - dt.timedelta(days=window):
        if not backdate_note.strip():
            errors.setdefault("visited_at", []).append(
                f"只能补录 {window} 天内的探访；更早的探访需由管理员填写补录说明")
        elif not access.has_capability(actor, visit_access.VISIT_BACKDATE):
            errors.setdefault("backdate_note", []).append("补录说明只能由社区或以上管理员填写")
    elif backdate_note:
        backdate_note = backdate_note.strip()
    if len(backdate_note) > 300:
        errors.setdefault("backdate_note", []).append("补录说明最多 300 字")
    if errors:
        raise FieldErrors(errors)

    distance = far = None
    if position is not None:
        try:
            position = geo.position_check(*position)
        except geo.PositionError as exc:
            raise FieldErrors({"position": [str(exc)]}) from exc
        if set_home and way == Way.HOME and outcome != Outcome.NOT_HOME:
            elder_location_set(actor=actor, elder=elder, latitude=position[0], longitude=position[1], source="phone")
        if elder.home_cell:
            d = geo.distance_to_cell_m(position, elder.home_cell)
            if d is not None:
                distance = round(d)
                far = distance > settings.YIYANG["VISIT_CHECKIN_FAR_M"]

    visit = Visit.objects.create(
        elder=elder, region_code=elder.region_id, visited_at=visited_at, way=way, outcome=outcome,
        missed_reason=missed_reason.strip(), elder_state=elder_state, findings=findings.strip(),
        risks=risks, needs_changed=needs_changed, checkin_distance_m=distance, checkin_far=bool(far),
        backdate_note=backdate_note, recorded_by=actor,
    )
    day = timezone.localtime(visited_at).date()
    plan = (VisitPlan.objects.select_for_update()
            .filter(elder=elder, status=PlanStatus.OPEN, window_start__lte=day, window_end__gte=day).first())
    if plan is not None:
        visit.plan = plan
        visit.save(update_fields=["plan"])
        if outcome in CLOSING_OUTCOMES and _way_counts(way, plan.way):
            plan.status, plan.visit = PlanStatus.DONE, visit
            plan.save(update_fields=["status", "visit", "updated_at"])
            rate_cells_recount([(plan.region_code, month_of(plan.due_date), plan.rule_id)])
    if outcome in CLOSING_OUTCOMES:
        contact_seen(elder_id=elder.pk, region_code=elder.region_id, at=visited_at,
                     kind=f"探访（{Way(way).label}）")
    followup_ids = []
    if follow_ups:
        from yiyang.casework.services import followup_create

        for f in follow_ups:
            followup = followup_create(actor=actor, elder=elder, title=f.title.strip(), due_date=f.due_date,
                                       source="visit", source_id=visit.pk)
            followup_ids.append(str(followup.pk))
    event_record(
        type=events.RECORDED, actor=actor, elder_id=elder.pk, subject=visit, region_code=elder.region_id,
        payload={"visit_id": str(visit.pk), "way": way, "way_label": str(Way(way).label), "outcome": outcome,
                 "outcome_label": str(Outcome(outcome).label), "risks": risks,
                 "risk_labels": [str(Risk(r).label) for r in risks], "elder_state": elder_state,
                 "missed_reason": visit.missed_reason, "plan_done": bool(plan and plan.visit_id == visit.pk),
                 "checkin_far": visit.checkin_far, "backdated": bool(backdate_note), "follow_ups": followup_ids,
                 "summary": visit_summary(visit)},
    )
    # The next visit is planned now, not at night: the worker sees it before she leaves.
    visit_plans_sync(elder_ids=[elder.pk])
    return visit


def visit_summary(visit: Visit) -> str:
    """One line for the timeline: way, outcome (and why), risks, flags."""
    parts = [str(Way(visit.way).label), str(Outcome(visit.outcome).label)]
    if visit.missed_reason:
        parts[-1] += f"（{visit.missed_reason}）"
    if visit.risks:
        parts.append("风险：" + "、".join(str(Risk(r).label) for r in visit.risks if r in Risk.values))
    if visit.checkin_far:
        parts.append("签到位置偏远")
    if visit.backdate_note:
        parts.append("补录")
    return " · ".join(parts)


def contact_seen(*, elder_id: Any, region_code: str, at: dt.datetime, kind: str) -> None:
    """Remember the latest contact with an elder (never moves backwards)."""
    row = ElderContact.objects.select_for_update().filter(elder_id=elder_id).first()
    if row is None:
        ElderContact.objects.bulk_create([ElderContact(elder_id=elder_id, region_code=region_code, last_at=at,
                                                       last_kind=kind)], ignore_conflicts=True)
        row = ElderContact.objects.select_for_update().get(elder_id=elder_id)
    if at >= row.last_at or row.region_code != region_code:
        if at >= row.last_at:
            row.last_at, row.last_kind = at, kind[:40]
        row.region_code = region_code
        row.save(update_fields=["last_at", "last_kind", "region_code"])


@transaction.atomic
def visit_plan_cancel(*, actor: Any, plan: VisitPlan, reason: str) -> VisitPlan:
    """A person cancels a planned visit (hospitalised, away for the month…): the reason is
    required, the plan leaves the rate's denominator, and the scheduler does not re-make it."""
    if not access.has_capability(actor, visit_access.VISIT_PLAN_CANCEL):
        raise ForbiddenError()
    reason = reason.strip()
    if not reason:
        raise FieldErrors({"reason": ["请写明取消原因"]})
    if len(reason) > MAX_REASON:
        raise FieldErrors({"reason": [f"原因最多 {MAX_REASON} 字"]})
    plan = VisitPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.OPEN:
        raise ApplicationError("只能取消待探访的计划", code="plan_not_open", status=409)
    plan.status, plan.cancel_reason, plan.cancelled_by = PlanStatus.CANCELLED, reason, actor
    plan.save(update_fields=["status", "cancel_reason", "cancelled_by", "updated_at"])
    rate_cells_recount([(plan.region_code, month_of(plan.due_date), plan.rule_id)])
    event_record(type=events.PLAN_CANCELLED, actor=actor, elder_id=plan.elder_id, subject=plan,
                 region_code=plan.region_code,
                 payload={"plan_id": plan.pk, "period": f"{plan.window_start:%Y-%m-%d}~{plan.window_end:%Y-%m-%d}",
                          "reason": reason, "summary": f"{plan.window_start:%Y年%-m月}起的一期：{reason}"})
    return plan


@transaction.atomic
def visit_rule_saved(*, actor: Any, rule: VisitRule, created: bool) -> None:
    """A rule was added or changed (the admin): the change is an event, and every elder is
    re-planned by the worker — not in the administrator's request."""
    from yiyang.visits.tasks import visits_sync_all

    event_record(type=events.RULE_CHANGED, actor=actor, subject=rule,
                 payload={"rule": rule.code, "name": rule.name, "created": created, "active": rule.active,
                          "every_months": rule.every_months, "way": rule.way})
    visits_sync_all.enqueue()
