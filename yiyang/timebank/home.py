"""The time bank on the shared pages: navigation badges, the member's home card, the elder
page's section, the supervisor's per-region figure."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from yiyang.core.access import has_capability, jurisdiction_filter
from yiyang.core.registry import FigureValue
from yiyang.timebank import access
from yiyang.timebank.models import Category, Entry, FraudFlag, RequestStatus, ServiceRequest, credits_text


def point_badge(request: Any) -> int | None:
    """Services waiting for certification and open flags of the caller's jurisdiction."""
    user = request.user
    if not has_capability(user, access.TB_CERTIFY):
        return None
    reqs = jurisdiction_filter(ServiceRequest.objects.filter(status=RequestStatus.RATED), user, "region_code").count()
    flags = jurisdiction_filter(FraudFlag.objects.filter(resolution=FraudFlag.Resolution.OPEN), user,
                                "region_code").count()
    return reqs + flags or None


def member_home(request: Any) -> dict[str, Any] | None:
    member = access.member_of(request.user)
    if member is None:
        return None
    from yiyang.timebank.ledger import member_account

    return {"member": member, "account": member_account(member)}


def elder_section(request: Any, elder: Any) -> dict[str, Any] | None:
    """The elder page: the time-bank services she received."""
    if not has_capability(request.user, access.TB_VIEW):
        return None
    rows = list(ServiceRequest.objects.filter(elder=elder).select_related("volunteer").order_by("-wanted_at")[:10])
    if not rows:
        return None
    return {"rows": rows}


def hours_figure(user: Any, regions: list[Any], month: Any) -> dict[str, FigureValue]:
    """Hours of certified service this month, per region (one grouped query)."""
    from django.urls import reverse

    from yiyang.timebank.selectors import month_bounds

    start, end = month_bounds(month)
    per_code = dict(ServiceRequest.objects.filter(status=RequestStatus.CERTIFIED, certified_at__gte=start,
                                                  certified_at__lt=end)
                    .values_list("region_code").annotate(m=Sum("certified_minutes")).values_list("region_code", "m"))
    out: dict[str, FigureValue] = {}
    for region in regions:
        minutes = sum(m or 0 for c, m in per_code.items() if c.startswith(region.prefix))
        out[region.code] = FigureValue(round(minutes / 60, 1), f"{minutes / 60:.1f}",
                                       reverse("timebank:stats") + f"?month={month:%Y-%m}")
    return out


__all__ = ["Count", "Entry", "Category", "Q", "credits_text", "elder_section", "hours_figure", "member_home", "point_badge"]
