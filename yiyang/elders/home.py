"""What the elder registry puts on the home page (registered in ``apps.py``): the count of
elders on the register, and the "在册老年人" column of the supervisor's per-region table.
System events are not on the home page: they are on each elder's timeline."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from yiyang.core.registry import FigureValue
from yiyang.elders import access as elder_access
from yiyang.elders.counts import counted, per_prefix


def active_count(request: Any) -> int:
    """From the per-community counts (``counts.py``), not a count of the elders."""
    return counted(elder_access.access_region_counts(request.user), True)


def registered_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    """Active elders per region: one grouped query over the per-community counts by the
    longest prefix asked for (a district's streets: 9 digits), each region the sum of the
    prefixes under it (a street's code is a prefix of its communities', the caller's node the
    sum of its children)."""
    if not regions:
        return {}
    per_head = per_prefix(elder_access.access_region_counts(user), max(len(r.prefix) for r in regions))
    out = {}
    for region in regions:
        n = sum(v for head, v in per_head.items() if head.startswith(region.prefix))
        url = reverse("elders:list") + "?" + urlencode({"region": region.code})
        out[region.code] = FigureValue(n, f"{n:,}", url)
    return out
