"""The condition language of ``engine.py`` compiled to SQL: every elder at once.

``engine.evaluate`` answers for one elder, with reasons in Chinese and the missing data
named. A recompute of a district or a city asks the same question of hundreds of thousands
of elders, and only wants the *status*; so each rule becomes a condition the database
evaluates over every row of the elder table in one query (``statuses``), and Python only
looks at the statuses that changed (their reasons come from the engine, ``services.py``).

Three-valued logic without NULL tricks. A condition compiles to a pair ``Tri(t, f)``:
``t`` holds for the rows where the condition is definitely *true*, ``f`` where it is
definitely *false*; where neither holds, it is *unknown* (the engine's ``None``). Each of
``t`` and ``f`` is a plain two-valued ``Q`` (or the constants ``True`` / ``False``), so the
ORM's own handling of NULL in negations never enters. Kleene's tables are then::

    all(c1..cn):  t = t1 AND … AND tn      f = f1 OR … OR fn
    any(c1..cn):  t = t1 OR … OR tn        f = f1 AND … AND fn
    not c:        t = f                    f = t

and a benefit's status is ``CASE WHEN t THEN 'entitled' WHEN f THEN 'not' ELSE 'maybe'``.
A leaf over data the archive may lack (the ability level, the living situation, the
economic status) leaves both ``t`` and ``f`` false for those rows: ``maybe``, exactly where
the engine says "missing".

The facts, as columns:

* age in full years (周岁) on the day ``on``: ``age_on`` is monotone in the birth date, so
  "at least n" is ``birth_date <= cutoff`` with the cutoff worked out in Python
  (``age_cutoff``, 29 February included) — no date arithmetic in SQL, the same on both
  databases. ``Elder.birth_date`` is a plain column (derived from the ID number when the
  elder is registered, never typed), the one the engine reads too.
* categories: ``EXISTS`` over ``ElderCategory`` by category id; 高龄 is the age, never the
  stored category (as ``engine.categories_on``).
* ability level: the latest confirmed GB/T 42195 assessment (``assessments.selectors.
  latest_confirmed_subquery``), NULL = never assessed → unknown.
* living situation: '' = not recorded → unknown.
* economic status (经济状况, three-valued): true/false from a recorded difficulty category,
  false from ``Elder.not_in_difficulty``, else unknown.
* region, 户籍, the rule's scope: prefixes of the community code.

Which rule governs: among the rules in effect on ``on`` (decided in Python: dates are
parameters of the run), ordered as ``engine.select_rule`` ranks them — longest scope
prefix, then priority, then the later start, then the first stored — the first whose scope
covers the elder's community, as a ``CASE`` on the community code; no rule → 'not'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import Expression

from yiyang.elders.models import Category, ElderCategory
from yiyang.entitlements import engine
from yiyang.regions.codes import normalize_code, prefix_of

# A compiled part: a Q, or a constant folded away before it reaches SQL (an empty Q() may
# not stand in a CASE, and constants make the common shipped rules short).
Part = Q | bool

LEVEL = "ent_level"  # the alias the queryset carries for the current ability level


@dataclass(frozen=True)
class Tri:
    """Where a condition is definitely true (``t``) and definitely false (``f``)."""

    t: Part
    f: Part
    exact: bool = False  # f is exactly "not t": the archive holds every fact it reads


def _and(a: Part, b: Part) -> Part:
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    return a & b


def _or(a: Part, b: Part) -> Part:
    if a is True or b is True:
        return True
    if a is False:
        return b
    if b is False:
        return a
    return a | b


def _not(a: Part) -> Part:
    """Negation of a two-valued part (never of a part that can be NULL: see the module doc)."""
    if isinstance(a, bool):
        return not a
    return ~a


def _definite(t: Part) -> Tri:
    """A fact the archive always holds: false exactly where not true."""
    return Tri(t, _not(t), exact=True)


def age_cutoff(years: int, on: dt.date) -> dt.date:
    """The latest birth date of someone at least ``years`` old (周岁) on ``on``: age ≥ years
    ⟺ birth_date ≤ this. The birthday itself counts; a 29 February birthday counts on
    1 March in a common year (``engine.age_on``)."""
    year = on.year - years
    if year < dt.MINYEAR:
        return dt.date.min
    if year > dt.MAXYEAR:
        return dt.date.max
    try:
        b = on.replace(year=year)
    except ValueError:  # 29 February in a common year
        b = dt.date(year, 2, 28)
    one = dt.timedelta(days=1)
    while b < dt.date.max and engine.age_on(b + one, on) >= years:
        b += one
    while b > dt.date.min and engine.age_on(b, on) < years:
        b -= one
    return b


@dataclass
class Compiler:
    """Compiles conditions for one day ``on`` with the category ids of this database."""

    on: dt.date
    category_ids: Mapping[str, int]

    def age_at_least(self, years: int) -> Q:
        return Q(birth_date__lte=age_cutoff(years, self.on))

    def condition(self, cond: Mapping[str, Any] | None) -> Tri:
        if not cond:
            return Tri(True, False, exact=True)
        (key, arg), = cond.items()
        if key in ("all", "any"):
            parts = [self.condition(c) for c in arg]
            t: Part = key == "all"
            f: Part = key != "all"
            for part in parts:
                if key == "all":
                    t, f = _and(t, part.t), _or(f, part.f)
                else:
                    t, f = _or(t, part.t), _and(f, part.f)
            return Tri(t, f, exact=all(p.exact for p in parts))
        if key == "not":
            inner = self.condition(arg)
            return Tri(inner.f, inner.t, exact=inner.exact)
        return getattr(self, f"_{key}")(arg)

    # -- leaves: each mirrors its function in engine.py

    def _age(self, arg: Mapping[str, int]) -> Tri:
        t: Part = True
        for op, n in arg.items():
            t = _and(t, self.age_at_least(n) if op == ">=" else ~self.age_at_least(n + 1))
        return _definite(t)

    def _hukou_local(self, arg: bool) -> Tri:
        # A NOT NULL column: the engine's "not recorded" cannot occur in the database.
        return _definite(Q(hukou_local=bool(arg)))

    @staticmethod
    def _region_in(codes: Iterable[str]) -> Part:
        q: Part = False
        for code in codes:
            q = _or(q, Q(region__code__startswith=prefix_of(normalize_code(code))))
        return q

    def _hukou_region(self, arg: Mapping[str, list[str]]) -> Tri:
        # 户籍 is recorded as 本地 / 非本地; a local one is taken to be where the elder lives.
        inside = self._region_in(arg["in"])
        return Tri(_and(Q(hukou_local=True), inside), _or(Q(hukou_local=False), _not(inside)))

    def _region(self, arg: Mapping[str, list[str]]) -> Tri:
        return _definite(self._region_in(arg["in"]))

    def _holds_any(self, codes: Iterable[str]) -> Part:
        """Holds at least one of the categories (高龄 from the age, the others recorded)."""
        codes = set(codes)
        part: Part = False
        if engine.ADVANCED_AGE in codes:
            part = self.age_at_least(engine.ADVANCED_AGE_YEARS)
        ids = sorted(self.category_ids[c] for c in codes - {engine.ADVANCED_AGE} if c in self.category_ids)
        if ids:
            part = _or(Q(Exists(ElderCategory.objects.filter(elder_id=OuterRef("pk"), category_id__in=ids))), part)
        return part

    def _categories(self, arg: Mapping[str, list[str]]) -> Tri:
        t: Part = True
        for op, codes in arg.items():
            if op == "any":
                t = _and(t, self._holds_any(codes))
            elif op == "all":
                for code in codes:
                    t = _and(t, self._holds_any([code]))
            else:  # none
                t = _and(t, _not(self._holds_any(codes)))
        return _definite(t)

    def _level(self, arg: Mapping[str, int]) -> Tri:
        # NULL (never assessed) makes every comparison NULL: neither t nor f, so unknown.
        t: Part = True
        f: Part = False
        for op, n in arg.items():
            if op == ">=":
                t, f = _and(t, Q(**{f"{LEVEL}__gte": n})), _or(f, Q(**{f"{LEVEL}__lt": n}))
            else:
                t, f = _and(t, Q(**{f"{LEVEL}__lte": n})), _or(f, Q(**{f"{LEVEL}__gt": n}))
        return Tri(t, f)

    def _living_situation(self, arg: Mapping[str, list[str]]) -> Tri:
        t = Q(living_situation__in=list(arg["in"]))
        return Tri(t, ~t & ~Q(living_situation=""))  # '' = not recorded: unknown

    def _economic(self, arg: Mapping[str, list[str]]) -> Tri:
        # True: a recorded difficulty category in the list. False: another one recorded, or
        # none recorded and 非经济困难 checked. Unknown: nothing recorded either way.
        t = self._holds_any([c for c in arg["in"] if c in engine.ECONOMIC_STATUSES])
        recorded = _or(self._holds_any(engine.ECONOMIC_STATUSES), Q(not_in_difficulty=True))
        return Tri(t, _and(_not(t), recorded))

    def _available(self, arg: bool) -> Tri:
        return Tri(bool(arg), not arg, exact=True)

    # -- statuses

    def status(self, cond: Mapping[str, Any] | None) -> Expression:
        """'entitled' / 'not' / 'maybe' for one rule's condition."""
        tri = self.condition(cond)
        whens: list[When] = []
        default = engine.MAYBE
        if tri.t is True:
            return Value(engine.ENTITLED)
        if tri.t is not False:
            whens.append(When(tri.t, then=Value(engine.ENTITLED)))
        if tri.exact or tri.f is True:  # no unknown possible: whatever is not true is false
            default = engine.NOT
        elif tri.f is not False:
            whens.append(When(tri.f, then=Value(engine.NOT)))
        if not whens:
            return Value(default)
        return Case(*whens, default=Value(default), output_field=CharField())

    def benefit_status(self, rules: Sequence[Any]) -> Expression:
        """The status of one benefit: the governing rule chosen by the community code."""
        ranked = ranked_rules(rules, self.on)
        whens: list[When] = []
        default: Expression = Value(engine.NOT)  # no rule in effect here
        for rule in ranked:
            scope = engine.scope_prefix(rule.region_code)
            status = self.status(rule.conditions)
            if not scope:
                default = status  # everywhere: the rules after it can never govern
                break
            whens.append(When(Q(region__code__startswith=scope), then=status))
        if not whens:
            return default
        return Case(*whens, default=default, output_field=CharField())


def ranked_rules(rules: Sequence[Any], on: dt.date) -> list[Any]:
    """The rules in effect on ``on``, the one ``engine.select_rule`` prefers first: for any
    community, the first of these whose scope covers it is the one that governs (a stable
    sort keeps the stored order between equals, as ``max`` does)."""
    live = [r for r in rules if engine.rule_in_effect(r, on)]
    return sorted(live, key=lambda r: (len(engine.scope_prefix(r.region_code)), r.priority,
                                       r.effective_from or dt.date.min), reverse=True)


def category_ids() -> dict[str, int]:
    return dict(Category.objects.values_list("code", "id"))


def annotate_statuses(elders: QuerySet[Any], benefits: Sequence[Any], rules_by_code: Mapping[str, Sequence[Any]],
                      *, on: dt.date, categories: Mapping[str, int] | None = None) -> tuple[QuerySet[Any], list[str]]:
    """``elders`` with one column per benefit (its status on ``on``), and the column names in
    the benefits' order."""
    from yiyang.assessments.selectors import latest_confirmed_subquery

    compiler = Compiler(on=on, category_ids=category_ids() if categories is None else categories)
    names = [f"ent_s{i}" for i in range(len(benefits))]
    exprs = {name: compiler.benefit_status(rules_by_code.get(b.code, ()))
             for name, b in zip(names, benefits, strict=True)}
    return elders.alias(**{LEVEL: latest_confirmed_subquery("level")}).annotate(**exprs), names


def statuses(elders: QuerySet[Any], benefits: Sequence[Any], rules_by_code: Mapping[str, Sequence[Any]],
             *, on: dt.date) -> dict[Any, list[str]]:
    """elder id → the status of each benefit on ``on``, in the benefits' order: the bulk
    answer the property test holds against the engine's."""
    qs, names = annotate_statuses(elders, benefits, rules_by_code, on=on)
    return {row[0]: list(row[1:]) for row in qs.order_by().values_list("pk", *names)}
