"""Login and logout pages (the same throttled check as the API token endpoint)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.accounts.services import api_tokens_of, api_tokens_revoke, user_authenticate
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
    """Log out; with ``revoke_tokens`` the user's API tokens end too."""
    if request.user.is_authenticated and request.POST.get("revoke_tokens"):
        api_tokens_revoke(actor=request.user, reason="logout_all")
    logout(request)
    return redirect("accounts:login")


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """我的 API 令牌: the user's tokens that still work, each revocable, and all at once."""
    if request.method == "POST":
        try:
            if request.POST.get("token"):
                api_tokens_revoke(actor=request.user, token_ids=[int(request.POST["token"])],  # type: ignore[arg-type]
                                  reason="page")
            else:
                api_tokens_revoke(actor=request.user, reason="page")  # type: ignore[arg-type]
        except (ValueError, ApplicationError):
            messages.error(request, _("令牌不存在或已失效"))
        else:
            messages.success(request, _("已吊销"))
        return redirect("accounts:tokens")
    return render(request, "accounts/tokens.html", {"tokens": api_tokens_of(request.user)})  # type: ignore[arg-type]
