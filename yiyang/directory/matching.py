"""Matching (智能推荐、精准匹配, seed 001 — and 客观、公正: 不得因人情、利益关系进行选择性的推介).

For one elder and her needs: the visible, active services tagged with each need that the elder
may use (age, ability level) and can reach, ranked by published factors only:

    distance   walking minutes from the home (straight line × detour ÷ walking speed):
               1 inside the 15-minute circle, falling to 0 at three times that; home-care and
               home-visit services come to the door and score by whether they serve the area
    capacity   free places now (1), none free (0.2), not reported (0.6)
    quality    star rating ÷ 5; unrated 0.6
    level_fit  the service takes the elder's ability level (1); level not assessed yet (0.7)
    cost       what the elder would pay, against her entitlements and means: free (1); paid by
               a benefit she is entitled to (0.9; 可能符合 0.75); for an elder in economic
               difficulty 兜底/普惠 (0.9 / 0.8) and a market price (0.4); no price given (0.6);
               otherwise a price (0.7, 普惠 0.8)
    freshness  data confirmed within the stale limit (1), older (0.5)

score = Σ weight × factor ÷ Σ weight; ties by distance, then by the service's id — nothing a
provider can pay for or set exists in the formula (no "featured", no manual order). The weights
and which benefit pays for which kind of service are settings (``YIYANG_MATCH_WEIGHTS``,
``COST_BENEFITS`` below) shown on the public page /resources/fairness/. Every list shown is
logged with its candidates and their factors (``RecommendationLog``).

The hot path reads plain rows, not model instances: one statement on matching's own table
(``MatchCandidate``, ``candidates.py``: a row per active service × need × place with what scores
it) for the places within reach and the services that serve the elder's area; everything is
scored as tuples and only the few shown are loaded as ``Service`` objects, with their places
free. A batch (service lists for a district) passes a ``Cache``: elders of one home cell share
the places' rows, and those alike share the ranking.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from yiyang.core import geo
from yiyang.directory import selectors
from yiyang.directory.candidates import DOOR_KINDS
from yiyang.directory.models import (
    TILE_ROW,
    MatchCandidate,
    RecommendationLog,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    tile_ranges,
)
from yiyang.regions.models import Region

DEFAULT_WEIGHTS = {"distance": 0.35, "capacity": 0.2, "quality": 0.15, "level_fit": 0.1, "cost": 0.1,
                   "freshness": 0.1}
FACTOR_NAMES = {"distance": "距离", "capacity": "空余床位/餐位", "quality": "服务质量（星级）",
                "level_fit": "适合能力等级", "cost": "费用（对照老人的补贴和经济状况）", "freshness": "信息更新"}
HOME_REACH_M = 5_000  # a service that comes to the door is considered up to this far away
COMES_TO_HOME = DOOR_KINDS
# Which benefit (entitlements' codes) helps pay for which kind of service: the cost factor's one
# link to the elder's entitlements; published on /resources/fairness/.
DEFAULT_COST_BENEFITS = {
    "meal_subsidy": ["canteen"],
    "elderly_service_subsidy": ["home_care", "home_visit", "day_care"],
    "disability_care_subsidy": ["home_care", "home_visit", "day_care", "institution"],
    "ltc_insurance": ["home_care", "home_visit", "institution"],
    "extreme_poverty_support": ["institution"],
}


def weights() -> dict[str, float]:
    return dict(settings.YIYANG.get("MATCH_WEIGHTS") or DEFAULT_WEIGHTS)


def cost_benefits() -> dict[str, list[str]]:
    return dict(settings.YIYANG.get("MATCH_COST_BENEFITS") or DEFAULT_COST_BENEFITS)


def benefit_names() -> list[tuple[str, str]]:
    """(code, name) of the benefits the cost factor knows, for the public page."""
    names = {"meal_subsidy": "长者助餐补贴", "elderly_service_subsidy": "经济困难老年人养老服务补贴",
             "disability_care_subsidy": "经济困难失能老年人护理补贴", "ltc_insurance": "长期护理保险",
             "extreme_poverty_support": "特困人员供养"}
    return [(code, names.get(code, code)) for code in cost_benefits()]


def walk_settings() -> tuple[float, float, float]:
    """(metres per minute, detour factor, the circle in minutes)."""
    y = settings.YIYANG
    return float(y.get("MATCH_WALK_M_PER_MIN", 60)), float(y.get("MATCH_DETOUR", 1.3)), float(y.get("MATCH_CIRCLE_MIN", 15))


@dataclass
class Position:
    point: tuple[float, float] | None
    source: str  # "home" / "community" / "none"
    note: str


def elder_position(elder: Any) -> Position:
    """Where to measure from: the home cell (its centre: the plain ≈200 m cell, nothing
    decrypted), else the community's centre, else nowhere — each said in words."""
    return elders_positions([elder])[elder.pk]


def elders_positions(elders: list[Any]) -> dict[Any, Position]:
    """``elder_position`` for many elders: the communities' centres read once."""
    regions = {e.region_id for e in elders if geo.cell_centre(e.home_cell or "") is None}
    centres = {code: (lat, lon, name) for code, lat, lon, name in Region.objects.filter(pk__in=regions).values_list(
        "code", "centre_latitude", "centre_longitude", "name")} if regions else {}
    out = {}
    for e in elders:
        centre = geo.cell_centre(e.home_cell or "")
        region = centres.get(e.region_id)
        if centre is not None:
            out[e.pk] = Position(centre, "home", "按住址位置计算距离")
        elif region and region[0] is not None and region[1] is not None:
            out[e.pk] = Position((region[0], region[1]), "community", f"住址尚未定位，按所在社区（{region[2]}）的中心计算距离")
        else:
            out[e.pk] = Position(None, "none", "住址尚未定位，所在社区也没有中心位置：只列出本街道的服务，不按距离排序")
    return out


@dataclass
class Means:
    """What the cost factor knows of the elder: whether she is in economic difficulty (None:
    未知) and the benefits she is entitled to (True) or may be (False), by code and name."""
    difficulty: bool | None = None
    benefits: dict[str, tuple[str, bool]] = field(default_factory=dict)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # as kept, for a batch's lists


def elder_means(elder: Any) -> Means:
    return elders_means([elder])[elder.pk]


def elders_means(elders: list[Any]) -> dict[Any, Means]:
    """``Means`` of many elders in three queries: the 经济状况 from their categories, the
    benefits from the statuses the entitlements app keeps (not recomputed here)."""
    from yiyang.elders.models import ECONOMIC_NONE, ECONOMIC_UNKNOWN, ElderCategory, economic_status_of
    from yiyang.elders.registry import elders_stored_benefits

    ids = [e.pk for e in elders]
    codes: dict[Any, list[str]] = {}
    for start in range(0, len(ids), 2000):
        for elder_id, code in ElderCategory.objects.filter(elder_id__in=ids[start:start + 2000]).values_list(
                "elder_id", "category__code"):
            codes.setdefault(elder_id, []).append(code)
    benefits = elders_stored_benefits(ids)
    out = {}
    for e in elders:
        status = economic_status_of(e.not_in_difficulty, codes.get(e.pk, []))
        out[e.pk] = Means(None if status == ECONOMIC_UNKNOWN else status != ECONOMIC_NONE,
                          {code: (b["name"], b["entitled"]) for code, b in benefits.get(e.pk, {}).items()},
                          benefits.get(e.pk, {}))
    return out


@dataclass
class Candidate:
    """One service as matching sees it: plain values, no model instance."""
    id: Any
    kind: str
    needs: set[str]
    distance_m: float | None
    covers: bool
    minimum_age: int | None
    min_level: int | None
    max_level: int | None
    star_rating: int | None
    confirmed_at: dt.datetime | None
    ownership: str
    capacity: int  # MatchCandidate.Capacity: 2 places free, 1 none free, 0 not reported
    lowest: Decimal | None  # the lowest price given
    free: bool
    caps: list[tuple[str, int]] = field(default_factory=list)  # (unit, free): read for the few shown
    sid: str = ""  # the id as text: the last tie-breaker
    # The factors that do not depend on who asks (distance from the cell, places, stars,
    # freshness), worked out once per place however many elders of the cell are ranked.
    fixed: dict[str, dict[str, Any]] = field(default_factory=dict)
    fixed_scores: dict[str, float] = field(default_factory=dict)
    fixed_sum: float = 0.0


@dataclass
class Recommendation:
    service: Service
    need: str
    distance_m: float | None
    walk_min: float | None
    score: float
    explanation: str
    factors: list[dict[str, Any]] = field(default_factory=list)


class Cache(dict):
    """What a batch's elders share: pools of candidates by home cell for all ``needs`` (the
    services that serve a community added per community, ``pools``),
    and every candidate row around the chunk's elders in memory by 0.01° square (one query for
    a chunk instead of one per home cell), with the places free of the services shown."""

    def __init__(self, needs: Iterable[str]) -> None:
        super().__init__()
        self.needs = tuple(sorted(needs))
        self.tiles: dict[tuple[int, int], list[tuple[Any, ...]]] = {}
        self.loaded: set[tuple[int, int]] = set()
        self.covering: dict[str, list[tuple[Any, ...]]] = {}
        self.caps: dict[Any, list[tuple[str, int]]] = {}
        self.ranked: dict[Any, Any] = {}  # (place, need, what the elder is like) → the ranking
        self.parsed: dict[Any, tuple[uuid.UUID, dt.datetime | None, str]] = {}  # a service's id, confirmed, id text
        self.overlays: dict[Any, Pool | None] = {}  # (place, community) → its area's services

    @staticmethod
    def place_key(position: Position, region_id: str) -> Any:
        """Whose candidates are the same: a home cell's (or a community centre's) elders, or
        without a position those of one street."""
        return position.point if position.point is not None else (None, region_id[:9])

    def pools(self, position: Position, region_id: str) -> tuple[Pool, Pool | None]:
        """The place's pool, and the overlay of the services that serve ``region_id`` (None when
        none of ``needs`` is served there): the pool is shared by every elder of the cell, the
        overlay by those of one community in it."""
        key = self.place_key(position, region_id)
        pool = self.get(key)
        if pool is None:
            pool = self[key] = Pool(_candidates(position, self.needs, region_id, self, areas=False))
        if (key, region_id) not in self.overlays:
            rows = self.covering_rows(region_id, *_covering(region_id, self.needs))
            overlay = None
            if rows:
                here = {row[0] for row in rows}
                into = {raw: replace(c, needs=set(c.needs), fixed={}, fixed_scores={}, caps=[])
                        for raw, c in pool.found.items() if raw in here}
                overlay = Pool(_found(rows, position, 0.0, self, into))
            self.overlays[(key, region_id)] = overlay
        return pool, self.overlays[(key, region_id)]

    def keep_only(self, keys: set[Any]) -> None:
        """Forget the pools (and rankings) of places not in ``keys``: a batch goes cell by cell."""
        for key in [k for k in self if k not in keys]:
            del self[key]
        self.overlays = {k: v for k, v in self.overlays.items() if k[0] in keys}
        self.ranked = {k: v for k, v in self.ranked.items() if k[0][0] in keys}

    def _tiles_around(self, point: tuple[float, float], radius_m: float) -> list[tuple[int, int]]:
        lat0, lat1, lon0, lon1 = selectors._box(point[0], point[1], radius_m)
        (a0, b0), (a1, b1) = _tile(lat0, lon0), _tile(lat1, lon1)
        return [(a, b) for a in range(a0, a1 + 1) for b in range(b0, b1 + 1)]

    def load_around(self, points: list[tuple[float, float]], reach_m: float) -> None:
        """Read, once, every candidate row of ``needs`` within reach of any of ``points``."""
        radius = max(reach_m, HOME_REACH_M)
        missing = {tile for p in points for tile in self._tiles_around(p, radius)} - self.loaded
        if not missing or not self.needs:
            return
        a0, a1 = min(a for a, _b in missing), max(a for a, _b in missing)
        b0, b1 = min(b for _a, b in missing), max(b for _a, b in missing)
        ranges = [(a * TILE_ROW + b0, a * TILE_ROW + b1) for a in range(a0, a1 + 1)]
        box = {(a, b) for a in range(a0, a1 + 1) for b in range(b0, b1 + 1)}
        for row in _read_tiles(self.needs, ranges, ranges):
            tile = _tile(row[12], row[13])
            if tile in box and tile not in self.loaded:
                self.tiles.setdefault(tile, []).append(row)
        self.loaded |= box

    def has_around(self, point: tuple[float, float], reach_m: float) -> bool:
        return all(tile in self.loaded for tile in self._tiles_around(point, max(reach_m, HOME_REACH_M)))

    def rows_around(self, point: tuple[float, float], walk_m: float, needs: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """Every place's rows within the walk's squares; beyond them, up to 5 km, only services
        that come to the door."""
        wanted = set(needs)
        walk = set(self._tiles_around(point, walk_m))
        rows = [row for tile in walk for row in self.tiles.get(tile, ()) if row[11] in wanted]
        rows += [row for tile in self._tiles_around(point, max(walk_m, HOME_REACH_M)) if tile not in walk
                 for row in self.tiles.get(tile, ()) if row[1] in COMES_TO_HOME and row[11] in wanted]
        return rows

    def covering_rows(self, region_id: str, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """The area's rows (``_covering``) of a community, read once."""
        if region_id not in self.covering:
            with connection.cursor() as cur:
                cur.execute(sql, params)
                self.covering[region_id] = cur.fetchall()
        return list(self.covering[region_id])

    def caps_of(self, ids: list[Any]) -> dict[Any, list[tuple[str, int]]]:
        missing = [sid for sid in ids if sid not in self.caps]
        if missing:
            found = _caps(missing)
            for sid in missing:
                self.caps[sid] = found.get(sid, [])
        return {sid: self.caps[sid] for sid in ids}


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# The candidates are read in SQL (table names from the models' meta, every value bound): it runs
# for every list shown, and building it through the ORM cost more than running it (≈ 2 ms of
# Python per queryset, against well under 1 ms in the database). One table, ``MatchCandidate``
# (``candidates``), the same on SQLite and PostgreSQL. Row: service, kind, minimum age, levels,
# stars, confirmed, ownership, places free, lowest price, free, need; latitude, longitude, covers.
# ``confirmed_at`` comes as whole seconds since 1970: the driver's parsing of a timestamp per row
# cost more than the rest of the row (psycopg: ≈ 10 µs each, 200 rows a list).
_EPOCH = {"postgresql": "CAST(EXTRACT(EPOCH FROM c.confirmed_at) AS BIGINT)",
          "sqlite": "CAST(strftime('%%s', c.confirmed_at) AS INTEGER)"}


def _columns() -> str:
    return (f"c.service_id, c.kind, c.minimum_age, c.min_level, c.max_level, c.star_rating, "
            f"{_EPOCH[connection.vendor]}, c.ownership, c.capacity, c.lowest_price, c.free, c.need")
_TERMS = 200  # OR terms per statement (one bound value each: well inside SQLite's variable limit)


def _read_tiles(needs: tuple[str, ...], walk: list[tuple[int, int]], door: list[tuple[int, int]],
                also: tuple[str, list[Any]] | None = None) -> list[tuple[Any, ...]]:
    """The candidate rows of ``needs`` in the squares of ``walk`` (services at a place) and, of
    services that come to the door, in those of ``door`` — each term one range of the index
    ``(need, door, tile)``; ``also`` (SQL, parameters) is read in the same statement."""
    table = MatchCandidate._meta.db_table
    terms = [(need, False, r) for need in needs for r in walk] + [(need, True, r) for need in needs for r in door]
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cur:
        for start in range(0, len(terms), _TERMS):
            part = terms[start:start + _TERMS]
            # The squares are integers of our own and the door a keyword, written into the text
            # (fewer placeholders for the driver to bind); the need tag is bound.
            where = " OR ".join(f"(c.need = %s AND c.door = {'TRUE' if at_door else 'FALSE'} "
                                f"AND c.tile BETWEEN {int(lo):d} AND {int(hi):d})" for _need, at_door, (lo, hi) in part)
            sql = f"SELECT {_columns()}, c.latitude, c.longitude, 0 FROM {table} c WHERE {where}"  # noqa: S608
            params: list[Any] = [need for need, _at_door, _r in part]
            if also is not None and start + _TERMS >= len(terms):  # with the last part: one round trip
                sql, params = f"{sql} UNION ALL {also[0]}", [*params, *also[1]]
                also = None
            cur.execute(sql, params)
            rows += cur.fetchall()
    return rows


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _when(value: Any) -> dt.datetime | None:
    """Seconds since 1970 (``_EPOCH``) → an aware datetime."""
    return None if value is None else dt.datetime.fromtimestamp(int(value), dt.UTC)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else value if isinstance(value, Decimal) else Decimal(str(value))


def _candidates(pos: Position, needs: tuple[str, ...], region_id: str,
                cache: Cache | None = None, *, areas: bool = True) -> dict[Any, Candidate]:
    """Every active service with one of ``needs`` that is within reach of ``pos`` or (with
    ``areas``) serves the elder's area — one query on ``MatchCandidate``, plain rows; in a batch
    the rows come from the cache's squares, loaded once for a chunk of elders."""
    speed, detour, circle = walk_settings()
    reach_m = 3 * circle * speed / detour  # beyond three circles a place is not recommended
    table = MatchCandidate._meta.db_table
    need_in = ", ".join(["%s"] * len(needs))
    covering = _covering(region_id, needs) if areas else None
    rows: list[Any]
    if cache is not None and pos.point is not None and cache.has_around(pos.point, reach_m):
        rows = cache.rows_around(pos.point, reach_m, needs)
        if covering is not None:
            rows += cache.covering_rows(region_id, *covering)
    else:
        if pos.point is not None:
            lat, lon = pos.point
            # Two questions on one index: the places within the walk (the squares of its box, one
            # range per row), and the services that come to the door within 5 km.
            walk = tile_ranges(*selectors._box(lat, lon, reach_m))
            door = tile_ranges(*selectors._box(lat, lon, max(reach_m, HOME_REACH_M)))
            rows = _read_tiles(needs, walk, door, also=covering)
        else:
            street = region_id[:9]
            sql = (f"SELECT {_columns()}, NULL, NULL, 0 FROM {table} c WHERE c.need IN ({need_in}) "  # noqa: S608
                   f"AND c.region_code >= %s AND c.region_code < %s")
            params = [*needs, street, street + "~"]
            if covering is not None:
                sql, params = f"{sql} UNION ALL {covering[0]}", [*params, *covering[1]]
            with connection.cursor() as cur:
                cur.execute(sql, params)
                rows = cur.fetchall()
    return _found(rows, pos, reach_m, cache)


def _covering(region_id: str, needs: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The candidate rows of services that serve the elder's community, street or district
    (``ServiceArea``), as (SQL, parameters)."""
    table, area = MatchCandidate._meta.db_table, ServiceArea._meta.db_table
    need_in = ", ".join(["%s"] * len(needs))
    areas = [region_id, region_id[:9] + "000", region_id[:6] + "000000"]
    return (f"SELECT {_columns()}, NULL, NULL, 1 FROM {area} a JOIN {table} c ON c.service_id = a.service_id "  # noqa: S608
            f"WHERE a.region_code IN (%s, %s, %s) AND c.need IN ({need_in})", [*areas, *needs])


def _found(rows: list[Any], pos: Position, reach_m: float, cache: Cache | None,
           into: dict[Any, Candidate] | None = None) -> dict[Any, Candidate]:
    """Candidate rows → one ``Candidate`` per service (its nearest place, every need it has
    here); ``into`` holds candidates found already (a batch adds an area's to a cell's)."""
    found: dict[Any, Candidate] = {} if into is None else into
    distances: dict[tuple[float, float], float] = {}  # a place has a row per need: measured once
    for row in rows:
        lat_l, lon_l, covers = row[12], row[13], bool(row[14])
        if lat_l is not None and pos.point is not None:
            d: float | None = distances.get((lat_l, lon_l))
            if d is None:
                d = distances[(lat_l, lon_l)] = geo.distance_m(pos.point, (lat_l, lon_l))
            if not (d <= reach_m or (row[1] in COMES_TO_HOME and d <= HOME_REACH_M)):
                continue
        else:
            d = None
        raw = row[0]  # as the driver gives it (SQLite: hex text); a UUID only once per service
        c = found.get(raw)
        if c is None:
            parsed = cache.parsed.get(raw) if cache is not None else None
            if parsed is None:
                sid = _uuid(raw)
                parsed = (sid, _when(row[6]), str(sid))
                if cache is not None:
                    cache.parsed[raw] = parsed
            c = found[raw] = Candidate(parsed[0], row[1], set(), d, covers, row[2], row[3], row[4], row[5],
                                       parsed[1], row[7] or "", row[8], _decimal(row[9]), bool(row[10]),
                                       sid=parsed[2])
        elif d is not None and (c.distance_m is None or d < c.distance_m):
            c.distance_m = d
        c.covers = c.covers or covers
        c.needs.add(row[11])
    return found


def _caps(ids: list[Any]) -> dict[Any, list[tuple[str, int]]]:
    """Places free (unit, available) of these services, by unit."""
    out: dict[Any, list[tuple[str, int]]] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for sid, unit, available in ServiceCapacity.objects.filter(service_id__in=part).order_by(
                "service_id", "unit").values_list("service_id", "unit", "available"):
            out.setdefault(sid, []).append((unit, available))
    return out


TILE = 100  # squares of 0.01° (≈ 1.1 km north–south), as ``Location.tile``


def _tile(lat: float, lon: float) -> tuple[int, int]:
    return int(lat * TILE), int(lon * TILE)


class Pool:
    """The candidates of one place and area, best first by the factors that do not depend on
    the elder (``Candidate.fixed_sum``): a ranking reads it from the top and stops as soon as
    no candidate below could still enter the list."""

    def __init__(self, found: dict[Any, Candidate]) -> None:
        self.found = found
        self.ids = {c.id for c in found.values()}
        self.by_need: dict[str, list[Candidate]] = {}
        self.min_ages: list[int] = []
        self.prepared_for: Any = None

    def prepare(self, key: Any, w: dict[str, float], circle: float, min_per_m: float,
                stale_before: dt.datetime) -> None:
        if self.prepared_for == key:
            return
        for c in self.found.values():  # numbers only: the words are written for the few shown
            c.fixed = {}
            c.fixed_scores = _fixed_scores(c, circle, min_per_m, stale_before)
            c.fixed_sum = sum(w.get(code, 0) * v for code, v in c.fixed_scores.items())
        ordered = sorted(self.found.values(), key=lambda c: -c.fixed_sum)
        self.by_need = {}
        for c in ordered:
            for need in c.needs:
                self.by_need.setdefault(need, []).append(c)
        # The ages at which a service here starts to take an elder: elders between the same two
        # are eligible for the same services (a batch ranks once for all of them).
        self.min_ages = sorted({c.minimum_age for c in ordered if c.minimum_age is not None})
        self.prepared_for = key


ORDER = ("distance", "capacity", "quality", "level_fit", "cost", "freshness")


def _in_order(pool: Pool, overlay: Pool | None, need: str) -> Iterable[Candidate]:
    """The candidates of ``need`` best first by their fixed factors: the cell's, and in a batch
    the services that serve the elder's area (``overlay``: their rows replace the cell's own)."""
    if overlay is None or need not in overlay.by_need:
        return pool.by_need.get(need, ())
    replaced = overlay.ids
    own = (c for c in pool.by_need.get(need, ()) if c.id not in replaced)
    return heapq.merge(own, overlay.by_need[need], key=lambda c: -c.fixed_sum)


def rank(*, position: Position, region_id: str, needs: Iterable[str], age: int, level: int | None,
         means: Means | None, limit: int, now: dt.datetime | None = None,
         cache: Cache | None = None) -> dict[str, list[tuple[Candidate, float, list[dict[str, Any]]]]]:
    """For each need, the ``limit`` best candidates with their score and factors, ordered by
    score, then distance, then the service's id."""
    now = now or timezone.now()
    needs = tuple(sorted(set(needs)))
    if not needs:
        return {}
    w = weights()
    total_w = sum(w.get(code, 0) for code in ORDER) or 1.0
    speed, detour, circle = walk_settings()
    stale_before = now - dt.timedelta(days=selectors.stale_days())
    prepared = (tuple(sorted(w.items())), now.date(), speed, detour, circle)
    overlay: Pool | None = None
    if cache is None:
        pool = Pool(_candidates(position, needs, region_id))
        key: Any = None
    else:  # a batch: one pool per home cell, shared by its elders whatever their community
        pool, overlay = cache.pools(position, region_id)
        key = (cache.place_key(position, region_id), region_id if overlay is not None else None)
    pool.prepare(prepared, w, circle, detour / speed, stale_before)
    min_ages = pool.min_ages
    if overlay is not None:
        overlay.prepare(prepared, w, circle, detour / speed, stale_before)
        min_ages = sorted({*pool.min_ages, *overlay.min_ages})
    means = means or Means()
    payers = _payers(means)
    if level is None:
        level_f = _factor(w, "level_fit", 0.7, None, "老人尚未做能力评估")
    else:
        level_f = _factor(w, "level_fit", 1.0, level, f"接收能力等级{level}级的老人")
    best_possible = w.get("level_fit", 0) * level_f["score"] + w.get("cost", 0) * 1.0
    # What the ranking depends on besides the place: in a batch, elders of one cell alike in
    # these share one ranking (their age only through the services' minimum ages).
    alike = (level, bisect.bisect_right(min_ages, age), means.difficulty, tuple(sorted(payers.items())), limit)
    out: dict[str, list[tuple[Candidate, float, list[dict[str, Any]]]]] = {}
    for need in needs:
        if cache is not None and (key, need, alike) in cache.ranked:
            out[need] = cache.ranked[(key, need, alike)]
            continue
        top: list[tuple[tuple[float, float, str], Candidate, float, dict[str, Any]]] = []  # best first
        for c in _in_order(pool, overlay, need):
            if len(top) >= limit and (c.fixed_sum + best_possible) / total_w < top[-1][2] - 0.001:
                break  # nothing further down can reach the list
            if c.minimum_age is not None and age < c.minimum_age:
                continue
            if level is not None and ((c.min_level is not None and level < c.min_level)
                                      or (c.max_level is not None and level > c.max_level)):
                continue
            cost_f = _factor(w, *_cost(c, payers, means))
            parts = {**c.fixed_scores, "level_fit": level_f["score"], "cost": cost_f["score"]}
            score = round(sum(w.get(code, 0) * parts[code] for code in ORDER) / total_w, 3)
            order = (-score, c.distance_m if c.distance_m is not None else float("inf"), c.sid)
            if len(top) < limit or order < top[-1][0]:
                bisect.insort(top, (order, c, score, cost_f), key=lambda t: t[0])
                del top[limit:]
        unread = [c for _o, c, _score, _cost_f in top if not c.fixed]
        if unread:  # the words are written for the few shown, with their places free
            caps = cache.caps_of([c.id for c in unread]) if cache is not None else _caps([c.id for c in unread])
            for c in unread:
                c.caps = caps.get(c.id, [])
                c.fixed = _fixed_factors(c, circle, detour / speed, w, stale_before)
        out[need] = [(c, score, [{**c.fixed, "level_fit": level_f, "cost": cost_f}[code] for code in ORDER])
                     for _o, c, score, cost_f in top]
        if cache is not None:
            cache.ranked[(key, need, alike)] = out[need]
    return out


def recommend_many(elder: Any, needs: Iterable[str], *, level: int | None, limit: int = 5,
                   now: dt.datetime | None = None, means: Means | None = None, places: bool = True,
                   ) -> tuple[Position, dict[str, list[Recommendation]]]:
    """Ranked recommendations for several needs of one elder (pure reading; ``log`` records
    them); the services shown are loaded once, with their organisation (and ``places``)."""
    pos = elder_position(elder)
    ranked = rank(position=pos, region_id=elder.region_id, needs=needs, age=_age(elder.birth_date, timezone.localdate()),
                  level=level, means=means if means is not None else elder_means(elder), limit=limit, now=now)
    shown = {c.id for items in ranked.values() for c, _s, _f in items}
    qs = Service.objects.filter(pk__in=shown).select_related("organization")
    if places:
        qs = qs.prefetch_related(Prefetch("at_locations", queryset=ServiceAtLocation.objects.select_related("location")))
    else:  # the API: names and kinds only
        qs = qs.only("id", "name", "kind", "organization_id", "organization__name")
    services = {s.pk: s for s in qs}
    _speed, detour, circle = walk_settings()
    result = {}
    for need, items in ranked.items():
        result[need] = [Recommendation(services[c.id], need, c.distance_m, _walk(c.distance_m, detour / _speed), score,
                                       "；".join(f["text"] for f in factors), factors)
                        for c, score, factors in items]
    return pos, result


def recommend(elder: Any, need: str, *, level: int | None, limit: int = 5, now: dt.datetime | None = None,
              means: Means | None = None) -> tuple[Position, list[Recommendation]]:
    """Ranked recommendations for one need of one elder."""
    pos, result = recommend_many(elder, [need], level=level, limit=limit, now=now, means=means)
    return pos, result.get(need, [])


def _walk(d: float | None, min_per_m: float) -> float | None:
    return None if d is None else round(d * min_per_m, 1)


def _payers(means: Means) -> dict[str, tuple[str, bool]]:
    """Service kind → (the benefit that helps pay for it, entitled?) — entitled before maybe."""
    out: dict[str, tuple[str, bool]] = {}
    for code, kinds in cost_benefits().items():
        if code in means.benefits:
            name, entitled = means.benefits[code]
            for kind in kinds:
                if kind not in out or (entitled and not out[kind][1]):
                    out[kind] = (name, entitled)
    return out


def _factor(w: dict[str, float], code: str, score: float, value: Any, text: str) -> dict[str, Any]:
    return {"code": code, "name": FACTOR_NAMES[code], "weight": w.get(code, 0), "value": value,
            "score": round(score, 3), "text": text}


_CAPACITY_SCORES: dict[int, float] = {MatchCandidate.Capacity.FREE: 1.0, MatchCandidate.Capacity.NONE_FREE: 0.2,
                                      MatchCandidate.Capacity.UNREPORTED: 0.6}


def _fixed_scores(c: Candidate, circle: float, min_per_m: float, stale_before: dt.datetime) -> dict[str, float]:
    """The scores of ``_fixed_factors`` without their words (the same rules, the same rounding)."""
    d = c.distance_m
    walk = None if d is None else d * min_per_m
    if c.kind in COMES_TO_HOME and (c.covers or walk is None or walk > circle):
        distance = 1.0 if c.covers else 0.6
    elif walk is None:
        distance = 0.5
    else:
        distance = round(1.0 if walk <= circle else max(0.0, 1 - (walk - circle) / (2 * circle)), 3)
    capacity = _CAPACITY_SCORES[c.capacity]
    quality = round(c.star_rating / 5, 3) if c.star_rating else 0.6
    fresh = c.confirmed_at is not None and c.confirmed_at >= stale_before
    return {"distance": distance, "capacity": capacity, "quality": quality, "freshness": 1.0 if fresh else 0.5}


def _fixed_factors(c: Candidate, circle: float, min_per_m: float, w: dict[str, float],
                   stale_before: dt.datetime) -> dict[str, dict[str, Any]]:
    """distance, capacity, quality, freshness: what the service is, seen from the cell."""
    f = {}
    d = c.distance_m
    walk = None if d is None else d * min_per_m
    comes = c.kind in COMES_TO_HOME
    if comes and (c.covers or walk is None or walk > circle):
        f["distance"] = _factor(w, "distance", 1.0 if c.covers else 0.6, None if d is None else round(d),
                                "上门服务，覆盖老人所在区域" if c.covers else "上门服务（机构距离较远，需确认能否上门）")
    elif walk is None:
        f["distance"] = _factor(w, "distance", 0.5, None, "距离未知")
    else:
        score = 1.0 if walk <= circle else max(0.0, 1 - (walk - circle) / (2 * circle))
        where = "在15分钟服务圈内" if walk <= circle else "在15分钟服务圈外"
        f["distance"] = _factor(w, "distance", score, round(d or 0),
                                f"步行约{max(1, round(walk))}分钟（约{round(d or 0)}米），{where}")
    free = [(u, a) for u, a in c.caps if a > 0]
    if free:
        f["capacity"] = _factor(w, "capacity", 1.0, dict(c.caps), "、".join(f"空余{u}{a}" for u, a in free))
    elif c.caps:
        f["capacity"] = _factor(w, "capacity", 0.2, dict(c.caps), "目前没有空余" + "、".join(u for u, _a in c.caps))
    else:
        f["capacity"] = _factor(w, "capacity", 0.6, None, "未登记空余情况")
    if c.star_rating:
        f["quality"] = _factor(w, "quality", c.star_rating / 5, c.star_rating, f"{c.star_rating}星级")
    else:
        f["quality"] = _factor(w, "quality", 0.6, None, "暂无等级评定")
    fresh = c.confirmed_at is not None and c.confirmed_at >= stale_before
    f["freshness"] = _factor(w, "freshness", 1.0 if fresh else 0.5,
                             c.confirmed_at.date().isoformat() if c.confirmed_at else None,
                             "信息近期已确认" if fresh else "信息较久未确认，请先电话核实")
    return f


def _cost(c: Candidate, payers: dict[str, tuple[str, bool]], means: Means) -> tuple[str, float, Any, str]:
    lowest = c.lowest
    value = None if lowest is None else float(lowest)
    if c.free:  # every price given is 0, or none is given and the fees say 免费
        return "cost", 1.0, 0.0, "免费"
    if c.kind in payers:
        name, entitled = payers[c.kind]
        if entitled:
            return "cost", 0.9, value, f"可使用“{name}”"
        return "cost", 0.75, value, f"可能可使用“{name}”（待核实）"
    public = c.ownership in (Service.Ownership.PUBLIC_GUARANTEE, Service.Ownership.INCLUSIVE)
    label = "兜底保障型" if c.ownership == Service.Ownership.PUBLIC_GUARANTEE else "普惠型"
    if means.difficulty:
        if public:
            return "cost", 0.9 if c.ownership == Service.Ownership.PUBLIC_GUARANTEE else 0.8, value, \
                f"{label}，经济困难老人优先"
        if lowest is not None:
            return "cost", 0.4, value, f"收费{_yuan(lowest)}元起，老人经济困难，请确认能否负担"
        return "cost", 0.5, None, "未登记收费，老人经济困难，请先问清价格"
    if public:
        return "cost", 0.8, value, f"{label}收费" + (f"{_yuan(lowest)}元起" if lowest is not None else "")
    if lowest is not None:
        return "cost", 0.7, value, f"收费{_yuan(lowest)}元起"
    return "cost", 0.6, None, "未登记收费"


def _yuan(amount: Decimal) -> str:
    """15.00 → 15, 12.50 → 12.5."""
    return f"{Decimal(amount).normalize():f}"


def log(*, elder: Any, actor: Any, need: str, position: Position, items: list[Recommendation],
        context: str) -> RecommendationLog:
    """Record a list as it was shown: every candidate with its rank, score and factors."""
    return log_many(elder=elder, actor=actor, position=position, lists={need: items}, context=context)[0]


def log_many(*, elder: Any, actor: Any, position: Position, lists: dict[str, list[Recommendation]],
             context: str) -> list[RecommendationLog]:
    """``log`` for several needs in one statement."""
    rows = log_objects(elder=elder, actor=actor, position=position, lists=lists, context=context)
    if len(rows) == 1:  # one INSERT; bulk_create would wrap it in a transaction (three round trips)
        rows[0].save(force_insert=True)
        return rows
    return RecommendationLog.objects.bulk_create(rows)


def log_objects(*, elder: Any, actor: Any, position: Position, lists: dict[str, list[Recommendation]],
                context: str) -> list[RecommendationLog]:
    """The log rows of ``log_many``, not yet saved (a batch writes many elders' at once)."""
    user = actor if getattr(actor, "pk", None) else None
    return [RecommendationLog(elder_id=elder.pk, actor=user, need=need, context=context, position=position.source,
                              items=log_items(items)) for need, items in lists.items()]


def log_items(items: list[Recommendation]) -> list[dict[str, Any]]:
    """A shown list as ``RecommendationLog.items`` keeps it: rank, service, score and factors."""
    return [{"rank": i + 1, "service_id": str(r.service.pk), "organization_id": str(r.service.organization_id),
             "score": r.score, "distance_m": None if r.distance_m is None else round(r.distance_m),
             "factors": [{k: f[k] for k in ("code", "score", "value")} for f in r.factors]}
            for i, r in enumerate(items)]
