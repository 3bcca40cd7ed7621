"""The home page: what a staff member sees first. Its tiles and sections come from the apps
(``core.registry``); core knows none of them by name."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from yiyang.core.exceptions import ApplicationError
from yiyang.core.overview import month_parse, overview_for, overview_xlsx
from yiyang.core.registry import HOME_SECTIONS, home_tiles_for, sections_for, todos_for
from yiyang.core.replica import stale_reads_view


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What to do today first (the apps' to-do lists), then — for a supervisor — the figures
    of the regions below, then the shortcuts."""
    sections = [mark_safe(render_to_string(template, context, request))  # noqa: S308 - our templates, autoescaped
                for template, context in sections_for(HOME_SECTIONS, request)]
    return render(request, "core/home.html", {
        "node": getattr(request.user, "region", None), "todos": todos_for(request),
        "overview": overview_for(request.user, month_parse(None)),
        "tiles": home_tiles_for(request), "sections": sections, "today": timezone.localdate()})


@login_required
@stale_reads_view  # statistics: a second stale is fine (core/replica.py)
def overview(request: HttpRequest) -> HttpResponse:
    """The per-region figures for a month, each number a link; ``?format=xlsx`` downloads it."""
    try:
        month = month_parse(request.GET.get("month"))
    except ApplicationError as exc:
        return render(request, "core/overview.html", {"error": exc.message, "overview": None}, status=400)
    table = overview_for(request.user, month)
    if table is None:
        raise PermissionDenied("您的管辖范围下没有可汇总的区域")
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(overview_xlsx(table), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="overview-{month:%Y-%m}.xlsx"'
        return response
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return render(request, "core/overview.html", {
        "overview": table, "month": month, "previous": previous,
        "following": following if following <= timezone.localdate() else None})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the same page as a role check inside a view (core/forbidden.html)."""
    message = str(exception) if exception and str(exception) else "您的角色无权执行此操作"
    return render(request, "core/forbidden.html", {"message": message}, status=403)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; opening the page marks them read (a POST with
    ``all`` does the same for a list left open)."""
    from yiyang.core.models import Notification
    from yiyang.core.notify import notifications_mark_read

    rows = list(Notification.objects.filter(user_id=request.user.pk or 0).order_by("-created_at")[:100])
    unread = {n.pk for n in rows if n.read_at is None}
    if unread:
        notifications_mark_read(user=request.user, ids=unread)
    return render(request, "core/notifications.html", {"rows": rows, "unread": unread})
