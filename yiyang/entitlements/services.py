"""Writes for entitlements. Every one runs in a transaction and writes events.

``entitlements_refresh`` recomputes the stored status of elders × benefits in bulk and logs
each change (``EntitlementChange``) with one timeline event per elder. Nobody calls it from
another app: the worker runs it in reaction to ``elder.*`` and ``assessment.*`` events
(``tasks.py``), after a rule or a benefit is saved (enqueued here, in the same transaction),
and nightly (the periodic job ``entitlements.nightly``: birthdays and effective dates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from yiyang.core import access
from yiyang.core.bulk import bulk_insert
from yiyang.core.events import event_record, event_row, events_record_bulk
from yiyang.core.exceptions import ApplicationError, FieldErrors, NotFoundError
from yiyang.core.models import Event
from yiyang.core.text import REMARK_MAX, too_long
from yiyang.elders import access as elder_access
from yiyang.elders.models import Category, Elder
from yiyang.entitlements import engine, events, selectors
from yiyang.entitlements.models import Benefit, BenefitRule, EntitlementChange, EntitlementStatus, Status

# COPY on PostgreSQL raises the driver's error, not Django's wrapper.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (IntegrityError,)
try:
    from psycopg import IntegrityError as _DriverIntegrityError

    INTEGRITY_ERRORS = (IntegrityError, _DriverIntegrityError)
except ImportError:  # pragma: no cover - SQLite-only installs
    pass

CHUNK = 500
CAUSES = EntitlementChange.Cause


@dataclass
class RefreshResult:
    elders: int = 0
    computed: int = 0  # elder × benefit pairs evaluated
    changes: int = 0
    newly_entitled: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Status})

    def add(self, other: RefreshResult) -> RefreshResult:
        self.elders += other.elders
        self.computed += other.computed
        self.changes += other.changes
        self.newly_entitled += other.newly_entitled
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        return self

    def summary(self) -> str:
        return (f"已重新计算 {self.elders} 位老年人的政策享受资格，{self.changes} 项发生变化"
                f"（其中新增可享受 {self.newly_entitled} 项）")


def _pks(elders: QuerySet[Elder] | Iterable[Any]) -> list[Any]:
    if isinstance(elders, QuerySet):
        return list(elders.order_by().values_list("pk", flat=True).distinct())
    return list(dict.fromkeys(getattr(e, "pk", e) for e in elders))


@transaction.atomic
def entitlements_refresh(
    *, elders: QuerySet[Elder] | Iterable[Any], cause: str, on: dt.date | None = None,
    rule: BenefitRule | None = None, actor: Any = None,
) -> RefreshResult:
    """Recompute the stored status of every active benefit for ``elders`` (a queryset, or a
    list of elders or their ids) as of ``on`` (default today). A deactivated elder (deceased,
    moved away) is entitled to nothing: their statuses become 不符合, logged as changes. A status seen for the first time is stored without a change row (a baseline);
    a status that differs from the stored one is updated and logged as a change with
    ``cause`` ("rule" / "elder" / "assessment" / "date")."""
    if cause not in CAUSES.values:
        raise ValueError(f"unknown cause {cause!r}")
    on = on or timezone.localdate()
    if actor is not None and not hasattr(actor, "pk"):  # a user id, from a task's arguments
        actor = get_user_model().objects.filter(pk=actor).first()
    rs = selectors.rule_set()
    active_ids = [b.pk for b in rs.benefits]
    pks = _pks(elders)
    result = RefreshResult()
    selected: dict[tuple[str, str], Any] = {}
    for i in range(0, len(pks), CHUNK):
        result.add(_refresh_chunk(pks[i:i + CHUNK], rs, active_ids, cause=cause, on=on, rule=rule, actor=actor,
                                  selected=selected))
        result.add(_retire_inactive(pks[i:i + CHUNK], actor=actor))
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
    EntitlementStatus.objects.bulk_update(rows, ["status", "reason", "since"], batch_size=1000)
    EntitlementChange.objects.bulk_create(changes, batch_size=1000)
    events_record_bulk(
        event_row(type=events.CHANGED, occurred_at=now, actor=actor_obj, elder_id=pk, subject=inactive[pk],
                  region_code=inactive[pk].region_id,
                  payload={"changes": c, "cause": CAUSES.ELDER.value, "reason_label": str(CAUSES.ELDER.label)})
        for pk, c in per_elder.items())
    return result


def _refresh_chunk(pks: list[Any], rs: selectors.RuleSet, active_ids: list[int], *, cause: str, on: dt.date,
                   rule: BenefitRule | None, actor: Any, selected: dict[tuple[str, str], Any]) -> RefreshResult:
    now = timezone.now()
    result = RefreshResult()
    elders = list(selectors.elders_for_refresh(pks))
    ids = [e.pk for e in elders]
    # A deactivated benefit no longer has a status.
    EntitlementStatus.objects.filter(elder_id__in=ids).exclude(benefit_id__in=active_ids).delete()
    stored = {(s.elder_id, s.benefit_id): s for s in EntitlementStatus.objects.filter(elder_id__in=ids)}
    known = {elder_id for elder_id, _ in stored}
    by_code = {b.code: b for b in rs.benefits}
    new_rows: list[tuple[Any, ...]] = []
    changed_rows: list[EntitlementStatus] = []
    change_rows: list[EntitlementChange] = []
    event_rows: list[tuple[Any, ...]] = []
    actor_obj = actor if getattr(actor, "pk", None) else None
    for elder in elders:
        result.elders += 1
        items = engine.entitlements_for(rs.benefits, rs.rules, selectors.elder_facts(elder), on=on, vocab=rs.vocab,
                                        selected=selected)
        elder_changes: dict[str, dict[str, str]] = {}
        for item in items:
            benefit = by_code[item["benefit"]]
            status, reason = item["status"], item["reason"][:500]
            result.computed += 1
            result.counts[status] += 1
            row = stored.get((elder.pk, benefit.pk))
            if row is None:
                new_rows.append((elder.pk, benefit.pk, status, reason, now))
                if elder.pk not in known or status == Status.NOT:
                    continue  # an elder seen for the first time: a baseline, not a change
                # A benefit new to an elder already on record (a benefit switched on): from 不符合.
                row = EntitlementStatus(status=Status.NOT)
            if row.status == status:
                if row.reason != reason:  # same status, new wording (e.g. the age in it): keep it current
                    row.reason = reason
                    changed_rows.append(row)
                continue
            change_rows.append(EntitlementChange(
                elder_id=elder.pk, benefit=benefit, from_status=row.status, to_status=status, reason=reason,
                at=now, cause=cause, rule=rule if rule is not None and rule.pk else None))
            elder_changes[benefit.name] = {"from": str(Status(row.status).label), "to": str(Status(status).label)}
            result.changes += 1
            if status == Status.ENTITLED:
                result.newly_entitled += 1
            if row.pk:
                row.status, row.reason, row.since = status, reason, now
                changed_rows.append(row)
        if elder_changes:
            event_rows.append(_event(
                type=events.CHANGED, actor=actor_obj, elder=elder, at=now,
                payload={"changes": elder_changes, "cause": cause, "reason_label": str(CAUSES(cause).label)}))
    _insert_statuses(new_rows)
    EntitlementStatus.objects.bulk_update(changed_rows, ["status", "reason", "since"], batch_size=1000)
    EntitlementChange.objects.bulk_create(change_rows, batch_size=1000)
    events_record_bulk(event_rows)
    return result


STATUS_FIELDS = ("elder_id", "benefit_id", "status", "reason", "since")


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


def _event(*, type: str, actor: Any, elder: Elder, at: Any, payload: dict[str, Any]) -> tuple[Any, ...]:  # noqa: A002
    """An event row for ``events_record_bulk`` (a rule change may touch thousands of elders)."""
    return event_row(type=type, occurred_at=at, actor=actor, elder_id=elder.pk, subject=elder,
                     region_code=elder.region_id, payload=payload)


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

    def summary(self) -> str:
        where = "所有地区" if "" in self.scopes else "、".join(sorted(self.scopes))
        return f"已保存。{where}在册老年人的政策享受资格正在后台重新计算，几分钟内生效（可在“后台任务”中查看进度）。"


def _queue_refresh(scopes: set[str], *, rule: BenefitRule | None, actor: Any) -> Queued:
    from yiyang.entitlements.tasks import entitlements_refresh_scope

    entitlements_refresh_scope.enqueue(region_codes=sorted(scopes), cause=CAUSES.RULE.value,
                                       rule_id=rule.pk if rule is not None else None,
                                       actor_id=getattr(actor, "pk", None))
    return Queued(sorted(scopes))


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
    queued = _queue_refresh({scope}, rule=None, actor=actor)
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
        queued = _queue_refresh({""}, rule=None, actor=actor)
    event_record(type=events.BENEFIT_SAVED, actor=actor, subject=benefit,
                 payload={"benefit": benefit.code, "name": benefit.name, "active": benefit.active,
                          "created": created})
    return queued
