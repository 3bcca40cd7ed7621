"""The entitlements section of the elder's page (registered in ``apps.py``) and the context of
one benefit row, shared with the htmx view that redraws it."""

from __future__ import annotations

from typing import Any

from yiyang.assessments import access as assessment_access
from yiyang.core.access import has_capability
from yiyang.core.models import Event
from yiyang.elders import access as elder_access
from yiyang.entitlements import engine, selectors
from yiyang.entitlements.models import Benefit

STATUS_ORDER = {engine.ENTITLED: 0, engine.MAYBE: 1, engine.NOT: 2}
STATUS_TAG = {engine.ENTITLED: "", engine.MAYBE: "warn", engine.NOT: "grey"}


def item_context(elder: Any, user: Any, item: dict[str, Any], explained: dict[str, Event], *,
                 benefit: Benefit | None = None, just_explained: bool = False) -> dict[str, Any]:
    """What ``entitlements/_item.html`` needs for one benefit."""
    benefit = benefit or Benefit.objects.filter(code=item["benefit"]).first()
    return {
        "elder": elder, "item": item, "benefit": benefit,
        "status_name": engine.STATUS_NAMES[item["status"]], "status_tag": STATUS_TAG[item["status"]],
        "explained": explained.get(item["benefit"]), "just_explained": just_explained,
        "can_explain": has_capability(user, elder_access.ELDER_UPDATE) and elder.active,
        "needs_assessment": engine.MISSING_LEVEL in item["missing"],
        "can_assess": has_capability(user, assessment_access.ASSESSMENT_CREATE) and elder.active,
    }


def elder_entitlements(request: Any, elder: Any) -> dict[str, Any] | None:
    user = request.user
    if not has_capability(user, elder_access.ELDER_VIEW):
        return None
    rs = selectors.rule_set()
    items = sorted(selectors.elder_entitlements(elder, rules=rs), key=lambda i: STATUS_ORDER[i["status"]])
    explained = selectors.explained(elder)
    by_code = {b.code: b for b in rs.benefits}
    rows = [item_context(elder, user, i, explained, benefit=by_code[i["benefit"]]) for i in items]
    return {
        "visible": True, "elder": elder,
        "shown": [r for r in rows if r["item"]["status"] != engine.NOT],
        "others": [r for r in rows if r["item"]["status"] == engine.NOT],
        "counts": selectors.status_counts(items),
    }
