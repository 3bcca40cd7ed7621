"""/api/v1/benefits/{code}/recipients (发放名单) and /api/v1/payment-rounds (发放批次) — thin:
access → selectors / payments services. Included in the entitlements router (``api.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from yiyang.core import access, pii
from yiyang.core.exceptions import FieldErrors
from yiyang.core.htmx import client_ip
from yiyang.core.paging import page_window
from yiyang.entitlements import access as payment_access
from yiyang.entitlements import payments, selectors
from yiyang.entitlements.exports import xlsx_response
from yiyang.entitlements.models import EntitlementStatus, PaymentRound, PaymentRoundChange, PaymentRoundLine
from yiyang.entitlements.schemas import (
    ExportIn,
    RecipientExportIn,
    RecipientPage,
    RecipientRead,
    RoundCancelIn,
    RoundChangeRead,
    RoundCreate,
    RoundDetail,
    RoundLinePage,
    RoundLineRead,
    RoundPage,
    RoundRead,
)

router = Router(tags=["发放名单与发放批次 payments"])
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
STATUS_MESSAGE = "状态只能是 entitled（可享受）或 maybe（可能符合）"


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    _page, size, start = page_window(page, page_size, max_page_size=MAX_PAGE_SIZE)
    return start, start + size


def check_status(status: str) -> str:
    if status not in selectors.LISTABLE:
        error = FieldErrors({"status": [STATUS_MESSAGE]}, message=STATUS_MESSAGE)
        error.status = 422  # like every other malformed query parameter
        raise error
    return status


# --------------------------------------------------------------------------- the list


class RecipientQuery(Schema):
    region: str = Field("", max_length=40)
    status: str = Field("entitled", max_length=40)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def recipient_read(s: EntitlementStatus) -> RecipientRead:
    return RecipientRead(elder_id=s.elder_id, name=s.elder.name,
                         id_number=pii.mask_id_number(pii.decrypt(s.elder.id_number_enc, payments.ID_CTX)),
                         region_code=s.elder.region_id, status=s.status, since=s.since)


@router.get("/benefits/{code}/recipients", response=RecipientPage,
            summary="发放名单：管辖范围内在册老年人中某项政策可享受（或可能符合）的人，按社区、姓名排序")
def recipient_list(request: HttpRequest, code: str, filters: Query[RecipientQuery]) -> Any:
    access.require_capability(request.user, payment_access.RECIPIENTS_VIEW)
    benefit = selectors.benefit_for_list(code)
    status = check_status(filters.status)
    qs = selectors.recipients_for(request.user, benefit, region=filters.region, status=status)
    start, end = page_bounds(filters.page, filters.page_size)
    return RecipientPage(items=[recipient_read(s) for s in qs[start:end]], count=qs.count())


@router.post("/benefits/{code}/recipients/export", response={200: None},
             summary="导出发放名单（.xlsx）：不填事由则身份证号遮蔽；每次导出都写入敏感信息访问记录")
def recipient_export(request: HttpRequest, code: str, payload: RecipientExportIn) -> HttpResponse:
    access.require_capability(request.user, payment_access.RECIPIENTS_EXPORT)
    benefit = selectors.benefit_for_list(code)
    file = payments.recipients_export(actor=request.user, benefit=benefit, region=payload.region,
                                      status=check_status(payload.status), purpose=payload.stated,
                                      remote_addr=client_ip(request))
    return xlsx_response(file)


# --------------------------------------------------------------------------- rounds


def _name(user: Any) -> str | None:
    return str(user.display_name) if user is not None else None


def round_read(r: PaymentRound, names: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    names = names if names is not None else selectors.region_names([r.region_code])
    return {
        "id": r.pk, "benefit": r.benefit.code, "benefit_name": r.benefit.name, "region_code": r.region_code,
        "region_name": names.get(r.region_code, ("", ""))[0], "month": r.month, "status": r.status,
        "status_name": str(r.get_status_display()), "count": r.count, "joined_count": r.joined_count,
        "left_count": r.left_count, "previous_id": r.previous_id, "drafted_by": _name(r.drafted_by),
        "drafted_at": r.drafted_at, "submitted_by": _name(r.submitted_by), "submitted_at": r.submitted_at,
        "approved_by": _name(r.approved_by), "approved_at": r.approved_at, "exported_by": _name(r.exported_by),
        "exported_at": r.exported_at, "cancelled_by": _name(r.cancelled_by), "cancelled_at": r.cancelled_at,
        "note": r.note,
    }


def round_detail(r: PaymentRound) -> RoundDetail:
    changes = list(selectors.round_changes(r))

    def read(kind: str) -> list[RoundChangeRead]:
        return [RoundChangeRead(elder_id=c.elder_id, name=c.name, region_code=c.region_code, cause=c.cause,
                                reason=c.reason) for c in changes if c.kind == kind]

    return RoundDetail(**round_read(r), joined=read(PaymentRoundChange.Kind.JOINED),
                       left=read(PaymentRoundChange.Kind.LEFT),
                       changes_since_draft=selectors.round_changes_since_draft(r))


def parse_month(text: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01").replace(day=1)
    except ValueError:
        raise FieldErrors({"month": ["月份格式应为 YYYY-MM，例如 2026-12"]}) from None


class RoundQuery(Schema):
    benefit: str = Field("", max_length=40)
    status: str = Field("", max_length=40)
    region: str = Field("", max_length=40)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@router.get("/payment-rounds", response=RoundPage, summary="发放批次列表（管辖范围内），最新月份在前")
def round_list(request: HttpRequest, filters: Query[RoundQuery]) -> Any:
    access.require_capability(request.user, payment_access.RECIPIENTS_VIEW)
    qs = selectors.rounds_for(request.user, selectors.RoundFilters(
        benefit=filters.benefit, status=filters.status, region=filters.region)).select_related(
        "submitted_by", "exported_by", "cancelled_by")
    start, end = page_bounds(filters.page, filters.page_size)
    rounds = list(qs[start:end])
    names = selectors.region_names(r.region_code for r in rounds)
    return RoundPage(items=[RoundRead(**round_read(r, names)) for r in rounds], count=qs.count())


@router.post("/payment-rounds", response={201: RoundDetail},
             summary="编制发放批次：冻结该区划该月可享受的名单，并与上期批次比较（谁新增、谁减少、为什么）")
def round_create(request: HttpRequest, payload: RoundCreate) -> Any:
    access.require_capability(request.user, payment_access.ROUND_DRAFT)
    r = payments.round_draft(actor=request.user, benefit=payload.benefit, region_code=payload.region_code,
                             month=parse_month(payload.month))
    return Status(201, round_detail(payment_access.access_round(request.user, r.pk)))


@router.get("/payment-rounds/{round_id}", response=RoundDetail, summary="一个发放批次及其与上期的差异")
def round_get(request: HttpRequest, round_id: int) -> Any:
    return round_detail(payment_access.access_round(request.user, round_id))


@router.get("/payment-rounds/{round_id}/lines", response=RoundLinePage,
            summary="发放批次的名单（编制时冻结，身份证号遮蔽），按社区、姓名排序")
def round_line_list(request: HttpRequest, round_id: int, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Any:
    r = payment_access.access_round(request.user, round_id)
    qs = selectors.round_lines(r)
    start, end = page_bounds(page, page_size)
    lines: list[PaymentRoundLine] = list(qs[start:end])
    return RoundLinePage(items=[RoundLineRead(elder_id=line.elder_id, name=line.name, id_number=line.id_number_masked,
                                              region_code=line.region_code, status=line.status, since=line.since)
                                for line in lines], count=r.count)


@router.post("/payment-rounds/{round_id}/submit", response=RoundDetail, summary="提交审核（草稿 → 待审核）")
def round_submit(request: HttpRequest, round_id: int) -> Any:
    r = payment_access.access_round(request.user, round_id, payment_access.ROUND_DRAFT)
    payments.round_submit(actor=request.user, round=r)
    return round_detail(payment_access.access_round(request.user, round_id))


@router.post("/payment-rounds/{round_id}/approve", response=RoundDetail,
             summary="审核通过（待审核 → 已审核）：不能审核自己编制的批次；后台重新计算资格时暂不能审核")
def round_approve(request: HttpRequest, round_id: int) -> Any:
    r = payment_access.access_round(request.user, round_id, payment_access.ROUND_APPROVE)
    payments.round_approve(actor=request.user, round=r)
    return round_detail(payment_access.access_round(request.user, round_id))


@router.post("/payment-rounds/{round_id}/cancel", response=RoundDetail, summary="作废（仅草稿或待审核的批次）")
def round_cancel(request: HttpRequest, round_id: int, payload: RoundCancelIn | None = None) -> Any:
    r = payment_access.access_round(request.user, round_id)
    payments.round_cancel(actor=request.user, round=r, note=payload.note if payload else "")
    return round_detail(payment_access.access_round(request.user, round_id))


@router.post("/payment-rounds/{round_id}/export", response={200: None},
             summary="导出已审核的发放批次（.xlsx），首次导出后状态为已导出；不填事由则身份证号遮蔽，每次都写入访问记录")
def round_export(request: HttpRequest, round_id: int, payload: ExportIn | None = None) -> HttpResponse:
    r = payment_access.access_round(request.user, round_id, payment_access.RECIPIENTS_EXPORT)
    file = payments.round_export(actor=request.user, round=r, purpose=payload.stated if payload else "",
                                 remote_addr=client_ip(request))
    return xlsx_response(file)
