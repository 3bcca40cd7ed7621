"""The ability section of the elder's page (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from yiyang.assessments import access as assessment_access
from yiyang.assessments import selectors
from yiyang.core.access import has_capability


def elder_ability(request: Any, elder: Any) -> dict[str, Any] | None:
    user = request.user
    if not has_capability(user, assessment_access.ASSESSMENT_VIEW):
        return None
    history = list(selectors.assessment_history(elder).select_related("previous")[:10])
    current = next((a for a in history if a.status == "confirmed" and a.scheme == "GB/T 42195-2022"), None)
    return {
        "visible": True, "elder": elder, "current": current, "history": history,
        "open": [a for a in history if a.status in ("draft", "submitted")],
        "draft": next((a for a in history if a.status == "draft" and a.scheme == "GB/T 42195-2022"), None),
        "can_create": has_capability(user, assessment_access.ASSESSMENT_CREATE) and elder.active,
    }
