"""The SQL compilation of the condition language (``compiler.py``) against the engine: for
random rules (conditions, scopes, priorities, effective dates) on random days, the status
the database computes for every elder equals the one-elder answer of ``engine.py`` — the
same 可享受 / 可能符合 / 不符合, "missing data" included. Runs on SQLite and PostgreSQL.

The world (module-scoped, rolled back after) holds elders born on and around the 60th,
65th, 70th, 79th, 80th and 81st birthdays of each test day, on 29 February, with random
categories (a stored 高龄 among them, which must be ignored), 户籍, living situation
('' = not recorded), 非经济困难, and assessments (none, confirmed, superseded, cancelled,
drafts, the old MZ/T scheme). Each example may add a few more elders drawn by hypothesis,
inside a savepoint rolled back after it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from yiyang.assessments.models import Assessment
from yiyang.elders.models import Category, Elder, ElderCategory
from yiyang.entitlements import compiler, engine, selectors
from yiyang.entitlements.models import Benefit, BenefitRule

DAYS = [dt.date(2026, 12, 3), dt.date(2027, 2, 28), dt.date(2027, 3, 1), dt.date(2028, 2, 29),
        dt.date(2028, 3, 1), dt.date(2026, 1, 1)]
AGES = (60, 65, 70, 79, 80, 81)
COMMUNITIES = [factories.COMMUNITY_A, factories.COMMUNITY_A2, factories.COMMUNITY_B,
               factories.COMMUNITY_OTHER_DISTRICT]
SCOPES = ["", "440300000000", "440304000000", "440304006000", "440304007000", factories.COMMUNITY_A,
          factories.COMMUNITY_B, "440303000000", "440303001001"]
REGION_CODES = ["440304000000", "440304006000", "440304006", factories.COMMUNITY_A2, "440303000000",
                "440300000000"]
CATEGORY_CODES = [*engine.CATEGORY_NAMES, engine.ADVANCED_AGE]
LIVING = [*engine.LIVING_NAMES, ""]
_seq = itertools.count(1)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return dt.date(day.year - years, 2, 28)


def _add_elder(*, birth: dt.date, region: str, hukou_local: bool, living: str, not_in_difficulty: bool,
               categories: list[str], levels: list[tuple[str, str, int | None, int]]) -> Elder:
    n = next(_seq)
    elder = Elder.objects.create(
        name=f"测试{n}", id_number_enc=b"-", id_number_bidx=f"compiler-{n}", birth_date=birth, sex="F",
        region_id=region, hukou_local=hukou_local, living_situation=living, not_in_difficulty=not_in_difficulty)
    ids = dict(Category.objects.values_list("code", "id"))
    ElderCategory.objects.bulk_create([ElderCategory(elder=elder, category_id=ids[c]) for c in set(categories)])
    for status, scheme, level, days_ago in levels:
        Assessment.objects.create(
            elder=elder, region_code=region, number=f"C-{n}-{next(_seq)}", status=status, scheme=scheme,
            assessed_on=dt.date(2026, 6, 1) - dt.timedelta(days=days_ago), level=level,
            confirmed_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC) - dt.timedelta(days=days_ago)
            if status == Assessment.Status.CONFIRMED else None)
    return elder


CONFIRMED, CANCELLED, DRAFT = Assessment.Status.CONFIRMED, Assessment.Status.CANCELLED, Assessment.Status.DRAFT
GBT, MZT = Assessment.Scheme.GBT_42195_2022, Assessment.Scheme.MZT_039_2013


def _random_levels(rnd: random.Random) -> list[tuple[str, str, int | None, int]]:
    pick = rnd.randrange(6)
    if pick == 0:
        return []
    if pick == 1:
        return [(CONFIRMED, GBT, rnd.randrange(5), 10)]
    if pick == 2:  # superseded: the later one counts
        return [(CONFIRMED, GBT, rnd.randrange(5), 400), (CONFIRMED, GBT, rnd.randrange(5), 5)]
    if pick == 3:  # a cancelled later one does not
        return [(CONFIRMED, GBT, rnd.randrange(5), 300), (CANCELLED, GBT, rnd.randrange(5), 3)]
    if pick == 4:
        return [(DRAFT, GBT, None, 1)]
    return [(CONFIRMED, MZT, rnd.randrange(5), 20)]  # the old scheme: never a GB/T 42195 level


def _build() -> list[tuple[Any, dict[str, Any]]]:
    factories.load_tree()
    rnd = random.Random(2026)
    births = {_years_before(day, y) + dt.timedelta(days=d) for day in DAYS for y in AGES for d in (-1, 0, 1)}
    births |= {dt.date(1944, 2, 29), dt.date(1948, 2, 29), dt.date(1968, 2, 29), dt.date(1946, 3, 1)}
    for birth in sorted(births):
        _add_elder(birth=birth, region=rnd.choice(COMMUNITIES), hukou_local=rnd.random() < 0.8,
                   living=rnd.choice(LIVING), not_in_difficulty=rnd.random() < 0.3,
                   categories=rnd.sample(CATEGORY_CODES, rnd.choice([0, 0, 1, 1, 2, 3])),
                   levels=_random_levels(rnd))
    return _facts(Elder.objects.all())


def _facts(elders: Any) -> list[tuple[Any, dict[str, Any]]]:
    """The one-elder facts, as the elder's page reads them (``selectors.elder_facts``)."""
    return [(e.pk, selectors.elder_facts(e)) for e in elders.order_by("pk")]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as facts:
        yield facts


# -- strategies ------------------------------------------------------------------------------

def _numeric(lo: int, hi: int) -> st.SearchStrategy[dict[str, int]]:
    n = st.integers(lo, hi)
    return st.one_of(st.builds(lambda a: {">=": a}, n), st.builds(lambda a: {"<=": a}, n),
                     st.builds(lambda a, b: {">=": a, "<=": b}, n, n))


def _some(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)


LEAVES = st.one_of(
    st.builds(lambda a: {"age": a}, st.one_of(_numeric(58, 83), _numeric(0, 150))),
    st.builds(lambda v: {"hukou_local": v}, st.booleans()),
    st.builds(lambda c: {"hukou_region": {"in": c}}, _some(REGION_CODES)),
    st.builds(lambda c: {"region": {"in": c}}, _some(REGION_CODES)),
    st.builds(lambda ops: {"categories": ops},
              st.dictionaries(st.sampled_from(["any", "all", "none"]), _some(CATEGORY_CODES), min_size=1)),
    st.builds(lambda a: {"level": a}, _numeric(0, 4)),
    st.builds(lambda c: {"living_situation": {"in": c}}, _some(list(engine.LIVING_NAMES))),
    st.builds(lambda c: {"economic": {"in": c}}, _some(list(engine.ECONOMIC_STATUSES))),
    st.builds(lambda v: {"available": v}, st.booleans()),
    st.just({}),
)
CONDITIONS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.builds(lambda cs: {"all": cs}, st.lists(inner, max_size=3)),
    st.builds(lambda cs: {"any": cs}, st.lists(inner, max_size=3)),
    st.builds(lambda c: {"not": c}, inner),
), max_leaves=6)


@st.composite
def rules(draw: Any, on: dt.date) -> list[BenefitRule]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.one_of(st.none(), st.integers(-3, 3).map(lambda d: on + dt.timedelta(days=d))))
        end = draw(st.one_of(st.none(), st.integers(-3, 3).map(lambda d: on + dt.timedelta(days=d))))
        out.append(BenefitRule(region_code=draw(st.sampled_from(SCOPES)), priority=draw(st.integers(-1, 1)),
                               effective_from=start, effective_to=end, conditions=draw(CONDITIONS)))
    return out


ELDERS = st.fixed_dictionaries({
    "birth": st.dates(dt.date(1925, 1, 1), dt.date(1975, 12, 31)),
    "region": st.sampled_from(COMMUNITIES),
    "hukou_local": st.booleans(),
    "living": st.sampled_from(LIVING),
    "not_in_difficulty": st.booleans(),
    "categories": st.lists(st.sampled_from(CATEGORY_CODES), max_size=3, unique=True),
    "levels": st.lists(st.tuples(st.sampled_from([CONFIRMED, CANCELLED, DRAFT]), st.sampled_from([GBT, MZT]),
                                 st.integers(0, 4), st.integers(0, 900)), max_size=2, unique_by=lambda t: t[3]),
})


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    on = draw(st.one_of(st.sampled_from(DAYS), st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31))))
    benefits = [Benefit(code=f"b{i}", name=f"政策{i}") for i in range(draw(st.integers(1, 3)))]
    return {"on": on, "benefits": benefits, "rules": {b.code: draw(rules(on)) for b in benefits},
            "elders": draw(st.lists(ELDERS, max_size=3))}


def _one_elder(facts: dict[str, Any], case: dict[str, Any]) -> list[dict[str, Any]]:
    return [engine.benefit_entitlement(b, case["rules"][b.code], facts, on=case["on"]) for b in case["benefits"]]


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=cases())
def test_bulk_statuses_and_reasons_equal_the_one_elder_answer(world, case):
    for rs in case["rules"].values():
        for r in rs:
            assert engine.validate_condition(r.conditions) == [], r.conditions
    sid = transaction.savepoint()
    try:
        extra = [_add_elder(**e) for e in case["elders"]]
        facts = world + _facts(Elder.objects.filter(pk__in=[e.pk for e in extra]))
        ev = compiler.Evaluation(case["benefits"], case["rules"], on=case["on"])
        rows = {row[0]: row for row in ev.rows(Elder.objects.all())}
        assert len(rows) == len(facts)
        for pk, f in facts:
            one = _one_elder(f, case)
            assert ev.split(rows[pk])[1] == [i["status"] for i in one], (f, case["rules"], case["on"])
            # A change's reason is the engine's over the facts the evaluation read (only the
            # categories the rules name): the same answer, reasons and missing data included.
            assert _one_elder(ev.facts_of(rows[pk])[0], case) == one, (f, case["rules"], case["on"])
    finally:
        transaction.savepoint_rollback(sid)


def test_age_cutoff_is_the_engine_s_birthday():
    for on in [*DAYS, dt.date(2027, 2, 28), dt.date(2029, 3, 1), dt.date(2025, 12, 31)]:
        for years in (0, 1, 60, 79, 80, 150):
            cut = compiler.age_cutoff(years, on)
            assert engine.age_on(cut, on) >= years > engine.age_on(cut + dt.timedelta(days=1), on)


def test_the_shipped_rules_agree_for_every_world_elder(world, db):
    """The shipped defaults (read from the database) on each test day."""
    rs = selectors.rule_set()
    for on in DAYS:
        bulk = compiler.statuses(Elder.objects.all(), rs.benefits, rs.rules, on=on)
        for pk, f in world:
            assert bulk[pk] == [i["status"] for i in engine.entitlements_for(rs.benefits, rs.rules, f, on=on)]
