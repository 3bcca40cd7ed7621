"""Which index serves each query on the statuses and changes (issue 12: "check plans, not
guesses"). Migration 0007 dropped the single-column indexes of ``EntitlementStatus.elder``,
``EntitlementStatus.benefit`` and ``EntitlementChange.elder``; each query that read through
them must still be an index search on both databases:

| query | served by |
|---|---|
| an elder's statuses (elder page, API, the recompute's stored statuses, the FK check when an elder row goes) | unique ``(elder_id, benefit_id)`` |
| many elders' statuses (service lists, printed reports) | unique ``(elder_id, benefit_id)`` |
| the recompute's ``UPDATE … WHERE elder_id AND benefit_id AND status`` | unique ``(elder_id, benefit_id)`` |
| a benefit's recipients and payment lists, a benefit's statuses going with it | ``entitlement_status_benefit (benefit_id, status)`` |
| an elder's change history | ``entitlement_change_elder (elder_id, at)`` |

On PostgreSQL the tables get 55,000 statuses and 5,000 changes of invented elders (foreign
keys off for the insert) and ``ANALYZE``, so the planner chooses between the indexes on real
selectivities (on empty tables it takes ``(benefit, status)`` for anything naming a status);
sequential scans are switched off, so the question is "which index serves it". SQLite has no
statistics here and names the index it would use."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from yiyang.entitlements.models import EntitlementChange, EntitlementStatus

STATUS = EntitlementStatus._meta.db_table
CHANGE = EntitlementChange._meta.db_table
UNIQUE = "entitlement_status_unique"  # SQLite: the constraint's automatic index
BY_BENEFIT = "entitlement_status_benefit"
CHANGE_BY_ELDER = "entitlement_change_elder"


def _plan(sql: str, params: list | tuple = ()) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(r[0] for r in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(r[-1]) for r in cursor.fetchall())


def _qs_plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    return _plan(sql, params)


def _served(plan: str, table: str, index: str) -> bool:
    if connection.vendor == "postgresql":
        return f"Seq Scan on {table}" not in plan and index in plan
    index = f"sqlite_autoindex_{table}_1" if index == UNIQUE else index
    return f"SCAN {table}" not in plan and (f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan)


ELDER = uuid.uuid4()
ELDERS = [uuid.uuid4() for _ in range(3)]


@pytest.fixture
def tables(db):
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # rows without elders or benefits
        cursor.execute(
            f"INSERT INTO {STATUS} (elder_id, benefit_id, status, reason, since) "  # noqa: S608 - our table names
            "SELECT md5(g::text)::uuid, b, (ARRAY['entitled', 'maybe', 'not'])[1 + (g + b) % 3], '', now() "
            "FROM generate_series(1, 5000) g, generate_series(1, 11) b")
        cursor.execute(
            f"INSERT INTO {CHANGE} (elder_id, benefit_id, from_status, to_status, reason, at, cause) "  # noqa: S608
            "SELECT md5(g::text)::uuid, 1 + g % 11, 'not', 'entitled', '', now(), 'rule' "
            "FROM generate_series(1, 5000) g")
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(f"ANALYZE {STATUS}")
        cursor.execute(f"ANALYZE {CHANGE}")


@pytest.mark.parametrize(("name", "build", "table", "index"), [
    ("an elder's statuses", lambda: EntitlementStatus.objects.filter(elder_id=ELDER), STATUS, UNIQUE),
    ("many elders' 可享受/可能符合", lambda: EntitlementStatus.objects.filter(
        elder_id__in=ELDERS, status__in=("entitled", "maybe")), STATUS, UNIQUE),
    ("the stored statuses of the recompute (grouped by elder)", lambda: EntitlementStatus.objects.filter(
        elder_id=ELDER).order_by().values("elder_id"), STATUS, UNIQUE),
    ("a benefit's recipients", lambda: EntitlementStatus.objects.filter(benefit_id=1, status="entitled"),
     STATUS, BY_BENEFIT),
    ("a benefit's statuses", lambda: EntitlementStatus.objects.filter(benefit_id=1), STATUS, BY_BENEFIT),
    ("an elder's change history", lambda: EntitlementChange.objects.filter(elder_id=ELDER).order_by("-at"),
     CHANGE, CHANGE_BY_ELDER),
])
def test_each_query_that_read_a_dropped_index_is_still_an_index_search(tables, name, build, table, index):
    plan = _qs_plan(build())
    assert _served(plan, table, index), f"{name}: {plan}"


def test_the_recompute_update_and_the_foreign_key_checks_search_an_index(tables):
    elder = ELDER.hex if connection.vendor == "sqlite" else ELDER
    plan = _plan(f"UPDATE {STATUS} SET status = %s WHERE elder_id = %s AND benefit_id = %s AND status = %s",
                 ["maybe", elder, 1, "entitled"])
    assert _served(plan, STATUS, UNIQUE), plan
    # What a database does for ON DELETE of an elder or a benefit (Django cascades with these).
    plan = _plan(f"DELETE FROM {STATUS} WHERE elder_id IN (%s)", [elder])
    assert _served(plan, STATUS, UNIQUE), plan
    plan = _plan(f"DELETE FROM {STATUS} WHERE benefit_id IN (%s)", [1])
    assert _served(plan, STATUS, BY_BENEFIT), plan
    plan = _plan(f"DELETE FROM {CHANGE} WHERE elder_id IN (%s)", [elder])
    assert _served(plan, CHANGE, CHANGE_BY_ELDER), plan


def test_the_first_computation_probe_and_the_postgresql_slice_update_search_an_index(tables):
    """A recompute's count of the elders with no stored status (one probe per elder) and, on
    PostgreSQL, its one ``UPDATE … FROM unnest(…)`` per slice."""
    from yiyang.elders.models import Elder
    from yiyang.entitlements.compiler import has_stored_status

    none_stored = Elder.objects.filter(active=True).filter(~has_stored_status()).values("pk")
    plan = _qs_plan(none_stored)
    assert _served(plan, STATUS, UNIQUE), plan
    if connection.vendor != "postgresql":
        return  # SQLite's update is the prepared statement above, executed for each row
    plan = _plan(
        f"UPDATE {STATUS} AS t SET status = v.status FROM unnest(%s::varchar[], %s::uuid[], %s::bigint[], "  # noqa: S608
        "%s::varchar[]) AS v(status, elder_id, benefit_id, old) "
        "WHERE t.elder_id = v.elder_id AND t.benefit_id = v.benefit_id AND t.status = v.old",
        [["maybe"], [ELDER], [1], ["entitled"]])
    assert _served(plan, STATUS, UNIQUE), plan
