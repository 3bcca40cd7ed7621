"""The elder page's 推荐服务 section: for each current need the best few services, each with
why — and the list is logged as shown."""

from __future__ import annotations

from typing import Any

from yiyang.core.access import has_capability
from yiyang.directory import access, matching


def elder_recommendations(request: Any, elder: Any) -> dict[str, Any] | None:
    from yiyang.assessments.selectors import current_level
    from yiyang.surveys.selectors import elder_current_needs

    needs = elder_current_needs(elder)
    if not elder.active:
        return None
    level = current_level(elder)
    position, lists = matching.recommend_many(elder, [code for code, _name in needs], level=level, limit=3)
    matching.log_many(elder=elder, actor=request.user, position=position, lists=lists, context="elder_page")
    groups = [{"need": name, "items": lists.get(code, [])} for code, name in needs]
    from yiyang.directory.models import Referral

    open_referrals = list(Referral.objects.filter(elder_id=elder.pk).exclude(
        status__in=[Referral.Status.CHECKED, Referral.Status.CANCELLED]).select_related("service"))
    return {"elder": elder, "groups": groups, "position": position, "referrals": open_referrals,
            "can_list": has_capability(request.user, access.SERVICE_LIST)}


def visit_referrals(request: Any, elder: Any) -> dict[str, Any] | None:
    """On the visit form: the elder's open referrals, to ask about — delivered ones can be
    checked there and then (回访核实), the others are shown with where they stand."""
    from yiyang.directory.models import Referral

    if not has_capability(request.user, access.SERVICE_LIST):
        return None
    open_referrals = list(Referral.objects.filter(elder_id=elder.pk).exclude(
        status__in=[Referral.Status.CHECKED, Referral.Status.CANCELLED, Referral.Status.DECLINED])
        .select_related("service").order_by("created_at"))
    if not open_referrals:
        return None
    return {"elder": elder, "referrals": open_referrals, "back": request.get_full_path()}
