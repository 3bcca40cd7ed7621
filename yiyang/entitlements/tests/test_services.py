"""Entitlements on a real database: the shipped defaults, the refresh and its change log
(after an elder update, a birthday, a rule change, an assessment), explained / acknowledged
events, and the jurisdiction of the changes list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from yiyang.core.exceptions import ApplicationError, FieldErrors, NotFoundError
from yiyang.core.models import Event
from yiyang.elders.models import Category, Elder, LivingSituation
from yiyang.elders.services import elder_deactivate, elder_update
from yiyang.entitlements import engine, selectors, services
from yiyang.entitlements.models import Benefit, BenefitRule, EntitlementChange, EntitlementStatus
from yiyang.entitlements.tests.helpers import born, confirm_level, elder_aged, id_number_born

DEFAULT_CODES = [
    "ability_assessment", "advanced_age_allowance", "disability_care_subsidy", "elderly_service_subsidy",
    "extreme_poverty_support", "home_adaptation", "visiting_care", "accident_insurance", "health_management",
    "ltc_insurance", "legal_aid", "meal_subsidy",
]


def statuses(elder) -> dict[str, str]:
    return {i["benefit"]: i["status"] for i in selectors.elder_entitlements(elder)}


def stored(elder) -> dict[str, str]:
    return dict(EntitlementStatus.objects.filter(elder=elder).values_list("benefit__code", "status"))


def changes(elder) -> list[tuple[str, str, str, str]]:
    # Oldest first within a benefit: two changes of one benefit have the same sort order, and
    # PostgreSQL returns ties in any order.
    return list(EntitlementChange.objects.filter(elder=elder).order_by("benefit__sort_order", "at", "pk")
                .values_list("benefit__code", "from_status", "to_status", "cause"))


# -- the shipped defaults ----------------------------------------------------------------------


def test_defaults_are_shipped_and_valid(db):
    assert list(Benefit.objects.order_by("sort_order").values_list("code", flat=True)) == DEFAULT_CODES
    codes = Category.objects.values_list("code", flat=True)
    for rule in BenefitRule.objects.select_related("benefit"):
        assert engine.validate_condition(rule.conditions, category_codes=codes) == [], rule.benefit.code
    for b in Benefit.objects.all():
        assert b.rules.exists(), b.code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in b.name + b.description)
    ltc = Benefit.objects.get(code="ltc_insurance")
    assert ltc.active is False  # a pilot: off until a region switches it on


def test_engine_vocabulary_matches_the_registry(db):
    assert dict(Category.objects.values_list("code", "name")) == engine.CATEGORY_NAMES
    assert {k: str(v) for k, v in LivingSituation.choices} == engine.LIVING_NAMES


def test_defaults_for_typical_elders(superuser):
    today = timezone.localdate()
    # 85, local, 低保, alone, assessed 重度失能.
    a = elder_aged(superuser, 85, categories=["subsistence"], living_situation="alone")
    confirm_level(a, 3)
    assert statuses(a) == {
        "ability_assessment": "entitled", "advanced_age_allowance": "entitled", "disability_care_subsidy": "entitled",
        "elderly_service_subsidy": "entitled", "extreme_poverty_support": "not", "home_adaptation": "entitled",
        "visiting_care": "entitled", "accident_insurance": "entitled", "health_management": "entitled",
        "legal_aid": "entitled", "meal_subsidy": "entitled",
    }
    # 66, local, nothing recorded about economy, lives with children, never assessed.
    b = elder_aged(superuser, 66, living_situation="with_children")
    got = {i["benefit"]: i for i in selectors.elder_entitlements(b, on=today)}
    assert got["advanced_age_allowance"]["status"] == "not"
    assert got["advanced_age_allowance"]["reason"] == "未满80周岁（现66岁）"
    assert got["health_management"]["status"] == "entitled"
    assert got["elderly_service_subsidy"]["status"] == "maybe"
    assert got["elderly_service_subsidy"]["missing"] == [engine.MISSING_ECONOMIC]
    assert got["disability_care_subsidy"]["status"] == "maybe"
    assert got["disability_care_subsidy"]["missing"] == [engine.MISSING_ECONOMIC, engine.MISSING_LEVEL]
    assert got["visiting_care"]["status"] == "maybe"
    assert got["visiting_care"]["missing"] == [engine.MISSING_LEVEL]
    assert got["extreme_poverty_support"]["status"] == "not"
    # 81 but not local: no 高龄津贴, the reason says why.
    c = elder_aged(superuser, 81, hukou_local=False)
    item = next(i for i in selectors.elder_entitlements(c) if i["benefit"] == "advanced_age_allowance")
    assert item == {"benefit": "advanced_age_allowance", "name": "高龄津贴", "status": "not", "reason": "非本地户籍",
                    "missing": [], "rule_id": item["rule_id"]}


# -- refresh and the change log ----------------------------------------------------------------


def test_registration_stores_a_baseline_without_changes(superuser):
    e = elder_aged(superuser, 70)
    assert stored(e) == {k: v for k, v in statuses(e).items()}
    assert len(stored(e)) == Benefit.objects.filter(active=True).count()
    assert changes(e) == []
    assert not Event.objects.filter(elder_id=e.pk, type="entitlement.changed").exists()


def test_adding_subsistence_in_an_update_makes_the_elder_newly_entitled(worker):
    e = elder_aged(worker, 70)
    assert stored(e)["elderly_service_subsidy"] == "maybe"
    elder_update(actor=worker, elder=e, data={"categories": ["subsistence"]})
    factories.run_worker()
    got = changes(e)
    assert ("elderly_service_subsidy", "maybe", "entitled", "elder") in got
    assert ("legal_aid", "maybe", "entitled", "elder") in got
    assert all(cause == "elder" for *_, cause in got)
    assert stored(e)["elderly_service_subsidy"] == "entitled"
    ch = EntitlementChange.objects.get(elder=e, benefit__code="elderly_service_subsidy")
    assert ch.newly_entitled and ch.reason == "为本地户籍且经济状况为低保"
    # One timeline event with every change, by the worker who changed the archive.
    ev = Event.objects.get(elder_id=e.pk, type="entitlement.changed")
    assert ev.actor == worker and ev.region_code == e.region_id
    assert ev.payload["changes"]["经济困难老年人养老服务补贴"] == {"from": "可能符合", "to": "可享受"}
    assert ev.payload["cause"] == "elder"
    # The same update again changes nothing.
    elder_update(actor=worker, elder=Elder.objects.get(pk=e.pk), data={"notes": "复核"})
    factories.run_worker()
    assert len(changes(e)) == len(got)


def test_a_birthday_crossing_80_shows_up_in_the_nightly_refresh(superuser):
    # Turns 80 tomorrow.
    e = elder_aged(superuser, 80, days_after_birthday=-1)
    assert stored(e)["advanced_age_allowance"] == "not"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert e.birth_date.replace(year=tomorrow.year) == tomorrow
    result = services.entitlements_refresh(elders=Elder.objects.filter(pk=e.pk), cause="date", on=tomorrow)
    assert result.elders == 1 and result.newly_entitled >= 1
    assert ("advanced_age_allowance", "not", "entitled", "date") in changes(e)
    ch = EntitlementChange.objects.get(elder=e, benefit__code="advanced_age_allowance")
    assert ch.reason == "年满80周岁（现80岁）且为本地户籍"


def test_correcting_the_id_number_across_80_is_an_elder_change(worker):
    e = elder_aged(worker, 78)
    elder_update(actor=worker, elder=e, data={"id_number": id_number_born(born(82))})
    factories.run_worker()
    assert ("advanced_age_allowance", "not", "entitled", "elder") in changes(e)


def test_a_confirmed_assessment_refreshes_through_the_hook(worker):
    e = elder_aged(worker, 75, categories=["low_income"], living_situation="with_children")
    assert stored(e)["disability_care_subsidy"] == "maybe"
    confirm_level(e, 2)
    services.entitlements_refresh_for_elder(e, cause="assessment")
    assert ("disability_care_subsidy", "maybe", "entitled", "assessment") in changes(e)
    assert ("visiting_care", "maybe", "entitled", "assessment") in changes(e)
    assert ("home_adaptation", "maybe", "entitled", "assessment") in changes(e)


def test_the_assessment_workflow_calls_the_refresh(worker):
    from yiyang.assessments import services as assessment_services
    from yiyang.assessments.scoring import ITEMS

    co = factories.make_user("worker_b", "commissioner", factories.COMMUNITY_A)
    e = elder_aged(worker, 75, categories=["low_income"])
    items = {i.code: i.max_score for i in ITEMS}
    for i in ITEMS:
        if i.code.startswith("B.1."):
            items[i.code] = 0  # no self-care at all: at least 中度失能
    a = assessment_services.assessment_start(actor=worker, elder=e, co_assessor=co)
    assessment_services.assessment_record(actor=worker, assessment=a, items=items, part_a={})
    assessment_services.assessment_submit(actor=worker, assessment=a)
    a = assessment_services.assessment_confirm(actor=co, assessment=a)
    factories.run_worker()
    assert a.level >= 2
    assert ("disability_care_subsidy", "maybe", "entitled", "assessment") in changes(e)


def test_a_rule_change_recomputes_only_its_scope(superuser):
    futian = elder_aged(superuser, 75)
    luohu = elder_aged(superuser, 75, region_code=factories.COMMUNITY_OTHER_DISTRICT)
    rule = BenefitRule(benefit=Benefit.objects.get(code="advanced_age_allowance"), region_code="440304000000",
                       conditions={"all": [{"age": {">=": 70}}, {"hukou_local": True}]}, source="福田区试行")
    queued = services.benefit_rule_save(actor=superuser, rule=rule)
    # Saved at once; the recompute is the worker's (not inside the admin's request).
    assert queued.scopes == ["440304000000"] and changes(futian) == []
    factories.run_worker()
    assert changes(futian) == [("advanced_age_allowance", "not", "entitled", "rule")]
    assert changes(luohu) == []
    ch = EntitlementChange.objects.get(elder=futian)
    assert ch.rule == rule
    ev = Event.objects.get(type="entitlement.rule_saved")
    assert ev.actor == superuser and ev.region_code == "440304000000"
    assert ch.cause == "rule" and Event.objects.get(elder_id=futian.pk, type="entitlement.changed").actor == superuser
    # Scope moved to 罗湖: both the old and the new scope are recomputed.
    rule.region_code = "440303000000"
    services.benefit_rule_save(actor=superuser, rule=rule, previous_region_code="440304000000")
    factories.run_worker()
    assert changes(futian)[-1] == ("advanced_age_allowance", "entitled", "not", "rule")
    assert changes(luohu) == [("advanced_age_allowance", "not", "entitled", "rule")]
    # Deleted: back to the national rule.
    services.benefit_rule_delete(actor=superuser, rule=rule)
    factories.run_worker()
    assert stored(luohu)["advanced_age_allowance"] == "not"
    assert Event.objects.filter(type="entitlement.rule_deleted").count() == 1


def test_a_rule_taking_effect_later_changes_status_on_that_day(superuser):
    e = elder_aged(superuser, 72)
    start = timezone.localdate() + dt.timedelta(days=10)
    rule = BenefitRule(benefit=Benefit.objects.get(code="advanced_age_allowance"), region_code="440304006000",
                       conditions={"age": {">=": 70}}, effective_from=start)
    services.benefit_rule_save(actor=superuser, rule=rule)
    factories.run_worker()
    assert stored(e)["advanced_age_allowance"] == "not"
    item = next(i for i in selectors.elder_entitlements(e) if i["benefit"] == "advanced_age_allowance")
    assert item["reason"] == "未满80周岁（现72岁）"  # the national rule still governs today
    services.entitlements_refresh(elders=[e], cause="date", on=start)
    assert stored(e)["advanced_age_allowance"] == "entitled"


def test_invalid_rule_is_refused_by_the_service(superuser):
    rule = BenefitRule(benefit=Benefit.objects.get(code="legal_aid"), conditions={"age": {">": 80}},
                       effective_from=dt.date(2026, 2, 1), effective_to=dt.date(2026, 1, 1))
    with pytest.raises(FieldErrors) as exc:
        services.benefit_rule_save(actor=superuser, rule=rule)
        factories.run_worker()
    assert set(exc.value.errors) == {"conditions", "effective_to"}
    assert rule.pk is None


def test_switching_a_benefit_on_is_a_change_for_elders_on_record(superuser):
    e = elder_aged(superuser, 70)
    ltc = Benefit.objects.get(code="ltc_insurance")
    BenefitRule.objects.create(benefit=ltc, region_code="440304000000", conditions={"age": {">=": 60}})
    assert "ltc_insurance" not in stored(e)
    ltc.active = True
    services.benefit_save(actor=superuser, benefit=ltc, was_active=False)
    factories.run_worker()
    assert stored(e)["ltc_insurance"] == "entitled"
    assert ("ltc_insurance", "not", "entitled", "rule") in changes(e)
    ltc.active = False
    services.benefit_save(actor=superuser, benefit=ltc, was_active=True)
    factories.run_worker()
    assert "ltc_insurance" not in stored(e)
    assert "ltc_insurance" not in statuses(e)


def test_deactivated_elders_are_skipped_and_hidden(worker):
    e = elder_aged(worker, 70)
    elder_update(actor=worker, elder=e, data={"categories": ["subsistence"]})
    factories.run_worker()
    assert selectors.entitlement_changes_for(worker).filter(elder=e).exists()
    elder_deactivate(actor=worker, elder=Elder.objects.get(pk=e.pk), reason="moved_away")
    factories.run_worker()
    assert not selectors.entitlement_changes_for(worker).filter(elder=e).exists()
    assert services.entitlements_refresh(elders=[e], cause="date").elders == 0
    # Nothing stays 可享受 or 可能符合 for someone who moved away; each loss says why.
    assert set(stored(e).values()) == {"not"}
    lost = EntitlementChange.objects.filter(elder=e, to_status="not", cause="elder")
    assert lost.exists() and all(c.reason == "档案已注销（迁出）" for c in lost)


def test_refresh_is_bulk(superuser, django_assert_max_num_queries):
    elders = [elder_aged(superuser, 60 + n) for n in range(12)]
    Elder.objects.filter(pk__in=[e.pk for e in elders]).update(hukou_local=False)
    with django_assert_max_num_queries(15):
        result = services.entitlements_refresh(elders=Elder.objects.filter(pk__in=[e.pk for e in elders]),
                                               cause="elder")
    assert result.elders == 12 and result.changes >= 1


def test_unknown_cause_is_a_programming_error(superuser):
    with pytest.raises(ValueError):
        services.entitlements_refresh(elders=[], cause="whim")


# -- explained / acknowledged ------------------------------------------------------------------


def test_explained_is_an_event_on_the_timeline_with_the_benefit_name(worker):
    e = elder_aged(worker, 82)
    ev = services.entitlement_explain(actor=worker, elder=e, benefit_code="advanced_age_allowance", note="已送宣传单")
    assert ev.type == "entitlement.explained" and ev.elder_id == e.pk and ev.actor == worker
    assert ev.payload["name"] == "高龄津贴" and ev.payload["status"] == "entitled"
    assert ev.payload["note"] == "已送宣传单"
    from yiyang.elders.selectors import elder_timeline

    assert elder_timeline(e).filter(type="entitlement.explained").exists()
    assert selectors.explained(e)["advanced_age_allowance"] == ev
    with pytest.raises(NotFoundError):
        services.entitlement_explain(actor=worker, elder=e, benefit_code="no_such_benefit")
    with pytest.raises(NotFoundError):
        services.entitlement_explain(actor=worker, elder=e, benefit_code="ltc_insurance")  # not active


def test_acknowledge_once(worker):
    e = elder_aged(worker, 70)
    elder_update(actor=worker, elder=e, data={"categories": ["subsistence"]})
    factories.run_worker()
    ch = EntitlementChange.objects.filter(elder=e).first()
    services.entitlement_change_acknowledge(actor=worker, change=ch)
    ch.refresh_from_db()
    assert ch.acknowledged_by == worker and ch.acknowledged_at is not None
    ev = Event.objects.get(type="entitlement.acknowledged")
    assert ev.elder_id == e.pk and ch.benefit.name in ev.payload["reason_label"]
    with pytest.raises(ApplicationError):
        services.entitlement_change_acknowledge(actor=worker, change=ch)


# -- the changes list --------------------------------------------------------------------------


def test_changes_list_is_limited_to_the_jurisdiction_and_filters(worker, superuser):
    mine = elder_aged(superuser, 70)
    theirs = elder_aged(superuser, 70, region_code=factories.COMMUNITY_B)
    for e in (mine, theirs):
        elder_update(actor=superuser, elder=e, data={"categories": ["subsistence"]})
        factories.run_worker()
    qs = selectors.entitlement_changes_for(worker)
    assert set(qs.values_list("elder_id", flat=True)) == {mine.pk}
    assert selectors.entitlement_changes_for(superuser).filter(elder=theirs).exists()
    newly = selectors.entitlement_changes_for(worker, selectors.ChangeFilters(newly_entitled=True))
    assert newly.exists() and all(c.to_status == "entitled" and c.from_status != "entitled" for c in newly)
    one = selectors.entitlement_changes_for(worker, selectors.ChangeFilters(benefit="legal_aid"))
    assert list(one.values_list("benefit__code", flat=True)) == ["legal_aid"]
    assert not selectors.entitlement_changes_for(worker, selectors.ChangeFilters(region=factories.COMMUNITY_B)).exists()
    assert not selectors.entitlement_changes_for(worker, selectors.ChangeFilters(region="garbage")).exists()
    open_ = selectors.entitlement_changes_for(worker, selectors.ChangeFilters(acknowledged=False))
    services.entitlement_change_acknowledge(actor=worker, change=open_.first())
    assert selectors.entitlement_changes_for(worker, selectors.ChangeFilters(acknowledged=True)).count() == 1
    # Newest first.
    ats = list(selectors.entitlement_changes_for(superuser).values_list("at", flat=True))
    assert ats == sorted(ats, reverse=True)


def test_first_statuses_written_meanwhile_by_another_refresh_are_skipped(superuser):
    e = elder_aged(superuser, 70)
    row = EntitlementStatus.objects.get(elder=e, benefit__code="legal_aid")
    other = Benefit.objects.get(code="ltc_insurance")
    services._insert_statuses([(e.pk, row.benefit_id, "entitled", "重复", timezone.now()),
                               (e.pk, other.pk, "not", "新", timezone.now())])
    row.refresh_from_db()
    assert row.reason != "重复"  # the stored one stays
    assert EntitlementStatus.objects.filter(elder=e, benefit=other).exists()
