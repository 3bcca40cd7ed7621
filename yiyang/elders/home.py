"""What the elder registry puts on the home page (registered in ``apps.py``): the count of
elders on the register, and the "在册老年人" column of the supervisor's per-region table.
System events are not on the home page: they are on each elder's timeline."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse

from yiyang.core.registry import FigureValue
from yiyang.elders import access as elder_access


def active_count(request: Any) -> int:
    return elder_access.access_elders(request.user).filter(active=True).count()


def registered_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    """Active elders per region: one grouped count by community code, summed up the tree
    (a street's code is a prefix of its communities')."""
    per_code = dict(elder_access.access_elders(user).filter(active=True)
                    .values_list("region_id").annotate(n=Count("id")).values_list("region_id", "n"))
    out = {}
    for region in regions:
        n = sum(count for code, count in per_code.items() if code.startswith(region.prefix))
        url = reverse("elders:list") + "?" + urlencode({"region": region.code})
        out[region.code] = FigureValue(n, f"{n:,}", url)
    return out
