"""/api/v1/elders/{id}/entitlements, /api/v1/entitlements/changes, /api/v1/benefits — thin:
access_* → selectors / services."""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from yiyang.core import access
from yiyang.core.apierrors import IsoDate
from yiyang.core.paging import page_window
from yiyang.elders import access as elder_access
from yiyang.entitlements import engine, selectors, services
from yiyang.entitlements.models import EntitlementChange
from yiyang.entitlements.schemas import (
    BenefitRead,
    ChangePage,
    ChangeRead,
    EntitlementRead,
    ExplainedIn,
    ExplainedRead,
    RuleRead,
)

router = Router(tags=["政策享受 entitlements"])
# 发放名单 and 发放批次 (payments_api.py) ride on this router: config/api.py mounts it once.
router.add_router("", "yiyang.entitlements.payments_api.router")
MAX_PAGE_SIZE = 200


@router.get("/elders/{elder_id}/entitlements", response=list[EntitlementRead],
            summary="老年人可享受的政策（每个项目：可享受 / 可能符合 / 不符合，附理由和缺失信息）")
def elder_entitlements(request: HttpRequest, elder_id: uuid.UUID, on: IsoDate | None = None):
    elder = elder_access.access_elder(request.user, elder_id)
    return selectors.elder_entitlements(elder, on=on)


@router.post("/elders/{elder_id}/entitlements/{benefit}/explained", response={201: ExplainedRead},
             summary="标记为已告知：已向老人告知某项政策（写入个案时间线）")
def entitlement_explained(request: HttpRequest, elder_id: uuid.UUID, benefit: str, payload: ExplainedIn | None = None):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    event = services.entitlement_explain(actor=request.user, elder=elder, benefit_code=benefit,
                                         note=payload.note if payload else "")
    return Status(201, ExplainedRead(benefit=event.payload["benefit"], name=event.payload["name"], event_id=event.pk,
                                     explained_at=event.occurred_at))


class ChangeQuery(Schema):
    newly_entitled: bool = False
    acknowledged: bool | None = None
    benefit: str = Field("", max_length=40)
    region: str = Field("", max_length=40)
    page: int = 1
    page_size: int = 50


def change_read(c: EntitlementChange) -> ChangeRead:
    # by field name: "from" and "to" are the JSON names (aliases), not Python keywords to pass
    return ChangeRead.model_validate(dict(
        id=c.pk, elder_id=c.elder_id, elder_name=c.elder.name, region_code=c.elder.region_id,
        region_name=c.elder.region.name, benefit=c.benefit.code, name=c.benefit.name, from_status=c.from_status,
        to_status=c.to_status, reason=c.reason, cause=c.cause, at=c.at, acknowledged_at=c.acknowledged_at,
        acknowledged_by=c.acknowledged_by.display_name if c.acknowledged_by is not None else None,
    ))


@router.get("/entitlements/changes", response=ChangePage, by_alias=True,
            summary="享受资格变化（谁新近可享受），管辖范围内，最新的在前")
def entitlement_changes(request: HttpRequest, filters: Query[ChangeQuery]):
    access.require_capability(request.user, elder_access.ELDER_VIEW)
    page, page_size, start = page_window(filters.page, filters.page_size, max_page_size=MAX_PAGE_SIZE)
    qs = selectors.entitlement_changes_for(request.user, selectors.ChangeFilters(
        newly_entitled=filters.newly_entitled, acknowledged=filters.acknowledged, benefit=filters.benefit,
        region=filters.region))
    count = qs.count()
    items = [change_read(c) for c in qs[start: start + page_size]]
    return ChangePage(items=items, count=count, page=page, page_size=page_size)


@router.post("/entitlements/changes/{change_id}/acknowledge", response=ChangeRead, by_alias=True,
             summary="标记为已告知：已向老人告知资格变化")
def entitlement_change_acknowledge(request: HttpRequest, change_id: int):
    change = selectors.access_change(request.user, change_id)
    access.require_capability(request.user, elder_access.ELDER_UPDATE)
    services.entitlement_change_acknowledge(actor=request.user, change=change)
    return change_read(selectors.entitlement_changes_for(request.user).get(pk=change.pk))


@router.get("/benefits", response=list[BenefitRead], summary="政策项目及其规则（基本养老服务清单）")
def benefit_list(request: HttpRequest, include_inactive: bool = False):
    access.require_capability(request.user, elder_access.ELDER_VIEW)
    rs = selectors.rule_set(include_inactive=include_inactive)
    return [
        BenefitRead(
            code=b.code, name=b.name, kind=b.kind, kind_name=str(b.get_kind_display()), description=b.description,
            amount=b.amount, how_to_apply=b.how_to_apply, active=b.active,
            rules=[RuleRead(id=r.pk, region_code=r.region_code, effective_from=r.effective_from,
                            effective_to=r.effective_to, priority=r.priority, conditions=r.conditions,
                            description=engine.describe(r.conditions, rs.vocab), source=r.source)
                   for r in rs.rules[b.code]],
        )
        for b in rs.benefits
    ]
