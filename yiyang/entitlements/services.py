"""Writes for entitlements. Every one runs in a transaction and writes events.

``entitlements_refresh`` recomputes the stored status of elders × benefits in bulk and logs
each change (``EntitlementChange``) with one timeline event per elder. Nobody calls it from
another app: the worker runs it in reaction to ``elder.*`` and ``assessment.*`` events
(``tasks.py``), after a rule or a benefit is saved (enqueued here, in the same transaction),
and nightly (the periodic job ``entitlements.nightly``: birthdays and effective dates).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yiyang.core import access
from yiyang.core.bulk import bulk_insert, wal_checkpoint
from yiyang.core.events import event_record, event_row, events_record_bulk
from yiyang.core.exceptions import ApplicationError, FieldErrors, NotFoundError
from yiyang.core.models import Event
from yiyang.core.text import REMARK_MAX, too_long
from yiyang.elders import access as elder_access
from yiyang.elders.models import Category, Elder
from yiyang.entitlements import compiler, engine, events, selectors
from yiyang.entitlements.models import (
    Benefit,
    BenefitRule,
    EntitlementChange,
    EntitlementRecompute,
    EntitlementStatus,
    Status,
)

# COPY on PostgreSQL raises the driver's error, not Django's wrapper.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (IntegrityError,)
try:
    from psycopg import IntegrityError as _DriverIntegrityError

    INTEGRITY_ERRORS = (IntegrityError, _DriverIntegrityError)
except ImportError:  # pragma: no cover - SQLite-only installs
    pass

# Elders per slice: one SQL evaluation of every active benefit, then the writes of what
# changed. A slice is one short transaction (a few hundred milliseconds even when every
# elder in it changes), so other writes — registrations, logins — keep answering on SQLite
# while a city is recomputed.
SLICE = 1000
CAUSES = EntitlementChange.Cause
log = logging.getLogger("yiyang.entitlements")


@dataclass
class RefreshResult:
    elders: int = 0
    computed: int = 0  # elder × benefit pairs evaluated
    changes: int = 0
    newly_entitled: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Status})
    # How many changes went to each status (the rule page's "became entitled / not").
    became: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Status})

    def add(self, other: RefreshResult) -> RefreshResult:
        self.elders += other.elders
        self.computed += other.computed
        self.changes += other.changes
        self.newly_entitled += other.newly_entitled
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        for k, v in other.became.items():
            self.became[k] = self.became.get(k, 0) + v
        return self

    def summary(self) -> str:
        return (f"已重新计算 {self.elders} 位老年人的政策享受资格，{self.changes} 项发生变化"
                f"（其中新增可享受 {self.newly_entitled} 项）")


@dataclass
class RefreshPlan:
    """What every slice of one recompute shares: the rules, the day, the compiled SQL."""

    on: dt.date
    rules: selectors.RuleSet
    evaluation: compiler.Evaluation
    selected: dict[tuple[str, str], Any] = field(default_factory=dict)  # the engine's rule memo

    @classmethod
    def build(cls, on: dt.date) -> RefreshPlan:
        rs = selectors.rule_set()
        return cls(on=on, rules=rs, evaluation=compiler.Evaluation(rs.benefits, rs.rules, on=on, changed_only=True))


Slice = tuple[QuerySet[Elder], Any, Any, int | None]  # elders, lo, hi, how many (None: a list of ids)


def _slices(elders: QuerySet[Elder] | list[Any], *, after: Any = None) -> Iterator[Slice]:
    """The elders in slices of ``SLICE``: a list by its ids, a queryset by keyset on the id
    (each slice ends at the SLICE-th id after the last one: no OFFSET, no list of a million ids)."""
    if not isinstance(elders, QuerySet):
        for i in range(0, len(elders), SLICE):
            yield Elder.objects.filter(pk__in=elders[i:i + SLICE]), None, None, None
        return
    base = elders.filter(active=True).order_by()
    last: Any = after
    while True:
        hi, size = slice_end(base, last)
        yield base, last, hi, size
        if hi is None:
            return
        last = hi


def slice_end(base: QuerySet[Elder], after: Any) -> tuple[Any, int]:
    """The id that ends the slice of ``base`` after ``after`` (None: the slice runs to the
    end) and how many elders the slice holds."""
    qs = base if after is None else base.filter(pk__gt=after)
    ids = list(qs.order_by("pk").values_list("pk", flat=True)[:SLICE])
    return (ids[-1] if len(ids) == SLICE else None), len(ids)


def entitlements_refresh(
    *, elders: QuerySet[Elder] | Iterable[Any], cause: str, on: dt.date | None = None,
    rule: BenefitRule | None = None, actor: Any = None,
    progress: Callable[[RefreshResult, int | None, Any], None] | None = None, start_after: Any = None,
) -> RefreshResult:
    """Recompute the stored status of every active benefit for ``elders`` (a queryset, or a
    list of elders or their ids) as of ``on`` (default today). A deactivated elder (deceased,
    moved away) is entitled to nothing: their statuses become 不符合, logged as changes. A
    status seen for the first time is stored without a change row (a baseline); a status
    that differs from the stored one is updated and logged as a change with ``cause``
    ("rule" / "elder" / "assessment" / "date").

    The database evaluates the rules (``compiler.py``) a slice of elders at a time, each
    slice in a transaction of its own that commits (inside a caller's transaction — a task,
    a test — they are savepoints). Only statuses that changed are written; their reasons come
    from the engine. ``progress(result_so_far, total, last_id)`` is called after every slice
    (``last_id`` None after the last); ``start_after`` resumes a queryset's run after that id."""
    if cause not in CAUSES.values:
        raise ValueError(f"unknown cause {cause!r}")
    on = on or timezone.localdate()
    if actor is not None and not hasattr(actor, "pk"):  # a user id, from a task's arguments
        actor = get_user_model().objects.filter(pk=actor).first()
    plan = RefreshPlan.build(on)
    total = elders.filter(active=True).count() if isinstance(elders, QuerySet) and progress else None
    pks = None if isinstance(elders, QuerySet) else list(dict.fromkeys(getattr(e, "pk", e) for e in elders))
    which: QuerySet[Elder] | list[Any] = elders if isinstance(elders, QuerySet) else (pks or [])
    result = RefreshResult()
    retire_switched_off(which, plan)
    for part in _slices(which, after=start_after):
        result.add(refresh_slice(part, plan, cause=cause, rule=rule, actor=actor))
        wal_checkpoint()
        if progress is not None:
            progress(result, total, part[2])
    if pks:
        for i in range(0, len(pks), SLICE):
            with transaction.atomic():
                result.add(_retire_inactive(pks[i:i + SLICE], actor=actor))
    return result


def _retire_inactive(pks: list[Any], *, actor: Any) -> RefreshResult:
    """Deactivated elders among ``pks`` keep no 可享受 / 可能符合 status: each one becomes
    不符合 with the deactivation as its reason, logged like any change (a payment round then
    says why the elder left its list)."""
    result = RefreshResult()
    inactive = {e.pk: e for e in Elder.objects.filter(pk__in=pks, active=False).only(
        "id", "region_id", "deactivation_reason", "active")}
    if not inactive:
        return result
    rows = list(EntitlementStatus.objects.filter(elder_id__in=list(inactive)).exclude(status=Status.NOT)
                .select_related("benefit"))
    now = timezone.now()
    actor_obj = actor if getattr(actor, "pk", None) else None
    changes: list[EntitlementChange] = []
    per_elder: dict[Any, dict[str, dict[str, str]]] = {}
    for row in rows:
        elder = inactive[row.elder_id]
        label = Elder.DeactivationReason(elder.deactivation_reason).label if elder.deactivation_reason else "注销"
        reason = f"档案已注销（{label}）"
        changes.append(EntitlementChange(elder_id=row.elder_id, benefit=row.benefit, from_status=row.status,
                                         to_status=Status.NOT, reason=reason, at=now, cause=CAUSES.ELDER))
        per_elder.setdefault(row.elder_id, {})[row.benefit.name] = {
            "from": str(Status(row.status).label), "to": str(Status.NOT.label)}
        row.status, row.reason, row.since = Status.NOT, reason, now
        result.changes += 1
        result.became[Status.NOT] += 1
    EntitlementStatus.objects.bulk_update(rows, ["status", "reason", "since"], batch_size=1000)
    EntitlementChange.objects.bulk_create(changes, batch_size=1000)
    events_record_bulk(
        event_row(type=events.CHANGED, occurred_at=now, actor=actor_obj, elder_id=pk, subject=inactive[pk],
                  region_code=inactive[pk].region_id,
                  payload={"changes": c, "cause": CAUSES.ELDER.value, "reason_label": str(CAUSES.ELDER.label)})
        for pk, c in per_elder.items())
    return result


def retire_switched_off(elders: QuerySet[Elder] | list[Any], plan: RefreshPlan) -> int:
    """A benefit switched off keeps no status: delete those of ``elders``, a few thousand rows
    per transaction (switching off a benefit of a city touches a million rows)."""
    active_ids = [b.pk for b in plan.rules.benefits]
    qs = EntitlementStatus.objects.exclude(benefit_id__in=active_ids)
    qs = qs.filter(elder_id__in=elders.values("pk")) if isinstance(elders, QuerySet) else qs.filter(
        elder_id__in=elders)
    deleted = 0
    while batch := list(qs.values_list("pk", flat=True)[:5000]):
        with transaction.atomic():
            deleted += EntitlementStatus.objects.filter(pk__in=batch).delete()[0]
    return deleted


@dataclass
class SliceWork:
    """What one slice will write, worked out before any write (``_read_slice``)."""

    result: RefreshResult
    new_rows: list[tuple[Any, ...]] = field(default_factory=list)  # STATUS_FIELDS
    updates: list[tuple[Any, ...]] = field(default_factory=list)  # status, reason, since, elder, benefit, before
    change_rows: list[tuple[Any, ...]] = field(default_factory=list)  # CHANGE_FIELDS
    event_rows: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return bool(self.new_rows or self.updates)


class _Moved(Exception):
    """A stored status changed between a slice's read and its write (another recompute)."""


def refresh_slice(part: Slice, plan: RefreshPlan, *, cause: str, rule: BenefitRule | None = None,
                  actor: Any = None) -> RefreshResult:
    """One slice. The database evaluates every active benefit for these elders and returns
    only those whose status differs from the stored one (or has none yet); new statuses are
    inserted (a baseline, without a reason: the elder's page computes reasons on read), changed
    ones updated with the engine's reason and logged (``EntitlementChange`` and one
    ``entitlement.changed`` event per elder). Rows whose status did not change are not touched.

    The reading — the SQL evaluation and the engine's reasons, nearly all of the time — runs
    before the slice's transaction opens; on SQLite (``transaction_mode=IMMEDIATE``) the write
    lock is held only for the writes, and a slice with nothing to write takes none. Should a
    stored status have moved in between, the slice is read again inside its transaction.

    Elders with no stored status at all (a first computation: a city's first run, an
    import) get theirs from the database in one ``INSERT … SELECT`` (``insert_fresh``): no
    row passes through Python. When the whole slice is such elders there is nothing else to
    compare, and the slice is not read at all (unless another recompute stored some of them
    meanwhile)."""
    elders, lo, hi, size = part
    fresh, active = _fresh_count(part)
    if fresh:
        n = len(plan.rules.benefits)
        with transaction.atomic():
            rows = plan.evaluation.insert_fresh(elders, lo, hi, ranged=size is not None, since=timezone.now())
        if fresh == active and rows == fresh * n:
            return RefreshResult(elders=active, computed=active * n)
    work = _read_slice(part, plan, cause=cause, rule=rule, actor=actor)
    if not work.writes:
        return work.result
    try:
        with transaction.atomic():
            _write_slice(work)
    except _Moved:
        with transaction.atomic():
            work = _read_slice(part, plan, cause=cause, rule=rule, actor=actor)
            _write_slice(work)
    return work.result


def _fresh_count(part: Slice) -> tuple[int, int]:
    """(elders of the slice with no stored status, active elders of the slice): a probe of
    the (elder, benefit) index per elder, no evaluation."""
    elders, lo, hi, size = part
    qs = elders.filter(active=True)
    if size is not None:
        qs = qs.filter(pk__gt=lo) if lo is not None else qs
        qs = qs.filter(pk__lte=hi) if hi is not None else qs
    counts = qs.aggregate(fresh=Count("pk", filter=~Q(compiler.has_stored_status())), active=Count("pk"))
    return counts["fresh"] or 0, counts["active"] or 0


def _read_slice(part: Slice, plan: RefreshPlan, *, cause: str, rule: BenefitRule | None,
                actor: Any) -> SliceWork:
    elders, lo, hi, size = part
    now = timezone.now()
    work = SliceWork(RefreshResult())
    result = work.result
    ev = plan.evaluation
    rows = ev.rows(elders) if size is None else ev.range_rows(elders, lo, hi)
    result.elders = elders.filter(active=True).count() if size is None else size
    result.computed = result.elders * len(ev.benefits)
    if not rows:
        return work
    benefits = plan.rules.benefits
    n = len(benefits)
    changed: dict[Any, list[tuple[int, str, bool]]] = {}  # elder → (benefit index, from, stored?)
    facts: dict[Any, tuple[dict[str, Any], str]] = {}
    for row in rows:
        elder_id, new, old = ev.split(row)
        known = any(o is not None for o in old)
        for i in range(n):
            status, before = new[i], old[i]
            if before is None:
                if known and status != Status.NOT:  # a benefit switched on for an elder on record: from 不符合
                    changed.setdefault(elder_id, []).append((i, Status.NOT, False))
                else:
                    work.new_rows.append((elder_id, benefits[i].pk, status, "", now))
            elif before != status:
                changed.setdefault(elder_id, []).append((i, before, True))
        if elder_id in changed:
            facts[elder_id] = ev.facts_of(row)
    if changed:
        _reasons(work, changed, facts, plan, now=now, cause=cause, rule=rule, actor=actor)
    return work


def _reasons(work: SliceWork, changed: dict[Any, list[tuple[int, str, bool]]],
             facts_of: dict[Any, tuple[dict[str, Any], str]], plan: RefreshPlan, *, now: Any,
             cause: str, rule: BenefitRule | None, actor: Any) -> None:
    """The statuses that changed: the engine says why, for these elders only, from the
    facts the evaluation read."""
    rs, benefits = plan.rules, plan.rules.benefits
    actor_obj = actor if getattr(actor, "pk", None) else None
    rule_id = rule.pk if rule is not None and rule.pk else None
    label = str(CAUSES(cause).label)
    names = {s.value: str(s.label) for s in Status}  # once: a city's run logs a million changes
    result = work.result
    for elder_id, (facts, region) in facts_of.items():
        elder_changes: dict[str, dict[str, str]] = {}
        for i, from_status, stored in changed[elder_id]:
            benefit = benefits[i]
            key = (benefit.code, region)
            if key not in plan.selected:
                plan.selected[key] = engine.select_rule(rs.rules.get(benefit.code, ()), region, plan.on)
            item = engine.benefit_entitlement(benefit, rs.rules.get(benefit.code, ()), facts, on=plan.on,
                                              vocab=rs.vocab, rule=plan.selected[key])
            status, reason = item["status"], item["reason"][:500]
            if status == from_status:
                # The database and the engine disagree (a bug the property test is there to
                # catch): the engine, which the elder's page shows, wins.
                log.error("entitlements: SQL and engine disagree for elder %s, %s", elder_id, benefit.code)
                if not stored:
                    work.new_rows.append((elder_id, benefit.pk, status, reason, now))
                continue
            if stored:
                work.updates.append((status, reason, now, elder_id, benefit.pk, from_status))
            else:
                work.new_rows.append((elder_id, benefit.pk, status, reason, now))
            work.change_rows.append((elder_id, benefit.pk, from_status, status, reason, now, cause, rule_id))
            elder_changes[benefit.name] = {"from": names[from_status], "to": names[status]}
            result.changes += 1
            result.became[status] += 1
            if status == Status.ENTITLED:
                result.newly_entitled += 1
        if elder_changes:
            row = event_row(type=events.CHANGED, occurred_at=now, actor=actor_obj, elder_id=elder_id,
                            region_code=region,
                            payload={"changes": elder_changes, "cause": cause, "reason_label": label})
            work.event_rows.append((*row[:5], ELDER_SUBJECT, str(elder_id), *row[7:]))


def _write_slice(work: SliceWork) -> None:
    """In the caller's transaction: the inserts, the updates (each only if the stored status
    is still the one read, else ``_Moved``), the change rows and the events."""
    _insert_statuses(work.new_rows)
    if work.updates and _update_statuses(work.updates) != len(work.updates):
        raise _Moved
    bulk_insert(EntitlementChange, CHANGE_FIELDS, work.change_rows)
    events_record_bulk(work.event_rows)


ELDER_SUBJECT = Elder._meta.label_lower  # an event's subject: the elder
STATUS_FIELDS = ("elder_id", "benefit_id", "status", "reason", "since")
CHANGE_FIELDS = ("elder_id", "benefit_id", "from_status", "to_status", "reason", "at", "cause", "rule_id")


def _update_statuses(rows: list[tuple[Any, ...]]) -> int:
    """(status, reason, since, elder id, benefit id, status read) for each changed row, by the
    unique (elder, benefit) key — on SQLite one prepared UPDATE executed for each, on
    PostgreSQL one UPDATE over arrays for all (no ORM objects, no CASE expression per column
    as ``bulk_update`` writes). A row whose stored status is no longer the one read is left
    alone; returns how many were updated."""
    table = connection.ops.quote_name(EntitlementStatus._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    sqlite = connection.vendor == "sqlite"
    if not sqlite:
        # PostgreSQL: one statement over arrays, not a round trip per row.
        status, reason, since, elder, benefit, old = (list(c) for c in zip(*rows, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET status = v.status, reason = v.reason, since = v.since "  # noqa: S608
                "FROM unnest(%s::varchar[], %s::varchar[], %s::timestamptz[], %s::uuid[], %s::bigint[], "
                "%s::varchar[]) AS v(status, reason, since, elder_id, benefit_id, old) "
                "WHERE t.elder_id = v.elder_id AND t.benefit_id = v.benefit_id AND t.status = v.old",
                [status, reason, since, elder, benefit, old])
            return int(cursor.rowcount)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, reason = %s, since = %s "  # noqa: S608
            "WHERE elder_id = %s AND benefit_id = %s AND status = %s",
            [(s, r, adapt(t), e.hex if sqlite else e, b, old) for s, r, t, e, b, old in rows])
        return int(cursor.rowcount)


def _insert_statuses(rows: list[tuple[Any, ...]]) -> None:
    """First statuses of elders, in bulk (the demo writes tens of thousands). Should another
    refresh have stored some of them meanwhile, fall back to the ORM, skipping those."""
    if not rows:
        return
    try:
        with transaction.atomic():
            bulk_insert(EntitlementStatus, STATUS_FIELDS, rows)
    except INTEGRITY_ERRORS:
        EntitlementStatus.objects.bulk_create(
            [EntitlementStatus(**dict(zip(STATUS_FIELDS, r, strict=True))) for r in rows],
            batch_size=1000, ignore_conflicts=True)


def entitlements_refresh_for_elder(elder: Elder, cause: str = "assessment", *, actor: Any = None,
                                   on: dt.date | None = None) -> RefreshResult:
    """Recompute one elder (after registration, an archive change or a confirmed assessment)."""
    return entitlements_refresh(elders=[elder.pk], cause=cause, actor=actor, on=on)


@transaction.atomic
def entitlement_explain(*, actor: Any, elder: Elder, benefit_code: str, note: str = "") -> Event:
    """A worker explained one benefit to the elder (政策宣传): an event on the elder's timeline."""
    access.require_capability(actor, elder_access.ELDER_UPDATE)
    note = (note or "").strip()
    if message := too_long(note, REMARK_MAX):
        raise FieldErrors({"note": [message]}, message=f"说明{message}")
    benefit = Benefit.objects.filter(code=benefit_code, active=True).first()
    if benefit is None:
        raise NotFoundError("该政策项目不存在或未启用")
    items = {i["benefit"]: i for i in selectors.elder_entitlements(elder)}
    item = items.get(benefit.code, {})
    return event_record(
        type=events.EXPLAINED, actor=actor, elder_id=elder.pk, subject=elder, region_code=elder.region_id,
        payload={"benefit": benefit.code, "name": benefit.name, "reason_label": benefit.name,
                 "status": item.get("status", ""), "note": note},
    )


@transaction.atomic
def entitlement_change_acknowledge(*, actor: Any, change: EntitlementChange) -> EntitlementChange:
    """The worker has told the elder about the change (已告知)."""
    access.require_capability(actor, elder_access.ELDER_UPDATE)
    change = EntitlementChange.objects.select_for_update().select_related("elder", "benefit").get(pk=change.pk)
    if change.acknowledged_at is not None:
        raise ApplicationError("该变化已标记为已告知", code="already_acknowledged")
    change.acknowledged_by, change.acknowledged_at = actor, timezone.now()
    change.save(update_fields=["acknowledged_by", "acknowledged_at"])
    label = f"{change.benefit.name}：{Status(change.from_status).label} → {Status(change.to_status).label}"
    event_record(type=events.ACKNOWLEDGED, actor=actor, elder_id=change.elder_id, subject=change.elder,
                 region_code=change.elder.region_id,
                 payload={"change": change.pk, "benefit": change.benefit.code, "name": change.benefit.name,
                          "from": change.from_status, "to": change.to_status, "reason_label": label})
    return change


# --------------------------------------------------------------------------- rules (admin)

def rule_validate(rule: BenefitRule) -> None:
    errors: dict[str, list[str]] = {}
    problems = engine.validate_condition(rule.conditions,
                                         category_codes=Category.objects.values_list("code", flat=True))
    if problems:
        errors["conditions"] = problems
    if rule.region_code:
        code = rule.region_code
        if not (code.isdigit() and len(code) == 12):
            errors.setdefault("region_code", []).append("区划代码应为12位数字，留空表示所有地区")
    if rule.effective_from and rule.effective_to and rule.effective_to < rule.effective_from:
        errors.setdefault("effective_to", []).append("截止日期不能早于生效日期")
    if errors:
        raise FieldErrors(errors)


@dataclass
class Queued:
    """A recompute handed to the worker: what the admin tells the person who saved."""

    scopes: list[str]
    run: EntitlementRecompute | None = None

    def summary(self) -> str:
        where = "所有地区" if "" in self.scopes else "、".join(sorted(self.scopes))
        return (f"已保存。{where}在册老年人的政策享受资格正在后台重新计算，几分钟内生效"
                "（本规则页面显示进度和结果）。")


def _queue_refresh(scopes: set[str], *, rule: BenefitRule | None, actor: Any,
                   benefit: Benefit | None = None) -> Queued:
    """Enqueue the recompute (a row the rule's page follows, and its task); returns at once."""
    from yiyang.entitlements.tasks import recompute_enqueue

    run = recompute_enqueue(scopes=sorted(scopes), cause=CAUSES.RULE.value, rule=rule, benefit=benefit,
                            actor=actor)
    return Queued(sorted(scopes), run)


@transaction.atomic
def benefit_rule_save(*, actor: Any, rule: BenefitRule, previous_region_code: str | None = None) -> Queued:
    """Save a rule and enqueue the recompute of the elders in its scope (and in its old scope
    when the region changed): the worker does it in chunks, outside the admin's request."""
    rule_validate(rule)
    created = rule.pk is None
    rule.updated_by = actor if getattr(actor, "pk", None) else None
    rule.save()
    scopes = {rule.region_code}
    if previous_region_code is not None:
        scopes.add(previous_region_code)
    queued = _queue_refresh(scopes, rule=rule, actor=actor)
    event_record(type=events.RULE_SAVED, actor=actor, subject=rule, region_code=rule.region_code,
                 payload={"benefit": rule.benefit.code, "name": rule.benefit.name, "created": created,
                          "conditions": rule.conditions, "region_code": rule.region_code,
                          "effective_from": rule.effective_from.isoformat() if rule.effective_from else None,
                          "effective_to": rule.effective_to.isoformat() if rule.effective_to else None})
    return queued


@transaction.atomic
def benefit_rule_delete(*, actor: Any, rule: BenefitRule) -> Queued:
    scope, benefit, pk = rule.region_code, rule.benefit, rule.pk
    conditions = rule.conditions
    rule.delete()
    queued = _queue_refresh({scope}, rule=None, actor=actor, benefit=benefit)
    event_record(type=events.RULE_DELETED, actor=actor, region_code=scope,
                 payload={"rule": pk, "benefit": benefit.code, "name": benefit.name, "conditions": conditions,
                          "region_code": scope})
    return queued


@transaction.atomic
def benefit_save(*, actor: Any, benefit: Benefit, was_active: bool | None = None) -> Queued | None:
    """Save a benefit; switching it on or off enqueues the recompute of every elder."""
    created = benefit.pk is None
    benefit.save()
    queued = None
    if was_active is not None and was_active != benefit.active:
        queued = _queue_refresh({""}, rule=None, actor=actor, benefit=benefit)
    event_record(type=events.BENEFIT_SAVED, actor=actor, subject=benefit,
                 payload={"benefit": benefit.code, "name": benefit.name, "active": benefit.active,
                          "created": created})
    return queued
