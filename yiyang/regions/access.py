"""Which region nodes a caller may see: their node and its subtree (core's primitive)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiyang.core.access import jurisdiction_filter, jurisdiction_prefix, require_capability
from yiyang.core.exceptions import NotFoundError
from yiyang.regions.models import Region


def access_regions(user: Any) -> QuerySet[Region]:
    return jurisdiction_filter(Region.objects.all(), user, "code")


def access_region(user: Any, code: str, capability: str | None = None) -> Region:
    """A region node inside the caller's jurisdiction (else 404)."""
    prefix = jurisdiction_prefix(user)
    region = Region.objects.filter(code=str(code)[:12]).select_related("parent").first() if prefix is not None else None
    if region is None or prefix is None or not region.code.startswith(prefix):
        raise NotFoundError("区域不存在或不在您的管辖范围内")
    if capability:
        require_capability(user, capability)
    return region
