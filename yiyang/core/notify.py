"""Notifications: one interface, several ways out.

``notify_many`` writes the in-app rows (the list with a count in the navigation is always
there) and hands each new one to the backends named in ``YIYANG["NOTIFY_BACKENDS"]``:
``console`` (the log — the default on a machine with no SMS gateway), ``webhook`` (a JSON POST
to ``NOTIFY_WEBHOOK_URL``, e.g. the bureau's SMS gateway or a duty system, signed with
``NOTIFY_WEBHOOK_SECRET``) and ``sms`` (the user's work phone through the HTTP gateway at
``SMS_GATEWAY_URL``; without one it logs that it could not send).

``sms_send`` and ``webhook_post`` are the two ways out to numbers and systems that are not users
(the emergency-call outbox uses them and retries them with backoff): each raises on failure and
sends an ``Idempotency-Key`` so the other end can drop a resend.
A notification with a ``dedupe_key`` already sent to that user is not written or sent again, so
a retried task or a second worker cannot remind twice."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiyang.core.models import Notification

log = logging.getLogger("yiyang.notify")


@dataclass(frozen=True)
class Message:
    user_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    dedupe_key: str = ""


def _console(n: Notification) -> None:
    # No personal data beyond what the title says (titles name no ID numbers or phones).
    log.info("notify user=%s kind=%s title=%s", n.user_id, n.kind, n.title)


def _timeout() -> float:
    return float(settings.YIYANG.get("NOTIFY_TIMEOUT_S", 5))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + HMAC-SHA256 of ``timestamp.body`` (the receiver recomputes it, and refuses
    an old timestamp: a replayed request is not a new alarm)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    if not url.startswith(("http://", "https://")):
        raise ValueError("notify: URL must be http(s)")
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 - the operator's own URL
                                     headers={"Content-Type": "application/json", **headers})
    answer = urllib.request.urlopen(request, timeout=_timeout())  # noqa: S310
    try:
        status = int(getattr(answer, "status", 200))
    finally:
        answer.close()
    if status >= 300:  # urllib raises on 4xx/5xx; a 3xx it did not follow is a failure too
        raise OSError(f"HTTP {status}")


def webhook_post(*, url: str, payload: dict[str, Any], key: str = "") -> None:
    """POST ``payload`` as JSON to ``url``, signed (``X-Yiyang-Signature`` over
    ``X-Yiyang-Timestamp`` and the body) when ``NOTIFY_WEBHOOK_SECRET`` is set. Raises on any
    failure (a non-2xx answer included): the caller retries."""
    if not url:
        raise ValueError("notify webhook: no URL configured")
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {"X-Yiyang-Timestamp": timestamp}
    if key:
        headers["Idempotency-Key"] = key
    secret = settings.YIYANG.get("NOTIFY_WEBHOOK_SECRET", "")
    if secret:
        headers["X-Yiyang-Signature"] = signature(secret, timestamp, body)
    _post(url, body, headers)


def sms_send(*, phone: str, text: str, key: str = "") -> None:
    """Send a text message through the HTTP gateway at ``SMS_GATEWAY_URL``: the JSON body is
    ``SMS_TEMPLATE`` with ``{phone}``, ``{text}`` and ``{key}`` filled in (the default,
    ``{"to": "{phone}", "content": "{text}", "id": "{key}"}``, suits most gateways; a bureau's
    gateway wanting other names changes only the template). Raises on failure."""
    url = settings.YIYANG.get("SMS_GATEWAY_URL", "")
    if not url:
        raise ValueError("notify sms: YIYANG_SMS_GATEWAY_URL is not set")
    template = settings.YIYANG.get("SMS_TEMPLATE") or '{"to": "{phone}", "content": "{text}", "id": "{key}"}'
    filled = template
    for name, value in (("phone", phone), ("text", text), ("key", key)):
        filled = filled.replace("{" + name + "}", json.dumps(value, ensure_ascii=False)[1:-1])
    body = json.dumps(json.loads(filled), ensure_ascii=False).encode()
    headers = {"Idempotency-Key": key} if key else {}
    token = settings.YIYANG.get("SMS_GATEWAY_TOKEN", "")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    _post(url, body, headers)


def _webhook(n: Notification) -> None:
    url = settings.YIYANG.get("NOTIFY_WEBHOOK_URL", "")
    if not url:
        log.warning("notify webhook: YIYANG_NOTIFY_WEBHOOK_URL is not set")
        return
    webhook_post(url=url, payload={"user": n.user_id, "kind": n.kind, "title": n.title, "url": n.url},
                 key=f"notification-{n.pk}")


def _sms(n: Notification) -> None:
    phone = getattr(n.user, "phone", "")
    if not settings.YIYANG.get("SMS_GATEWAY_URL", "") or not phone:
        log.warning("notify sms: no SMS gateway or work phone; notification %s stays in-app", n.pk)
        return
    sms_send(phone=phone, text=n.title, key=f"notification-{n.pk}")


BACKENDS = {"console": _console, "webhook": _webhook, "sms": _sms}


def notify_many(messages: Iterable[Message]) -> int:
    """Write and send ``messages``; returns how many were new."""
    rows = [Notification(user_id=m.user_id, kind=m.kind, title=m.title[:200], body=m.body[:2000], url=m.url[:300],
                         dedupe_key=(m.dedupe_key or f"{m.kind}:{timezone.now().isoformat()}")[:120])
            for m in messages]
    if not rows:
        return 0
    keys = {(r.user_id, r.dedupe_key) for r in rows}
    existing = set(Notification.objects.filter(user_id__in={u for u, _ in keys}, dedupe_key__in={k for _, k in keys})
                   .values_list("user_id", "dedupe_key"))
    new = [r for r in rows if (r.user_id, r.dedupe_key) not in existing]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    names = settings.YIYANG.get("NOTIFY_BACKENDS", ["console"])

    def send() -> None:
        for n in new:
            for name in names:
                try:
                    BACKENDS[name](n)
                except Exception:  # a gateway that is down must not undo the in-app notification
                    log.exception("notify backend %s failed for %s", name, n.kind)

    transaction.on_commit(send)
    return len(new)


def unread_count(user: Any) -> int:
    user_id = getattr(user, "pk", None)
    if not isinstance(user_id, int):
        return 0
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def notifications_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
