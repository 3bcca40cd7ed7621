"""The casework section of the elder's page (registered in ``apps.py``): open follow-ups and
errands (overdue marked), the last consultations and conferences, and buttons to add."""

from __future__ import annotations

from typing import Any

from yiyang.casework import access as cw_access
from yiyang.casework import selectors
from yiyang.core.access import has_capability


def elder_casework(request: Any, elder: Any) -> dict[str, Any] | None:
    user = request.user
    if not has_capability(user, cw_access.CASEWORK_VIEW):
        return None
    return {
        "elder": elder,
        "followups": list(selectors.followups_for(user, elder=elder)[:10]),
        "errands": list(selectors.errands_for(user, status="open", elder=elder)[:10]),
        "consultations": list(selectors.consultations_for(user, elder=elder)[:3]),
        "conferences": list(selectors.conferences_for(user, elder=elder)[:3]),
        "can_consult": has_capability(user, cw_access.CONSULTATION_RECORD),
        "can_followup": has_capability(user, cw_access.FOLLOWUP_MANAGE),
        "can_errand": has_capability(user, cw_access.ERRAND_RUN),
        "can_conference": has_capability(user, cw_access.CONFERENCE_HOLD),
    }
