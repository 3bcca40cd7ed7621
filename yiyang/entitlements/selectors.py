"""Reads for entitlements: the facts of an elder, the rules in force, the computed list, and
the changes a worker should tell elders about. Lists start from ``elder_access.access_elders``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from yiyang.core.access import has_capability, jurisdiction_filter, jurisdiction_prefix, prefix_q
from yiyang.core.models import Event
from yiyang.elders import access as elder_access
from yiyang.elders.models import Category, Elder
from yiyang.entitlements import access as payment_access
from yiyang.entitlements import engine, events
from yiyang.entitlements.models import (
    Benefit,
    BenefitRule,
    EntitlementChange,
    EntitlementStatus,
    PaymentRound,
    PaymentRoundChange,
    PaymentRoundLine,
    Status,
)
from yiyang.regions.codes import normalize_code, prefix_of
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
        "not_in_difficulty": elder.not_in_difficulty,
    }


def elder_benefits_plain(elder: Elder) -> list[dict[str, Any]]:
    """The benefits the elder may apply for (可享受, then 可能符合 with what is missing), with how
    to apply: the plain-language part of the printed assessment report."""
    items = [i for i in elder_entitlements(elder) if i["status"] in (engine.ENTITLED, engine.MAYBE)]
    how = dict(Benefit.objects.filter(code__in=[i["benefit"] for i in items]).values_list("code", "how_to_apply"))
    return [{"code": i["benefit"], "name": i["name"], "status": engine.STATUS_NAMES[i["status"]],
             "entitled": i["status"] == engine.ENTITLED, "how_to_apply": how.get(i["benefit"], ""),
             "missing": i["missing"]} for i in items]


def elders_benefits_stored(elder_ids: list[Any]) -> dict[Any, dict[str, dict[str, Any]]]:
    """The stored 可享受 / 可能符合 statuses of many elders, in the benefits' order:
    {elder id: {code: {"name", "entitled", "how_to_apply", "reason"}}}."""
    out: dict[Any, dict[str, dict[str, Any]]] = {}
    for start in range(0, len(elder_ids), 2000):
        for elder_id, code, name, how, status, reason in EntitlementStatus.objects.filter(
                elder_id__in=elder_ids[start:start + 2000], status__in=(engine.ENTITLED, engine.MAYBE)).order_by(
                "benefit__sort_order").values_list(
                "elder_id", "benefit__code", "benefit__name", "benefit__how_to_apply", "status", "reason"):
            out.setdefault(elder_id, {})[code] = {"name": name, "entitled": status == engine.ENTITLED,
                                                  "how_to_apply": how, "reason": reason}
    return out


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
            .only("id", "birth_date", "hukou_local", "region_id", "living_situation", "not_in_difficulty", "active")
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


# --------------------------------------------------------------------------- payment lists and rounds
# 发放名单 is read from the stored statuses (what the worker keeps current), never recomputed
# here: the list a bureau pays from must be the one the recompute log explains.

LISTABLE = (Status.ENTITLED.value, Status.MAYBE.value)


def benefit_for_list(code: str) -> Benefit:
    """An active benefit by code, else ``NotFoundError``."""
    from yiyang.core.exceptions import NotFoundError

    benefit = Benefit.objects.filter(code=code, active=True).first()
    if benefit is None:
        raise NotFoundError("该政策项目不存在或未启用")
    return benefit


def region_filter_q(region: str, field: str) -> Q | None:
    """The subtree of ``region`` (a region code, 9 or 12 digits) on ``field``; None when the
    text is not a region code (the caller then lists nothing)."""
    code = normalize_code(region)
    if not (code.isdigit() and len(code) == 12):
        return None
    return prefix_q(prefix_of(code), field)


def recipients_for(user: Any, benefit: Benefit, *, region: str = "",
                   status: str = Status.ENTITLED.value) -> QuerySet[EntitlementStatus]:
    """The active elders with ``status`` for ``benefit`` inside the caller's jurisdiction (and
    under ``region`` when given: a node outside the jurisdiction gives an empty list), ordered
    by community, then name, then id — a stable order to page on."""
    if not has_capability(user, payment_access.RECIPIENTS_VIEW) or status not in LISTABLE:
        return EntitlementStatus.objects.none()
    qs = jurisdiction_filter(
        EntitlementStatus.objects.filter(benefit=benefit, status=status, elder__active=True), user, "elder__region")
    if region:
        q = region_filter_q(region, "elder__region")
        qs = qs.filter(q) if q is not None else qs.none()
    return (qs.select_related("elder")
            .only("id", "status", "since", "benefit_id", "elder_id", "elder__name", "elder__id_number_enc",
                  "elder__region_id", "elder__birth_date")
            .order_by("elder__region_id", "elder__name", "elder_id"))


def recipient_counts(user: Any, *, region: str = "", benefit: Benefit | None = None) -> dict[int, dict[str, int]]:
    """Per benefit id (or only ``benefit``): how many active elders in the caller's
    jurisdiction (under ``region``) are 可享受 and 可能符合. One grouped query."""
    counts: dict[int, dict[str, int]] = {}
    if not has_capability(user, payment_access.RECIPIENTS_VIEW):
        return counts
    qs = jurisdiction_filter(
        EntitlementStatus.objects.filter(status__in=LISTABLE, elder__active=True), user, "elder__region")
    if benefit is not None:
        qs = qs.filter(benefit=benefit)
    if region:
        q = region_filter_q(region, "elder__region")
        qs = qs.filter(q) if q is not None else qs.none()
    for row in qs.values("benefit_id", "status").annotate(n=Count("id")).order_by():
        counts.setdefault(row["benefit_id"], dict.fromkeys(LISTABLE, 0))[row["status"]] = row["n"]
    return counts


@dataclass
class RegionChoice:
    code: str
    label: str


def region_choices(user: Any) -> list[tuple[str, list[RegionChoice]]]:
    """The communities of the caller's jurisdiction grouped by street, each group headed by
    the whole street (for a street or district round): what the community filter offers."""
    communities = (jurisdiction_filter(Region.objects.filter(level=Region.Level.COMMUNITY, active=True), user, "code")
                   .select_related("parent").order_by("code"))
    prefix = jurisdiction_prefix(user)
    groups: dict[str, tuple[Region | None, list[RegionChoice]]] = {}
    for c in communities:
        street = c.parent
        key = street.code if street is not None else ""
        if key not in groups:
            head: list[RegionChoice] = []
            # The whole street is offered to those who see all of it.
            if street is not None and prefix is not None and street.code.startswith(prefix):
                head.append(RegionChoice(street.code, f"{street.name}（全部社区）"))
            groups[key] = (street, head)
        groups[key][1].append(RegionChoice(c.code, c.name))
    return [(street.name if street is not None else "", items) for street, items in groups.values()]


def region_names(codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """code → (name, parent's name) for the codes given (one query)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return {r.code: (r.name, r.parent.name if r.parent is not None else "")
            for r in Region.objects.filter(code__in=wanted).select_related("parent")}


def user_node(user: Any) -> str:
    """The code of the caller's own node ('' for a superuser without one)."""
    return str(user.region_id or "") if getattr(user, "is_authenticated", False) else ""


@dataclass
class RoundFilters:
    benefit: str = ""  # a benefit code
    status: str = ""  # a PaymentRound.State value
    region: str = ""  # a node: rounds of that node and below


def rounds_for(user: Any, filters: RoundFilters | None = None) -> QuerySet[PaymentRound]:
    """Payment rounds whose node lies in the caller's jurisdiction, newest month first."""
    f = filters or RoundFilters()
    if not has_capability(user, payment_access.RECIPIENTS_VIEW):
        return PaymentRound.objects.none()
    qs = jurisdiction_filter(PaymentRound.objects.all(), user, "region_code")
    if f.benefit:
        qs = qs.filter(benefit__code=f.benefit)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.region:
        q = region_filter_q(f.region, "region_code")
        qs = qs.filter(q) if q is not None else qs.none()
    return qs.select_related("benefit", "drafted_by", "approved_by").order_by(
        "-month", "benefit__sort_order", "region_code", "-id")


def rounds_awaiting_approval(user: Any) -> QuerySet[PaymentRound]:
    """Submitted rounds in the caller's jurisdiction that the caller may approve (not their
    own drafts): the approver's to-do on the home page."""
    if not has_capability(user, payment_access.ROUND_APPROVE):
        return PaymentRound.objects.none()
    return rounds_for(user, RoundFilters(status=PaymentRound.State.SUBMITTED)).exclude(drafted_by=user)


def round_lines(payment_round: PaymentRound) -> QuerySet[PaymentRoundLine]:
    return PaymentRoundLine.objects.filter(round=payment_round).order_by("region_code", "name", "elder_id")


def round_changes(payment_round: PaymentRound, kind: str = "") -> QuerySet[PaymentRoundChange]:
    qs = PaymentRoundChange.objects.filter(round=payment_round)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "region_code", "name", "elder_id")


def round_changes_since_draft(payment_round: PaymentRound) -> int:
    """How many statuses of this benefit changed in the round's node after it was drafted (its
    frozen list may be out of date: the approver sees the number and may cancel and redraft)."""
    if payment_round.frozen or payment_round.status == PaymentRound.State.CANCELLED:
        return 0
    lo_hi = prefix_q(prefix_of(payment_round.region_code), "elder__region")
    return (EntitlementChange.objects.filter(benefit_id=payment_round.benefit_id, at__gt=payment_round.drafted_at)
            .filter(lo_hi).filter(Q(to_status=Status.ENTITLED) | Q(from_status=Status.ENTITLED)).count())
