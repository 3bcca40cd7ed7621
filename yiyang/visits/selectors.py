"""Reads of visits: the worker's due list (nearest first), an elder's plans and visits, the
visit rate from the maintained aggregate and the lists behind its numbers, the not-seen list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from yiyang.core import geo
from yiyang.core.access import jurisdiction_prefix, prefix_q
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.visits import access as visit_access
from yiyang.visits.models import ElderContact, PlanStatus, Visit, VisitPlan, VisitRateCell
from yiyang.visits.services import month_of, next_month


@dataclass
class DueItem:
    plan: VisitPlan
    phase: str
    distance_m: float | None


def plans_due(user: Any, *, on: dt.date | None = None, near: tuple[float, float] | None = None,
              region: str = "") -> list[DueItem]:
    """Open plans of the caller's elders whose window has begun by ``on`` and not ended before
    it (upcoming ones are not due; missed ones — window over — are on the rate's list, not the
    worker's day). Overdue first; then, when the caller's position and the homes' cells are
    known, nearest first; then by due date."""
    on = on or timezone.localdate()
    qs = (visit_access.access_plans(user).filter(status=PlanStatus.OPEN, window_start__lte=on, window_end__gte=on,
                                                  elder__active=True)
          .select_related("elder", "rule"))
    if region:
        qs = qs.filter(prefix_q(region, "region_code"))
    items = []
    for plan in qs.order_by("due_date", "pk")[:2000]:
        distance = geo.distance_to_cell_m(near, plan.elder.home_cell) if near and plan.elder.home_cell else None
        items.append(DueItem(plan, plan.phase(on), distance))
    items.sort(key=lambda i: (i.phase != "overdue", i.distance_m is None, i.distance_m or 0, i.plan.due_date))
    return items


def plans_due_count(user: Any, on: dt.date | None = None) -> int:
    on = on or timezone.localdate()
    return (visit_access.access_plans(user)
            .filter(status=PlanStatus.OPEN, window_start__lte=on, window_end__gte=on, due_date__lte=on).count())


def elder_plans(elder: Elder) -> QuerySet[VisitPlan]:
    return VisitPlan.objects.filter(elder=elder).select_related("rule", "visit").order_by("-window_start")


def elder_visits(elder: Elder) -> QuerySet[Visit]:
    return Visit.objects.filter(elder=elder).select_related("recorded_by").order_by("-visited_at")


def visit_list(user: Any, *, elder_id: Any = None) -> QuerySet[Visit]:
    qs = visit_access.access_visits(user).select_related("elder", "recorded_by")
    if elder_id is not None:
        qs = qs.filter(elder_id=elder_id)
    return qs.order_by("-visited_at")


# ---------------------------------------------------------------------------------------------
# The monthly visit rate


@dataclass(frozen=True)
class Rate:
    region: str
    month: dt.date
    due: int
    done: int

    @property
    def rate(self) -> float | None:
        return None if self.due == 0 else self.done / self.due


def rate_scope(user: Any, region: str) -> str:
    """The region code prefix the caller may read: the asked region when it is inside the
    caller's node (a 404 otherwise, like any record outside)."""
    from yiyang.core.exceptions import ApplicationError, NotFoundError
    from yiyang.regions.codes import normalize_code, prefix_of

    prefix = jurisdiction_prefix(user)
    if prefix is None:
        raise NotFoundError()
    if not region:
        return prefix
    code = normalize_code(region)
    if not (code.isdigit() and len(code) == 12):
        raise ApplicationError("区划代码应为12位数字，如 440304006001", code="bad_region", status=400)
    try:
        asked = prefix_of(code)
    except (KeyError, ValueError) as exc:
        raise ApplicationError("区划代码无效", code="bad_region", status=400) from exc
    if not asked.startswith(prefix):
        raise NotFoundError()
    return asked


def visit_rate(prefix: str, month: dt.date, *, indicator_only: bool = False) -> tuple[int, int]:
    """(due, done) of plans due in ``month`` under ``prefix``, from the maintained cells."""
    qs = VisitRateCell.objects.filter(prefix_q(prefix, "region_code"), month=month)
    if indicator_only:
        qs = qs.filter(rule__is_indicator=True)
    sums = qs.aggregate(due=Sum("due"), done=Sum("done"))
    return sums["due"] or 0, sums["done"] or 0


def visit_rate_by_region(regions: list[Any], month: dt.date, *, indicator_only: bool = False) -> dict[str, tuple[int, int]]:
    """(due, done) per region (each with ``.code`` and ``.prefix``) in one grouped query."""
    qs = VisitRateCell.objects.filter(month=month)
    if indicator_only:
        qs = qs.filter(rule__is_indicator=True)
    shortest = min((len(r.prefix) for r in regions), default=0)
    cover = Q()
    for r in regions:
        if len(r.prefix) == shortest:
            cover |= prefix_q(r.prefix, "region_code")
    per_code: dict[str, list[int]] = {}
    for code, due, done in qs.filter(cover).values_list("region_code").annotate(
            due=Sum("due"), done=Sum("done")).values_list("region_code", "due", "done"):
        per_code[code] = [due, done]
    out = {}
    for r in regions:
        due = sum(v[0] for c, v in per_code.items() if c.startswith(r.prefix))
        done = sum(v[1] for c, v in per_code.items() if c.startswith(r.prefix))
        out[r.code] = (due, done)
    return out


def visit_rate_recount(prefix: str, month: dt.date, *, indicator_only: bool = False) -> tuple[int, int]:
    """The same figure counted from the raw plans (the test's and the benchmark's reference)."""
    qs = (VisitPlan.objects.filter(prefix_q(prefix, "region_code"), due_date__gte=month,
                                   due_date__lt=next_month(month)).exclude(status=PlanStatus.CANCELLED))
    if indicator_only:
        qs = qs.filter(rule__is_indicator=True)
    return qs.count(), qs.filter(status=PlanStatus.DONE).count()


def rate_plans(user: Any, prefix: str, month: dt.date, kind: str, *, indicator_only: bool = False) -> QuerySet[VisitPlan]:
    """The plans behind the rate: ``due`` (the denominator), ``done`` (the numerator) or
    ``missing`` (due and not done)."""
    qs = (visit_access.access_plans(user, visit_access.VISIT_RATE_VIEW)
          .filter(prefix_q(prefix, "region_code"), due_date__gte=month, due_date__lt=next_month(month))
          .exclude(status=PlanStatus.CANCELLED).select_related("elder", "visit", "rule"))
    if indicator_only:
        qs = qs.filter(rule__is_indicator=True)
    if kind == "done":
        qs = qs.filter(status=PlanStatus.DONE)
    elif kind == "missing":
        qs = qs.filter(status=PlanStatus.OPEN)
    return qs.order_by("region_code", "elder__name", "pk")


# ---------------------------------------------------------------------------------------------
# Not seen


def not_seen(user: Any, *, days: int | None = None, region: str = "") -> QuerySet[Elder]:
    """Active elders of the caller's node of whom nothing was heard for ``days`` (no visit that
    met them, no call, consultation, service or heartbeat), registered before that; those never
    heard of first, then the longest silence first. Each carries ``last_at``/``last_kind``."""
    days = days if days is not None else settings.YIYANG["NOT_SEEN_DAYS"]
    cutoff = timezone.now() - dt.timedelta(days=days)
    recent = ElderContact.objects.filter(elder_id=OuterRef("pk"), last_at__gte=cutoff)
    qs = elder_access.access_elders(user).filter(active=True, created_at__lt=cutoff).exclude(Exists(recent))
    if region:
        qs = qs.filter(prefix_q(region, "region"))
    from django.db.models import F, Subquery

    last = ElderContact.objects.filter(elder_id=OuterRef("pk"))
    return (qs.annotate(last_at=Subquery(last.values("last_at")[:1]), last_kind=Subquery(last.values("last_kind")[:1]))
            .select_related("region").order_by(F("last_at").asc(nulls_first=True), "name"))


def month_range(month: dt.date) -> tuple[dt.date, dt.date]:
    return month_of(month), next_month(month)
