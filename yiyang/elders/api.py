"""/api/v1/elders — thin: every call goes through access_*, selectors and services."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from yiyang.core import access
from yiyang.core.events import event_label
from yiyang.core.exceptions import ApplicationError, NotFoundError
from yiyang.core.paging import page_window
from yiyang.elders import access as elder_access
from yiyang.elders import selectors, services
from yiyang.elders.models import Elder, economic_status_name, economic_status_of
from yiyang.elders.rows import elder_rows, json_response
from yiyang.elders.schemas import (
    CURSOR_DESCRIPTION,
    PAGE_DESCRIPTION,
    AccessLogRead,
    DeactivateIn,
    ElderCreate,
    ElderPage,
    ElderRead,
    ElderSearch,
    ElderUpdate,
    EventRead,
    RevealIn,
    SuspectRead,
    VerdictIn,
)

router = Router(tags=["老年人 elders"])
MAX_PAGE_SIZE = 200


def elder_read(elder: Elder, user: Any = None) -> ElderRead:
    """``user`` given (one archive, not a list): with its suspected duplicates."""
    cats = selectors.elder_categories(elder)
    economic = economic_status_of(elder.not_in_difficulty, (c for c, _ in cats))
    suspects = [
        SuspectRead(id=s.elder.pk, name=s.elder.name, id_number=s.elder.id_number_masked, region_code=s.elder.region_id,
                    region_name=s.elder.region.name, reasons=s.reasons)
        for s in (selectors.elder_duplicate_suspects(user, elder) if user is not None and elder.active else [])
    ]
    return ElderRead(
        id=elder.pk, name=elder.name, id_number=elder.id_number_masked, phone=elder.phone_masked,
        address=elder.address_masked, birth_date=elder.birth_date, sex=elder.sex, age=elder.age,
        region_code=elder.region_id, region_name=elder.region.name,
        street_name=elder.region.parent.name if elder.region.parent else "",
        living_situation=elder.living_situation, categories=[c for c, _ in cats],
        category_names=[n for _, n in cats], economic_status=economic, economic_status_name=economic_status_name(
            economic, dict(cats)), hukou_local=elder.hukou_local, active=elder.active,
        deactivation_reason=elder.deactivation_reason, version=elder.version,
        created_at=elder.created_at, updated_at=elder.updated_at, suspected_duplicates=suspects,
    )


class ElderQuery(Schema):
    """Filters that are not personal data: they may travel in a URL."""

    region: str = Field("", max_length=40)
    category: str = Field("", max_length=40)
    living_situation: str = Field("", max_length=40)
    active: bool | None = True
    cursor: str = Field("", max_length=60, description=CURSOR_DESCRIPTION)
    page: int = Field(1, description=PAGE_DESCRIPTION)
    page_size: int = 20


# A URL ends up in access logs, proxies and browser history: no name, ID number or phone in it.
PERSONAL_QUERY_PARAMETERS = ("name", "id_number", "phone", "q")


def _elder_page(request: HttpRequest, f: ElderQuery | ElderSearch) -> HttpResponse:
    """An ``ElderPage``, built from plain values (``rows.py``)."""
    access.require_capability(request.user, elder_access.ELDER_VIEW)  # same answer as the list page: 403
    page, page_size, start = page_window(f.page, f.page_size, max_page_size=MAX_PAGE_SIZE)
    filters = selectors.ElderFilters(
        region=f.region, category=f.category, living_situation=f.living_situation, active=f.active,
        name=getattr(f, "name", ""), id_number=getattr(f, "id_number", ""), phone=getattr(f, "phone", ""),
        q=getattr(f, "q", ""),
    )
    qs = selectors.elder_list_for(request.user, filters)
    count = selectors.elder_count_for(request.user, filters)
    if page > 1 and not f.cursor:
        # The numbered pages of before (OFFSET): still answered, and with a cursor to go on by.
        items = elder_rows(qs[start: start + page_size + 1])
        more = len(items) > page_size
        items = items[:page_size]
        return json_response({
            "items": items, "count": count, "page": page, "page_size": page_size,
            "next_cursor": selectors.Cursor(True, uuid.UUID(items[-1]["id"]), page + 1).token if more else None,
            "prev_cursor": selectors.Cursor(False, uuid.UUID(items[0]["id"]), page - 1).token if items else None})
    result = selectors.elder_page(request.user, filters, cursor=f.cursor or None, size=page_size, rows=elder_rows)
    return json_response({"items": result.rows, "count": count, "page": result.page, "page_size": page_size,
                          "next_cursor": result.next_cursor, "prev_cursor": result.prev_cursor})


@router.get("", response=ElderPage, summary="老年人列表（管辖范围内；按姓名、身份证号、电话查找请用 POST /elders/search）")
def elder_list(request: HttpRequest, filters: Query[ElderQuery]):
    given = [p for p in PERSONAL_QUERY_PARAMETERS if p in request.GET]
    if given:
        raise ApplicationError(
            "姓名、身份证号、电话不能放在网址中（会被记入访问日志），请改用 POST /api/v1/elders/search",
            code="personal_data_in_url", detail={"parameters": given})
    return _elder_page(request, filters)


@router.post("/search", response=ElderPage, summary="查找老年人：按姓名、身份证号、电话（放在请求体中，不进访问日志）")
def elder_search(request: HttpRequest, payload: ElderSearch):
    return _elder_page(request, payload)


@router.post("", response={201: ElderRead}, summary="登记老年人")
def elder_create(request: HttpRequest, payload: ElderCreate):
    data = payload.dict(exclude={"contacts"})
    elder = services.elder_register(
        actor=request.user, data=data, contacts=[c.dict() for c in payload.contacts], source="api"
    )
    return Status(201, elder_read(elder_access.access_elder(request.user, elder.pk), request.user))


@router.get("/{elder_id}", response=ElderRead, summary="老年人档案（脱敏）")
def elder_detail(request: HttpRequest, elder_id: uuid.UUID):
    return elder_read(elder_access.access_elder(request.user, elder_id), request.user)


@router.post("/{elder_id}/duplicates/{other_id}", response=ElderRead, summary="核实疑似重复（判定一次，不再提示）")
def elder_duplicate_verdict(request: HttpRequest, elder_id: uuid.UUID, other_id: uuid.UUID, payload: VerdictIn):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    other = Elder.objects.filter(pk=other_id).first()
    if other is None:
        raise NotFoundError("没有这条待核实的疑似重复记录")
    services.duplicate_verdict_record(actor=request.user, elder=elder, other=other, same=payload.same,
                                      note=payload.note)
    return elder_read(elder_access.access_elder(request.user, elder_id), request.user)


@router.patch("/{elder_id}", response=ElderRead, summary="修改档案")
def elder_patch(request: HttpRequest, elder_id: uuid.UUID, payload: ElderUpdate):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    if not data:
        raise ApplicationError("没有要修改的字段", code="empty_update")
    services.elder_update(actor=request.user, elder=elder, data=data, expected_version=version)
    return elder_read(elder_access.access_elder(request.user, elder_id))


@router.post("/{elder_id}/deactivate", response=ElderRead, summary="注销（已故、迁出等），不删除")
def elder_deactivate(request: HttpRequest, elder_id: uuid.UUID, payload: DeactivateIn):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_DEACTIVATE)
    services.elder_deactivate(actor=request.user, elder=elder, reason=payload.reason, note=payload.note)
    return elder_read(elder_access.access_elder(request.user, elder_id))


@router.post("/{elder_id}/reveal", summary="查看敏感信息明文（记录访问日志）")
def elder_reveal(request: HttpRequest, elder_id: uuid.UUID, payload: RevealIn):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_REVEAL)
    return services.elder_reveal(actor=request.user, elder=elder, fields=payload.fields, purpose=payload.purpose,
                                 remote_addr=request.META.get("REMOTE_ADDR", ""))


@router.get("/{elder_id}/timeline", response=list[EventRead], summary="个案时间线")
def elder_timeline(request: HttpRequest, elder_id: uuid.UUID):
    elder = elder_access.access_elder(request.user, elder_id)
    return [
        EventRead(id=e.id, type=e.type, label=event_label(e.type), occurred_at=e.occurred_at,
                  actor=e.actor.display_name if e.actor else None, payload=e.payload)
        for e in selectors.elder_timeline(elder)[:500]
    ]


@router.get("/{elder_id}/access-log", response=list[AccessLogRead], summary="谁查看过该老人的敏感信息")
def elder_access_log(request: HttpRequest, elder_id: uuid.UUID):
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_ACCESS_LOG)
    return [
        AccessLogRead(at=a.at, actor=a.actor.display_name, action=a.action, fields=a.fields, purpose=a.purpose)
        for a in selectors.elder_access_log(elder)[:500]
    ]


class LocationIn(Schema):
    latitude: float
    longitude: float
    source: Literal["manual", "phone", "import"] = "manual"


class LocationRead(Schema):
    cell: str
    located_at: str


@router.put("/{elder_id}/location", response=LocationRead, summary="记录住址位置（精确位置加密保存，只公开约200米网格）")
def elder_location(request: HttpRequest, elder_id: uuid.UUID, payload: LocationIn):
    from yiyang.elders.location import elder_location_set

    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    elder = elder_location_set(actor=request.user, elder=elder, latitude=payload.latitude,
                               longitude=payload.longitude, source=payload.source)
    assert elder.home_located_at is not None
    return LocationRead(cell=elder.home_cell, located_at=elder.home_located_at.isoformat())
