"""Login and logout pages (the same throttled check as the API token endpoint)."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yiyang.accounts.services import user_authenticate
from yiyang.core.exceptions import ApplicationError


def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    status = 200
    username = ""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        try:
            user = user_authenticate(request=request, username=username, password=request.POST.get("password", ""))
        except ApplicationError as exc:
            error, status = exc.message, (429 if exc.status == 429 else 400)
        else:
            login(request, user)
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = ""
            return redirect(next_url or "core:home")
    return render(request, "accounts/login.html", {"error": error, "username": username, "next": next_url},
                  status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
