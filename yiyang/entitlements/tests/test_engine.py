"""The rules engine as truth tables: pure functions over facts, no database."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from yiyang.entitlements import engine
from yiyang.entitlements.engine import (
    MISSING_ECONOMIC,
    MISSING_LEVEL,
    MISSING_LIVING,
    age_on,
    benefit_entitlement,
    describe,
    evaluate,
    select_rule,
    validate_condition,
)

ON = dt.date(2026, 5, 20)
HARDSHIP = ["extreme_poverty", "subsistence", "near_subsistence", "low_income"]
ADVANCED_AGE_ALLOWANCE = {"all": [{"age": {">=": 80}}, {"hukou_local": True}]}
CARE_SUBSIDY = {"all": [{"hukou_local": True}, {"economic": {"in": HARDSHIP}}, {"level": {">=": 2}}]}


def facts(**kw):
    base = {
        "birth_date": dt.date(1950, 1, 1),  # 76 on ON
        "hukou_local": True,
        "region": "440304006001",
        "categories": set(),
        "level": None,
        "living_situation": "with_children",
    }
    base.update(kw)
    return base


def value(cond, **kw):
    return evaluate(cond, facts(**kw), on=ON).value


def rule(conditions, region_code="", effective_from=None, effective_to=None, priority=0, pk=None):
    return SimpleNamespace(conditions=conditions, region_code=region_code, effective_from=effective_from,
                           effective_to=effective_to, priority=priority, pk=pk)


BENEFIT = SimpleNamespace(code="advanced_age_allowance", name="高龄津贴")


# -- age ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("birth,on,expected", [
    (dt.date(1946, 5, 20), dt.date(2026, 5, 19), 79),  # the day before the 80th birthday
    (dt.date(1946, 5, 20), dt.date(2026, 5, 20), 80),  # the birthday itself counts
    (dt.date(1946, 5, 20), dt.date(2026, 5, 21), 80),
    (dt.date(1944, 2, 29), dt.date(2024, 2, 29), 80),  # leap day, leap year
    (dt.date(1944, 2, 29), dt.date(2025, 2, 28), 80),
    (dt.date(1944, 2, 29), dt.date(2025, 3, 1), 81),
])
def test_age_in_full_years(birth, on, expected):
    assert age_on(birth, on) == expected


def test_advanced_age_allowance_turns_on_exactly_on_the_80th_birthday():
    f = facts(birth_date=dt.date(1946, 5, 20))
    day_before = benefit_entitlement(BENEFIT, [rule(ADVANCED_AGE_ALLOWANCE)], f, on=dt.date(2026, 5, 19))
    birthday = benefit_entitlement(BENEFIT, [rule(ADVANCED_AGE_ALLOWANCE)], f, on=dt.date(2026, 5, 20))
    assert day_before["status"] == "not"
    assert day_before["reason"] == "未满80周岁（现79岁）"
    assert birthday["status"] == "entitled"
    assert birthday["reason"] == "年满80周岁（现80岁）且为本地户籍"
    assert birthday == {"benefit": "advanced_age_allowance", "name": "高龄津贴", "status": "entitled",
                        "reason": "年满80周岁（现80岁）且为本地户籍", "missing": [], "rule_id": None}


@pytest.mark.parametrize("cond,age,expected", [
    ({"age": {">=": 60}}, 76, True),
    ({"age": {">=": 80}}, 76, False),
    ({"age": {"<=": 79}}, 76, True),
    ({"age": {"<=": 75}}, 76, False),
    ({"age": {">=": 70, "<=": 79}}, 76, True),
    ({"age": {">=": 77, "<=": 79}}, 76, False),
])
def test_age_bounds(cond, age, expected):
    assert age_on(facts()["birth_date"], ON) == age
    assert value(cond) is expected


def test_age_reason_names_the_failed_bound_only():
    out = evaluate({"age": {">=": 60, "<=": 70}}, facts(), on=ON)
    assert out.value is False and out.reasons == ["已超过70周岁（现76岁）"]


# -- three-valued logic ------------------------------------------------------------------------

T, F, U = {"available": True}, {"available": False}, {"level": {">=": 2}}  # U: level missing → unknown


@pytest.mark.parametrize("cond,expected", [
    ({"all": [T, T]}, True),
    ({"all": [T, F]}, False),
    ({"all": [T, U]}, None),
    ({"all": [F, U]}, False),  # already false: the unknown does not matter
    ({"all": [U, U]}, None),
    ({"all": []}, True),
    ({"any": [F, F]}, False),
    ({"any": [F, T]}, True),
    ({"any": [F, U]}, None),
    ({"any": [T, U]}, True),  # already true: the unknown does not matter
    ({"any": []}, False),
    ({"not": T}, False),
    ({"not": F}, True),
    ({"not": U}, None),
    ({}, True),
    ({"all": [T, {"any": [F, U]}]}, None),
    ({"all": [T, {"any": [F, {"not": U}]}, F]}, False),
])
def test_kleene_truth_table(cond, expected):
    assert value(cond) is expected


def test_missing_is_named_only_when_the_answer_depends_on_it():
    f = facts(level=None, categories=set())
    maybe = benefit_entitlement(BENEFIT, [rule(CARE_SUBSIDY)], f, on=ON)
    assert maybe["status"] == "maybe"
    assert maybe["missing"] == [MISSING_ECONOMIC, MISSING_LEVEL]
    assert "为本地户籍" in maybe["reason"]
    # Not local: all() is false whatever the unknowns are → "not", nothing missing.
    not_local = benefit_entitlement(BENEFIT, [rule(CARE_SUBSIDY)], facts(hukou_local=False), on=ON)
    assert not_local["status"] == "not" and not_local["missing"] == []
    assert not_local["reason"] == "非本地户籍"
    # 低保 known, level unknown: only the level is missing.
    low = benefit_entitlement(BENEFIT, [rule(CARE_SUBSIDY)], facts(categories={"subsistence"}), on=ON)
    assert low["status"] == "maybe" and low["missing"] == [MISSING_LEVEL]
    # Assessed at level 1: not, and the reason says why.
    mild = benefit_entitlement(BENEFIT, [rule(CARE_SUBSIDY)], facts(categories={"subsistence"}, level=1), on=ON)
    assert mild["status"] == "not"
    assert mild["reason"] == "能力评估为1级（轻度失能），未达到2级（中度失能）"
    ok = benefit_entitlement(BENEFIT, [rule(CARE_SUBSIDY)], facts(categories={"subsistence"}, level=3), on=ON)
    assert ok["status"] == "entitled"
    assert ok["reason"] == "为本地户籍且经济状况为低保且能力评估为3级（重度失能），达到2级（中度失能）及以上"


# -- each leaf ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cond,kw,expected", [
    ({"hukou_local": True}, {}, True),
    ({"hukou_local": True}, {"hukou_local": False}, False),
    ({"hukou_local": False}, {"hukou_local": False}, True),
    ({"hukou_local": True}, {"hukou_local": None}, None),
    ({"hukou_region": {"in": ["440304000000"]}}, {}, True),
    ({"hukou_region": {"in": ["440303000000"]}}, {}, False),
    ({"hukou_region": {"in": ["440304000000"]}}, {"hukou_local": False}, False),
    ({"region": {"in": ["440304006000"]}}, {}, True),
    ({"region": {"in": ["440304007000", "440303000000"]}}, {}, False),
    ({"categories": {"any": ["subsistence", "extreme_poverty"]}}, {"categories": {"subsistence"}}, True),
    ({"categories": {"any": ["subsistence", "extreme_poverty"]}}, {"categories": {"veteran"}}, False),
    ({"categories": {"all": ["subsistence", "veteran"]}}, {"categories": {"subsistence"}}, False),
    ({"categories": {"all": ["subsistence", "veteran"]}}, {"categories": {"subsistence", "veteran"}}, True),
    ({"categories": {"none": ["veteran"]}}, {"categories": {"subsistence"}}, True),
    ({"categories": {"none": ["veteran"]}}, {"categories": {"veteran"}}, False),
    ({"categories": {"any": ["advanced_age"]}}, {}, False),  # 76: not 高龄
    ({"categories": {"any": ["advanced_age"]}}, {"birth_date": dt.date(1940, 1, 1)}, True),
    ({"categories": {"any": ["advanced_age"]}}, {"categories": {"advanced_age"}}, False),  # derived, not stored
    ({"level": {">=": 2}}, {"level": 2}, True),
    ({"level": {">=": 2}}, {"level": 1}, False),
    ({"level": {"<=": 1}}, {"level": 0}, True),
    ({"level": {"<=": 1}}, {"level": 4}, False),
    ({"level": {"<=": 1}}, {"level": None}, None),
    ({"level": {">=": 0}}, {"level": 0}, True),
    ({"living_situation": {"in": ["alone", "empty_nest"]}}, {"living_situation": "alone"}, True),
    ({"living_situation": {"in": ["alone", "empty_nest"]}}, {}, False),
    ({"living_situation": {"in": ["alone"]}}, {"living_situation": None}, None),
    ({"living_situation": {"in": ["alone"]}}, {"living_situation": ""}, None),
    ({"economic": {"in": HARDSHIP}}, {"categories": {"low_income"}}, True),
    ({"economic": {"in": ["extreme_poverty"]}}, {"categories": {"subsistence"}}, False),
    ({"economic": {"in": HARDSHIP}}, {"categories": {"veteran"}}, None),
    ({"available": False}, {}, False),
])
def test_leaves(cond, kw, expected):
    assert value(cond, **kw) is expected


@pytest.mark.parametrize("cond,kw,missing", [
    ({"level": {">=": 2}}, {}, [MISSING_LEVEL]),
    ({"living_situation": {"in": ["alone"]}}, {"living_situation": None}, [MISSING_LIVING]),
    ({"economic": {"in": HARDSHIP}}, {}, [MISSING_ECONOMIC]),
    ({"hukou_local": True}, {"hukou_local": None}, ["户籍"]),
])
def test_unknown_leaves_name_their_missing_data(cond, kw, missing):
    out = evaluate(cond, facts(**kw), on=ON)
    assert out.value is None and out.missing == missing and out.reasons


@pytest.mark.parametrize("cond,kw,reason", [
    ({"living_situation": {"in": ["alone", "empty_nest"]}}, {}, "居住情况为与子女同住，不属于独居或空巢"),
    ({"economic": {"in": ["extreme_poverty"]}}, {"categories": {"subsistence"}}, "经济状况为低保，不属于特困"),
    ({"categories": {"any": ["subsistence", "extreme_poverty"]}}, {}, "未登记为低保、特困供养"),
    ({"hukou_region": {"in": ["440303000000"]}}, {}, "户籍不在440303000000"),
    ({"level": {"<=": 1}}, {"level": 3}, "能力评估为3级（重度失能），高于1级（轻度失能）"),
])
def test_reasons_are_plain_chinese_facts(cond, kw, reason):
    assert "；".join(evaluate(cond, facts(**kw), on=ON).reasons) == reason


def test_region_names_come_from_the_vocabulary():
    vocab = engine.Vocabulary(regions={"440304000000": "福田区"})
    out = evaluate({"hukou_region": {"in": ["440304000000"]}}, facts(), on=ON, vocab=vocab)
    assert out.reasons == ["户籍在福田区"]


def test_any_reports_all_failed_reasons_and_only_unknowns_for_maybe():
    cond = {"any": [{"economic": {"in": HARDSHIP}}, {"age": {">=": 80}}]}
    maybe = evaluate(cond, facts(), on=ON)
    assert maybe.value is None and maybe.missing == [MISSING_ECONOMIC]
    assert maybe.reasons == ["经济状况未知：尚未登记特困、低保、低保边缘或经济困难认定，也未核实为非经济困难"]
    # 非经济困难 recorded by a worker: no longer unknown but a definite no (issue 7 C.2).
    checked = evaluate(cond, facts(not_in_difficulty=True), on=ON)
    assert checked.value is False and checked.missing == []
    assert checked.reasons[0].startswith("经济状况为非经济困难，不属于")
    no = evaluate({"any": [{"economic": {"in": ["subsistence"]}}, {"age": {">=": 80}}]},
                  facts(categories={"near_subsistence"}), on=ON)
    assert no.value is False
    assert no.reasons == ["经济状况为低保边缘，不属于低保", "未满80周岁（现76岁）"]


# -- rules: effective dates and region overrides -----------------------------------------------


def test_effective_dates_are_inclusive():
    r = rule(T, effective_from=dt.date(2026, 1, 1), effective_to=dt.date(2026, 12, 31))
    assert select_rule([r], "440304006001", dt.date(2025, 12, 31)) is None
    assert select_rule([r], "440304006001", dt.date(2026, 1, 1)) is r
    assert select_rule([r], "440304006001", dt.date(2026, 12, 31)) is r
    assert select_rule([r], "440304006001", dt.date(2027, 1, 1)) is None


def test_no_rule_in_effect_says_when_it_starts_or_that_it_ended():
    future = rule(T, effective_from=dt.date(2026, 7, 1))
    out = benefit_entitlement(BENEFIT, [future], facts(), on=ON)
    assert out["status"] == "not" and out["reason"] == "本地区自2026年7月1日起实施"
    ended = rule(T, effective_to=dt.date(2025, 12, 31))
    assert benefit_entitlement(BENEFIT, [ended], facts(), on=ON)["reason"] == "本地区该项目已停止实施"
    elsewhere = rule(T, region_code="440303000000")
    assert benefit_entitlement(BENEFIT, [elsewhere], facts(), on=ON)["reason"] == "本地区暂未开展此项目"
    assert benefit_entitlement(BENEFIT, [], facts(), on=ON)["status"] == "not"


def test_the_most_specific_region_wins_over_priority_and_dates():
    national = rule({"age": {">=": 80}}, priority=9, pk=1)
    city = rule({"age": {">=": 75}}, region_code="440300000000", pk=2)
    district = rule({"age": {">=": 70}}, region_code="440304000000", pk=3)
    street = rule({"age": {">=": 78}}, region_code="440304006000", pk=4)
    other_street = rule({"age": {">=": 60}}, region_code="440304007000", priority=99, pk=5)
    rules = [national, city, district, street, other_street]
    assert select_rule(rules, "440304006001", ON) is street  # 梅林街道 community
    assert select_rule(rules, "440304007001", ON) is other_street
    assert select_rule(rules, "440304008001", ON) is district
    assert select_rule(rules, "440303001001", ON) is city
    assert select_rule(rules, "450103001001", ON) is national
    # The street override makes a 76-year-old "not" although the district says 70+.
    out = benefit_entitlement(BENEFIT, rules, facts(), on=ON)
    assert out["status"] == "not" and out["rule_id"] == 4
    assert benefit_entitlement(BENEFIT, rules, facts(region="440304008001"), on=ON)["status"] == "entitled"


def test_an_override_that_has_not_started_leaves_the_parent_rule_in_force():
    national = rule({"age": {">=": 80}}, pk=1)
    district = rule({"age": {">=": 70}}, region_code="440304000000", effective_from=dt.date(2026, 7, 1), pk=2)
    assert select_rule([national, district], "440304006001", ON) is national
    assert select_rule([national, district], "440304006001", dt.date(2026, 7, 1)) is district


def test_same_scope_higher_priority_then_later_start_wins():
    a = rule(T, region_code="440304000000", priority=0, effective_from=dt.date(2025, 1, 1), pk=1)
    b = rule(T, region_code="440304000000", priority=0, effective_from=dt.date(2026, 1, 1), pk=2)
    c = rule(T, region_code="440304000000", priority=1, effective_from=dt.date(2024, 1, 1), pk=3)
    assert select_rule([a, b], "440304006001", ON) is b
    assert select_rule([a, b, c], "440304006001", ON) is c


def test_a_region_may_switch_a_benefit_off():
    rules = [rule({"age": {">=": 60}}), rule({"available": False}, region_code="440304000000")]
    out = benefit_entitlement(BENEFIT, rules, facts(), on=ON)
    assert out["status"] == "not" and out["reason"] == "本地区暂未开展此项目"


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("cond", [
    {}, T, ADVANCED_AGE_ALLOWANCE, CARE_SUBSIDY, {"not": {"categories": {"none": ["veteran"]}}},
    {"age": {">=": 60, "<=": 79}}, {"hukou_region": {"in": ["440304"]}},
    {"living_situation": {"in": ["alone"]}}, {"categories": {"any": ["advanced_age"], "none": ["veteran"]}},
])
def test_valid_conditions(cond):
    assert validate_condition(cond) == []


@pytest.mark.parametrize("cond,fragment", [
    ([], "应为一个对象"),
    ({"agee": {">=": 80}}, "不认识的条件“agee”"),
    ({"age": {">=": 80}, "hukou_local": True}, "一个对象只能写一个条件"),
    ({"age": {">": 80}}, "不认识的比较“>”"),
    ({"age": {">=": "80"}}, "年龄应为 0 到 150 之间的整数"),
    ({"age": 80}, "应写成"),
    ({"level": {">=": 5}}, "能力等级应为 0 到 4 之间的整数"),
    ({"level": {">=": True}}, "能力等级应为"),
    ({"hukou_local": "yes"}, "应为 true 或 false"),
    ({"categories": {"any": ["poor"]}}, "不认识的人员类别代码“poor”"),
    ({"categories": {"some": ["subsistence"]}}, "不认识的“some”"),
    ({"categories": {"any": []}}, "非空列表"),
    ({"living_situation": {"in": ["独居"]}}, "不认识的居住情况代码“独居”"),
    ({"living_situation": ["alone"]}, "非空列表"),
    ({"economic": {"in": ["rich"]}}, "不认识的经济状况“rich”"),
    ({"region": {"in": ["福田区"]}}, "不是区划代码"),
    ({"all": {"age": {">=": 80}}}, "应为条件列表"),
    ({"all": [{"age": {">=": 80}}, {"hukou": True}]}, "条件 › all 第2项：不认识的条件“hukou”"),
    ({"not": {"any": [{"level": {">=": 9}}]}}, "条件 › not › any 第1项 › level >=："),
])
def test_invalid_conditions_get_a_plain_chinese_error_naming_where(cond, fragment):
    errors = validate_condition(cond)
    assert errors and any(fragment in e for e in errors), errors


def test_category_codes_can_come_from_the_database():
    assert validate_condition({"categories": {"any": ["new_cat"]}}, category_codes=["new_cat"]) == []
    assert validate_condition({"categories": {"any": ["advanced_age"]}}, category_codes=["new_cat"]) == []


def test_check_condition_raises_with_all_errors():
    with pytest.raises(engine.ConditionError) as exc:
        engine.check_condition({"all": [{"agee": 1}, {"level": {">=": 7}}]})
    assert len(exc.value.errors) == 2


# -- description -------------------------------------------------------------------------------


@pytest.mark.parametrize("cond,text", [
    (ADVANCED_AGE_ALLOWANCE, "年满80周岁，且本地户籍"),
    ({}, "所有老年人"),
    ({"age": {">=": 60, "<=": 79}}, "60至79周岁"),
    ({"all": [{"economic": {"in": ["subsistence", "low_income"]}}, {"any": [{"level": {">=": 2}}, {"age": {">=": 80}}]}]},
     "低保或经济困难老年人，且（能力评估为2级（中度失能）及以上，或年满80周岁）"),
    ({"living_situation": {"in": ["alone", "empty_nest", "left_behind"]}}, "独居、空巢或留守"),
    ({"categories": {"none": ["veteran"]}}, "不属于退役军人"),
])
def test_describe(cond, text):
    assert describe(cond) == text
