"""Reads of alarms: one alarm with its log, the board's open alarms and devices of a
jurisdiction. Each starts from ``access`` (already cut to the caller's code range)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from yiyang.alarms import access as alarm_access
from yiyang.alarms.models import OPEN_STATES, Alarm, AlarmEvent, Device


def alarm_events(alarm: Alarm) -> QuerySet[AlarmEvent]:
    return AlarmEvent.objects.filter(alarm=alarm).select_related("actor").order_by("at", "id")


def open_alarms(user: Any) -> QuerySet[Alarm]:
    """Open alarms of the caller's jurisdiction: unanswered first, then newest."""
    return (alarm_access.access_alarms(user).filter(state__in=OPEN_STATES)
            .select_related("elder", "elder__region", "responder", "acknowledged_by", "device")
            .order_by("raised_at"))


def recent_closed(user: Any, *, hours: int = 24, now: dt.datetime | None = None) -> QuerySet[Alarm]:
    since = (now or timezone.now()) - dt.timedelta(hours=hours)
    return (alarm_access.access_alarms(user).exclude(state__in=OPEN_STATES).filter(raised_at__gte=since)
            .select_related("elder", "elder__region", "closed_by").order_by("-closed_at")[:50])


def devices_of(user: Any) -> QuerySet[Device]:
    return alarm_access.access_devices(user).filter(active=True).select_related("elder", "elder__region")


def devices_offline(user: Any, now: dt.datetime | None = None) -> list[Device]:
    now = now or timezone.now()
    return [d for d in devices_of(user).order_by("last_seen_at")[:2000] if d.offline(now)]
