"""Writes of the payment lists (发放名单) and the monthly payment rounds (发放批次).

A round is how a bureau pays a benefit every month, as OpenSPP and OpenG2P model a payment
cycle: someone with ``benefit.round_draft`` freezes the list of those entitled in a node for a
month (``round_draft``: the lines are copies, bulk-inserted), submits it (``round_submit``);
someone else with ``benefit.round_approve`` approves it (``round_approve``: never the
drafter, and never while an entitlement recompute is pending — the list could be about to
change); then it is exported for the bank (``round_export``), access-logged. A draft or a
submitted round can be cancelled (``round_cancel``) and the month drafted again; an approved
round never changes.

Every function is keyword-only, runs in one transaction, checks the caller's capability and
jurisdiction (the views check first; this is the last line), and writes an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.core import access, pii
from yiyang.core.bulk import bulk_insert
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.models import AccessLog
from yiyang.core.tasks import tasks_pending
from yiyang.core.text import LINE_MAX, too_long
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.entitlements import access as payment_access
from yiyang.entitlements import events, selectors
from yiyang.entitlements.exports import ExportFile, workbook_bytes
from yiyang.entitlements.models import (
    Benefit,
    EntitlementChange,
    EntitlementStatus,
    PaymentRound,
    PaymentRoundChange,
    PaymentRoundLine,
    Status,
)
from yiyang.regions.codes import normalize_code, prefix_of
from yiyang.regions.models import Region

State = PaymentRound.State
MASKED_PURPOSE = "导出发放名单（身份证号已遮蔽）"
PURPOSE_MIN = 2
ID_CTX = "elder.id_number"
CHUNK = 2000  # ids per IN (...) when explaining a round's changes

LINE_FIELDS = ("round_id", "elder_id", "name", "id_number_enc", "birth_date", "region_code", "status", "since")
CHANGE_FIELDS = ("round_id", "kind", "elder_id", "name", "region_code", "cause", "reason")
EXPORT_HEADER = ("序号", "姓名", "身份证号", "年龄", "街道", "社区", "社区代码", "状态", "起始日期")
EXPORT_WIDTHS = (7, 12, 22, 7, 14, 16, 15, 10, 12)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月"


def _require_in_jurisdiction(actor: Any, region_code: str) -> None:
    if not access.in_jurisdiction(actor, region_code):
        raise NotFoundError()


def _clean_purpose(purpose: str) -> str:
    """'' (the ID numbers stay masked) or a stated reason of at least two characters."""
    purpose = (purpose or "").strip()
    if purpose and len(purpose) < PURPOSE_MIN:
        raise FieldErrors({"purpose": ["事由至少写2个字，例如：银行代发核对；不需要完整身份证号时请留空"]})
    if message := too_long(purpose, LINE_MAX):
        raise FieldErrors({"purpose": [message]}, message=f"事由{message}")
    return purpose


def _age_on(birth: dt.date | None, day: dt.date) -> int | str:
    if birth is None:
        return ""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _export_rows(rows: Iterable[tuple[str, bytes | memoryview, dt.date | None, str, str, dt.datetime]], *, full: bool,
                 age_on: dt.date, names: dict[str, tuple[str, str]]) -> Iterator[tuple[Any, ...]]:
    """Rows of the sheet from (name, id_number_enc, birth_date, region_code, status, since);
    ``names``: region code → (community, street)."""
    n = 0
    for name, enc, birth, region_code, status, since in rows:
        community, street = names.get(region_code, ("", ""))
        id_number = pii.decrypt(enc, ID_CTX)
        n += 1
        yield (n, name, id_number if full else pii.mask_id_number(id_number), _age_on(birth, age_on), street,
               community, region_code, str(Status(status).label), timezone.localtime(since).date().isoformat())


def _log_export(*, actor: Any, region_code: str, what: str, full: bool, purpose: str, remote_addr: str) -> AccessLog:
    fields = [what, "姓名", "身份证号" if full else "身份证号（已遮蔽）", "年龄", "所属社区", "状态", "起始日期"]
    return AccessLog.objects.create(
        at=timezone.now(), actor=actor, action=AccessLog.Action.EXPORT, elder_id=None, region_code=region_code,
        fields=fields, purpose=purpose or MASKED_PURPOSE, remote_addr=remote_addr[:64])


def _node_label(code: str) -> str:
    if not code:
        return "全部地区"
    return Region.objects.filter(code=code).values_list("name", flat=True).first() or code


# --------------------------------------------------------------------------- the live list


@transaction.atomic
def recipients_export(*, actor: Any, benefit: Benefit, region: str = "", status: str = Status.ENTITLED.value,
                      purpose: str = "", remote_addr: str = "") -> ExportFile:
    """The list of ``benefit`` as an .xlsx: ID numbers masked unless ``purpose`` (事由) is
    given, in which case they are in full. Every export writes an access-log row."""
    access.require_capability(actor, payment_access.RECIPIENTS_EXPORT)
    purpose = _clean_purpose(purpose)
    if purpose:
        access.require_capability(actor, elder_access.ELDER_REVEAL)
    if status not in selectors.LISTABLE:
        raise FieldErrors({"status": ["状态只能是 entitled（可享受）或 maybe（可能符合）"]})
    node = normalize_code(region) if region else selectors.user_node(actor)
    qs = selectors.recipients_for(actor, benefit, region=region, status=status)
    rows = list(qs.values_list("elder__name", "elder__id_number_enc", "elder__birth_date", "elder__region_id",
                               "status", "since"))
    today = timezone.localdate()
    status_label = str(Status(status).label)
    node_name = _node_label(node)
    content = workbook_bytes(
        title=f"{benefit.name}{status_label}", header=EXPORT_HEADER, widths=EXPORT_WIDTHS,
        rows=_export_rows(rows, full=bool(purpose), age_on=today,
                          names=selectors.region_names({row[3] for row in rows})),
        about=[("政策项目", benefit.name), ("区划", f"{node_name}（{node}）" if node else node_name),
               ("状态", status_label), ("人数", len(rows)), ("身份证号", "完整" if purpose else "已遮蔽"),
               ("事由", purpose or "—"), ("导出人", actor.display_name), ("导出时间", f"{timezone.localtime():%Y-%m-%d %H:%M}"),
               ("说明", "按系统中已保存的享受资格生成（后台重新计算后更新）")])
    what = f"{benefit.name}{status_label}名单·{node_name}·{len(rows)}人"
    _log_export(actor=actor, region_code=node, what=what, full=bool(purpose), purpose=purpose,
                remote_addr=remote_addr)
    event_record(type=events.RECIPIENTS_EXPORTED, actor=actor, region_code=node,
                 payload={"benefit": benefit.code, "name": benefit.name, "status": status, "count": len(rows),
                          "masked": not purpose, "reason_label": what})
    return ExportFile(f"{benefit.name}{status_label}名单-{node_name}-{today:%Y%m%d}.xlsx", content, len(rows))


# --------------------------------------------------------------------------- rounds


def _payload(r: PaymentRound, **extra: Any) -> dict[str, Any]:
    return {"round": r.pk, "benefit": r.benefit.code, "name": r.benefit.name, "region_code": r.region_code,
            "month": f"{r.month:%Y-%m}", "count": r.count, "joined": r.joined_count, "left": r.left_count,
            "reason_label": f"{r.benefit.name}{month_label(r.month)}发放批次（{_node_label(r.region_code)}）",
            **extra}


def _locked(r: PaymentRound, actor: Any) -> PaymentRound:
    """The round re-read under a row lock (two approvers clicking at once: one wins)."""
    locked = PaymentRound.objects.select_for_update().select_related("benefit").get(pk=r.pk)
    _require_in_jurisdiction(actor, locked.region_code)
    return locked


def _refuse_frozen(r: PaymentRound) -> None:
    if r.frozen:
        raise ApplicationError("该批次已审核，内容不能再修改、提交或作废", code="round_frozen", status=409)
    if r.status == State.CANCELLED:
        raise ApplicationError("该批次已作废", code="round_cancelled", status=409)


def _previous_round(benefit: Benefit, region_code: str, month: dt.date) -> PaymentRound | None:
    """The last approved (or exported) round of the same benefit and node before ``month``:
    what was paid last, the list this one is compared with."""
    return (PaymentRound.objects.filter(benefit=benefit, region_code=region_code, month__lt=month,
                                        status__in=[State.APPROVED, State.EXPORTED])
            .order_by("-month", "-id").first())


def _overlapping(benefit: Benefit, region_code: str, month: dt.date) -> PaymentRound | None:
    """A live round of the same benefit and month whose node contains or lies inside this one
    (a street's round and one of its communities' would pay the same people twice)."""
    mine = prefix_of(region_code)
    for other in PaymentRound.objects.filter(benefit=benefit, month=month).exclude(status=State.CANCELLED):
        theirs = prefix_of(other.region_code)
        if mine.startswith(theirs) or theirs.startswith(mine):
            return other
    return None


@transaction.atomic
def round_draft(*, actor: Any, benefit: Benefit | str, region_code: str, month: dt.date | None = None) -> PaymentRound:
    """Freeze the list of those entitled to ``benefit`` in the node ``region_code`` for
    ``month`` (default this month), with its difference from the previous approved round."""
    access.require_capability(actor, payment_access.ROUND_DRAFT)
    code = benefit if isinstance(benefit, str) else benefit.code
    locked = Benefit.objects.select_for_update().filter(code=code, active=True).first()  # one drafter per benefit
    if locked is None:
        raise NotFoundError("该政策项目不存在或未启用")
    benefit = locked
    node_code = normalize_code(region_code or "")
    region = Region.objects.filter(code=node_code).first()
    if region is None or not access.in_jurisdiction(actor, node_code):
        raise NotFoundError("区划不存在或不在您的管辖范围内")
    today = timezone.localdate()
    month = month_start(month or today)
    if month > _next_month(month_start(today)):
        raise FieldErrors({"month": ["最多只能编制下个月的发放批次"]})
    clash = _overlapping(benefit, node_code, month)
    if clash is not None:
        raise ApplicationError(
            f"{_node_label(clash.region_code)}{month_label(month)}的{benefit.name}发放批次已存在"
            f"（第{clash.pk}号，{clash.get_status_display()}），不能重复编制；如需重新编制，请先作废原批次",
            code="round_exists", status=409, detail={"round": clash.pk})
    previous = _previous_round(benefit, node_code, month)
    rows = [
        (elder_id, name, bytes(enc), birth, region_id, status, since)
        for elder_id, name, enc, birth, region_id, status, since in
        EntitlementStatus.objects.filter(benefit=benefit, status=Status.ENTITLED, elder__active=True)
        .filter(access.prefix_q(region.prefix, "elder__region"))
        .order_by("elder__region_id", "elder__name", "elder_id")
        .values_list("elder_id", "elder__name", "elder__id_number_enc", "elder__birth_date", "elder__region_id",
                     "status", "since")
    ]
    now = timezone.now()
    r = PaymentRound.objects.create(benefit=benefit, region_code=node_code, month=month, status=State.DRAFT,
                                    previous=previous, count=len(rows), drafted_by=actor, drafted_at=now)
    bulk_insert(PaymentRoundLine, LINE_FIELDS, ((r.pk, *row) for row in rows))
    changes = _round_changes(r, previous, rows, prefix=region.prefix) if previous is not None else []
    bulk_insert(PaymentRoundChange, CHANGE_FIELDS, changes)
    r.joined_count = sum(1 for c in changes if c[1] == PaymentRoundChange.Kind.JOINED)
    r.left_count = len(changes) - r.joined_count
    r.save(update_fields=["joined_count", "left_count"])
    event_record(type=events.ROUND_DRAFTED, actor=actor, subject=r, region_code=node_code,
                 payload=_payload(r, previous=previous.pk if previous else None))
    return r


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _round_changes(r: PaymentRound, previous: PaymentRound, rows: list[tuple[Any, ...]], *,
                   prefix: str) -> list[tuple[Any, ...]]:
    """Who joined and who left since ``previous``, and why, as rows for ``CHANGE_FIELDS``.

    Left: the archive was deactivated (the reason's label, e.g. 已故), or the elder moved out
    of the node, or their status changed (the latest logged change's reason). Joined: their
    status changed to 可享受 after the previous round was drafted (that change's reason), or
    they were registered since, or they moved in."""
    current = {row[0]: row for row in rows}
    before = {eid: (name, region_code) for eid, name, region_code in
              PaymentRoundLine.objects.filter(round=previous).values_list("elder_id", "name", "region_code")}
    joined = [eid for eid in current if eid not in before]
    left = [eid for eid in before if eid not in current]
    elders: dict[Any, Elder] = {}
    latest: dict[Any, EntitlementChange] = {}
    for chunk in _chunks(joined + left):
        elders.update((e.pk, e) for e in Elder.objects.filter(pk__in=chunk).only(
            "id", "active", "deactivation_reason", "region_id", "created_at"))
        for logged in (EntitlementChange.objects.filter(benefit_id=r.benefit_id, elder_id__in=chunk)
                       .only("elder_id", "from_status", "to_status", "reason", "cause", "at")
                       .order_by("elder_id", "-at", "-id")):
            latest.setdefault(logged.elder_id, logged)
    moved_to = selectors.region_names(e.region_id for eid in left if (e := elders.get(eid)) is not None)
    Kind, Cause = PaymentRoundChange.Kind, PaymentRoundChange.Cause
    out: list[tuple[Any, ...]] = []
    since = previous.drafted_at
    change: EntitlementChange | None
    for eid in joined:
        _, name, _, _, region_code, _, _ = current[eid]
        change = latest.get(eid)
        elder = elders.get(eid)
        if change is not None and change.to_status == Status.ENTITLED and change.at > since:
            cause, reason = Cause.STATUS, f"{change.reason}（{change.get_cause_display()}）"
        elif elder is not None and elder.created_at > since:
            cause, reason = Cause.REGISTERED, "上期批次后新登记"
        else:
            cause, reason = Cause.MOVED_IN, "迁入本区划（上期不在本区划名单中）"
        out.append((r.pk, Kind.JOINED, eid, name, region_code, cause, reason[:500]))
    for eid in left:
        name, region_code = before[eid]
        elder = elders.get(eid)
        change = latest.get(eid)
        if elder is None:
            cause, reason = Cause.OTHER, "档案已不存在"
        elif not elder.active:
            label = (Elder.DeactivationReason(elder.deactivation_reason).label
                     if elder.deactivation_reason else "注销")
            cause, reason = Cause.DEACTIVATED, f"档案注销：{label}"
        elif not elder.region_id.startswith(prefix):
            where = moved_to.get(elder.region_id, ("", ""))
            cause, reason = Cause.MOVED_OUT, f"迁出本区划（现属{where[1]}{where[0] or elder.region_id}）"
        elif change is not None and change.to_status != Status.ENTITLED:
            cause = Cause.STATUS
            reason = f"{Status(change.to_status).label}：{change.reason}（{change.get_cause_display()}）"
        else:
            cause, reason = Cause.OTHER, "不在本期名单中"
        out.append((r.pk, Kind.LEFT, eid, name, region_code, cause, reason[:500]))
    return out


@transaction.atomic
def round_submit(*, actor: Any, round: PaymentRound) -> PaymentRound:  # noqa: A002 - the domain word
    """草稿 → 待审核."""
    access.require_capability(actor, payment_access.ROUND_DRAFT)
    r = _locked(round, actor)
    _refuse_frozen(r)
    if r.status != State.DRAFT:
        raise ApplicationError("该批次已提交，等待审核", code="round_submitted", status=409)
    r.status, r.submitted_by, r.submitted_at = State.SUBMITTED, actor, timezone.now()
    r.save(update_fields=["status", "submitted_by", "submitted_at"])
    event_record(type=events.ROUND_SUBMITTED, actor=actor, subject=r, region_code=r.region_code, payload=_payload(r))
    return r


@transaction.atomic
def round_approve(*, actor: Any, round: PaymentRound) -> PaymentRound:  # noqa: A002 - the domain word
    """待审核 → 已审核, by someone other than the drafter, when no recompute is pending."""
    from yiyang.entitlements.tasks import REFRESH_TASKS

    access.require_capability(actor, payment_access.ROUND_APPROVE)
    r = _locked(round, actor)
    _refuse_frozen(r)
    if r.status != State.SUBMITTED:
        raise ApplicationError("请先提交审核，再审核该批次", code="round_not_submitted", status=409)
    if r.drafted_by_id is not None and r.drafted_by_id == getattr(actor, "pk", None):
        raise ForbiddenError("不能审核自己编制的发放批次，请由另一位有审核权限的管理员审核")
    if tasks_pending(REFRESH_TASKS):
        raise ApplicationError(
            "政策享受资格正在后台重新计算，名单可能还会变化，请等计算完成后再审核（通常几分钟）",
            code="recompute_pending", status=409)
    r.status, r.approved_by, r.approved_at = State.APPROVED, actor, timezone.now()
    r.save(update_fields=["status", "approved_by", "approved_at"])
    event_record(type=events.ROUND_APPROVED, actor=actor, subject=r, region_code=r.region_code, payload=_payload(r))
    return r


@transaction.atomic
def round_cancel(*, actor: Any, round: PaymentRound, note: str = "") -> PaymentRound:  # noqa: A002 - the domain word
    """A draft or a submitted round is cancelled (作废), e.g. to draft the month again after
    the list changed; an approved round cannot be."""
    if not (access.has_capability(actor, payment_access.ROUND_DRAFT)
            or access.has_capability(actor, payment_access.ROUND_APPROVE)):
        raise ForbiddenError()
    note = (note or "").strip()
    if message := too_long(note, LINE_MAX):
        raise FieldErrors({"note": [message]}, message=f"说明{message}")
    r = _locked(round, actor)
    _refuse_frozen(r)
    r.status, r.cancelled_by, r.cancelled_at = State.CANCELLED, actor, timezone.now()
    r.note = note
    r.save(update_fields=["status", "cancelled_by", "cancelled_at", "note"])
    event_record(type=events.ROUND_CANCELLED, actor=actor, subject=r, region_code=r.region_code,
                 payload=_payload(r, note=r.note))
    return r


@transaction.atomic
def round_export(*, actor: Any, round: PaymentRound, purpose: str = "",  # noqa: A002 - the domain word
                 remote_addr: str = "") -> ExportFile:
    """An approved round as an .xlsx (masked ID numbers unless ``purpose`` is given); the
    first export marks it 已导出. Every export writes an access-log row and an event."""
    access.require_capability(actor, payment_access.RECIPIENTS_EXPORT)
    purpose = _clean_purpose(purpose)
    if purpose:
        access.require_capability(actor, elder_access.ELDER_REVEAL)
    r = _locked(round, actor)
    if not r.frozen:
        raise ApplicationError("只有已审核的发放批次可以导出", code="round_not_approved", status=409)
    first = r.status == State.APPROVED
    if first:
        r.status, r.exported_by, r.exported_at = State.EXPORTED, actor, timezone.now()
        r.save(update_fields=["status", "exported_by", "exported_at"])
    node_name = _node_label(r.region_code)
    lines = selectors.round_lines(r).values_list("name", "id_number_enc", "birth_date", "region_code", "status",
                                                   "since")
    content = workbook_bytes(
        title=f"{r.benefit.name}{month_label(r.month)}", header=EXPORT_HEADER, widths=EXPORT_WIDTHS,
        rows=_export_rows(lines, full=bool(purpose), age_on=r.month, names=selectors.region_names(
            selectors.round_lines(r).order_by().values_list("region_code", flat=True).distinct())),
        about=[("发放批次", f"第{r.pk}号"), ("政策项目", r.benefit.name), ("发放月份", month_label(r.month)),
               ("区划", f"{node_name}（{r.region_code}）"), ("人数", r.count),
               ("编制", f"{_who(r.drafted_by)} {_when(r.drafted_at)}"),
               ("审核", f"{_who(r.approved_by)} {_when(r.approved_at)}"),
               ("身份证号", "完整" if purpose else "已遮蔽"), ("事由", purpose or "—"),
               ("导出人", actor.display_name), ("导出时间", f"{timezone.localtime():%Y-%m-%d %H:%M}"),
               ("年龄", "按发放月份1日计算")])
    what = f"发放批次第{r.pk}号·{r.benefit.name}·{month_label(r.month)}·{node_name}·{r.count}人"
    _log_export(actor=actor, region_code=r.region_code, what=what, full=bool(purpose), purpose=purpose,
                remote_addr=remote_addr)
    event_record(type=events.ROUND_EXPORTED, actor=actor, subject=r, region_code=r.region_code,
                 payload=_payload(r, first=first, masked=not purpose))
    return ExportFile(f"{r.benefit.name}发放批次-{node_name}-{r.month:%Y%m}-第{r.pk}号.xlsx", content, r.count)


def _who(user: Any) -> str:
    return str(user.display_name) if user is not None else "—"


def _when(at: dt.datetime | None) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else ""
