"""What the needs survey puts on the supervisor's table (registered in ``apps.py``): "需求调查
覆盖率" — active elders with at least one survey ÷ active elders — and the list of those
without one, behind the number."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.urls import reverse

from yiyang.core.access import prefix_q
from yiyang.core.registry import FigureValue
from yiyang.elders import access as elder_access
from yiyang.elders import selectors as elder_selectors
from yiyang.surveys.models import SurveyResponse


def elders_without_survey(user: Any, prefix: str = "") -> QuerySet:
    qs = (elder_access.access_elders(user).filter(active=True)
          .exclude(Exists(SurveyResponse.objects.filter(elder_id=OuterRef("pk")))))
    if prefix:
        qs = qs.filter(prefix_q(prefix, "region"))
    return qs.select_related("region").order_by("region_id", "name")


def coverage_figure(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
    active = elder_access.access_elders(user).filter(active=True)
    totals = elder_selectors.active_per_community(user)  # the maintained counts, not a COUNT of elders
    surveyed = dict(active.filter(Exists(SurveyResponse.objects.filter(elder_id=OuterRef("pk"))))
                    .values_list("region_id").annotate(n=Count("id")).values_list("region_id", "n"))
    out = {}
    for r in regions:
        n = sum(v for c, v in totals.items() if c.startswith(r.prefix))
        k = sum(v for c, v in surveyed.items() if c.startswith(r.prefix))
        url = reverse("surveys:missing") + "?" + urlencode({"region": r.code})
        out[r.code] = FigureValue(None if not n else round(k / n, 4), "—" if not n else f"{k / n:.0%}", url)
    return out
