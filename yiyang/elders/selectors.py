"""Reads of the elder registry. Every list starts from ``elder_access.access_elders`` so the
caller's jurisdiction is applied before any filter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from yiyang.core import access, pii
from yiyang.core.identifiers import IdentifierError, normalize_phone, parse_id_number
from yiyang.core.models import AccessLog, Event
from yiyang.elders import access as elder_access
from yiyang.elders.duplicates import REASON_NAME_BIRTH, REASON_NAME_PHONE
from yiyang.elders.models import (
    ADVANCED_AGE,
    ADVANCED_AGE_NAME,
    ADVANCED_AGE_YEARS,
    Category,
    DuplicateVerdict,
    Elder,
    ElderCategory,
    ImportBatch,
)
from yiyang.regions.codes import normalize_code, prefix_of
from yiyang.regions.selectors import region_subtree_q


@dataclass
class ElderFilters:
    region: str = ""  # a code: that node and below
    category: str = ""  # a category code (or name)
    name: str = ""  # contains
    id_number: str = ""  # exact, via the blind index
    phone: str = ""  # exact, via the blind index
    living_situation: str = ""
    active: bool | None = True
    q: str = ""  # one search box: an ID number, a phone or a name
    batch: int | None = None  # the import batch that registered them


def _advanced_age_cutoff(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - ADVANCED_AGE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - ADVANCED_AGE_YEARS, day=28)


def elder_list_for(user: Any, filters: ElderFilters | None = None) -> QuerySet[Elder]:
    f = filters or ElderFilters()
    qs = elder_access.access_elders(user)
    if f.q:
        f = _route_search_box(f)
    if f.region:
        code = normalize_code(f.region)
        # Not a region code at all: nothing matches (an empty page, not an error).
        qs = qs.filter(region_subtree_q(prefix_of(code))) if code.isdigit() and len(code) == 12 else qs.none()
    if f.active is not None:
        qs = qs.filter(active=f.active)
    if f.name:
        qs = qs.filter(name__contains=f.name.strip())
    if f.id_number:
        try:
            value = parse_id_number(f.id_number).value
        except IdentifierError:
            value = f.id_number.strip().upper()
        qs = qs.filter(id_number_bidx=pii.blind_index(value, "elder.id_number"))
    if f.phone:
        try:
            value = normalize_phone(f.phone)
        except IdentifierError:
            value = f.phone.strip()
        qs = qs.filter(phone_bidx=pii.blind_index(value, "elder.phone") or "-")
    if f.living_situation:
        qs = qs.filter(living_situation=f.living_situation)
    if f.batch is not None:
        qs = qs.filter(import_batch_id=f.batch)
    if f.category:
        cat = Category.objects.filter(code=f.category).first() or Category.objects.filter(name=f.category).first()
        if cat is None:
            qs = qs.none()
        elif cat.code == ADVANCED_AGE:
            qs = qs.filter(birth_date__lte=_advanced_age_cutoff(timezone.localdate()))
        else:
            qs = qs.filter(Exists(ElderCategory.objects.filter(elder=OuterRef("pk"), category=cat)))
    return qs.select_related("region", "region__parent").prefetch_related(
        Prefetch("categories", queryset=Category.objects.order_by("sort_order"))
    ).order_by("region_id", "name", "id")


def _route_search_box(f: ElderFilters) -> ElderFilters:
    """A worker types one thing: decide whether it is an ID number, a phone or a name."""
    q = f.q.strip()
    compact = q.replace(" ", "").replace("-", "")
    if len(compact) in (15, 18) and compact[:17].isdigit():
        f.id_number = q
    elif compact.isdigit() and len(compact) >= 7:
        f.phone = q
    else:
        f.name = q
    return f


def elder_categories(elder: Elder) -> list[tuple[str, str]]:
    """(code, name) of the assigned categories plus the derived 高龄 when the elder is 80
    or older. Uses the prefetched categories: no query per elder in a list."""
    pairs = [(c.code, c.name) for c in elder.categories.all()]
    if elder.birth_date <= _advanced_age_cutoff(timezone.localdate()):
        pairs.insert(0, (ADVANCED_AGE, ADVANCED_AGE_NAME))
    return pairs


def elder_timeline(elder: Elder) -> QuerySet[Event]:
    return Event.objects.filter(elder_id=elder.pk).select_related("actor").order_by("-occurred_at")


def elder_access_log(elder: Elder) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(elder_id=elder.pk).select_related("actor").order_by("-at")


def import_batches_for(user: Any) -> QuerySet[ImportBatch]:
    """Import batches a user may find: their own, and those inside their jurisdiction."""
    prefix = access.jurisdiction_prefix(user)
    qs = ImportBatch.objects.all()
    if prefix != "":  # "" sees everything (and Q() | Q(x) would be Q(x))
        mine = Q(actor_id=getattr(user, "pk", None))
        qs = qs.filter(mine | access.prefix_q(prefix, "region_code") if prefix is not None else mine)
    return qs.select_related("actor").order_by("-created_at", "-id")


@dataclass
class Suspect:
    """Another archive that may be the same person, and why; ``visible``: the caller may open it."""

    elder: Elder
    reasons: list[str]
    visible: bool


def elder_duplicate_suspects(user: Any, elder: Elder) -> list[Suspect]:
    """Active archives sharing a match key with ``elder`` (same street) that nobody has judged
    yet. Those outside the caller's jurisdiction are listed too (a worker must know), shown
    masked like every list."""
    keys = Q()
    if elder.match_name_birth_bidx:
        keys |= Q(match_name_birth_bidx=elder.match_name_birth_bidx)
    if elder.match_name_phone_bidx:
        keys |= Q(match_name_phone_bidx=elder.match_name_phone_bidx)
    if not keys:
        return []
    judged = set(DuplicateVerdict.objects.filter(elder_a=elder).values_list("elder_b_id", flat=True))
    judged |= set(DuplicateVerdict.objects.filter(elder_b=elder).values_list("elder_a_id", flat=True))
    result = []
    for other in Elder.objects.filter(keys, active=True).exclude(pk=elder.pk).select_related("region")[:20]:
        if other.pk in judged:
            continue
        reasons = []
        if elder.match_name_birth_bidx and other.match_name_birth_bidx == elder.match_name_birth_bidx:
            reasons.append(REASON_NAME_BIRTH)
        if elder.match_name_phone_bidx and other.match_name_phone_bidx == elder.match_name_phone_bidx:
            reasons.append(REASON_NAME_PHONE)
        result.append(Suspect(other, reasons, access.in_jurisdiction(user, other.region_id)))
    return result


def batch_suspects(user: Any, batch: ImportBatch, limit: int = 50) -> list[tuple[Elder, list[Suspect]]]:
    """Elders of a batch (in the caller's jurisdiction) with suspected duplicates not judged yet."""
    same_key = Elder.objects.filter(active=True).exclude(pk=OuterRef("pk"))
    candidates = elder_access.access_elders(user).filter(import_batch=batch, active=True).filter(
        Exists(same_key.filter(match_name_birth_bidx=OuterRef("match_name_birth_bidx")).exclude(match_name_birth_bidx=""))
        | Exists(same_key.filter(match_name_phone_bidx=OuterRef("match_name_phone_bidx")).exclude(match_name_phone_bidx=""))
    ).select_related("region").order_by("name", "id")[:limit]
    result = []
    for e in candidates:
        suspects = elder_duplicate_suspects(user, e)
        if suspects:
            result.append((e, suspects))
    return result
