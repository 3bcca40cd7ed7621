"""GB/T 42195—2022 scoring: every boundary of the level table, every C.4 rule, bad input."""

import pytest

from yiyang.assessments.scoring import (
    DIMENSIONS,
    ITEMS,
    LEVEL_NAMES,
    LevelRules,
    ScoringError,
    preliminary_level,
    score,
)


def full(**overrides):
    items = {i.code: i.max_score for i in ITEMS}
    items.update(overrides)
    return items


def with_total(total: int) -> dict:
    """Items that add up to ``total`` (lowering items one by one from the maximum)."""
    items = full()
    deficit = 90 - total
    for item in ITEMS:
        take = min(deficit, item.max_score)
        items[item.code] -= take
        deficit -= take
    assert deficit == 0
    return items


def test_the_standard_has_26_items_and_these_maxima():
    assert len(ITEMS) == 26
    assert {d.code: d.max_score for d in DIMENSIONS} == {"B.1": 32, "B.2": 15, "B.3": 28, "B.4": 15}
    ranges = {i.code: i.max_score for i in ITEMS}
    assert ranges["B.2.4"] == 3 and ranges["B.4.4"] == 3
    assert ranges["B.3.7"] == ranges["B.3.8"] == 1
    assert ranges["B.3.9"] == ranges["B.4.1"] == ranges["B.4.2"] == 2
    assert all(min(i.options) == 0 for i in ITEMS)
    for d in DIMENSIONS:
        assert sum(i.max_score for i in ITEMS if i.dimension == d.code) == d.max_score


@pytest.mark.parametrize("total,level", [
    (90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4),
])
def test_every_boundary_of_the_level_table(total, level):
    assert preliminary_level(total) == level
    result = score({"items": with_total(total)})
    assert result.total == total and result.preliminary_level == level == result.level
    assert result.level_name == LEVEL_NAMES[level]
    assert result.rules_applied == []


def test_dimension_sums():
    result = score({"items": full(**{"B.1.1": 2, "B.2.4": 0, "B.3.9": 1, "B.4.4": 1})})
    assert result.dimensions == {"B.1": 30, "B.2": 12, "B.3": 27, "B.4": 13}
    assert result.total == 82


def test_level_names_are_the_standards():
    assert LEVEL_NAMES == {0: "能力完好", 1: "能力轻度受损（轻度失能）", 2: "能力中度受损（中度失能）",
                           3: "能力重度受损（重度失能）", 4: "能力完全丧失（完全失能）"}


def test_coma_goes_straight_to_level_4():
    r = score({"items": full(**{"B.3.9": 0}), "coma": True})
    assert r.preliminary_level == 1 and r.level == 4 and r.rules_applied == ["coma"]


def test_coma_must_agree_with_consciousness_item():
    with pytest.raises(ScoringError) as exc:
        score({"items": full(), "coma": True})
    assert exc.value.item == "B.3.9"


def test_dementia_one_level_up():
    r = score({"items": with_total(70), "diagnosed_dementia_or_mental_disorder": True})
    assert (r.preliminary_level, r.level, r.rules_applied) == (1, 2, ["dementia_or_mental_disorder"])


@pytest.mark.parametrize("events,level", [(0, 2), (1, 2), (2, 3), (5, 3)])
def test_two_or_more_risk_events_one_level_up(events, level):
    r = score({"items": with_total(50), "risk_events_30d": events})
    assert r.level == level
    assert ("risk_events_30d" in r.rules_applied) == (events >= 2)


def test_both_rules_one_level_in_total_by_default():
    r = score({"items": with_total(70), "diagnosed_dementia_or_mental_disorder": True, "risk_events_30d": 3})
    assert r.level == 2
    assert r.rules_applied == ["dementia_or_mental_disorder", "risk_events_30d"]


def test_both_rules_each_one_level_when_configured():
    r = score({"items": with_total(70), "diagnosed_dementia_or_mental_disorder": True, "risk_events_30d": 3},
              LevelRules(combine="each"))
    assert r.level == 3


def test_never_above_level_4():
    r = score({"items": with_total(10), "diagnosed_dementia_or_mental_disorder": True})
    assert r.level == 4 and r.rules_applied == ["dementia_or_mental_disorder", "capped_at_4"]


def test_rules_can_be_switched_off():
    rules = LevelRules(coma_to_level_4=False, dementia_up=False, risk_events_threshold=99)
    r = score({"items": full(**{"B.3.9": 0}), "coma": True, "diagnosed_dementia_or_mental_disorder": True,
               "risk_events_30d": 5}, rules)
    assert r.level == r.preliminary_level == 1 and r.rules_applied == []


def test_missing_item_is_named():
    items = full()
    del items["B.2.3"]
    with pytest.raises(ScoringError) as exc:
        score({"items": items})
    assert exc.value.item == "B.2.3" and "平地行走" in str(exc.value)


@pytest.mark.parametrize("code,value", [("B.2.4", 4), ("B.3.7", 2), ("B.3.9", 3), ("B.4.1", 3),
                                        ("B.4.4", 4), ("B.1.1", 5), ("B.1.1", -1)])
def test_out_of_range_scores_are_named(code, value):
    with pytest.raises(ScoringError) as exc:
        score({"items": full(**{code: value})})
    assert exc.value.item == code and "超出范围" in str(exc.value)


@pytest.mark.parametrize("payload,message", [
    ({"items": full(**{"B.1.1": "four"})}, "应为整数"),
    ({"items": full(**{"B.1.1": True})}, "应为整数"),
    ({"items": full(**{"B.9.9": 1})}, "未知的条目"),
    ({"items": full(), "scheme": "MZ/T 039-2013"}, "不支持的评估标准"),
    ({"items": full(), "risk_events_30d": -1}, "不能为负数"),
    ({"items": full(), "coma": "yes"}, "true 或 false"),
    ({"items": "B.1.1=4"}, "items 应为对象"),
])
def test_bad_input_is_never_guessed(payload, message):
    with pytest.raises(ScoringError, match=message):
        score(payload)


def test_every_item_has_the_standards_wording_for_every_score():
    for item in ITEMS:
        assert sorted(item.options) == list(range(item.max_score + 1))
        assert all(text.strip() for text in item.options.values())
