"""养老服务清单 (seed 000: 制定养老服务清单): generate a list for an elder from what she may apply
for (the entitlements, through the elder page's benefit sources) and the services matching
recommends for each of her needs; the worker edits it and hands it over — printed, or shared
with the family by a link that expires. Every version is kept; each save and share is on the
elder's timeline."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError
from yiyang.directory import events, matching, services
from yiyang.directory.models import ServiceList

CREATED = events.SERVICE_LIST_CREATED
SHARED = events.SERVICE_LIST_SHARED
PER_NEED = 2
DEFAULT_STEPS = [
    "带上身份证、户口簿，到社区养老顾问点办理清单中“可享受”的项目",
    "“可能符合”的项目，请先补齐所缺的材料或评估",
    "选用的服务，请先电话确认时间和空余",
]


def share_days() -> int:
    return int(settings.YIYANG.get("SERVICE_LIST_SHARE_DAYS", 30))


def service_list_draft(*, actor: Any, elder: Any) -> dict[str, Any]:
    """What a new list would hold today (nothing saved)."""
    from yiyang.assessments.selectors import current_level
    from yiyang.elders.registry import elder_benefits_plain
    from yiyang.surveys.selectors import elder_current_needs

    level = current_level(elder)
    recs = []
    needs = elder_current_needs(elder)
    position, lists = matching.recommend_many(elder, [code for code, _name in needs], level=level, limit=PER_NEED)
    matching.log_many(elder=elder, actor=actor, position=position, lists=lists, context="service_list")
    for code, name in needs:
        for r in lists.get(code, []):
            sal = next(iter(r.service.at_locations.all()), None)
            recs.append({"need": code, "need_name": name, "service_id": str(r.service.pk), "name": r.service.name,
                         "kind": r.service.get_kind_display(), "address": sal.location.address if sal else "",
                         "phone": r.service.phone, "hours": services.hours_text(r.service).replace("\n", "；"),
                         "why": r.explanation})
    contact = {"name": getattr(actor, "full_name", "") or getattr(actor, "username", ""), "role": "养老服务专员",
               "phone": ""}
    return {"benefits": [{k: b.get(k) for k in ("name", "status", "how_to_apply", "missing")}
                         for b in elder_benefits_plain(elder)],
            "services": recs, "next_steps": list(DEFAULT_STEPS), "contacts": [contact]}


@transaction.atomic
def service_list_save(*, actor: Any, elder: Any, content: dict[str, Any], note: str = "") -> ServiceList:
    if len(note) > 1000:
        raise ApplicationError("说明最长1000字", code="too_long")
    version = (ServiceList.objects.select_for_update().filter(elder_id=elder.pk).aggregate(v=Max("version"))["v"]
               or 0) + 1
    sl = ServiceList.objects.create(elder_id=elder.pk, region_code=elder.region_id, version=version, content=content,
                                    note=note, created_by=actor if getattr(actor, "pk", None) else None)
    event_record(type=CREATED, actor=actor, elder_id=elder.pk, subject=sl, region_code=elder.region_id, payload={
        "version": version, "services": len(content.get("services", [])), "benefits": len(content.get("benefits", [])),
        "summary": f"第{version}版，{len(content.get('services', []))}项服务"})
    return sl


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def service_list_share(*, actor: Any, service_list: ServiceList, days: int | None = None) -> str:
    """A new link for the family (an earlier one stops working); returns the token, shown once."""
    token = secrets.token_urlsafe(24)
    service_list.share_token_hash = _hash(token)
    service_list.share_expires_at = timezone.now() + dt.timedelta(days=days or share_days())
    service_list.save(update_fields=["share_token_hash", "share_expires_at"])
    event_record(type=SHARED, actor=actor, elder_id=service_list.elder_id, subject=service_list,
                 region_code=service_list.region_code, payload={
                     "version": service_list.version, "expires": service_list.share_expires_at.date().isoformat(),
                     "summary": f"第{service_list.version}版，链接有效至{service_list.share_expires_at:%Y-%m-%d}"})
    return token


def service_list_by_token(token: str) -> ServiceList | None:
    if not token or len(token) > 64:
        return None
    sl = ServiceList.objects.select_related("elder").filter(share_token_hash=_hash(token)).first()
    if sl is None or sl.share_expires_at is None or sl.share_expires_at < timezone.now():
        return None
    return sl


def masked_name(name: str) -> str:
    """王秀英 → 王** (a shared link may travel further than meant)."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


# -- many lists at once --------------------------------------------------------------------------
# A street or district prepares the lists of all its elders in the background (the platform's
# worker): in chunks of BATCH_CHUNK elders, each one transaction (SQLite's write lock is held
# well under a second), elders of one home cell sharing the candidates' query (matching.Cache),
# and everything read per chunk, not per elder: needs, levels, means and kept statuses, the
# latest versions, the shown services' details. Each list names its batch, so a run that stopped
# (a worker killed, a deploy) resumes where it was and never makes a list twice.

BATCH_CHUNK = 500
LIST_COLUMNS = ("id", "elder_id", "region_code", "version", "content", "note", "created_by_id", "created_at",
                "share_token_hash", "share_expires_at", "batch_id")
LOG_COLUMNS = ("at", "elder_id", "actor_id", "need", "context", "position", "items")
BATCH_CONTACT = {"name": "所在社区养老顾问点", "role": "养老顾问", "phone": ""}


@dataclass(slots=True)
class BatchElder:
    """What a batch reads of an elder (plain values: no model instance per elder)."""
    pk: Any
    region_id: str
    birth_date: dt.date
    home_cell: str
    not_in_difficulty: bool


def batch_elders(region_code: str) -> Any:
    from yiyang.core.access import prefix_q
    from yiyang.elders.models import Elder
    from yiyang.regions.codes import prefix_of

    return Elder.objects.filter(prefix_q(prefix_of(region_code), "region"), active=True)


@transaction.atomic
def service_list_batch_start(*, actor: Any, region_code: str) -> Any:
    """Queue a batch for every active elder of ``region_code`` (the caller checked access)."""
    from yiyang.directory import tasks
    from yiyang.directory.models import ServiceListBatch

    running = ServiceListBatch.objects.filter(region_code=region_code, status__in=(
        ServiceListBatch.Status.QUEUED, ServiceListBatch.Status.RUNNING)).first()
    if running is not None:
        raise ApplicationError("这个区域已有一批清单正在生成，请等它完成", code="batch_running")
    batch = ServiceListBatch.objects.create(region_code=region_code, total=batch_elders(region_code).count(),
                                            created_by=actor if getattr(actor, "pk", None) else None)
    tasks.service_lists_batch.enqueue(batch_id=str(batch.pk))  # a row of this transaction: both or neither
    return batch


def service_list_batch_run(batch_id: Any, *, chunk: int = BATCH_CHUNK,
                           progress: Any = None) -> Any:
    """Make the batch's lists (idempotent: elders that already have a list of this batch are
    skipped). ``progress(batch)`` is called after every chunk."""
    from yiyang.directory.models import ServiceListBatch
    from yiyang.elders.models import Elder
    from yiyang.surveys.selectors import need_tag_names

    batch = ServiceListBatch.objects.select_related("created_by").get(pk=batch_id)
    if batch.status == ServiceListBatch.Status.DONE:
        return batch
    made = batch.lists.count()
    ServiceListBatch.objects.filter(pk=batch.pk).update(
        status=ServiceListBatch.Status.RUNNING, started_at=batch.started_at or timezone.now(), done=made,
        created=made, total=batch_elders(batch.region_code).count())
    batch.refresh_from_db()
    # Cell by cell: elders of one home cell share their candidates and, when alike, their
    # rankings. The order is read once (home cell, id — small tuples, a few MB for a city); the
    # elders who already have a list of this batch (a run that stopped) are left out, so a
    # resumed run makes no list twice; each chunk is then read by its ids.
    made_for = set(ServiceList.objects.filter(batch_id=batch.pk).values_list("elder_id", flat=True))
    order = [pk for _cell, pk in sorted(batch_elders(batch.region_code).values_list("home_cell", "pk"))
             if pk not in made_for]
    cache = matching.Cache(need_tag_names())
    details: dict[Any, Any] = {}
    try:
        for start in range(0, len(order), chunk):
            ids = order[start:start + chunk]
            found = {row[0]: BatchElder(*row) for row in Elder.objects.filter(pk__in=ids).values_list(
                "id", "region_id", "birth_date", "home_cell", "not_in_difficulty")}
            elders = [found[pk] for pk in ids if pk in found]
            with transaction.atomic():
                created, with_services = _batch_chunk(batch, elders, cache, details)
                ServiceListBatch.objects.filter(pk=batch.pk).update(
                    done=models.F("done") + len(ids), created=models.F("created") + created,
                    with_services=models.F("with_services") + with_services)
            if progress is not None:
                batch.refresh_from_db()
                progress(batch)
    except Exception as exc:
        ServiceListBatch.objects.filter(pk=batch.pk).update(status=ServiceListBatch.Status.FAILED,
                                                             error=str(exc)[:500])
        raise
    ServiceListBatch.objects.filter(pk=batch.pk).update(status=ServiceListBatch.Status.DONE,
                                                         finished_at=timezone.now())
    batch.refresh_from_db()
    return batch


def _batch_chunk(batch: Any, elders: list[Any], cache: matching.Cache, details: dict[Any, Any]) -> tuple[int, int]:
    """The lists of one chunk of elders: (lists made, of which with services)."""
    from django.db.models import Prefetch

    from yiyang.assessments.selectors import latest_confirmed_subquery
    from yiyang.core.bulk import bulk_insert, json_text
    from yiyang.core.events import event_row, events_record_bulk
    from yiyang.directory.models import RecommendationLog, Service, ServiceAtLocation
    from yiyang.elders.models import Elder
    from yiyang.surveys.selectors import elders_current_needs

    ids = [e.pk for e in elders]
    needs = elders_current_needs(ids)
    levels = dict(Elder.objects.filter(pk__in=ids).annotate(lv=latest_confirmed_subquery("level")).values_list(
        "pk", "lv"))
    means = matching.elders_means(elders)
    positions = matching.elders_positions(elders)
    versions = dict(ServiceList.objects.filter(elder_id__in=ids).values("elder_id").annotate(v=Max("version"))
                    .values_list("elder_id", "v"))
    speed, detour, circle = matching.walk_settings()
    cache.load_around([p.point for p in positions.values() if p.point is not None], 3 * circle * speed / detour)
    cache.keep_only({cache.place_key(positions[e.pk], e.region_id) for e in elders})
    today = timezone.localdate()
    ranked = {}
    for e in elders:
        codes = [code for code, _name in needs.get(e.pk, [])]
        ranked[e.pk] = matching.rank(position=positions[e.pk], region_id=e.region_id, needs=codes,
                                     age=matching._age(e.birth_date, today), level=levels.get(e.pk),
                                     means=means[e.pk], limit=PER_NEED, cache=cache) if codes else {}
    missing = {c.id for lists in ranked.values() for items in lists.values() for c, _s, _f in items} - details.keys()
    if missing:
        for s in Service.objects.filter(pk__in=missing).prefetch_related(
                "schedules", Prefetch("at_locations", queryset=ServiceAtLocation.objects.select_related("location"))):
            sal = next(iter(s.at_locations.all()), None)
            details[s.pk] = (s, {"name": s.name, "kind": s.get_kind_display(), "phone": s.phone,
                                 "address": sal.location.address if sal else "",
                                 "hours": services.hours_text(s).replace("\n", "；")})
    actor = batch.created_by
    actor_id = getattr(actor, "pk", None)
    label = ServiceList._meta.label_lower
    now = timezone.now()
    lists: list[tuple[Any, ...]] = []
    logs: list[tuple[Any, ...]] = []
    event_rows = []
    with_services = 0
    # Elders alike in one cell share a ranking (the same list object): its words and its log
    # entry are made once.
    memo: dict[int, tuple[Any, list[dict[str, Any]], Any]] = {}

    def shown_of(code: str, items: Any) -> tuple[list[dict[str, Any]], Any]:
        hit = memo.get(id(items))
        if hit is None or hit[0] is not items:
            recs = [matching.Recommendation(details[c.id][0], code, c.distance_m, None, score,
                                            "；".join(f["text"] for f in factors), factors)
                    for c, score, factors in items]
            texts = [{"service_id": str(r.service.pk), **details[r.service.pk][1], "why": r.explanation} for r in recs]
            hit = memo[id(items)] = (items, texts, json_text(matching.log_items(recs)))
        return hit[1], hit[2]

    for e in elders:
        benefits = [{"name": b["name"], "status": "可享受" if b["entitled"] else "可能符合",
                     "how_to_apply": b["how_to_apply"], "missing": [] if b["entitled"] or not b["reason"] else [b["reason"]]}
                    for b in means[e.pk].stored.values()]
        names = dict(needs.get(e.pk, []))
        recs = []
        for code, items in ranked[e.pk].items():
            texts, log_json = shown_of(code, items)
            recs += [{"need": code, "need_name": names.get(code, code), **t} for t in texts]
            logs.append((now, e.pk, actor_id, code, "batch", positions[e.pk].source, log_json))
        if not benefits and not recs:
            continue
        with_services += bool(recs)
        version = versions.get(e.pk, 0) + 1
        sid = uuid.uuid4()
        lists.append((sid, e.pk, e.region_id, version, {
            "benefits": benefits, "services": recs, "next_steps": list(DEFAULT_STEPS), "contacts": [dict(BATCH_CONTACT)]},
            "", actor_id, now, "", None, batch.pk))
        event_rows.append(event_row(type=CREATED, occurred_at=now, actor=actor, elder_id=e.pk, region_code=e.region_id,
                                    subject_ref=(label, str(sid)), payload={
                                        "version": version, "services": len(recs), "benefits": len(benefits),
                                        "batch": str(batch.pk), "summary": f"第{version}版，{len(recs)}项服务（批量生成）"}))
    # Straight to the tables (the bulk path: no model instances, the shared log text written as
    # it is); the lists' columns as the model has them.
    bulk_insert(ServiceList, LIST_COLUMNS, lists)
    bulk_insert(RecommendationLog, LOG_COLUMNS, logs)
    events_record_bulk(event_rows)
    return len(lists), with_services
