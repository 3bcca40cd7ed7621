"""Coverage gaps (seed 003 一刻钟便民生活圈, seed 004 15分钟服务圈): for each community, which
needs of its elders have no active service within the walking circle, and how many elders that
leaves uncovered — the list a bureau plans its next canteen or day centre from.

An elder's place is her home cell's centre (plain ≈200 m cell, nothing decrypted), else her
community's centre; elders with neither are counted as 未定位. Each (place, need) is looked up
once: a district's elders share a few thousand cells.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from yiyang.core import geo
from yiyang.core.access import prefix_q
from yiyang.directory import matching, selectors
from yiyang.directory.models import Service
from yiyang.elders.models import Elder
from yiyang.regions.models import Region


@dataclass
class CommunityGap:
    code: str
    name: str
    street: str
    with_need: dict[str, int] = field(default_factory=dict)  # need → elders who have it
    uncovered: dict[str, int] = field(default_factory=dict)  # need → of those, no service in the circle
    unlocated: int = 0  # elders with needs but no place to measure from


def circle_radius_m() -> float:
    """The straight-line radius of the walking circle."""
    speed, detour, circle = matching.walk_settings()
    return circle * speed / detour


def coverage(prefix: str) -> tuple[list[CommunityGap], dict[str, str]]:
    """Gaps per community under the code ``prefix`` ('' = everywhere), and the need names."""
    from yiyang.surveys.selectors import elders_current_needs, need_tag_names

    names = need_tag_names()
    communities = {r.code: r for r in Region.objects.filter(level=Region.Level.COMMUNITY).filter(
        prefix_q(prefix, "code")).select_related("parent")}
    elders = list(Elder.objects.filter(active=True).filter(prefix_q(prefix, "region")).values_list(
        "pk", "region_id", "home_cell"))
    needs = elders_current_needs([pk for pk, _r, _c in elders])
    radius = circle_radius_m()
    covered_cache: dict[tuple[tuple[float, float], str], bool] = {}
    gaps: dict[str, CommunityGap] = {}
    for pk, region_code, cell in elders:
        tags = needs.get(pk)
        if not tags or region_code not in communities:
            continue
        c = communities[region_code]
        gap = gaps.get(region_code)
        if gap is None:
            gap = gaps[region_code] = CommunityGap(region_code, c.name, c.parent.name if c.parent else "")
        point = geo.cell_centre(cell or "")
        if point is None and c.centre_latitude is not None and c.centre_longitude is not None:
            point = (c.centre_latitude, c.centre_longitude)
        if point is None:
            gap.unlocated += 1
            continue
        for code, _name in tags:
            gap.with_need[code] = gap.with_need.get(code, 0) + 1
            key = (point, code)
            if key not in covered_cache:
                covered_cache[key] = _covered(point, code, radius)
            if not covered_cache[key]:
                gap.uncovered[code] = gap.uncovered.get(code, 0) + 1
    return sorted(gaps.values(), key=lambda g: g.code), names


def _covered(point: tuple[float, float], need: str, radius: float) -> bool:
    """An active service with the need within the circle — or one that comes to the door and
    lists the area (service areas are checked by the caller's region; here: within 5 km)."""
    located = selectors.nearby_locations(point[0], point[1], max(radius, matching.HOME_REACH_M))
    near = [pk for d, pk in located if d <= radius]
    far = [pk for d, pk in located if radius < d]
    qs = Service.objects.filter(status=Service.Status.ACTIVE, needs__need=need)
    return qs.filter(Q(at_locations__location_id__in=near)
                     | Q(at_locations__location_id__in=far, kind__in=matching.COMES_TO_HOME)).exists()


def rollup(gaps: list[CommunityGap], level: int) -> dict[str, dict[str, Any]]:
    """Totals by code prefix of ``level`` digits (9: streets, 6: districts)."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"with_need": defaultdict(int), "uncovered": defaultdict(int),
                                                          "unlocated": 0})
    for g in gaps:
        row = out[g.code[:level]]
        for k, v in g.with_need.items():
            row["with_need"][k] += v
        for k, v in g.uncovered.items():
            row["uncovered"][k] += v
        row["unlocated"] += g.unlocated
    return out
