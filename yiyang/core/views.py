"""The home page: what a staff member sees first, by role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from yiyang.core import access
from yiyang.core.events import event_label
from yiyang.core.models import Event
from yiyang.regions.selectors import region_subtree_q


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    elders = access.access_elders(user)
    context: dict = {"node": user.region}
    if access.has_capability(user, access.ELDER_VIEW):
        active = elders.filter(active=True)
        context["elder_count"] = active.count()
        # Children of the caller's node with their counts: a street admin sees its
        # communities, a district admin its streets.
        children = list(user.region.children.order_by("code")) if user.region_id else []
        rows = []
        for child in children:
            rows.append((child, active.filter(region_subtree_q(child.prefix)).count()))
        context["children"] = rows
        context["can_create"] = access.has_capability(user, access.ELDER_CREATE)
        prefix = access.jurisdiction_prefix(user) or ""
        recent = Event.objects.select_related("actor").order_by("-occurred_at")
        if prefix:
            recent = recent.filter(region_subtree_q(prefix, "region_code"))
        events = list(recent.filter(elder_id__isnull=False)[:10])
        names = dict(elders.filter(pk__in={e.elder_id for e in events}).values_list("pk", "name"))
        context["recent_events"] = [(e, event_label(e.type), names.get(e.elder_id, "")) for e in events]
    return render(request, "core/home.html", context)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the same page as a role check inside a view (core/forbidden.html)."""
    message = str(exception) if exception and str(exception) else "您的角色无权执行此操作"
    return render(request, "core/forbidden.html", {"message": message}, status=403)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
