"""What the elder registry puts on the home page (registered in ``apps.py``): the count of
elders on the register, the children of the caller's node with theirs, and recent events."""

from __future__ import annotations

from typing import Any

from yiyang.core.access import has_capability, jurisdiction_filter, prefix_q
from yiyang.core.events import event_label
from yiyang.core.models import Event
from yiyang.elders import access as elder_access


def active_count(request: Any) -> int:
    return elder_access.access_elders(request.user).filter(active=True).count()


def children_section(request: Any) -> dict[str, Any] | None:
    """A street admin sees its communities, a district admin its streets, with their counts."""
    user = request.user
    if not has_capability(user, elder_access.ELDER_VIEW) or not user.region_id:
        return None
    active = elder_access.access_elders(user).filter(active=True)
    rows = [(child, active.filter(prefix_q(child.prefix, "region")).count())
            for child in user.region.children.order_by("code")]
    return {"children": rows} if rows else None


def recent_section(request: Any) -> dict[str, Any] | None:
    user = request.user
    if not has_capability(user, elder_access.ELDER_VIEW):
        return None
    recent = jurisdiction_filter(Event.objects.select_related("actor"), user, "region_code")
    events = list(recent.filter(elder_id__isnull=False).order_by("-occurred_at")[:10])
    if not events:
        return None
    names = dict(elder_access.access_elders(user).filter(pk__in={e.elder_id for e in events})
                 .values_list("pk", "name"))
    return {"recent_events": [(e, event_label(e.type), names.get(e.elder_id, "") if e.elder_id else "")
                              for e in events]}
