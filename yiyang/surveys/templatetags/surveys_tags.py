"""{% elder_needs elder user %}: the "需求" section of the elder's page."""

from __future__ import annotations

from typing import Any

from django import template

from yiyang.core import access
from yiyang.surveys import selectors

register = template.Library()


@register.inclusion_tag("surveys/_elder_section.html")
def elder_needs(elder: Any, user: Any) -> dict[str, Any]:
    """Latest need tags with date, surveyor and version; earlier surveys; a link to start a
    new survey for those who may. Shows nothing to a role that may not see the elder."""
    if not access.has_capability(user, access.ELDER_VIEW):
        return {"visible": False}
    history = list(selectors.survey_history(elder)[:10])
    latest = history[0] if history else None
    return {
        "visible": True, "elder": elder, "latest": latest, "earlier": history[1:],
        "needs": selectors.tag_pairs(latest.need_tags) if latest else [],
        "can_survey": access.has_capability(user, access.ELDER_UPDATE) and elder.active,
    }
