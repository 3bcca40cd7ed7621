"""Writing events: every state change calls ``event_record`` inside its transaction.

Each domain lists its event types with a Chinese label in its own ``events.py`` and
registers them here, so the timeline can name any event.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from yiyang.core.models import Event

EVENT_LABELS: dict[str, str | Promise] = {}


def register_event_types(labels: dict[str, str | Promise]) -> None:
    EVENT_LABELS.update(labels)


def event_label(event_type: str) -> str:
    return str(EVENT_LABELS.get(event_type, event_type))


def event_record(
    *,
    type: str,  # noqa: A002 - the domain word
    actor: Any = None,
    elder_id: Any = None,
    subject: Any = None,
    region_code: str = "",
    payload: dict[str, Any] | None = None,
    occurred_at: Any = None,
) -> Event:
    if type not in EVENT_LABELS:
        raise ValueError(f"unregistered event type {type!r}")
    subject_type = subject_id = ""
    if subject is not None:
        subject_type = subject._meta.label_lower
        subject_id = str(subject.pk)
    return Event.objects.create(
        type=type,
        actor=actor if getattr(actor, "pk", None) else None,
        elder_id=elder_id,
        subject_type=subject_type,
        subject_id=subject_id,
        region_code=region_code,
        payload=payload or {},
        occurred_at=occurred_at or timezone.now(),
    )
