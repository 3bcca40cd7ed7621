"""Notifications: one interface, several ways out.

``notify_many`` writes the in-app rows (the list with a count in the navigation is always
there) and hands each new one to the backends named in ``YIYANG["NOTIFY_BACKENDS"]``:
``console`` (the log — the default on a machine with no SMS gateway), ``webhook`` (a JSON POST
to ``NOTIFY_WEBHOOK_URL``, e.g. the bureau's SMS gateway or a duty system) and ``sms`` (a
gateway adapter to be configured by the bureau; until then it logs that it could not send).
A notification with a ``dedupe_key`` already sent to that user is not written or sent again, so
a retried task or a second worker cannot remind twice."""

from __future__ import annotations

import json
import logging
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


def _webhook(n: Notification) -> None:
    url = settings.YIYANG.get("NOTIFY_WEBHOOK_URL", "")
    if not url:
        log.warning("notify webhook: YIYANG_NOTIFY_WEBHOOK_URL is not set")
        return
    body = json.dumps({"user": n.user_id, "kind": n.kind, "title": n.title, "url": n.url}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - the operator's own URL


def _sms(n: Notification) -> None:
    log.warning("notify sms: no SMS gateway configured; notification %s stays in-app", n.pk)


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
