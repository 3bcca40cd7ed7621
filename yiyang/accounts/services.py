"""Writes for accounts: authentication with throttling, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import ApiToken, LoginFailure, User
from yiyang.core.exceptions import ApplicationError


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def login_is_locked(username: str) -> bool:
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return LoginFailure.objects.filter(username=username, at__gte=since).count() >= settings.LOGIN_FAILURE_LIMIT


def user_authenticate(*, request, username: str, password: str) -> User:
    """Check a password, counting failures; raises ApplicationError in plain Chinese."""
    if login_is_locked(username):
        raise ApplicationError("登录失败次数过多，请15分钟后再试", code="login_locked", status=429)
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginFailure.objects.create(
            username=username, at=timezone.now(), remote_addr=(request.META.get("REMOTE_ADDR", "") if request else "")
        )
        raise ApplicationError("用户名或密码错误", code="bad_credentials", status=401)
    LoginFailure.objects.filter(username=username).delete()
    return user


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, key_hash=_hash(key), expires_at=timezone.now() + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    )
    return key


def api_token_user(key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__region")
        .filter(key_hash=_hash(key), revoked=False, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@dataclass(frozen=True)
class StaffSpec:
    """One staff account to create: login, name, role and jurisdiction node."""

    username: str
    full_name: str
    role: str
    region_code: str | None
    is_staff: bool = False
    is_superuser: bool = False


@transaction.atomic
def staff_create_bulk(*, specs: list[StaffSpec], password_hash: str) -> list[User]:
    """Create many staff accounts sharing one already-hashed password (the demo's logins, a
    bureau's first accounts). A username that exists is an error: nothing is created."""
    taken = set(User.objects.filter(username__in=[s.username for s in specs]).values_list("username", flat=True))
    if taken:
        raise ApplicationError(f"登录名已存在：{'、'.join(sorted(taken))}", code="username_taken")
    users = [User(username=s.username, full_name=s.full_name, role=s.role, region_id=s.region_code,
                  password=password_hash, is_staff=s.is_staff, is_superuser=s.is_superuser) for s in specs]
    return User.objects.bulk_create(users)
