"""Reads for entitlements: the facts of an elder, the rules in force, the computed list, and
the changes a worker should tell elders about. Lists start from ``elder_access.access_elders``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from yiyang.core.models import Event
from yiyang.elders import access as elder_access
from yiyang.elders.models import Category, Elder
from yiyang.entitlements import engine, events
from yiyang.entitlements.models import Benefit, BenefitRule, EntitlementChange, EntitlementStatus, Status
from yiyang.regions.codes import normalize_code
from yiyang.regions.models import Region
from yiyang.regions.selectors import region_subtree_q

_NOT_GIVEN: Any = object()


@dataclass
class RuleSet:
    """The active benefits, their rules keyed by benefit code, and the names for sentences:
    everything the engine needs besides the elder's facts, loaded in three queries."""

    benefits: list[Benefit]
    rules: dict[str, list[BenefitRule]]
    vocab: engine.Vocabulary


def _codes_in(cond: Any) -> Iterable[str]:
    if not isinstance(cond, dict):
        return
    for key, arg in cond.items():
        if key in ("all", "any") and isinstance(arg, list):
            for c in arg:
                yield from _codes_in(c)
        elif key == "not":
            yield from _codes_in(arg)
        elif key in ("hukou_region", "region") and isinstance(arg, dict):
            yield from (normalize_code(str(c)) for c in arg.get("in") or ())


def vocabulary(rules: Iterable[BenefitRule] = ()) -> engine.Vocabulary:
    codes = {c for r in rules for c in _codes_in(r.conditions)}
    regions = dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    return engine.Vocabulary(categories=dict(Category.objects.values_list("code", "name")), regions=regions)


def rule_set(*, include_inactive: bool = False) -> RuleSet:
    benefits = Benefit.objects.order_by("sort_order", "code").prefetch_related(
        Prefetch("rules", queryset=BenefitRule.objects.order_by("pk")))
    if not include_inactive:
        benefits = benefits.filter(active=True)
    listed = list(benefits)
    rules = {b.code: list(b.rules.all()) for b in listed}
    return RuleSet(listed, rules, vocabulary(r for rs in rules.values() for r in rs))


def elder_facts(elder: Elder, *, level: int | None = _NOT_GIVEN) -> dict[str, Any]:
    """The facts the engine reads. Categories come from the prefetched relation when there is
    one; ``level`` from an annotation ``current_level`` or the assessments app."""
    if level is _NOT_GIVEN:
        if hasattr(elder, "current_level"):
            level = elder.current_level
        else:
            from yiyang.assessments.selectors import current_level

            level = current_level(elder)
    return {
        "birth_date": elder.birth_date,
        "hukou_local": elder.hukou_local,
        "region": elder.region_id,
        "categories": {c.code for c in elder.categories.all()},
        "level": level,
        "living_situation": elder.living_situation or None,
    }


def elder_entitlements(elder: Elder, *, on: dt.date | None = None, rules: RuleSet | None = None,
                       level: int | None = _NOT_GIVEN) -> list[dict[str, Any]]:
    """Every active benefit for the elder, computed now (not read from the status table, so
    it is right even on the day of a birthday before the nightly refresh)."""
    rs = rules or rule_set()
    return engine.entitlements_for(rs.benefits, rs.rules, elder_facts(elder, level=level),
                                   on=on or timezone.localdate(), vocab=rs.vocab)


def elders_for_refresh(pks: list[Any]) -> QuerySet[Elder]:
    from yiyang.assessments.selectors import latest_confirmed_subquery

    return (Elder.objects.filter(pk__in=pks, active=True)
            .only("id", "birth_date", "hukou_local", "region_id", "living_situation", "active")
            .annotate(current_level=latest_confirmed_subquery("level"))
            .prefetch_related(Prefetch("categories", queryset=Category.objects.only("id", "code"))))


def elders_in_scope(region_codes: Iterable[str]) -> QuerySet[Elder]:
    """Active elders in the subtree of any of the codes ('' = everywhere)."""
    qs = Elder.objects.filter(active=True)
    prefixes = {engine.scope_prefix(c) for c in region_codes}
    if "" in prefixes:
        return qs
    q = None
    for p in prefixes:
        q = region_subtree_q(p) if q is None else q | region_subtree_q(p)
    return qs.filter(q) if q is not None else qs.none()


def explained(elder: Elder) -> dict[str, Event]:
    """The last "explained to the elder" event per benefit code."""
    out: dict[str, Event] = {}
    for e in (Event.objects.filter(elder_id=elder.pk, type=events.EXPLAINED).select_related("actor")
              .order_by("-occurred_at")[:200]):
        out.setdefault(e.payload.get("benefit", ""), e)
    return out


@dataclass
class ChangeFilters:
    newly_entitled: bool = False  # only changes to 可享受 from something else
    acknowledged: bool | None = None  # None = both
    benefit: str = ""  # a benefit code
    region: str = ""  # a region code: that node and below


def entitlement_changes_for(user: Any, filters: ChangeFilters | None = None) -> QuerySet[EntitlementChange]:
    """Status changes of active elders inside the caller's jurisdiction, newest first."""
    f = filters or ChangeFilters()
    visible = elder_access.access_elders(user).filter(active=True)
    qs = EntitlementChange.objects.filter(Exists(visible.filter(pk=OuterRef("elder_id"))))
    if f.newly_entitled:
        qs = qs.filter(to_status=Status.ENTITLED).exclude(from_status=Status.ENTITLED)
    if f.acknowledged is not None:
        qs = qs.filter(acknowledged_at__isnull=not f.acknowledged)
    if f.benefit:
        qs = qs.filter(benefit__code=f.benefit)
    if f.region:
        code = normalize_code(f.region)
        qs = (qs.filter(region_subtree_q(engine.scope_prefix(code), "elder__region"))
              if code.isdigit() and len(code) == 12 else qs.none())
    return qs.select_related("elder", "elder__region", "elder__region__parent", "benefit",
                             "acknowledged_by").order_by("-at", "-id")


def access_change(user: Any, change_id: Any) -> EntitlementChange:
    """One change, if its elder is visible to the caller (else 404)."""
    from yiyang.core.exceptions import NotFoundError

    try:
        change = EntitlementChange.objects.select_related("elder", "benefit").get(pk=int(change_id))
    except (EntitlementChange.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    elder_access.access_elder(user, change.elder_id)  # 404 outside the jurisdiction, 403 by role
    return change


def status_counts(statuses: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = {Status.ENTITLED.value: 0, Status.MAYBE.value: 0, Status.NOT.value: 0}
    for s in statuses:
        counts[s["status"]] += 1
    return counts


def stored_statuses(elder: Elder) -> QuerySet[EntitlementStatus]:
    return EntitlementStatus.objects.filter(elder=elder).select_related("benefit").order_by("benefit__sort_order")
