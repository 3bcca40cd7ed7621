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
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact, GreaterThan

from yiyang.elders.models import Category, ElderCategory
from yiyang.entitlements import engine
from yiyang.entitlements.models import ElderFacts, EntitlementStatus
from yiyang.regions.codes import normalize_code, prefix_of

# A compiled part: a Q, or a constant folded away before it reaches SQL (an empty Q() may
# not stand in a CASE, and constants make the common shipped rules short).
Part = Q | bool

MAX_CATEGORY_BITS = 62  # categories a set of rules may name (one bit each of a 64-bit integer)


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
    bits: Mapping[str, tuple[int, int]]  # category code → (its bit in ElderFacts.cats, its id): ``category_bits``

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
            q = _or(q, Q(region_code__startswith=prefix_of(normalize_code(code))))
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
        mask = sum(1 << self.bits[c][0] for c in codes - {engine.ADVANCED_AGE} if c in self.bits)
        if mask:
            part = _or(Q(GreaterThan(F("cats").bitand(mask), 0)), part)
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
                t, f = _and(t, Q(level__gte=n)), _or(f, Q(level__lt=n))
            else:
                t, f = _and(t, Q(level__lte=n)), _or(f, Q(level__gt=n))
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
            whens.append(When(Q(region_code__startswith=scope), then=status))
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


def category_bits(rule_sets: Iterable[Sequence[Any]]) -> dict[str, tuple[int, int]]:
    """A bit for every recorded category the rules name (and the four economic ones): the
    facts carry an elder's categories as one integer, so a category test is a bitwise AND
    on a column, not a subquery per test. code → (bit, category id)."""
    named = set(engine.ECONOMIC_STATUSES)
    for rules in rule_sets:
        for rule in rules:
            named |= set(_category_codes(rule.conditions))
    ids = dict(Category.objects.filter(code__in=named - {engine.ADVANCED_AGE}).values_list("code", "id"))
    if len(ids) > MAX_CATEGORY_BITS:
        raise ValueError(f"the rules name {len(ids)} categories; at most {MAX_CATEGORY_BITS} are supported")
    return {code: (bit, ids[code]) for bit, code in enumerate(sorted(ids, key=ids.__getitem__))}


def _category_codes(cond: Any) -> Iterable[str]:
    if not isinstance(cond, dict):
        return
    for key, arg in cond.items():
        if key in ("all", "any") and isinstance(arg, list):
            for c in arg:
                yield from _category_codes(c)
        elif key == "not":
            yield from _category_codes(arg)
        elif key == "categories" and isinstance(arg, dict):
            for codes in arg.values():
                yield from (c for c in codes or () if isinstance(c, str))
        elif key == "economic" and isinstance(arg, dict):
            yield from (c for c in arg.get("in") or () if isinstance(c, str))


class Evaluation:
    """One day's statuses of every active benefit, as SQL over a slice of elders.

    The SQL has two parts. The *facts* (``ElderFacts``): per elder, the columns the rules
    read — birth date, community, 户籍, living situation, 非经济困难, the current level (one
    subquery), the categories as bits (one grouped subquery) and the stored statuses, two
    bits per benefit in one integer per group of 31 benefits (one grouped subquery: a range of
    the (elder, benefit) index, not a lookup per benefit) — in a ``WITH … AS MATERIALIZED``
    common table expression, so each subquery runs
    once per elder however many rules read it (both SQLite ≥ 3.35 and PostgreSQL ≥ 12 keep
    a MATERIALIZED CTE as is). The *statuses*: one ``CASE`` per benefit over those columns
    (the Django expressions of ``Compiler``), compiled once per evaluation. With
    ``changed_only`` the database also compares each status with the stored one and returns
    only the elders where one differs (or is not stored yet): a nightly run with nothing
    to change sends nothing back.

    A row is ``(elder id, new status per benefit…, stored statuses encoded…)``; ``split(row)``
    gives (elder id, new statuses, stored statuses or None)."""

    def __init__(self, benefits: Sequence[Any], rules_by_code: Mapping[str, Sequence[Any]], *, on: dt.date,
                 changed_only: bool = False, using: str = "default"):
        self.benefits = list(benefits)
        self.using = using
        rule_sets = [rules_by_code.get(b.code, ()) for b in self.benefits]
        self.bits = category_bits(rule_sets)
        comp = Compiler(on=on, bits=self.bits)
        n = len(self.benefits)
        self.new = [f"s{i}" for i in range(n)]
        self.groups = [list(range(g, min(g + GROUP, n))) for g in range(0, n, GROUP)]
        self.old = [f"o{k}" for k in range(len(self.groups))]
        qn = connections[using].ops.quote_name
        outer = ElderFacts.objects.using(using).annotate(
            **{name: RawSQL(qn(name), (), output_field=BigIntegerField())  # noqa: S611 - a quoted column name of ours
               for name in self.old},
            **{name: comp.benefit_status(rules) for name, rules in zip(self.new, rule_sets, strict=True)})
        if changed_only and n:
            # The new statuses encoded as the stored ones are, compared in one integer per group.
            codes = {f"c{k}": _encoded(F(self.new[i]) for i in group) for k, group in enumerate(self.groups)}
            outer = outer.annotate(**codes)
            diff: Q | None = None
            for code, old in zip(codes, self.old, strict=True):
                q = ~Q(Exact(F(code), F(old)))
                diff = q if diff is None else diff | q
            outer = outer.filter(diff)
        # After the statuses, the facts themselves: the changed elders' reasons are built
        # from them (``facts_of``), with no second read of the archive.
        compiled = outer.order_by().values_list("id", *self.new, *self.old, *FACT_COLUMNS[1:]).query
        self._outer_sql, self._outer_params = compiled.sql_with_params()
        self._templates: dict[Any, tuple[str, tuple[Any, ...], list[int], list[int]]] = {}
        # The first statuses of elders with none stored: the statuses alone, no stored bits.
        fresh = ElderFacts.objects.using(using).annotate(
            **{name: comp.benefit_status(rules) for name, rules in zip(self.new, rule_sets, strict=True)})
        self._fresh_sql, self._fresh_params = fresh.order_by().values_list("id", *self.new).query.sql_with_params()

    def facts(self, elders: QuerySet[Any], *, stored: bool = True) -> QuerySet[Any]:
        """The facts of the active elders of ``elders``, in ``ElderFacts``'s column order
        (without the stored statuses' columns if not ``stored``)."""
        from yiyang.assessments.selectors import latest_confirmed_subquery

        if not self._bit_ids():
            cats_expr: Any = Value(0, output_field=BigIntegerField())
        else:
            cats_expr = Coalesce(Subquery(self._cats_subquery()), Value(0), output_field=BigIntegerField())
        old = {name: Coalesce(Subquery(self._stored_subquery(group)), Value(0), output_field=BigIntegerField())
               for name, group in zip(self.old, self.groups, strict=True)} if stored else {}
        return (elders.filter(active=True).order_by()
                .annotate(f_level=latest_confirmed_subquery("level"), f_cats=cats_expr, **old)
                .values_list("pk", "birth_date", "region_id", "hukou_local", "living_situation", "not_in_difficulty",
                             "f_level", "f_cats", *old))

    def _stored_subquery(self, group: list[int]) -> QuerySet[Any]:
        """The stored statuses of one group of benefits as one integer (0 = none stored)."""
        weight = Case(*(When(benefit_id=self.benefits[i].pk, then=Value(4 ** j)) for j, i in enumerate(group)),
                      default=Value(0), output_field=BigIntegerField())
        code = Case(*(When(status=s, then=Value(c)) for s, c in STATUS_CODES.items()), default=Value(0),
                    output_field=BigIntegerField())
        return (EntitlementStatus.objects.filter(elder_id=OuterRef("pk")).order_by().values("elder_id")
                .annotate(m=Cast(Sum(weight * code), BigIntegerField())).values("m"))

    def split(self, row: tuple[Any, ...]) -> tuple[Any, list[str], list[str | None]]:
        """(elder id, the new status of each benefit, the stored one or None)."""
        n = len(self.benefits)
        old: list[str | None] = [None] * n
        for k, group in enumerate(self.groups):
            packed = int(row[1 + n + k] or 0)
            for j, i in enumerate(group):
                old[i] = STATUS_OF.get((packed >> (2 * j)) & 3)
        return row[0], list(row[1:1 + n]), old

    def facts_of(self, row: tuple[Any, ...]) -> tuple[dict[str, Any], str]:
        """The engine's facts of a row of ``rows`` and the elder's community code. The
        categories are those the rules name (the only ones the engine's reasons read)."""
        birth, region, local, living, nid, level, cats = row[1 + len(self.benefits) + len(self.groups):]
        if isinstance(birth, str):  # SQLite through a plain cursor
            birth = dt.date.fromisoformat(birth)
        return ({"birth_date": birth, "hukou_local": bool(local), "region": region,
                 "categories": {code for code, (bit, _) in self.bits.items() if cats >> bit & 1},
                 "level": level, "living_situation": living or None, "not_in_difficulty": bool(nid)}, region)

    def _cats_subquery(self) -> QuerySet[Any]:
        bit = Case(*(When(category_id=cid, then=Value(1 << b)) for cid, b in self._bit_ids().items()),
                   default=Value(0), output_field=BigIntegerField())
        cats = (ElderCategory.objects.filter(elder_id=OuterRef("pk"), category_id__in=list(self._bit_ids()))
                .order_by().values("elder_id").annotate(m=Cast(Sum(bit), BigIntegerField())).values("m"))
        return cats

    def _bit_ids(self) -> dict[int, int]:
        """category id → its bit."""
        return {cid: bit for bit, cid in self.bits.values()}

    def _sql(self, facts_sql: str, facts_params: Sequence[Any]) -> tuple[str, list[Any]]:
        connection = connections[self.using]
        columns = ", ".join(connection.ops.quote_name(c) for c in FACT_COLUMNS + tuple(self.old))
        table = connection.ops.quote_name(ElderFacts._meta.db_table)
        return (f"WITH {table} ({columns}) AS MATERIALIZED ({facts_sql}) {self._outer_sql}",
                [*facts_params, *self._outer_params])

    def _insert_sql(self, facts_sql: str, facts_params: Sequence[Any], *,
                    skip_stored: bool = False) -> tuple[str, list[Any]]:
        """INSERT … SELECT of every benefit's status of the elders of ``facts_sql``: one row
        per elder and benefit, made by the database (no row goes through Python). ``since``
        is left to the caller (the ``_SINCE`` parameter). With ``skip_stored`` a row another
        recompute stored meanwhile is left alone (ON CONFLICT DO NOTHING, both databases;
        not by default: on PostgreSQL its speculative insertion costs a quarter more)."""
        qn = connections[self.using].ops.quote_name
        columns = ", ".join(qn(c) for c in FACT_COLUMNS)
        facts = qn(ElderFacts._meta.db_table)
        benefits = " UNION ALL ".join(f"SELECT {k} AS k, {int(b.pk)} AS bid" for k, b in enumerate(self.benefits))
        status = "CASE b.k " + " ".join(f"WHEN {k} THEN f.{qn(name)}" for k, name in enumerate(self.new)) + " END"
        target = qn(EntitlementStatus._meta.db_table)
        sql = (f"WITH {facts} ({columns}) AS MATERIALIZED ({facts_sql}) "  # noqa: S608 - our names and ints
               f"INSERT INTO {target} (elder_id, benefit_id, status, reason, since) "
               f"SELECT f.{qn('id')}, b.bid, {status}, '', %s FROM ({self._fresh_sql}) f CROSS JOIN ({benefits}) b "
               # WHERE: SQLite reads "SELECT … FROM … ON CONFLICT" as a join's ON without it.
               "WHERE 1 = 1" + (" ON CONFLICT (elder_id, benefit_id) DO NOTHING" if skip_stored else ""))
        return sql, [*facts_params, _SINCE, *self._fresh_params]

    def rows(self, elders: QuerySet[Any]) -> list[tuple[Any, ...]]:
        """The rows for the active elders of ``elders`` (any queryset of elders)."""
        sql, params = self.facts(elders).query.sql_with_params()
        return self._execute(*self._sql(sql, params))

    def range_rows(self, elders: QuerySet[Any], lo: Any, hi: Any) -> list[tuple[Any, ...]]:
        """The rows for the active elders of ``elders`` with lo < id <= hi (None: open end).
        The SQL is compiled once per ``elders`` and reused with the bounds swapped in (a
        city's recompute runs a thousand slices: compiling each would cost more than its SQL)."""
        sql, params = self._ranged(("rows", id(elders)), elders, lo, hi, self._sql, stored=True)
        return self._execute(sql, params)

    def insert_fresh(self, elders: QuerySet[Any], lo: Any = None, hi: Any = None, *, ranged: bool = False,
                     since: Any) -> int:
        """Store the status of every benefit, as of ``since``, for the active elders of
        ``elders`` (with lo < id <= hi if ``ranged``) that have no stored status at all — a
        first computation, done by the database in one statement. Returns how many rows."""
        if not self.benefits:
            return 0
        fresh = elders.filter(~has_stored_status())
        connection = connections[self.using]
        since = connection.ops.adapt_datetimefield_value(since)

        def insert(skip_stored: bool) -> int:
            def make(sql: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
                return self._insert_sql(sql, params, skip_stored=skip_stored)

            if ranged:
                sql, params = self._ranged(("fresh", skip_stored, id(elders)), fresh, lo, hi, make, stored=False)
            else:
                sql, params = make(*self.facts(fresh, stored=False).query.sql_with_params())
            with connection.cursor() as cursor:
                cursor.execute(sql, [since if p is _SINCE else p for p in params])
                if connection.vendor == "sqlite":  # its rowcount is -1 for a statement that opens with WITH
                    cursor.execute("SELECT changes()")
                    return int(cursor.fetchone()[0])
                return int(cursor.rowcount)

        try:
            with transaction.atomic(using=self.using):
                return insert(False)
        except IntegrityError:  # another recompute stored some of them since (PostgreSQL)
            return insert(True)

    def _ranged(self, key: Any, elders: QuerySet[Any], lo: Any, hi: Any,
                make: Callable[[str, Sequence[Any]], tuple[str, list[Any]]], *, stored: bool) -> tuple[str, list[Any]]:
        """``make``'s statement over the slice lo < id <= hi of ``elders``, compiled once."""
        if key not in self._templates:
            qs = self.facts(elders.filter(pk__gt=_LO, pk__lte=_HI), stored=stored)
            sql, params = make(*qs.query.sql_with_params())
            lo_at = [i for i, p in enumerate(params) if _is(p, _LO)]
            hi_at = [i for i, p in enumerate(params) if _is(p, _HI)]
            self._templates[key] = (sql, tuple(params), lo_at, hi_at)
        sql, params0, lo_at, hi_at = self._templates[key]
        params = list(params0)
        connection = connections[self.using]
        for positions, value in ((lo_at, lo or _MIN), (hi_at, hi or _MAX)):
            for i in positions:
                params[i] = value.hex if connection.vendor == "sqlite" else value
        return sql, params

    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            return [(_as_uuid(r[0]), *r[1:]) for r in cursor.fetchall()]


GROUP = 31  # benefits per encoded integer: two bits each, within a signed 64-bit integer
STATUS_CODES = {engine.ENTITLED: 1, engine.MAYBE: 2, engine.NOT: 3}  # 0 = not stored
STATUS_OF = {c: s for s, c in STATUS_CODES.items()}


def _encoded(statuses: Iterable[Any]) -> Any:
    """Statuses as the stored ones are encoded: 2 bits each, the first benefit lowest."""
    total: Any = None
    for j, status in enumerate(statuses):
        code = Case(*(When(Exact(status, Value(s)), then=Value(c * 4 ** j)) for s, c in STATUS_CODES.items()),
                    default=Value(0), output_field=BigIntegerField())
        total = code if total is None else total + code
    return total


FACT_COLUMNS = ("id", "birth_date", "region_code", "hukou_local", "living_situation", "not_in_difficulty", "level",
                "cats")
# Sentinels for the bounds of a slice, found again among the compiled parameters.
_LO = uuid.UUID("0e5c0000-0000-4000-8000-00000000010e")
_HI = uuid.UUID("0e5c0000-0000-4000-8000-0000000001ff")
_MIN = uuid.UUID(int=0)
_MAX = uuid.UUID(int=(1 << 128) - 1)


_SINCE = object()  # where ``insert_fresh``'s time goes among the parameters


def has_stored_status() -> Exists:
    """An elder (the outer query's row) has at least one stored status: one probe of the
    unique (elder, benefit) index. Its negation picks the elders of a first computation."""
    return Exists(EntitlementStatus.objects.filter(elder_id=OuterRef("pk")))


def _is(param: Any, sentinel: uuid.UUID) -> bool:
    return isinstance(param, uuid.UUID | str) and str(param).replace("-", "") == sentinel.hex


def _as_uuid(value: Any) -> Any:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def statuses(elders: QuerySet[Any], benefits: Sequence[Any], rules_by_code: Mapping[str, Sequence[Any]],
             *, on: dt.date) -> dict[Any, list[str]]:
    """elder id → the status of each benefit on ``on``, in the benefits' order: the bulk
    answer the property test holds against the engine's."""
    ev = Evaluation(benefits, rules_by_code, on=on)
    return {pk: new for pk, new, _ in map(ev.split, ev.rows(elders))}
