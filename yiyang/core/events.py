"""Events: the one way a state change is written, and how other apps hear of it.

``event_record`` writes one event row inside the caller's transaction; ``events_record_bulk``
writes many (import, demo, recompute) through the bulk path. Both *dispatch*: every app that
subscribed to the event's type (``subscribe`` in its ``AppConfig.ready``) gets a task
enqueued with the new events' ids — in the same transaction, on the same database
(``django-tasks-db``). So the reaction commits with the change, is never lost, and never
runs for a change that was rolled back; the worker runs it after the commit, retrying on
failure.

No app imports a higher app to tell it that something happened: the elder registry does not
know that entitlements exist; entitlements subscribes to ``elder.*``.

Each domain lists its event types with a Chinese label in its own ``events.py`` and
registers them here, so the timeline can name any event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from yiyang.core.bulk import bulk_insert
from yiyang.core.models import Event
from yiyang.core.text import clip_payload

EVENT_LABELS: dict[str, str | Promise] = {}
# Columns of a bulk event row, in order (``events_record_bulk``).
EVENT_COLUMNS = ("id", "type", "occurred_at", "actor_id", "elder_id", "subject_type", "subject_id", "region_code",
                 "payload")
# Events per delivery task: small enough that a subscriber's work on them is one short
# transaction (other writers wait well under a second on SQLite); a million imported elders
# make 2,000 tasks per subscriber.
DISPATCH_CHUNK = 500


@dataclass(frozen=True)
class Subscription:
    event_type: str
    task: Any  # a django_tasks Task taking ``event_ids: list[str]``

    @property
    def name(self) -> str:
        return str(self.task.module_path)


SUBSCRIPTIONS: dict[str, list[Subscription]] = {}


def register_event_types(labels: Mapping[str, str | Promise]) -> None:
    EVENT_LABELS.update(labels)


def event_label(event_type: str) -> str:
    return str(EVENT_LABELS.get(event_type, event_type))


def subscribe(event_types: str | Iterable[str], task: Any) -> None:
    """Have ``task`` (a ``@task`` function taking ``event_ids: list[str]``) enqueued whenever an
    event of one of ``event_types`` is written. Call it from ``AppConfig.ready``. The task
    must be idempotent: a retry may deliver the same events twice."""
    if isinstance(event_types, str):
        event_types = [event_types]
    if not hasattr(task, "enqueue"):
        raise TypeError(f"{task!r} is not a task (decorate it with django_tasks.task)")
    for event_type in event_types:
        subs = SUBSCRIPTIONS.setdefault(event_type, [])
        if not any(s.task is task for s in subs):
            subs.append(Subscription(event_type, task))


def subscribers_of(event_type: str) -> list[Subscription]:
    return list(SUBSCRIPTIONS.get(event_type, ()))


def _dispatch(ids_by_type: dict[str, list[str]]) -> int:
    """Enqueue each subscriber once per chunk of the new events it cares about (a task that
    subscribed to several of the types gets them together). Returns the tasks enqueued."""
    per_task: dict[Any, list[str]] = {}
    for event_type, ids in ids_by_type.items():
        for sub in SUBSCRIPTIONS.get(event_type, ()):
            per_task.setdefault(sub.task, []).extend(ids)
    enqueued = 0
    for task, ids in per_task.items():
        for start in range(0, len(ids), DISPATCH_CHUNK):
            task.enqueue(event_ids=ids[start:start + DISPATCH_CHUNK])
            enqueued += 1
    return enqueued


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
    """Write one event and dispatch it to its subscribers (inside the caller's transaction).
    Texts in ``payload`` are cut to ``text.EVENT_TEXT_MAX`` characters: whatever a caller
    passes, an event never holds a copy of an unbounded text."""
    if type not in EVENT_LABELS:
        raise ValueError(f"unregistered event type {type!r}")
    subject_type = subject_id = ""
    if subject is not None:
        subject_type = subject._meta.label_lower
        subject_id = str(subject.pk)
    event = Event.objects.create(
        type=type,
        actor=actor if getattr(actor, "pk", None) else None,
        elder_id=elder_id,
        subject_type=subject_type,
        subject_id=subject_id,
        region_code=region_code,
        payload=clip_payload(payload) if payload else {},
        occurred_at=occurred_at or timezone.now(),
    )
    if type in SUBSCRIPTIONS:
        _dispatch({type: [str(event.pk)]})
    return event


def event_row(
    *, type: str, occurred_at: Any, actor: Any = None, elder_id: Any = None,  # noqa: A002
    subject: Any = None, region_code: str = "", payload: dict[str, Any] | None = None,
    subject_ref: tuple[str, str] | None = None,
) -> tuple[Any, ...]:
    """One row for ``events_record_bulk``, built like ``event_record`` builds its event;
    ``subject_ref`` (model label, id) names a subject written without a model instance."""
    subject_type = subject_id = ""
    if subject is not None:
        subject_type, subject_id = subject._meta.label_lower, str(subject.pk)
    elif subject_ref is not None:
        subject_type, subject_id = subject_ref
    return (uuid.uuid4().hex, type, occurred_at, getattr(actor, "pk", None), elder_id, subject_type, subject_id,
            region_code, payload or {})


def events_record_bulk(rows: Iterable[Sequence[Any]]) -> int:
    """Write many events (tuples in the order of ``EVENT_COLUMNS``, ``id`` given) through the
    bulk path, then dispatch them. Returns the number written. Every type must be registered."""
    ids_by_type: dict[str, list[str]] = {}
    subscribed = SUBSCRIPTIONS.keys()
    checked: set[str] = set()

    def seen(stream: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
        for row in stream:
            event_type = row[1]
            if event_type not in checked:
                if event_type not in EVENT_LABELS:
                    raise ValueError(f"unregistered event type {event_type!r}")
                checked.add(event_type)
            if event_type in subscribed:
                ids_by_type.setdefault(event_type, []).append(str(row[0]))
            yield row

    count = bulk_insert(Event, EVENT_COLUMNS, seen(rows))
    _dispatch(ids_by_type)
    return count


def events_load(event_ids: Sequence[str]) -> list[Event]:
    """The events a delivery task was given, oldest first (ids as hex or dashed strings)."""
    ids = [uuid.UUID(str(i)) for i in event_ids]
    return list(Event.objects.filter(pk__in=ids).order_by("occurred_at", "id"))
