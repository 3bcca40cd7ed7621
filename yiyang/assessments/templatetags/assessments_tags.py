"""{% elder_ability elder user %}: the ability section of the elder's page."""

from django import template

from yiyang.assessments import selectors
from yiyang.core import access

register = template.Library()


@register.inclusion_tag("assessments/_elder_section.html")
def elder_ability(elder, user):
    if not access.has_capability(user, access.ASSESSMENT_VIEW):
        return {"visible": False}
    history = list(selectors.assessment_history(elder).select_related("previous")[:10])
    current = next((a for a in history if a.status == "confirmed" and a.scheme == "GB/T 42195-2022"), None)
    return {
        "visible": True, "elder": elder, "current": current, "history": history,
        "open": [a for a in history if a.status in ("draft", "submitted")],
        "can_create": access.has_capability(user, access.ASSESSMENT_CREATE) and elder.active,
    }
