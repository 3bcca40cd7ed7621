"""Matching (智能推荐、精准匹配, seed 001 — and 客观、公正: 不得因人情、利益关系进行选择性的推介).

For one elder and one need: the visible, active services tagged with that need that the elder
may use (age, ability level) and can reach, ranked by published factors only:

    distance   walking minutes from the home (straight line × detour ÷ walking speed):
               1 inside the 15-minute circle, falling to 0 at three times that; home-care and
               home-visit services come to the door and score by whether they serve the area
    capacity   free places now (1), none free (0.2), not reported (0.6)
    quality    star rating ÷ 5; unrated 0.6
    level_fit  the service takes the elder's ability level (1); level not assessed yet (0.7)
    freshness  data confirmed within the stale limit (1), older (0.5)

score = Σ weight × factor ÷ Σ weight; ties by distance, then by the service's id — nothing a
provider can pay for or set exists in the formula (no "featured", no manual order). The weights
are settings (``YIYANG_MATCH_WEIGHTS``) shown on the public page /resources/fairness/. Every
list shown is logged with its candidates and their factors (``RecommendationLog``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from yiyang.core import geo
from yiyang.core.access import prefix_q
from yiyang.directory import selectors
from yiyang.directory.models import RecommendationLog, Service, ServiceArea
from yiyang.regions.models import Region

DEFAULT_WEIGHTS = {"distance": 0.4, "capacity": 0.2, "quality": 0.15, "level_fit": 0.15, "freshness": 0.1}
FACTOR_NAMES = {"distance": "距离", "capacity": "空余床位/餐位", "quality": "服务质量（星级）",
                "level_fit": "适合能力等级", "freshness": "信息更新"}
HOME_REACH_M = 5_000  # a service that comes to the door is considered up to this far away
COMES_TO_HOME = (Service.Kind.HOME_CARE, Service.Kind.HOME_VISIT, Service.Kind.VOLUNTEER_TEAM)


def weights() -> dict[str, float]:
    return dict(settings.YIYANG.get("MATCH_WEIGHTS") or DEFAULT_WEIGHTS)


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
    centre = geo.cell_centre(elder.home_cell or "")
    if centre is not None:
        return Position(centre, "home", "按住址位置计算距离")
    region = Region.objects.filter(pk=elder.region_id).values_list("centre_latitude", "centre_longitude", "name").first()
    if region and region[0] is not None and region[1] is not None:
        return Position((region[0], region[1]), "community",
                        f"住址尚未定位，按所在社区（{region[2]}）的中心计算距离")
    return Position(None, "none", "住址尚未定位，所在社区也没有中心位置：只列出本街道的服务，不按距离排序")


@dataclass
class Recommendation:
    service: Service
    need: str
    distance_m: float | None
    walk_min: float | None
    score: float
    explanation: str
    factors: list[dict[str, Any]] = field(default_factory=list)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def recommend(elder: Any, need: str, *, level: int | None, limit: int = 5,
              now: dt.datetime | None = None) -> tuple[Position, list[Recommendation]]:
    """Ranked recommendations for one need of one elder (pure reading; ``log`` records them)."""
    now = now or timezone.now()
    pos = elder_position(elder)
    age = _age(elder.birth_date, timezone.localdate())
    w = weights()
    speed, detour, circle = walk_settings()
    reach_m = 3 * circle * speed / detour  # beyond three circles a place is not recommended
    qs = Service.objects.filter(status=Service.Status.ACTIVE, needs__need=need).filter(
        Q(minimum_age__isnull=True) | Q(minimum_age__lte=age))
    if level is not None:
        qs = qs.filter(Q(min_level__isnull=True) | Q(min_level__lte=level)).filter(
            Q(max_level__isnull=True) | Q(max_level__gte=level))
    candidates: dict[Any, float | None] = {}
    if pos.point is not None:
        # Places within reach (on the location index), then the services there that pass the
        # filters — one query; a service at several places counts at its nearest.
        by_location = {pk: d for d, pk in selectors.nearby_locations(*pos.point, max(reach_m, HOME_REACH_M))}
        for sid, lid in qs.filter(at_locations__location_id__in=list(by_location)).values_list(
                "pk", "at_locations__location_id"):
            d = by_location[lid]
            if candidates.get(sid) is None or d < candidates[sid]:  # type: ignore[operator]
                candidates[sid] = d
    else:
        for sid in qs.filter(prefix_q(elder.region_id[:9], "region")).values_list("pk", flat=True)[:200]:
            candidates[sid] = None
    # Services that come to the door and cover the elder's area count wherever they sit.
    covering = set(ServiceArea.objects.filter(
        region_id__in=[elder.region_id, elder.region_id[:9] + "000", elder.region_id[:6] + "000000"]).values_list(
        "service_id", flat=True))
    for sid in qs.filter(pk__in=covering).values_list("pk", flat=True):
        candidates.setdefault(sid, None)
    services = {s.pk: s for s in selectors.with_details(qs.filter(pk__in=list(candidates)).distinct(), summary=True)}
    out = []
    for sid, s in services.items():
        dist = candidates.get(sid)
        comes = s.kind in COMES_TO_HOME
        walk = None if dist is None else dist * detour / speed
        if walk is not None and walk > 3 * circle and not (comes and (sid in covering or (dist or 0) <= HOME_REACH_M)):
            continue
        factors = _factors(s, dist, walk, comes, sid in covering, level, circle, w, now)
        total = sum(w[f["code"]] for f in factors)
        score = round(sum(w[f["code"]] * f["score"] for f in factors) / total, 3) if total else 0.0
        out.append(Recommendation(s, need, dist, None if walk is None else round(walk, 1), score,
                                  "；".join(f["text"] for f in factors), factors))
    out.sort(key=lambda r: (-r.score, r.distance_m if r.distance_m is not None else float("inf"), str(r.service.pk)))
    return pos, out[:limit]


def _factors(s: Service, d: float | None, walk: float | None, comes: bool, covers: bool, level: int | None,
             circle: float, w: dict[str, float], now: dt.datetime) -> list[dict[str, Any]]:
    f = []

    def add(code: str, score: float, value: Any, text: str) -> None:
        f.append({"code": code, "name": FACTOR_NAMES[code], "weight": w.get(code, 0), "value": value,
                  "score": round(score, 3), "text": text})

    if comes and (covers or walk is None or walk > circle):
        add("distance", 1.0 if covers else 0.6, None if d is None else round(d),
            "上门服务，覆盖老人所在区域" if covers else "上门服务（机构距离较远，需确认能否上门）")
    elif walk is None:
        add("distance", 0.5, None, "距离未知")
    else:
        score = 1.0 if walk <= circle else max(0.0, 1 - (walk - circle) / (2 * circle))
        where = "在15分钟服务圈内" if walk <= circle else "在15分钟服务圈外"
        add("distance", score, round(d or 0), f"步行约{max(1, round(walk))}分钟（约{round(d or 0)}米），{where}")
    caps = list(s.capacities.all())
    free = [c for c in caps if c.available > 0]
    if free:
        add("capacity", 1.0, {c.unit: c.available for c in caps}, "、".join(f"空余{c.unit}{c.available}" for c in free))
    elif caps:
        add("capacity", 0.2, {c.unit: c.available for c in caps}, "目前没有空余" + "、".join(c.unit for c in caps))
    else:
        add("capacity", 0.6, None, "未登记空余情况")
    if s.star_rating:
        add("quality", s.star_rating / 5, s.star_rating, f"{s.star_rating}星级")
    else:
        add("quality", 0.6, None, "暂无等级评定")
    if level is None:
        add("level_fit", 0.7, None, "老人尚未做能力评估")
    else:
        add("level_fit", 1.0, level, f"接收能力等级{level}级的老人")
    fresh = s.confirmed_at is not None and s.confirmed_at >= now - dt.timedelta(days=selectors.stale_days())
    add("freshness", 1.0 if fresh else 0.5, s.confirmed_at.date().isoformat() if s.confirmed_at else None,
        "信息近期已确认" if fresh else "信息较久未确认，请先电话核实")
    return f


def log(*, elder: Any, actor: Any, need: str, position: Position, items: list[Recommendation],
        context: str) -> RecommendationLog:
    """Record a list as it was shown: every candidate with its rank, score and factors."""
    return RecommendationLog.objects.create(
        elder_id=elder.pk, actor=actor if getattr(actor, "pk", None) else None, need=need, context=context,
        position=position.source, items=[
            {"rank": i + 1, "service_id": str(r.service.pk), "organization_id": str(r.service.organization_id),
             "score": r.score, "distance_m": None if r.distance_m is None else round(r.distance_m),
             "factors": [{k: f[k] for k in ("code", "score", "value")} for f in r.factors]}
            for i, r in enumerate(items)])
