"""Background work of casework: reactions to other apps' events (idempotent — a retry may
deliver the same events twice).

- ``casework_on_alarm_events``: an emergency call was closed (``alarm.resolved``,
  ``alarm.false_alarm``) → a follow-up visit due within 48 hours on the responsible worker's
  list (source 紧急呼叫后回访)."""

from __future__ import annotations

from django_tasks import task

from yiyang.core.events import events_load

ALARM_CLOSED_EVENTS = ("alarm.resolved", "alarm.false_alarm")


@task()
def casework_on_alarm_events(event_ids: list[str]) -> dict[str, int]:
    from yiyang.casework.services import followups_for_alarm_events

    return {"followups": followups_for_alarm_events(events_load(event_ids))}
