"""Visits: rules → plans → the due list → a record → the next plan; the rate from its
maintained aggregate equal to a raw recount; the scheduler's idempotence; the back-dating
guard; check-in distance; cancellations; the not-seen list; reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories
from yiyang.core.exceptions import FieldErrors
from yiyang.core.models import Event, Notification
from yiyang.elders.location import elder_location_set
from yiyang.elders.services import elder_deactivate, elder_update
from yiyang.visits import selectors, services, tasks
from yiyang.visits.models import ElderContact, PlanStatus, Visit, VisitPlan, VisitRateCell, VisitRule

TODAY = timezone.localdate()


def rule(code: str) -> VisitRule:
    return VisitRule.objects.get(code=code)


def test_periods_follow_the_calendar_and_the_due_day_fits_short_months():
    monthly = VisitRule(every_months=1, due_day=30)
    assert monthly.period_of(dt.date(2026, 2, 10)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28), dt.date(2026, 2, 28))
    quarterly = VisitRule(every_months=3, due_day=20)
    assert quarterly.period_of(dt.date(2026, 11, 5)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 20),
                                                         dt.date(2026, 12, 31))
    yearly = VisitRule(every_months=12, due_day=20)
    assert yearly.period_of(dt.date(2026, 12, 31)) == (dt.date(2026, 1, 1), dt.date(2026, 12, 20),
                                                      dt.date(2026, 12, 31))


@pytest.fixture
def alone(superuser):
    """Lives alone: 特殊困难老年人 → a home visit every month."""
    return factories.make_elder(superuser, name="王秀英", living_situation="alone", categories=[])


@pytest.fixture
def with_children(superuser):
    """Lives with children, no category: the quarterly call."""
    return factories.make_elder(superuser, name="李建国", living_situation="with_children", categories=[])


def test_rules_choose_the_strictest_plan_for_each_elder(alone, with_children):
    services.visit_plans_sync(elder_ids=[alone.pk, with_children.pk], today=dt.date(2026, 11, 5))
    a = VisitPlan.objects.get(elder=alone)
    assert (a.rule.code, a.way, a.window_start, a.due_date, a.window_end) == (
        "special_difficulty_monthly", "home", dt.date(2026, 11, 1), dt.date(2026, 11, 20), dt.date(2026, 11, 30))
    c = VisitPlan.objects.get(elder=with_children)
    assert (c.rule.code, c.way, c.window_start, c.due_date) == (
        "registered_quarterly_call", "phone", dt.date(2026, 10, 1), dt.date(2026, 12, 20))


def test_the_scheduler_is_idempotent_and_one_live_plan_per_period_is_enforced(alone, with_children):
    ids = [alone.pk, with_children.pk]
    first = services.visit_plans_sync(elder_ids=ids, today=dt.date(2026, 11, 5))
    second = services.visit_plans_sync(elder_ids=ids, today=dt.date(2026, 11, 5))
    assert (first.created, second.created, second.cancelled) == (2, 0, 0)
    assert VisitPlan.objects.count() == 2
    plan = VisitPlan.objects.get(elder=alone)
    # Two workers that both decided to create the plan: the database keeps one.
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitPlan.objects.create(elder=alone, rule=plan.rule, region_code=plan.region_code,
                                 window_start=plan.window_start, due_date=plan.due_date,
                                 window_end=plan.window_end, way=plan.way)
    # The bulk path two workers use ignores the conflict instead of failing.
    VisitPlan.objects.bulk_create([VisitPlan(elder=alone, rule=plan.rule, region_code=plan.region_code,
                                             window_start=plan.window_start, due_date=plan.due_date,
                                             window_end=plan.window_end, way=plan.way)], ignore_conflicts=True)
    assert VisitPlan.objects.filter(elder=alone).count() == 1


def test_the_periodic_job_run_twice_by_the_worker_makes_each_plan_once(alone, with_children):
    VisitPlan.objects.all().delete()
    tasks.visits_sync_all.enqueue()
    tasks.visits_sync_all.enqueue()  # a second worker, or a retry
    factories.run_worker()
    assert VisitPlan.objects.filter(status=PlanStatus.OPEN).count() == 2


def test_due_and_overdue_come_from_the_window_as_of_the_day_asked(alone, worker):
    services.visit_plans_sync(elder_ids=[alone.pk], today=dt.date(2026, 11, 5))
    [item] = selectors.plans_due(worker, on=dt.date(2026, 11, 5))
    assert item.phase == "due"
    [item] = selectors.plans_due(worker, on=dt.date(2026, 11, 21))
    assert item.phase == "overdue"
    assert selectors.plans_due(worker, on=dt.date(2026, 12, 1)) == []  # missed: off the worker's day


def _record(actor, elder, **kw):
    data = {"visited_at": timezone.now() - dt.timedelta(hours=1), "way": "home", "outcome": "met",
            "elder_state": "good", "findings": "精神好"}
    data.update(kw)
    return services.visit_record(actor=actor, elder=elder, **data)


def test_a_visit_closes_the_plan_plans_the_next_period_and_moves_the_rate(alone, worker):
    services.visit_plans_sync(elder_ids=[alone.pk])
    plan = VisitPlan.objects.get(elder=alone)
    month = plan.due_date.replace(day=1)
    assert selectors.visit_rate(alone.region_id, month) == (1, 0)
    visit = _record(worker, alone, risks=["fall"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DONE and plan.visit == visit
    assert selectors.visit_rate(alone.region_id, month) == (1, 1) == selectors.visit_rate_recount(alone.region_id, month)
    following = VisitPlan.objects.get(elder=alone, status=PlanStatus.OPEN)
    assert following.window_start == plan.window_end + dt.timedelta(days=1)
    event = Event.objects.get(type="visit.recorded", elder_id=alone.pk)
    assert event.payload["risk_labels"] == ["跌倒或跌倒风险"] and event.payload["plan_done"]
    assert event.payload["summary"] == "上门 · 已探访 · 风险：跌倒或跌倒风险"
    assert ElderContact.objects.get(elder=alone).last_kind == "探访（上门）"


def test_not_at_home_keeps_the_plan_open_refused_closes_it_and_both_need_a_reason(alone, worker):
    services.visit_plans_sync(elder_ids=[alone.pk])
    with pytest.raises(FieldErrors) as exc:
        _record(worker, alone, outcome="not_home")
    assert "missed_reason" in exc.value.detail["fields"]
    _record(worker, alone, outcome="not_home", missed_reason="敲门无人，邻居说去医院了")
    assert VisitPlan.objects.get(elder=alone).status == PlanStatus.OPEN
    assert not ElderContact.objects.filter(elder=alone).exists()  # not reached: no contact
    _record(worker, alone, outcome="refused", missed_reason="老人表示不需要上门")
    assert VisitPlan.objects.filter(elder=alone, status=PlanStatus.DONE).count() == 1


def test_a_call_does_not_satisfy_a_rule_that_asks_for_a_home_visit(alone, worker):
    services.visit_plans_sync(elder_ids=[alone.pk])
    visit = _record(worker, alone, way="phone")
    plan = VisitPlan.objects.get(elder=alone)
    assert plan.status == PlanStatus.OPEN and visit.plan == plan


def test_back_dating_needs_an_administrators_note(alone, worker, settings):
    services.visit_plans_sync(elder_ids=[alone.pk])
    old = timezone.now() - dt.timedelta(days=settings.YIYANG["VISIT_BACKDATE_DAYS"] + 2)
    with pytest.raises(FieldErrors) as exc:
        _record(worker, alone, visited_at=old)
    assert "管理员" in exc.value.detail["fields"]["visited_at"][0]
    with pytest.raises(FieldErrors) as exc:  # a worker cannot write the note herself
        _record(worker, alone, visited_at=old, backdate_note="纸质记录补录")
    assert "backdate_note" in exc.value.detail["fields"]
    admin = factories.make_user("community_admin_a", "community_admin", factories.COMMUNITY_A)
    visit = _record(admin, alone, visited_at=old, backdate_note="纸质记录补录，已核对签字")
    assert visit.backdate_note
    with pytest.raises(FieldErrors):
        _record(worker, alone, visited_at=timezone.now() + dt.timedelta(hours=2))  # the future


def test_check_in_far_from_home_is_flagged_and_the_position_is_not_kept(alone, worker):
    elder_location_set(actor=worker, elder=alone, latitude=22.5600, longitude=114.0600)
    near = _record(worker, alone, position=(22.5601, 114.0601))
    far = _record(worker, alone, position=(22.5800, 114.0600))  # ≈ 2.2 km north
    assert near.checkin_distance_m < 300 and not near.checkin_far
    assert far.checkin_distance_m > 2000 and far.checkin_far
    assert not any("22.58" in str(v) for v in Visit.objects.filter(pk=far.pk).values().first().values())


def test_a_person_cancelled_plan_leaves_the_denominator_and_is_not_made_again(alone, worker):
    services.visit_plans_sync(elder_ids=[alone.pk])
    plan = VisitPlan.objects.get(elder=alone)
    month = plan.due_date.replace(day=1)
    lead = factories.make_user("lead_a", "point_lead", factories.COMMUNITY_A)
    with pytest.raises(FieldErrors):
        services.visit_plan_cancel(actor=lead, plan=plan, reason=" ")
    services.visit_plan_cancel(actor=lead, plan=plan, reason="住院一个月")
    services.visit_plans_sync(elder_ids=[alone.pk])
    assert VisitPlan.objects.filter(elder=alone).exclude(status=PlanStatus.CANCELLED).count() == 0
    assert selectors.visit_rate(alone.region_id, month) == (0, 0)
    assert Event.objects.filter(type="visit.plan_cancelled", elder_id=alone.pk).exists()


def test_a_category_change_or_deactivation_reaches_the_plans_through_the_worker(with_children, superuser):
    factories.run_worker()  # the registration event plans the quarterly call
    assert VisitPlan.objects.get(elder=with_children, status=PlanStatus.OPEN).rule.code == "registered_quarterly_call"
    elder_update(actor=superuser, elder=with_children, data={"categories": ["severe_disability"]})
    factories.run_worker()
    live = VisitPlan.objects.get(elder=with_children, status=PlanStatus.OPEN)
    assert live.rule.code == "special_difficulty_monthly"
    assert VisitPlan.objects.get(elder=with_children, status=PlanStatus.CANCELLED).cancel_reason.startswith("探访规则已变更")
    elder_deactivate(actor=superuser, elder=with_children, reason="deceased")
    factories.run_worker()
    assert not VisitPlan.objects.filter(elder=with_children, status=PlanStatus.OPEN).exists()


def test_the_rate_of_a_crafted_month_counted_by_hand(superuser, worker):
    """Four elders in 梅京 (张一…张四) and one in 上梅林 (李五) due in November: 3 visited, 1 cancelled (out of the
    denominator), 1 not visited → 梅京 2/3, 上梅林 1/1, 梅林街道 3/4."""
    nov = dt.date(2026, 11, 5)
    a = [factories.make_elder(superuser, name=n, living_situation="alone", categories=[])
         for n in ("张一", "张二", "张三", "张四")]
    b = factories.make_elder(superuser, factories.COMMUNITY_A2, name="李五", living_situation="alone", categories=[])
    services.visit_plans_sync(elder_ids=[e.pk for e in [*a, b]], today=nov)
    plans = {p.elder_id: p for p in VisitPlan.objects.all()}
    rule_id = plans[b.pk].rule_id

    def done(elder):  # a visit made on 10 November, written as the worker's phone synced it
        v = Visit.objects.create(elder=elder, region_code=elder.region_id, recorded_by=worker, way="home",
                                 visited_at=dt.datetime(2026, 11, 10, 1, tzinfo=dt.UTC))
        VisitPlan.objects.filter(pk=plans[elder.pk].pk).update(status=PlanStatus.DONE, visit=v)

    done(a[0]), done(a[1]), done(b)
    VisitPlan.objects.filter(pk=plans[a[2].pk].pk).update(status=PlanStatus.CANCELLED, cancel_reason="住院")
    month = dt.date(2026, 11, 1)
    services.rate_cells_recount([(factories.COMMUNITY_A, month, rule_id), (factories.COMMUNITY_A2, month, rule_id)])
    assert selectors.visit_rate(factories.COMMUNITY_A, month) == (3, 2)
    assert selectors.visit_rate(factories.COMMUNITY_A2, month) == (1, 1)
    assert selectors.visit_rate("440304006", month) == (4, 3) == selectors.visit_rate_recount("440304006", month)
    # Every maintained cell equals the raw recount.
    for cell in VisitRateCell.objects.all():
        assert (cell.due, cell.done) == selectors.visit_rate_recount(cell.region_code, cell.month)
    street = factories.make_user("street_x", "street_admin", "440304006000")
    assert {p.elder.name for p in selectors.rate_plans(street, "440304006", month, "done")} == {"张一", "张二", "李五"}
    assert {p.elder.name for p in selectors.rate_plans(street, "440304006", month, "missing")} == {"张四"}
    assert selectors.rate_plans(street, "440304006", month, "due").count() == 4


def test_not_seen_lists_elders_without_recent_contact_until_another_app_reports_one(alone, with_children, worker):
    long_ago = timezone.now() - dt.timedelta(days=100)
    from yiyang.elders.models import Elder

    Elder.objects.filter(pk__in=[alone.pk, with_children.pk]).update(created_at=long_ago)
    services.contact_seen(elder_id=alone.pk, region_code=alone.region_id, at=long_ago, kind="探访（上门）")
    names = [e.name for e in selectors.not_seen(worker, days=45)]
    assert names == ["李建国", "王秀英"]  # never heard of first
    # Another app's event (a consultation) is a contact: visits hears of it, nobody calls it.
    from yiyang.core.events import event_record, register_event_types

    register_event_types({"consultation.recorded": "咨询"})
    event_record(type="consultation.recorded", elder_id=alone.pk, region_code=alone.region_id, payload={})
    factories.run_worker()
    assert [e.name for e in selectors.not_seen(worker, days=45)] == ["李建国"]


def test_reminders_go_once_to_the_community_and_overdue_to_its_lead(alone, worker):
    services.visit_plans_sync(elder_ids=[alone.pk], today=dt.date(2026, 11, 5))
    lead = factories.make_user("lead_b", "point_lead", factories.COMMUNITY_A)
    tasks.visits_remind.call(today="2026-11-19")  # due tomorrow
    tasks.visits_remind.call(today="2026-11-19")  # a second run writes nothing
    mine = Notification.objects.filter(user=worker)
    assert [n.title for n in mine] == ["明天应探访 1 位老人：王秀英"]
    tasks.visits_remind.call(today="2026-11-23")  # overdue
    assert Notification.objects.filter(user=lead, kind="visit.overdue").count() == 1
    assert not Notification.objects.filter(user=worker, kind="visit.overdue").exists()
