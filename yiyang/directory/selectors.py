"""Reading the directory: the public search (by kind, need, community and distance, nearest
first), one service with its details, and what is stale.

Nearest first without a spatial extension: a box around the point (a band of latitudes on
the ``(latitude, longitude)`` index, then the longitudes in it), exact distances in Python for
the few hundred places inside, and a wider box only when the first holds too few. The same
SQL runs on SQLite and PostgreSQL (benchmarks/matching.py measures it at 50,000 services).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from yiyang.core import geo
from yiyang.core.access import prefix_q
from yiyang.directory.models import Location, Service, ServiceAtLocation
from yiyang.regions.models import Region

# Statuses the public and matching see; inactive and defunct services never appear.
VISIBLE = (Service.Status.ACTIVE, Service.Status.TEMPORARILY_CLOSED)
METRES_PER_DEGREE_LAT = 111_320


def stale_days() -> int:
    return int(settings.YIYANG.get("DIRECTORY_STALE_DAYS", 90))


def stale_before(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=stale_days())


def is_stale(service: Service, now: dt.datetime | None = None) -> bool:
    return service.confirmed_at is None or service.confirmed_at < stale_before(now)


LIST_RELATIONS = ("needs", "capacities")  # what a search result shows
DETAIL_RELATIONS = ("needs", "capacities", "schedules", "cost_options", "contacts", "areas__region")


def with_details(qs: QuerySet[Service], *, summary: bool = False) -> QuerySet[Service]:
    """Services with what they show: in a list (``summary``) the needs, free places and places;
    one service or the feed everything HSDS carries. Each relation is one more query for all
    the services and Django's work per service and relation — a list does not pay for what it
    does not show."""
    return qs.select_related("organization").prefetch_related(
        *(LIST_RELATIONS if summary else DETAIL_RELATIONS),
        Prefetch("at_locations", queryset=ServiceAtLocation.objects.select_related("location")))


@dataclass
class Hit:
    service: Service
    location: Location | None
    distance_m: float | None


def _box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlon = radius_m / (METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def nearby_locations(lat: float, lon: float, radius_m: float) -> list[tuple[float, Any]]:
    """(distance, location id) of the locations within ``radius_m`` of the point, nearest
    first. Plain tuples: a box holds a few hundred places, and model instances would cost more
    than the query."""
    lat0, lat1, lon0, lon1 = _box(lat, lon, radius_m)
    rows = Location.objects.filter(latitude__range=(lat0, lat1), longitude__range=(lon0, lon1)).values_list(
        "pk", "latitude", "longitude")
    out = []
    for pk, a, b in rows:
        d = geo.distance_m((lat, lon), (a, b))
        if d <= radius_m:
            out.append((d, pk))
    out.sort(key=lambda p: p[0])
    return out


def search(*, kind: str = "", need: str = "", region: str = "", near: tuple[float, float] | None = None,
           radius_m: float | None = None, q: str = "", limit: int = 50, status: str = "") -> list[Hit]:
    """Visible services matching the filters. With ``near`` nearest first (one row per service,
    at its nearest location), within ``radius_m`` (default: widening from 2 km to 20 km until
    ``limit`` are found); without it by community and name."""
    qs = Service.objects.filter(status__in=[status] if status in VISIBLE else VISIBLE)
    if kind:
        qs = qs.filter(kind=kind)
    if need:
        qs = qs.filter(needs__need=need)
    if region:
        node = Region.objects.filter(code=region).first()
        qs = qs.filter(prefix_q(node.prefix, "region")) if node is not None else qs.none()
    if q:
        qs = qs.filter(name__contains=q) | qs.filter(organization__name__contains=q)
    if near is None:
        listed = list(with_details(qs.order_by("region_id", "name").distinct(), summary=True)[:limit])
        return [Hit(s, _first_location(s), None) for s in listed]
    radii = [radius_m] if radius_m else [2_000, 5_000, 20_000]
    hits: list[Hit] = []
    for r in radii:
        by_location = {pk: d for d, pk in nearby_locations(near[0], near[1], r)}
        if not by_location:
            continue
        # The services at those few hundred places (the service_at_location index on the
        # location), with the filters applied to them only: one query, never a scan.
        pairs = qs.filter(at_locations__location_id__in=list(by_location)).values_list(
            "pk", "at_locations__location_id")
        best: dict[Any, tuple[float, Any]] = {}
        for sid, lid in pairs:
            d = by_location[lid]
            if sid not in best or d < best[sid][0]:
                best[sid] = (d, lid)
        order = sorted(best, key=lambda sid: (best[sid][0], str(sid)))[:limit]
        services = {s.pk: s for s in with_details(Service.objects.filter(pk__in=order), summary=True)}
        hits = [Hit(services[sid], _location(services[sid], best[sid][1]), best[sid][0]) for sid in order]
        if len(hits) >= limit:
            break
    return hits


def _location(s: Service, location_id: Any) -> Location | None:
    return next((sal.location for sal in s.at_locations.all() if sal.location_id == location_id), None)


def _first_location(s: Service) -> Location | None:
    sals = list(s.at_locations.all())
    return sals[0].location if sals else None


def service_detail(service_id: Any) -> Service:
    """One visible service (public); inactive and defunct ones are not found."""
    return with_details(Service.objects.filter(status__in=VISIBLE)).get(pk=service_id)


def services_modified_after(after: dt.datetime | None, after_id: Any = None) -> QuerySet[Service]:
    """For export and sync: every service (any status, so a closure reaches the consumer),
    in (updated_at, id) order after the key given — a keyset page, never an OFFSET."""
    from django.db.models import Q

    qs = Service.objects.order_by("updated_at", "id")
    if after is not None and after_id is not None:
        qs = qs.filter(Q(updated_at__gt=after) | Q(updated_at=after, id__gt=after_id))
    elif after is not None:
        qs = qs.filter(updated_at__gt=after)
    return with_details(qs)


def stale_services(qs: QuerySet[Service]) -> QuerySet[Service]:
    from django.db.models import Q

    cutoff = stale_before()
    return qs.filter(status__in=VISIBLE).filter(Q(confirmed_at__isnull=True) | Q(confirmed_at__lt=cutoff))
