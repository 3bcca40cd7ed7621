"""Writes for accounts: authentication with throttling, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from yiyang.accounts import events
from yiyang.accounts.models import ApiToken, User
from yiyang.accounts.throttle import locked_message
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, NotFoundError

log = logging.getLogger("yiyang.security")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


USERNAME_MAX_LENGTH = 150  # User.username


def user_authenticate(*, request, username: str, password: str) -> User:
    """Check a password through Django's ``authenticate``, where django-axes counts failures
    by username and address (``accounts/throttle.py``); raises ApplicationError in Chinese."""
    if len(username) > USERNAME_MAX_LENGTH:
        # Longer than any account's name: refused before anything stores it.
        raise ApplicationError(f"用户名过长（最多 {USERNAME_MAX_LENGTH} 个字符）", code="validation_error", status=400,
                               detail={"fields": {"username": [f"最多 {USERNAME_MAX_LENGTH} 个字符"]}})
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise ApplicationError(locked_message(), code="login_locked", status=429)
        raise ApplicationError("用户名或密码错误", code="bad_credentials", status=401)
    login_failures_clear(request=request, username=user.get_username())
    return user


def login_failures_clear(*, request, username: str) -> None:
    """A successful login clears the failures of this username *from this address* only:
    clearing the whole address would let someone reset the per-address count by logging
    into their own account between guesses."""
    ip = getattr(request, "axes_ip_address", None)
    if ip:
        AccessAttempt.objects.filter(username=username, ip_address=ip).delete()


def login_lock_record(*, request, username: str | None, ip_address: str | None) -> None:
    """A lock began (axes' ``user_locked_out``): log it and write an event. A refused attempt
    while the lock is already in force is only logged."""
    if getattr(request, "yiyang_lock_in_force", False):
        log.info("login refused while locked: username=%s ip=%s path=%s", username, ip_address,
                 getattr(request, "path", ""))
        return
    log.warning("login locked: username=%s ip=%s path=%s", username, ip_address, getattr(request, "path", ""))
    event_record(type=events.LOGIN_LOCKED, payload={
        "username": (username or "")[:USERNAME_MAX_LENGTH], "ip_address": ip_address or "",
        "path": getattr(request, "path", "")[:200],
    })


@transaction.atomic
def login_lock_release(*, actor: User, usernames: list[str] | None = None,
                       attempts: list[AccessAttempt] | None = None) -> int:
    """An administrator unlocks: the failure records of these usernames (every address) or
    these records are deleted; one event per username. Returns how many records went."""
    qs = AccessAttempt.objects.none()
    if usernames:
        qs = AccessAttempt.objects.filter(username__in=usernames)
    if attempts:
        qs = qs | AccessAttempt.objects.filter(pk__in=[a.pk for a in attempts])
    rows = list(qs.values_list("username", "ip_address"))
    count, _ = AccessAttempt.objects.filter(pk__in=qs.values("pk")).delete()
    for username in sorted({u or "" for u, _ in rows}):
        addresses = sorted({ip or "" for u, ip in rows if (u or "") == username})
        event_record(type=events.LOGIN_UNLOCKED, actor=actor,
                     payload={"username": username, "ip_addresses": addresses})
        log.warning("login unlocked by %s: username=%s ip=%s", actor.get_username(), username, addresses)
    return count


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, key_hash=_hash(key), expires_at=timezone.now() + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    )
    return key


def api_token_user(key: str) -> User | None:
    token = api_token_lookup(key)
    return token.user if token is not None else None


def api_token_lookup(key: str) -> ApiToken | None:
    """The valid, unrevoked, unexpired token of an active user with this key (its user loaded)."""
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
    return token


def api_tokens_of(user: User):
    """A user's tokens that still work, newest first (a selector: the page and the API list them)."""
    return ApiToken.objects.filter(user=user, revoked=False, expires_at__gt=timezone.now()).order_by("-created_at")


@transaction.atomic
def api_tokens_revoke(*, actor: User, token_ids: list[int] | None = None, reason: str = "") -> int:
    """Revoke the actor's own tokens: these ids, or all of them when ``token_ids`` is None.
    Another user's token id is not found (404), never revoked. One event; returns how many."""
    qs = api_tokens_of(actor)
    if token_ids is not None:
        ids = set(token_ids)
        found = set(qs.filter(pk__in=ids).values_list("pk", flat=True))
        if ids - found:
            raise NotFoundError("令牌不存在或已失效")
        qs = qs.filter(pk__in=ids)
    revoked = sorted(qs.values_list("pk", flat=True))
    ApiToken.objects.filter(pk__in=revoked).update(revoked=True)
    if revoked:
        event_record(type=events.TOKENS_REVOKED, actor=actor, payload={"tokens": revoked, "reason": reason})
    return len(revoked)


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
