"""The "需求" section of the elder's page (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from yiyang.core.access import has_capability
from yiyang.elders import access as elder_access
from yiyang.surveys import selectors


def elder_needs(request: Any, elder: Any) -> dict[str, Any] | None:
    """Latest need tags with date, surveyor and version; earlier surveys; a link to start a
    new survey for those who may."""
    user = request.user
    if not has_capability(user, elder_access.ELDER_VIEW):
        return None
    history = list(selectors.survey_history(elder)[:10])
    latest = history[0] if history else None
    return {
        "visible": True, "elder": elder, "latest": latest, "earlier": history[1:],
        "needs": selectors.tag_pairs(latest.need_tags) if latest else [],
        "can_survey": has_capability(user, elder_access.ELDER_UPDATE) and elder.active,
    }
