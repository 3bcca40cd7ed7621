"""A strict Content-Security-Policy: possible because every asset is served from here."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
# The API docs page (Swagger UI served by django-ninja from its own static files) needs inline script.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith("/api/v1/docs") or request.path.startswith("/admin/")
            response["Content-Security-Policy"] = DOCS_CSP if docs else CSP
        return response


class DefaultChineseLocaleMiddleware:
    """Chinese unless the user chose otherwise with the language switch.

    Django's LocaleMiddleware follows the browser's Accept-Language, which would show an
    English page to a worker whose phone happens to be set to English; the platform's
    language is Simplified Chinese, and English is an explicit choice (the switch sets the
    language cookie)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class AccessErrorMiddleware:
    """The one place where a page's access refusal becomes a page: ``NotFoundError`` (absent,
    malformed, or outside the jurisdiction) → the 404 page, ``ForbiddenError`` (inside, but not
    for this role) → the 403 page. Views call the apps' ``access_*`` functions and let these
    propagate. (The API turns the same errors into JSON in ``config/api.py``.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from yiyang.core.exceptions import ForbiddenError, NotFoundError

        if isinstance(exception, NotFoundError):
            return render(request, "404.html", {"message": exception.message}, status=404)
        if isinstance(exception, ForbiddenError):
            return render(request, "core/forbidden.html", {"message": exception.message}, status=403)
        return None
