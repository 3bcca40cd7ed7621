"""Demo visits: the default rules (shipped by a data migration) applied to the demo elders
for the last six months and this one — plans, visits with findings and risks, a few not at
home, the rate rising from about 85 % to about 96 % as a district's does when it starts to
track it — and this month's visits partly done, so the worker's day, the timeline and the rate
show real figures from the first ``make demo``.

History is written in bulk (the same rows and events the services write, without a request
per visit); the current month goes through the scheduler itself."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.events import event_row, events_record_bulk
from yiyang.core.registry import DemoContext
from yiyang.elders.models import Elder
from yiyang.visits import events
from yiyang.visits.models import ElderContact, ElderState, Outcome, PlanStatus, Risk, Visit, VisitPlan, Way
from yiyang.visits.services import (
    elder_facts,
    month_of,
    rate_cells_recount,
    rule_for,
    rules_active,
    visit_plans_sync,
    visit_summary,
)

HISTORY_MONTHS = 6
# Which plan each demo visit belongs to, until both rows exist and can be linked.
plan_of: dict[Any, VisitPlan] = {}
FINDINGS = ["精神状态良好，饮食正常", "独自在家，自述腿脚不便", "家属在场，已讲解助餐政策", "血压偏高，提醒按时服药",
            "家中整洁，燃气阀门已关闭", "情绪低落，子女很少来看望", "刚出院，需要康复护理", "屋内光线暗，建议加装夜灯"]


def demo_build(ctx: DemoContext) -> str:
    today = timezone.localdate()
    rules = rules_active()
    elders = list(Elder.objects.filter(active=True).values_list("pk", "region_id", "home_cell"))
    if not elders or not rules:
        return ""
    workers = {u.region_id: u for u in User.objects.filter(role="commissioner", region__isnull=False)}
    fallback = User.objects.filter(is_superuser=True).first()
    rng = random.Random(ctx.seed + 11)
    facts = {f.pk: f for f in elder_facts([e[0] for e in elders])}
    first_month = month_of(today)
    for _ in range(HISTORY_MONTHS):
        first_month = month_of(first_month - dt.timedelta(days=1))

    plans: list[VisitPlan] = []
    visits: list[Visit] = []
    contacts: dict[Any, tuple[dt.datetime, str]] = {}
    event_rows = []
    month = first_month
    step = 0
    while month < month_of(today):
        done_share = 0.85 + 0.11 * step / max(HISTORY_MONTHS - 1, 1)
        for pk, region, _cell in elders:
            rule = rule_for(facts[pk], rules)
            if rule is None:
                continue
            start, due, end = rule.period_of(month)
            if start != month:  # a quarterly rule's period is planned once, in its first month
                continue
            if end >= today:
                continue  # the current period is the scheduler's, below
            plan = VisitPlan(elder_id=pk, rule=rule, region_code=region, window_start=start, due_date=due,
                             window_end=end, way=rule.way, status=PlanStatus.OPEN)
            plans.append(plan)
            actor = workers.get(region) or fallback
            if rng.random() < 0.08:  # an attempt first: not at home
                at = _at(rng, start, due)
                visits.append(_visit(pk, region, at, rule.way, Outcome.NOT_HOME, actor, rng, plan=plan))
            if rng.random() < done_share:
                at = _at(rng, start, end if rng.random() < 0.1 else due)
                v = _visit(pk, region, at, rule.way, Outcome.MET, actor, rng, plan=plan)
                visits.append(v)
                plan.status, plan.visit = PlanStatus.DONE, v
                contacts[pk] = (at, f"探访（{Way(rule.way).label}）")
        month = month_of(month + dt.timedelta(days=32))
        step += 1

    # Visits first (without their plan), then the plans that point at them, then the link back.
    Visit.objects.bulk_create(visits, batch_size=1000)
    VisitPlan.objects.bulk_create(plans, batch_size=1000)
    for v in visits:
        v.plan_id = plan_of[v.pk].pk
    Visit.objects.bulk_update(visits, ["plan"], batch_size=1000)
    for v in visits:
        event_rows.append(event_row(
            type=events.RECORDED, occurred_at=v.visited_at, actor=v.recorded_by, elder_id=v.elder_id, subject=v,
            region_code=v.region_code,
            payload={"visit_id": str(v.pk), "way": v.way, "way_label": str(Way(v.way).label), "outcome": v.outcome,
                     "outcome_label": str(Outcome(v.outcome).label), "risks": v.risks,
                     "risk_labels": [str(Risk(r).label) for r in v.risks], "elder_state": v.elder_state,
                     "missed_reason": v.missed_reason, "plan_done": v.outcome == Outcome.MET, "checkin_far": False,
                     "backdated": False, "follow_ups": [], "summary": visit_summary(v)}))
    events_record_bulk(event_rows)
    ElderContact.objects.bulk_create([ElderContact(elder_id=pk, region_code=facts[pk].region_code, last_at=at,
                                                   last_kind=kind) for pk, (at, kind) in contacts.items()],
                                     batch_size=1000, ignore_conflicts=True)

    # This month: the scheduler plans it; a share is already visited (by today's date).
    ids = [e[0] for e in elders]
    for i in range(0, len(ids), 500):
        visit_plans_sync(elder_ids=ids[i:i + 500], today=today)
    current = list(VisitPlan.objects.filter(status=PlanStatus.OPEN, window_start__lte=today, window_end__gte=today))
    share = min(0.9, (today.day - 1) / 30 + 0.05)
    now = timezone.now()
    newly: list[Visit] = []
    for plan in current:
        if rng.random() < share:
            at = min(_at(rng, plan.window_start, today), now - dt.timedelta(hours=1))
            v = _visit(plan.elder_id, plan.region_code, at, plan.way, Outcome.MET,
                       workers.get(plan.region_code) or fallback, rng, plan=plan)
            newly.append(v)
    for v in newly:
        v.plan_id = plan_of[v.pk].pk
    Visit.objects.bulk_create(newly, batch_size=1000)
    for v in newly:
        plan_of[v.pk].status, plan_of[v.pk].visit_id = PlanStatus.DONE, v.pk
    VisitPlan.objects.bulk_update([plan_of[v.pk] for v in newly], ["status", "visit"], batch_size=1000)
    latest = {}
    for v in newly:
        latest[v.elder_id] = v
    ElderContact.objects.bulk_create([ElderContact(elder_id=v.elder_id, region_code=v.region_code, last_at=v.visited_at,
                                                   last_kind=f"探访（{Way(v.way).label}）") for v in latest.values()],
                                     batch_size=1000, update_conflicts=True, unique_fields=["elder"],
                                     update_fields=["last_at", "last_kind"])
    events_record_bulk([event_row(
        type=events.RECORDED, occurred_at=v.visited_at, actor=v.recorded_by, elder_id=v.elder_id, subject=v,
        region_code=v.region_code,
        payload={"visit_id": str(v.pk), "way": v.way, "way_label": str(Way(v.way).label), "outcome": v.outcome,
                 "outcome_label": str(Outcome(v.outcome).label), "risks": v.risks,
                 "risk_labels": [str(Risk(r).label) for r in v.risks], "elder_state": v.elder_state,
                 "missed_reason": "", "plan_done": True, "checkin_far": False, "backdated": False, "follow_ups": [],
                 "summary": visit_summary(v)})
        for v in newly])
    for i in range(0, len(ids), 500):  # the next period's plans of those done this month
        visit_plans_sync(elder_ids=ids[i:i + 500], today=today)

    rate_cells_recount({(region, month_of(due), rule_id) for region, due, rule_id
                        in VisitPlan.objects.values_list("region_code", "due_date", "rule_id").distinct()})
    total = len(visits) + len(newly)
    return f"探访：{len(plans) + len(current)} 个探访计划，{total} 条探访记录（近 {HISTORY_MONTHS} 个月及本月）"


def _at(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    days = max((end - start).days, 0)
    day = start + dt.timedelta(days=rng.randint(0, days))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.choice((0, 15, 30, 45)))))


def _visit(elder_id, region, at, way, outcome, actor, rng, *, plan) -> Visit:
    risks = []
    if outcome == Outcome.MET and rng.random() < 0.18:
        risks = rng.sample([r.value for r in Risk if r != Risk.OTHER], k=rng.choice((1, 1, 2)))
    v = Visit(elder_id=elder_id, region_code=region, visited_at=at, way=way, outcome=outcome, recorded_by=actor,
              missed_reason="上门未遇，邻居称外出" if outcome == Outcome.NOT_HOME else "",
              elder_state="" if outcome != Outcome.MET else rng.choice(
                  [ElderState.GOOD] * 5 + [ElderState.FAIR] * 3 + [ElderState.POOR]),
              findings=rng.choice(FINDINGS) if outcome == Outcome.MET else "", risks=risks)
    plan_of[v.pk] = plan  # linked once both rows exist
    return v
