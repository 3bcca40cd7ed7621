"""The table matching reads (``MatchCandidate``): one row per active service, need tag and place.

Matching asks "which services with this need are within reach of this home" for every list shown
and for every elder of a batch. Answered from the directory's own tables, each place around the
home costs a visit to its services, their need tags, their free places and their prices — three or
four index lookups per place, most of them for services of another need. Here the answer is one
range of one index, ``(need, door, tile)``, per row of 0.01° squares, and each row carries what
scores it: kind, the ages and levels taken, stars, when last confirmed, ownership, whether places
are free (``capacity``), the lowest price and whether it is free.

The rows are derived data, never edited: ``candidates_refresh(ids)`` rewrites the rows of these
services from the tables (one ``INSERT … SELECT``), ``candidates_refresh(None)`` all of them.
Every path that writes a service, its needs, places, prices or places free ends by calling it —
the import (HSDS and spreadsheet), a provider's edit or confirmation, the admin, the demo — and
``candidates_check`` compares the table with a rebuild (``yiyang directory candidates --check``,
and the tests after each of those paths).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from yiyang.directory.models import (
    CostOption,
    Location,
    MatchCandidate,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceNeed,
)

# Services that come to the door (居家、上门、志愿): matching reaches them up to 5 km away.
DOOR_KINDS = (Service.Kind.HOME_CARE, Service.Kind.HOME_VISIT, Service.Kind.VOLUNTEER_TEAM)
COLUMNS = ("service_id", "need", "door", "tile", "latitude", "longitude", "region_code", "kind", "minimum_age",
           "min_level", "max_level", "star_rating", "confirmed_at", "ownership", "capacity", "lowest_price", "free")
CHUNK = 500


def _select(where: str) -> str:
    """The rows of the active services matching ``where`` (on ``s``), as the directory's tables
    say now. Capacity: 2 some place free, 1 places reported but none free, 0 not reported.
    Free: every price given is 0, or no price is given and the fees say 免费."""
    s, sn, sal, loc = (Service._meta.db_table, ServiceNeed._meta.db_table, ServiceAtLocation._meta.db_table,
                       Location._meta.db_table)
    cap, cost = ServiceCapacity._meta.db_table, CostOption._meta.db_table
    doors = ", ".join(f"'{k.value}'" for k in DOOR_KINDS)
    return (
        f"SELECT s.id, sn.need, CASE WHEN s.kind IN ({doors}) THEN %s ELSE %s END, l.tile, l.latitude, "  # noqa: S608
        f"l.longitude, s.region_code, s.kind, s.minimum_age, s.min_level, s.max_level, s.star_rating, "
        f"s.confirmed_at, s.ownership, "
        f"CASE WHEN EXISTS (SELECT 1 FROM {cap} c WHERE c.service_id = s.id AND c.available > 0) THEN 2 "
        f"WHEN EXISTS (SELECT 1 FROM {cap} c WHERE c.service_id = s.id) THEN 1 ELSE 0 END, "
        f"(SELECT MIN(p.amount) FROM {cost} p WHERE p.service_id = s.id), "
        f"CASE WHEN EXISTS (SELECT 1 FROM {cost} p WHERE p.service_id = s.id AND p.amount IS NOT NULL) "
        f"THEN (CASE WHEN EXISTS (SELECT 1 FROM {cost} p WHERE p.service_id = s.id AND p.amount <> 0) "
        f"THEN %s ELSE %s END) "
        f"WHEN s.fees_description LIKE %s THEN %s ELSE %s END "
        f"FROM {s} s JOIN {sn} sn ON sn.service_id = s.id LEFT JOIN {sal} sal ON sal.service_id = s.id "
        f"LEFT JOIN {loc} l ON l.id = sal.location_id WHERE s.status = %s AND {where}")


def _select_params() -> list[Any]:
    return [True, False, False, True, "%免费%", True, False]


def candidates_refresh(service_ids: Iterable[Any] | None) -> None:
    """Rewrite the candidate rows of these services (``None``: of every service) from the
    directory's tables. Runs inside the caller's transaction when there is one."""
    table = MatchCandidate._meta.db_table
    insert = f"INSERT INTO {table} ({', '.join(COLUMNS)}) "  # noqa: S608
    with transaction.atomic(), connection.cursor() as cur:
        if service_ids is None:
            cur.execute(f"DELETE FROM {table}")  # noqa: S608
            cur.execute(insert + _select("1 = 1"), [*_select_params(), Service.Status.ACTIVE.value])
            return
        pk = Service._meta.pk
        assert pk is not None
        ids = [pk.get_db_prep_value(i, connection) for i in dict.fromkeys(service_ids)]
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            marks = ", ".join(["%s"] * len(part))
            cur.execute(f"DELETE FROM {table} WHERE service_id IN ({marks})", part)  # noqa: S608
            cur.execute(insert + _select(f"s.id IN ({marks})"),
                        [*_select_params(), Service.Status.ACTIVE.value, *part])


def services_at_locations(location_ids: Iterable[Any]) -> list[Any]:
    """The services at these places (a moved place moves every service there)."""
    ids = list(location_ids)
    return list(ServiceAtLocation.objects.filter(location_id__in=ids).values_list("service_id", flat=True).distinct())


def _normal(row: tuple[Any, ...]) -> tuple[str, ...]:
    """A row as comparable text (a driver may give 1 for True)."""
    return tuple("" if v is None else str(int(v)) if isinstance(v, bool) else str(v) for v in row)


def candidates_check() -> list[str]:
    """Differences between the table and a rebuild from the directory's tables, in words
    (empty: they agree)."""
    table = MatchCandidate._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM {table}")  # noqa: S608
        stored = sorted(_normal(r) for r in cur.fetchall())
        cur.execute(_select("1 = 1"), [*_select_params(), Service.Status.ACTIVE.value])
        wanted = sorted(_normal(r) for r in cur.fetchall())
    if stored == wanted:
        return []
    have, want = set(stored), set(wanted)
    missing = [r for r in wanted if r not in have]
    extra = [r for r in stored if r not in want]
    return [f"缺少{len(missing)}行、多出{len(extra)}行（共应有{len(wanted)}行）"] + \
        [f"缺少：{' '.join(r[:4])}" for r in missing[:5]] + [f"多出：{' '.join(r[:4])}" for r in extra[:5]]
