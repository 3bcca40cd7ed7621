"""Login throttling with django-axes, by username *and* address.

Two limits within ``AXES_COOLOFF_TIME`` (15 minutes by default):

* ``LOGIN_FAILURE_LIMIT`` (5) failures for one username from one address lock that pair:
  nobody can guess a password, and nobody elsewhere can lock a field worker out (the
  worker's own phone is another address);
* ``LOGIN_IP_FAILURE_LIMIT`` (30) failures from one address, whatever the usernames, lock
  the address: guessing one password each for many accounts is caught too.

axes compares one number with one limit, so ``failures`` below puts the two groups on
one scale: the per-address count is scaled by LIMIT / IP_LIMIT (floor), which reaches
LIMIT exactly when the address has IP_LIMIT failures.

Every path that checks a password (the login page, ``/admin/login/``, ``POST
/api/v1/auth/token``, the co-assessor's signature) goes through ``django.contrib.auth.
authenticate``, so axes' backend and signals see them all.
"""

from __future__ import annotations

import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

log = logging.getLogger("yiyang.security")



def locked_message() -> str:
    minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
    return f"登录失败次数过多，已暂时锁定，请{minutes}分钟后再试；如需立即解锁，请联系管理员"


# The lockout parameters, in the order axes returns their querysets.
LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with a looser limit for the address alone."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_pair, per_address = (
            qs.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for qs in self.get_user_attempts(request, credentials)
        )
        limit, ip_limit = settings.AXES_FAILURE_LIMIT, settings.LOGIN_IP_FAILURE_LIMIT
        return max(per_pair, per_address * limit // ip_limit)


class LoginThrottleBackend(AxesStandaloneBackend):
    """Marks a request that was refused because the lock was already in force, so that the
    lock is recorded once when it begins, not on every refused attempt."""

    def authenticate(self, request: HttpRequest, username: str | None = None, password: str | None = None,
                     **kwargs: Any):
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except Exception:
            if request is not None:
                request.yiyang_lock_in_force = True  # type: ignore[attr-defined]
            raise


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """What a locked login answers (AXES_LOCKOUT_CALLABLE): our own views already answered
    429 in Chinese; the admin's login view did not, so it gets the lock page; the API JSON."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "login_locked", "message": locked_message(), "detail": {}}, status=429)
    return render(request, "accounts/login.html", {"error": locked_message(), "username": ""}, status=429)
