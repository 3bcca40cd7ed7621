"""Small helpers for htmx views (CommCare HQ ``htmx_action`` habit, much reduced)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")
