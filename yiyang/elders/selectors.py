"""Reads of the elder registry. Every list starts from ``elder_access.access_elders`` so the
caller's jurisdiction is applied before any filter."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from yiyang.core import access, pii
from yiyang.core.exceptions import FieldErrors
from yiyang.core.identifiers import IdentifierError, normalize_phone, parse_id_number
from yiyang.core.models import AccessLog, Event
from yiyang.elders import access as elder_access
from yiyang.elders.counts import counted
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


# The one order of every elder list, and the key its pages are cut by: the index
# elder_active_region_name_id (active, region_code, name, id) serves it for one value of
# ``active`` (docs/benchmarks.md, "Elder list: query plans").
LIST_ORDER = ("region_id", "name", "id")


def elder_list_for(user: Any, filters: ElderFilters | None = None, *, seek: RawSQL | None = None) -> QuerySet[Elder]:
    """The caller's elders that pass ``filters``, in ``LIST_ORDER``. ``seek`` (from
    ``elder_page``) is the key condition of a page after or before another: it comes first in
    the WHERE clause, because SQLite bounds an index range by the first lower bound it meets on
    a column — after the jurisdiction's ``region_code >= …`` it would scan from the start of
    the jurisdiction to the page."""
    f = filters or ElderFilters()
    qs = elder_access.access_elders(user)
    if seek is not None:
        qs = Elder.objects.filter(seek) & qs
    if f.q:
        f = _route_search_box(f)
    if f.region:
        code = normalize_code(f.region)
        # Not a region code at all: nothing matches (an empty page, not an error).
        qs = qs.filter(region_subtree_q(prefix_of(code))) if code.isdigit() and len(code) == 12 else qs.none()
    if f.active is not None:
        # ``active__in``, not ``active=``: Django writes a bare ``"active"`` for the latter,
        # which SQLite does not match to the index's first column (it then sorts the list).
        qs = qs.filter(active__in=[f.active])
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
    ).order_by(*LIST_ORDER)


def elder_count_for(user: Any, filters: ElderFilters) -> int:
    """``elder_list_for(user, filters).count()``; from the per-community counts when only the
    region and the register status narrow the list (the list as it opens, the home page's
    links), which costs a few rows instead of a count of the jurisdiction's elders."""
    f = filters
    if any((f.q, f.category, f.name, f.id_number, f.phone, f.living_situation, f.batch is not None)):
        return elder_list_for(user, f).count()
    qs = elder_access.access_region_counts(user)
    if f.region:
        code = normalize_code(f.region)
        if not (code.isdigit() and len(code) == 12):
            return 0
        qs = qs.filter(region_subtree_q(prefix_of(code), "region_code"))
    return counted(qs, f.active)


def active_per_community(user: Any) -> dict[str, int]:
    """Elders on the register per community code in the caller's jurisdiction, from the
    maintained counts (one small query): the denominator of the other apps' per-region rates."""
    return {code: n for code, n in elder_access.access_region_counts(user).values_list("region_code", "active") if n}


# -- pages by key (keyset pagination) ------------------------------------------------------------
#
# A page is the rows after (or before) one elder in LIST_ORDER, read as one index range from
# that elder on: a deep page costs what the first does, where OFFSET reads and drops every row
# in front of it. The cursor names only the elder's id (never the name a key holds: cursors
# travel in URLs); its position is read back through access_elders, so a cursor naming an
# elder outside the caller's jurisdiction is refused like a malformed one.

CURSOR_ERROR = "分页游标无效，请从第一页重新开始"


@dataclass(frozen=True)
class Cursor:
    forward: bool  # the rows after the elder (else before it)
    elder_id: uuid.UUID
    page: int  # the number of the page it leads to (shown; it plays no part in the query)

    @property
    def token(self) -> str:
        return f"{'n' if self.forward else 'p'}{self.page}.{self.elder_id.hex}"


def cursor_parse(token: str) -> Cursor:
    """``n3.<32 hex>`` (page 3, after that elder) or ``p1.<32 hex>`` (page 1, before it)."""
    try:
        head, hexid = token.strip().split(".")
        if head[0] not in "np":
            raise ValueError(head)
        page = int(head[1:])
        if not 1 <= page <= 10_000_000:
            raise ValueError(page)
        return Cursor(head[0] == "n", uuid.UUID(hex=hexid), page)
    except (ValueError, IndexError) as exc:
        raise FieldErrors({"cursor": [CURSOR_ERROR]}, message=CURSOR_ERROR) from exc


@dataclass
class ElderPageRows:
    rows: list[Any]
    page: int
    next_cursor: str | None
    prev_cursor: str | None


def _seek(forward: bool, region: str, name: str, elder_id: uuid.UUID) -> RawSQL:
    """(region_code, name, id) after / before the cursor's elder: a row value both databases
    read as one index range (Django's own tuple lookup is rewritten into ORs on SQLite)."""
    q = connection.ops.quote_name
    table = q(Elder._meta.db_table)
    columns = ", ".join(f"{table}.{q(c)}" for c in ("region_code", "name", "id"))
    pk = Elder._meta.pk
    assert pk is not None
    value = pk.get_db_prep_value(elder_id, connection)
    # Column names from the model, the values bound as parameters.
    return RawSQL(f"({columns}) {'>' if forward else '<'} (%s, %s, %s)", (region, name, value),  # noqa: S611
                  output_field=BooleanField())


def elder_page(user: Any, filters: ElderFilters, *, cursor: str | None, size: int,
               rows: Any = None) -> ElderPageRows:
    """One page of ``elder_list_for(user, filters)``, ``size`` rows after or before the
    cursor's elder (the first page without one). ``rows(queryset)`` turns the page's queryset
    into the rows returned (default: the model instances, categories prefetched); it must keep
    the order and give each row its ``id`` / ``pk`` as ``row_id``."""
    c = cursor_parse(cursor) if cursor else None
    seek = None
    if c is not None:
        key = elder_access.access_elders(user).filter(pk=c.elder_id).values_list("region_id", "name").first()
        if key is None:  # not there, or not the caller's
            raise FieldErrors({"cursor": [CURSOR_ERROR]}, message=CURSOR_ERROR)
        seek = _seek(c.forward, key[0], key[1], c.elder_id)
    forward = c is None or c.forward
    order = LIST_ORDER if forward else tuple(f"-{k}" for k in LIST_ORDER)
    if filters.active is not None:
        qs = elder_list_for(user, filters, seek=seek).order_by(*order)
    else:
        # On and off the register are two ranges of the index: the page's ids from each, then
        # the database orders the (at most 2 × size) rows between them.
        ids: list[Any] = []
        for value in (True, False):
            ids += elder_list_for(user, replace(filters, active=value), seek=seek).order_by(*order).values_list(
                "pk", flat=True)[: size + 1]
        qs = elder_list_for(user, replace(filters, active=None)).filter(pk__in=ids).order_by(*order)
    got = list(rows(qs[: size + 1]) if rows is not None else qs[: size + 1])
    more = len(got) > size
    got = got[:size]
    if not forward:
        got.reverse()
    page = c.page if c is not None else 1
    if not forward and not more:
        page = 1  # nothing before these: this is the first page, whatever the cursor said
    ids_of = [_row_id(r) for r in got]
    has_next = more if forward else True
    has_prev = page > 1 if forward else more
    return ElderPageRows(
        rows=got, page=page,
        next_cursor=Cursor(True, ids_of[-1], page + 1).token if got and has_next else None,
        prev_cursor=Cursor(False, ids_of[0], page - 1).token if got and has_prev and page > 1 else None,
    )


def _row_id(row: Any) -> uuid.UUID:
    value = row["id"] if isinstance(row, dict) else row.pk
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


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
