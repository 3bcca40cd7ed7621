"""/api/v1/directory — the resource directory. Reading is public (no token): the search, one
service, and the HSDS feed by ``modified_after``. Editing needs a provider's or an
administrator's token and goes through access_service_edit."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from yiyang.core import geo
from yiyang.core.apierrors import InputSchema
from yiyang.core.exceptions import ApplicationError, ForbiddenError, NotFoundError
from yiyang.core.replica import stale_reads
from yiyang.directory import access, selectors, services
from yiyang.directory.hsds import service_to_hsds
from yiyang.directory.models import Service

router = Router(tags=["服务资源目录 directory"])
MAX_LIMIT = 200
FEED_LIMIT = 500


class SearchQuery(Schema):
    kind: str = Field("", max_length=20, description="institution / day_care / canteen / home_care / home_visit / volunteer_team / consultant_point")
    need: str = Field("", max_length=40, description="需求标签代码（meals、bathing…）")
    region: str = Field("", max_length=12, description="区划代码：该社区、街道或区")
    q: str = Field("", max_length=50, description="名称包含")
    latitude: float | None = Field(None, description="从这里起按距离由近到远（与 longitude 同时给出）")
    longitude: float | None = None
    radius_m: int | None = Field(None, ge=100, le=50_000, description="范围（米）；不填则由 2 公里逐步放宽")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class Hit(Schema):
    service: dict[str, Any] = Field(description="HSDS 3.1 service 对象（含 organization、service_at_locations、capacities、"
                                                "attributes；查找结果中不含 schedules、cost_options、contacts、service_areas，"
                                                "完整对象见 /services/{id}）")
    distance_m: int | None = Field(description="到所给位置的直线距离（米）")
    stale: bool = Field(description="机构超过规定天数未确认信息：可能已过时")


class HitList(Schema):
    items: list[Hit]


class Feed(Schema):
    items: list[dict[str, Any]] = Field(description="HSDS 3.1 service 对象，按 last_modified 升序（含已停止服务的）")
    next_cursor: str | None = Field(description="还有更多时：下一页请求带上 cursor=此值")


def _hit(s: Service, distance: float | None, names: dict[str, str], *, summary: bool = False) -> Hit:
    return Hit(service=service_to_hsds(s, names, summary=summary), distance_m=None if distance is None else round(distance),
               stale=selectors.is_stale(s))


def _need_names() -> dict[str, str]:
    from yiyang.surveys.selectors import need_tag_names

    return need_tag_names()


@router.get("/services", response=HitList, auth=None, summary="查找服务（公开，无需登录；给出位置则由近到远）")
def service_search(request: HttpRequest, f: Query[SearchQuery]):
    # The public search: a second stale is fine, so it may read from a replica (core/replica.py).
    with stale_reads(request):
        return _service_search(f)


def _service_search(f: SearchQuery) -> HitList:
    near = None
    if (f.latitude is None) != (f.longitude is None):
        raise ApplicationError("纬度和经度需同时提供", code="bad_position")
    if f.latitude is not None and f.longitude is not None:
        try:
            near = geo.position_check(f.latitude, f.longitude)
        except geo.PositionError as exc:
            raise ApplicationError(str(exc), code="bad_position") from None
    hits = selectors.search(kind=f.kind, need=f.need, region=f.region, q=f.q, near=near, radius_m=f.radius_m,
                            limit=f.limit)
    names = _need_names()
    return HitList(items=[_hit(h.service, h.distance_m, names, summary=True) for h in hits])


@router.get("/feed", response=Feed, auth=None,
            summary="HSDS 数据交换：modified_after 之后修改过的全部服务（公开；用 next_cursor 翻页）")
def service_feed(request: HttpRequest, modified_after: dt.datetime | None = None,
                 cursor: Annotated[str, Field(max_length=80)] = "", limit: int = FEED_LIMIT):
    if not 1 <= limit <= FEED_LIMIT:
        raise ApplicationError(f"limit 应在 1–{FEED_LIMIT} 之间", code="bad_limit")
    after_id = None
    if cursor:
        try:
            stamp, _sep, raw_id = cursor.partition("|")
            modified_after, after_id = dt.datetime.fromisoformat(stamp), uuid.UUID(raw_id)
        except ValueError:
            raise ApplicationError("cursor 无效：请使用上一页返回的 next_cursor", code="bad_cursor") from None
    rows = list(selectors.services_modified_after(modified_after, after_id)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    names = _need_names()
    nxt = f"{rows[-1].updated_at.isoformat()}|{rows[-1].pk}" if more else None
    return Feed(items=[service_to_hsds(s, names) for s in rows], next_cursor=nxt)


@router.get("/services/{service_id}", response=Hit, auth=None, summary="一项服务（公开）")
def service_detail(request: HttpRequest, service_id: uuid.UUID):
    try:
        s = selectors.service_detail(service_id)
    except Service.DoesNotExist:
        raise NotFoundError("没有这项服务（或已停止服务）") from None
    return _hit(s, None, _need_names())


class CostIn(InputSchema):
    option: str = Field(max_length=120)
    amount: float | None = Field(None, ge=0, lt=10**8)
    amount_description: str = Field("", max_length=200)


class CapacityIn(InputSchema):
    unit: str = Field(max_length=20, description="床位、餐位、日托位…")
    available: int = Field(ge=0, le=10**6)
    maximum: int | None = Field(None, ge=0, le=10**6)


class ServiceEdit(InputSchema):
    """Only what is given changes; saving also confirms the data are current."""

    status: str | None = Field(None, max_length=20, description="active / temporarily closed / inactive / defunct")
    phone: str | None = Field(None, max_length=40)
    description: str | None = Field(None, max_length=1000)
    fees_description: str | None = Field(None, max_length=400)
    application_process: str | None = Field(None, max_length=400)
    eligibility_description: str | None = Field(None, max_length=400)
    hours: str | None = Field(None, max_length=500, description="服务时间，每行一段，如“周一至周五 8:00-17:30”")
    cost_options: list[CostIn] | None = Field(None, max_length=30)
    capacities: list[CapacityIn] | None = Field(None, max_length=10)
    needs: list[Annotated[str, Field(max_length=40)]] | None = Field(None, max_length=20)
    version: int | None = Field(None, description="读取时的版本；已被他人修改则 409")


@router.patch("/services/{service_id}", response=Hit, summary="修改服务信息（本机构人员或辖区管理员）")
def service_edit(request: HttpRequest, service_id: uuid.UUID, payload: ServiceEdit):
    service = access.access_service_edit(request.user, service_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    for key in ("cost_options", "capacities"):
        if data.get(key) is not None:
            data[key] = [dict(x) for x in data[key]]
    services.service_update(actor=request.user, service=service, data=data, expected_version=version)
    s = selectors.with_details(Service.objects.filter(pk=service.pk)).get()
    return _hit(s, None, _need_names())


@router.post("/services/{service_id}/confirm", response=Hit, summary="确认服务信息仍然准确（不作修改）")
def service_confirm(request: HttpRequest, service_id: uuid.UUID):
    service = access.access_service_edit(request.user, service_id)
    services.service_confirm(actor=request.user, service=service)
    s = selectors.with_details(Service.objects.filter(pk=service.pk)).get()
    return _hit(s, None, _need_names())


class RecommendationRead(Schema):
    service_id: uuid.UUID
    service: str
    organization: str
    kind: str
    need: str
    distance_m: int | None
    walk_minutes: float | None
    score: float = Field(description="0–1：各因素得分按公开权重加权平均")
    explanation: str
    factors: list[dict[str, Any]] = Field(description="每个因素：code、name、weight、value、score、text")


class Recommendations(Schema):
    position: str = Field(description="距离起点：home（住址）/ community（社区中心）/ none")
    position_note: str
    items: list[RecommendationRead]


elders_router = Router(tags=["服务资源目录 directory"])


@elders_router.get("/{elder_id}/recommendations", response=Recommendations,
                   summary="为老人推荐服务（按公开因素排序，附说明；每次结果都记录在案）")
def elder_recommendations(request: HttpRequest, elder_id: uuid.UUID,
                          need: Annotated[str, Field(max_length=40)] = "", limit: int = 5):
    from yiyang.assessments.selectors import current_level
    from yiyang.directory import matching
    from yiyang.elders import access as elder_access
    from yiyang.surveys.selectors import elder_current_needs

    elder = elder_access.access_elder(request.user, elder_id)
    if not 1 <= limit <= 20:
        raise ApplicationError("limit 应在 1–20 之间", code="bad_limit")
    needs = [need] if need else [code for code, _name in elder_current_needs(elder)]
    if need and need not in _need_names():
        raise ApplicationError(f"不认识的需求标签：{need}", code="unknown_need")
    level = current_level(elder)
    items: list[RecommendationRead] = []
    position, lists = matching.recommend_many(elder, needs, level=level, limit=limit, places=False)
    matching.log_many(elder=elder, actor=request.user, position=position, lists=lists, context="api")
    for code in needs:
        items += [RecommendationRead(
            service_id=r.service.pk, service=r.service.name, organization=r.service.organization.name,
            kind=r.service.kind, need=code, distance_m=None if r.distance_m is None else round(r.distance_m),
            walk_minutes=r.walk_min, score=r.score, explanation=r.explanation, factors=r.factors)
            for r in lists.get(code, [])]
    items.sort(key=lambda i: -i.score)
    return Recommendations(position=position.source, position_note=position.note, items=items)


referrals_router = Router(tags=["转介 referrals"])


class ConsentIn(InputSchema):
    granted_by: str = Field(max_length=50, description="表示同意的人（本人或代理人）")
    method: str = Field("", max_length=20, description="signed_paper / verbal_witnessed / in_app")
    evidence: str = Field("", max_length=200)


class ReferralIn(InputSchema):
    elder_id: uuid.UUID
    service_id: uuid.UUID
    need: str = Field("", max_length=40)
    note: str = Field("", max_length=500)
    consent: ConsentIn | None = Field(None, description="尚无“向服务机构提供信息”的有效授权时必填")


class StepIn(InputSchema):
    note: str = Field("", max_length=500)


class ReferralRead(Schema):
    id: uuid.UUID
    elder_id: uuid.UUID
    service_id: uuid.UUID
    service: str
    organization_id: uuid.UUID
    need: str
    status: str
    status_label: str
    note: str
    response_note: str
    check_note: str
    respond_by: dt.date
    created_at: dt.datetime


def _referral_read(r: Any) -> ReferralRead:
    return ReferralRead(id=r.pk, elder_id=r.elder_id, service_id=r.service_id, service=r.service.name,
                        organization_id=r.organization_id, need=r.need, status=r.status,
                        status_label=str(r.get_status_display()), note=r.note, response_note=r.response_note,
                        check_note=r.check_note, respond_by=r.respond_by, created_at=r.created_at)


@referrals_router.get("", response=list[ReferralRead],
                      summary="转介：服务机构人员看本机构收到的；工作人员看辖区内的（最多200条，新的在前）")
def referral_list(request: HttpRequest):
    from yiyang.core.access import has_capability, jurisdiction_filter
    from yiyang.directory.models import Referral

    if has_capability(request.user, access.DIRECTORY_PROVIDER):
        qs = access.provider_referrals(request.user)
    elif has_capability(request.user, access.SERVICE_LIST):
        qs = jurisdiction_filter(Referral.objects.select_related("service"), request.user, "region_code")
    else:
        raise ForbiddenError()
    return [_referral_read(r) for r in qs.order_by("-created_at")[:200]]


@referrals_router.post("", response={201: ReferralRead}, summary="转介一项服务（先记录老人同意向服务机构提供信息）")
def referral_create(request: HttpRequest, payload: ReferralIn):
    from ninja import Status

    from yiyang.directory import referrals
    from yiyang.elders import access as elder_access

    elder = elder_access.access_elder(request.user, payload.elder_id)
    if not access.has_capability(request.user, access.SERVICE_LIST):
        raise ForbiddenError()
    try:
        service = Service.objects.get(pk=payload.service_id)
    except Service.DoesNotExist:
        raise NotFoundError("没有这项服务") from None
    r = referrals.referral_send(actor=request.user, elder=elder, service=service, need=payload.need, note=payload.note,
                                consent=payload.consent.dict() if payload.consent else None)
    return Status(201, _referral_read(r))


@referrals_router.post("/{referral_id}/{step}", response=ReferralRead,
                       summary="转介的一步：accept / decline / deliver（服务机构），check / cancel（工作人员）")
def referral_step(request: HttpRequest, referral_id: uuid.UUID, step: str, payload: StepIn):
    from yiyang.directory import referrals

    if step in ("accept", "decline", "deliver"):
        r = access.access_provider_referral(request.user, referral_id)
        if step == "deliver":
            r = referrals.referral_deliver(actor=request.user, referral=r, note=payload.note)
        else:
            r = referrals.referral_answer(actor=request.user, referral=r, accept=step == "accept", note=payload.note)
    elif step in ("check", "cancel"):
        r = access.access_referral(request.user, referral_id)
        fn = referrals.referral_check if step == "check" else referrals.referral_cancel
        r = fn(actor=request.user, referral=r, note=payload.note)
    else:
        raise NotFoundError("没有这一步：可用 accept、decline、deliver、check、cancel")
    return _referral_read(r)
