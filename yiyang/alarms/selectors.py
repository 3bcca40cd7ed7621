"""Reads of alarms: one alarm with its log, the board's open alarms and devices of a
jurisdiction. Each starts from ``access`` (already cut to the caller's code range)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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


def devices_untested(user: Any, now: dt.datetime | None = None) -> list[Device]:
    """Active devices whose monthly test press is missing this month (a pendant that stopped
    working is found before the day it is needed)."""
    now = now or timezone.now()
    first = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    from django.db.models import Q

    return list(devices_of(user).filter(Q(last_test_at__isnull=True) | Q(last_test_at__lt=first))
                .order_by("serial")[:2000])


# ---------------------------------------------------------------------------------------------
# Figures: alarms per month, time to acknowledge, escalations, false alarms — per region


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(month.replace(day=1), dt.time()))
    nxt = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return start, timezone.make_aware(dt.datetime.combine(nxt, dt.time()))


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation (q=0.5 the median); None for no values."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@dataclass
class AlarmFigures:
    alarms: int = 0
    acknowledged: int = 0
    ack_median_s: float | None = None
    ack_p90_s: float | None = None
    escalated_alarms: int = 0
    escalations: int = 0
    false_alarms: int = 0
    unanswered: int = 0


def alarm_figures(user: Any, regions: list[Any], month: dt.date) -> dict[str, AlarmFigures]:
    """Per region (each with ``.code`` and ``.prefix``) of the caller's node: the month's alarms
    and their figures, from one query over the month's rows."""
    start, end = month_bounds(month)
    rows = list(alarm_access.access_alarms(user).filter(raised_at__gte=start, raised_at__lt=end)
                .values_list("region_code", "raised_at", "acknowledged_at", "escalations", "state"))
    out: dict[str, AlarmFigures] = {}
    for r in regions:
        mine = [row for row in rows if row[0].startswith(r.prefix)]
        waits = [(ack - raised).total_seconds() for _c, raised, ack, _e, _s in mine if ack is not None]
        out[r.code] = AlarmFigures(
            alarms=len(mine), acknowledged=len(waits), ack_median_s=percentile(waits, 0.5),
            ack_p90_s=percentile(waits, 0.9), escalated_alarms=sum(1 for row in mine if row[3]),
            escalations=sum(row[3] for row in mine), false_alarms=sum(1 for row in mine if row[4] == "false_alarm"),
            unanswered=sum(1 for row in mine if row[4] in ("raised", "dispatched")))
    return out


def alarms_in(user: Any, *, prefix: str, month: dt.date | None = None, state: str = "") -> QuerySet[Alarm]:
    """The records behind a figure: the alarms of a region (and month) in the caller's node."""
    from yiyang.core.access import prefix_q

    qs = alarm_access.access_alarms(user).filter(prefix_q(prefix, "region_code"))
    if month is not None:
        start, end = month_bounds(month)
        qs = qs.filter(raised_at__gte=start, raised_at__lt=end)
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("elder", "elder__region", "acknowledged_by").order_by("-raised_at")


def region_scope(user: Any, region: str) -> str:
    """The code prefix the caller may read: the asked region when inside the caller's node (404
    otherwise, like any record outside), else the caller's node."""
    from yiyang.core.access import jurisdiction_prefix
    from yiyang.core.exceptions import ApplicationError, NotFoundError
    from yiyang.regions.codes import normalize_code, prefix_of

    prefix = jurisdiction_prefix(user)
    if prefix is None:
        raise NotFoundError()
    if not region:
        return prefix
    code = normalize_code(region)
    if not (code.isdigit() and len(code) == 12):
        raise ApplicationError("区划代码应为12位数字，如 440304006001", code="bad_region", status=400)
    try:
        asked = prefix_of(code)
    except (KeyError, ValueError) as exc:
        raise ApplicationError("区划代码无效", code="bad_region", status=400) from exc
    if not asked.startswith(prefix):
        raise NotFoundError()
    return asked
