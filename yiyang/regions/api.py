"""GET /api/v1/regions: the region nodes in the caller's jurisdiction."""

from __future__ import annotations

from ninja import Query, Router, Schema

from yiyang.regions import access as region_access

router = Router(tags=["区划 regions"])


class RegionRead(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None


@router.get("", response=list[RegionRead], summary="管辖范围内的区划")
def region_list(request, level: str | None = Query(None, max_length=20)):
    qs = region_access.access_regions(request.user)
    if level:
        qs = qs.filter(level=level)
    return [RegionRead(code=r.code, name=r.name, level=r.level, parent_code=r.parent_id) for r in qs.order_by("code")]
