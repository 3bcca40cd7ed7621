"""Tasks the core tests enqueue (a task must live at an importable module path)."""

from __future__ import annotations

from django_tasks import task

from yiyang.core.events import events_load
from yiyang.core.models import AccessLog, Event

CALLS: list[list[str]] = []


@task()
def note_events(event_ids: list[str]) -> int:
    CALLS.append([e.type for e in events_load(event_ids)])
    return len(event_ids)


@task()
def fails_after_writing() -> None:
    # A write that must not survive the failure (the task runs in its own transaction).
    Event.objects.create(type="core.test_partial", occurred_at="2026-01-01T00:00:00Z")
    raise RuntimeError("服务暂时不可用")


@task()
def tick() -> str:
    return "tick"


__all__ = ["AccessLog", "CALLS", "fails_after_writing", "note_events", "tick"]
