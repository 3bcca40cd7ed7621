"""How many elders each community has on the register: a maintained aggregate
(``ElderRegionCount``, one row per community code), so that the home page, the supervisor's
per-region table and the list's "共 N 人" read a few rows instead of counting a jurisdiction's
elders on every request.

It is kept by the elder services in the transaction that changes an elder (register,
deactivate, reactivate, a move to another community, a judged duplicate) and by the importer
for a whole batch: each recounts the communities it touched from the elder table, under the
count row's lock (rows locked in code order, so two writers never wait on each other in a
circle). A recount cannot drift the way an increment can after a failed or hand-made write;
``region_counts_rebuild`` recounts every community (``yiyang elders_recount``) and a test holds
the aggregate equal to a recount from the raw rows after registrations, a bulk import,
deactivations and moves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import Substr

from yiyang.elders.models import Elder, ElderRegionCount


def _count(code: str, active: bool) -> int:
    # One covering range of the index (active, region_code, …) each: "active IN (…)" is the
    # form SQLite matches to the index's first column (selectors.elder_list_for).
    return Elder.objects.filter(active__in=[active], region_id=code).count()


@transaction.atomic
def region_counts_recount(codes: Iterable[str]) -> None:
    """Recount these communities from the elder table, each under its row's lock."""
    codes = sorted({c for c in codes if c})
    if not codes:
        return
    table = connection.ops.quote_name(ElderRegionCount._meta.db_table)
    with connection.cursor() as cursor:
        # The rows exist before they are locked: two first registrations in a new community
        # must not both try to create its row.
        cursor.executemany(
            f"INSERT INTO {table} (region_code, active, inactive) VALUES (%s, 0, 0) "  # noqa: S608 - our table
            "ON CONFLICT (region_code) DO NOTHING", [(c,) for c in codes])
    for row in ElderRegionCount.objects.select_for_update().filter(region_code__in=codes).order_by("region_code"):
        active, inactive = _count(row.region_code, True), _count(row.region_code, False)
        if (row.active, row.inactive) != (active, inactive):
            row.active, row.inactive = active, inactive
            row.save(update_fields=["active", "inactive"])


@transaction.atomic
def region_counts_rebuild() -> int:
    """Every community recounted in one grouped pass (after a load that bypassed the services,
    or to check): the number of community rows."""
    ElderRegionCount.objects.all().delete()
    table = connection.ops.quote_name(ElderRegionCount._meta.db_table)
    elders = connection.ops.quote_name(Elder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (region_code, active, inactive) "  # noqa: S608 - our tables
            f"SELECT region_code, SUM(CASE WHEN active THEN 1 ELSE 0 END), SUM(CASE WHEN active THEN 0 ELSE 1 END) "
            f"FROM {elders} GROUP BY region_code")
    return ElderRegionCount.objects.count()


def region_counts_exact() -> dict[str, tuple[int, int]]:
    """(active, inactive) per community counted from the elder table now: what the aggregate
    must equal (tests, ``yiyang elders_recount --check``)."""
    out: dict[str, list[int]] = {}
    for code, active in Elder.objects.values_list("region_id", "active").iterator(chunk_size=10_000):
        out.setdefault(code, [0, 0])[0 if active else 1] += 1
    return {code: (a, i) for code, (a, i) in out.items()}


def region_counts_stored() -> dict[str, tuple[int, int]]:
    """The aggregate as stored, communities with nobody left out."""
    return {code: (a, i) for code, a, i in ElderRegionCount.objects.values_list("region_code", "active", "inactive")
            if a or i}


def counted(qs: Any, active: bool | None) -> int:
    """The elders of an ``ElderRegionCount`` queryset: on the register, off it, or both."""
    fields = {"active": Sum("active"), "inactive": Sum("inactive")}
    totals = qs.aggregate(**fields)
    if active is None:
        return (totals["active"] or 0) + (totals["inactive"] or 0)
    return totals["active" if active else "inactive"] or 0


def per_prefix(qs: Any, length: int) -> dict[str, int]:
    """Active elders per code prefix of ``length`` digits (a district's streets: 9): one grouped
    query over the aggregate."""
    rows = (qs.annotate(head=Substr("region_code", 1, length)).values("head")
            .annotate(n=Sum("active")).values_list("head", "n"))
    return {head: n or 0 for head, n in rows}
