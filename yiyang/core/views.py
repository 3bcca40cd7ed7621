"""The home page: what a staff member sees first. Its tiles and sections come from the apps
(``core.registry``); core knows none of them by name."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from yiyang.core.registry import HOME_SECTIONS, home_tiles_for, sections_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    sections = [mark_safe(render_to_string(template, context, request))  # noqa: S308 - our templates, autoescaped
                for template, context in sections_for(HOME_SECTIONS, request)]
    return render(request, "core/home.html", {
        "node": getattr(request.user, "region", None), "tiles": home_tiles_for(request), "sections": sections})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the same page as a role check inside a view (core/forbidden.html)."""
    message = str(exception) if exception and str(exception) else "您的角色无权执行此操作"
    return render(request, "core/forbidden.html", {"message": message}, status=403)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
