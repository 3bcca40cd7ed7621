"""Which index serves each query on the elder table (issue 12: "keep only indexes that a query
uses … check plans, not guesses"). Every list, search and filter of the elder registry, and the
other reads that pick elders out of the table, must be an index search on both databases — on
the index named here (docs/benchmarks.md, "Elder indexes: which query uses which"). A dropped
index that one of them needed fails here.

The world: the demo district's tree and 3,000 elders of the synthetic city written through the
real import, then ``ANALYZE`` (PostgreSQL: the planner chooses on real selectivities). On
PostgreSQL sequential scans are switched off, so the question is "which index serves it";
SQLite has no statistics here and names the index it would use."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from tests import factories
from yiyang.elders import selectors
from yiyang.elders.models import Elder, ElderCategory, ImportBatch

BENCH = Path(__file__).resolve().parents[3] / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

pytestmark = pytest.mark.django_db
ELDERS = 3000

# The indexes of the elder table by their columns (names differ between the databases).
LIST = ("active", "region_code", "name", "id")
ID_NUMBER = ("id_number_bidx",)
PHONE = ("phone_bidx",)
BIRTH_KEY = ("match_name_birth_bidx",)
PHONE_KEY = ("match_name_phone_bidx",)
BATCH = ("import_batch_id",)
REGION = ("region_code",)
REGISTERED_BY = ("registered_by_id",)
PK = ("id",)
# The indexes the elder table keeps (migration 0012 dropped name, birth_date and PostgreSQL's
# varchar_pattern_ops twins): a new one needs a query here that uses it.
KEPT = {PK, ID_NUMBER, PHONE, BIRTH_KEY, PHONE_KEY, BATCH, REGISTERED_BY, REGION, LIST}


def _build():
    import csv
    import io

    from synth_city import REGIONS_CSV, write_city_csv

    from yiyang.elders.importing import elders_import
    from yiyang.regions.services import region_tree_load_csv

    region_tree_load_csv(text=REGIONS_CSV.read_text(encoding="utf-8"), version="plans", source="test")
    out = io.StringIO()
    write_city_csv(out, ELDERS, seed=12, today=timezone.localdate())
    data = out.getvalue().encode("utf-8")
    report = elders_import(actor=None, data=data, file_name="plans.csv", source="test")
    assert report.committed, report.errors[:3]
    first = next(csv.reader(io.StringIO(out.getvalue().splitlines()[1])))
    street_code = first[3][:9] + "000"
    street = factories.make_user("plans_street", "street_admin", street_code)
    community = factories.make_user("plans_community", "community_admin", first[3])
    if connection.vendor == "postgresql":  # SQLite runs without statistics, as in production
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    elder = Elder.objects.filter(region_id=first[3]).order_by("name").first()
    return {"street": street, "community": community, "row": first, "batch": report.batch_id, "elder": elder}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


def _index_columns() -> dict[str, tuple[str, ...]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Elder._meta.db_table)
    out = {name: tuple(c["columns"]) for name, c in constraints.items() if c["index"] or c["unique"] or c["primary_key"]}
    if connection.vendor == "sqlite":  # the automatic indexes of PRIMARY KEY and UNIQUE
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA index_list({Elder._meta.db_table})")
            for row in cursor.fetchall():
                if row[1].startswith("sqlite_autoindex"):
                    cursor.execute(f"PRAGMA index_info({row[1]})")
                    out[row[1]] = tuple(r[2] for r in cursor.fetchall())
    return out


def plan(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            text = "\n".join(r[0] for r in cursor.fetchall())
            cursor.execute("SET LOCAL enable_seqscan = on")
            return text
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(r[-1]) for r in cursor.fetchall())


def used(text: str) -> set[tuple[str, ...]]:
    """The elder-table indexes a plan reads, by their columns."""
    columns = _index_columns()
    names = set(re.findall(r"USING (?:COVERING )?INDEX (\w+)", text))  # SQLite
    names |= set(re.findall(r"(?:Index Scan|Index Only Scan) using (\w+)", text))  # PostgreSQL
    names |= set(re.findall(r"Bitmap Index Scan on (\w+)", text))
    if connection.vendor == "sqlite" and re.search(r"SEARCH \w+ USING (?:INTEGER )?PRIMARY KEY", text):
        names.add("sqlite_autoindex_elders_elder_1")
    return {columns[n] for n in names if n in columns}


def scans_elders(text: str) -> bool:
    """A full pass over the elder table (not through an index)."""
    t = Elder._meta.db_table
    return bool(re.search(rf"(?m)^\W*SCAN {t}\b(?! USING)", text) or f"Seq Scan on {t}" in text)


def qs_plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    return plan(sql, params)


def _today():
    return timezone.localdate()


QUERIES = [
    # (what, build(world) -> queryset, indexes that may serve it — one of them must). A list
    # narrowed by a filter the index does not hold is read as the jurisdiction's range of either
    # the list index or region_code (PostgreSQL then sorts the few rows that pass).
    ("the list as it opens (street)", lambda w: selectors.elder_list_for(w["street"])[:21], {LIST}),
    ("the list as it opens (community)", lambda w: selectors.elder_list_for(w["community"])[:21], {LIST}),
    ("the list off the register", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(active=False))[:21], {LIST}),
    ("a page on and off the register: each range", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(active=False)).values_list("pk", flat=True)[:21], {LIST}),
    ("a page on and off the register: the rows", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(active=None)).filter(pk__in=[w["elder"].pk]), {PK, LIST}),
    ("on and off the register, counted", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(active=None)).order_by().values("pk"), {REGION, LIST}),
    ("the list of one community", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(region=w["row"][3]))[:21], {LIST}),
    ("a name searched (contains)", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(name="王"))[:21], {LIST, REGION}),
    ("a name searched, on and off the register, counted", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(name="王", active=None)).order_by().values("pk"), {REGION, LIST}),
    ("an ID number searched", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(q=w["row"][1]))[:21], {ID_NUMBER}),
    # SQLite without statistics (as in production: nothing runs ANALYZE) walks the list's
    # range for a phone and tests each row (as before issue 12); PostgreSQL reads phone_bidx.
    ("a phone searched", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(q=w["row"][2]))[:21], {PHONE} if connection.vendor != "sqlite" else {PHONE, LIST}),
    ("a living situation", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(living_situation="alone"))[:21], {LIST, REGION}),
    ("an import batch's elders", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(batch=w["batch"]))[:21], {LIST, BATCH}),
    ("a category", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(category="disabled"))[:21], {LIST, REGION}),
    ("高龄 (derived from the birth date)", lambda w: selectors.elder_list_for(
        w["street"], selectors.ElderFilters(category="advanced_age"))[:21], {LIST, REGION}),
    ("a community's count (counts._count)", lambda w: Elder.objects.filter(
        active__in=[True], region_id=w["row"][3]).order_by().values("pk"), {LIST}),
    ("a cursor's position", lambda w: selectors.elder_list_for(w["street"]).filter(
        pk=w["elder"].pk).values_list("region_id", "name"), {PK, LIST}),
    ("an elder's page", lambda w: Elder.objects.filter(pk=w["elder"].pk), {PK}),
    ("suspected duplicates of an elder", lambda w: Elder.objects.filter(
        Q(match_name_birth_bidx=w["elder"].match_name_birth_bidx)
        | Q(match_name_phone_bidx=w["elder"].match_name_phone_bidx or "x"), active=True), {BIRTH_KEY, PHONE_KEY}),
    # ``active=True`` is written as a bare "active", which SQLite does not match to the list
    # index: these go through region_code (the other apps' lists, batches and demos).
    ("a community's elders on the register (active=True)", lambda w: Elder.objects.filter(
        region_id=w["row"][3], active=True).order_by("name")[:40], {REGION, LIST}),
    ("a street's elders on the register (active=True), as the service lists read them", lambda w: Elder.objects.filter(
        region_id__gte=w["row"][3][:9] + "000", region_id__lt=w["row"][3][:9] + "999", active=True), {REGION, LIST}),
    ("a batch's rows kept by PROTECT", lambda w: Elder.objects.filter(
        import_batch__in=[ImportBatch(pk=w["batch"])]), {BATCH}),
    ("an account's registrations kept by PROTECT", lambda w: Elder.objects.filter(
        registered_by__in=[w["street"]]), {REGISTERED_BY}),
]


@pytest.mark.parametrize(("what", "build", "served_by"), QUERIES, ids=[q[0] for q in QUERIES])
def test_each_elder_query_is_an_index_search_on_the_index_named(world, what, build, served_by):
    text = qs_plan(build(world))
    print(f"\n-- {what} [{connection.vendor}]\n{text}")
    assert not scans_elders(text), f"{what}: {text}"
    assert used(text) & served_by, f"{what}: {text}"


def test_the_importers_lookups_use_the_blind_indexes(world):
    t = Elder._meta.db_table
    text = plan(f"SELECT id_number_bidx FROM {t} WHERE id_number_bidx IN (%s, %s)", ["a" * 32, "b" * 32])  # noqa: S608
    assert used(text) == {ID_NUMBER} and not scans_elders(text), text
    for column, index in (("match_name_birth_bidx", BIRTH_KEY), ("match_name_phone_bidx", PHONE_KEY)):
        text = plan(f"SELECT {column}, region_code, id_number_enc, active FROM {t} "  # noqa: S608 - our names
                    f"WHERE {column} IN (%s, %s)", ["a" * 32, "b" * 32])
        assert index in used(text) and not scans_elders(text), text


def test_the_category_filter_reads_the_links_by_their_unique_index(world):
    qs = selectors.elder_list_for(world["street"], selectors.ElderFilters(category="disabled"))[:21]
    text = qs_plan(qs)
    links = ElderCategory._meta.db_table
    assert f"SCAN {links}" not in text and f"Seq Scan on {links}" not in text, text
    # An elder's categories (the list's prefetch, the elder page): the unique (elder, category).
    text = qs_plan(ElderCategory.objects.filter(elder_id__in=[world["elder"].pk]))
    assert f"SCAN {links}" not in text and f"Seq Scan on {links}" not in text, text
    # A category's elders (a category going: PROTECT): (category, elder).
    text = qs_plan(ElderCategory.objects.filter(category_id__in=[1]))
    assert f"SCAN {links}" not in text and f"Seq Scan on {links}" not in text, text


def test_the_elder_table_keeps_exactly_the_indexes_a_query_uses(world):
    """No index without a query above that uses it; on PostgreSQL no ``varchar_pattern_ops``
    twin (no elder query is a prefix LIKE)."""
    assert set(_index_columns().values()) == KEPT
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [Elder._meta.db_table])
            assert not [n for (n,) in cursor.fetchall() if n.endswith("_like")]
