"""What alarms put on the shared pages: the navigation's count of unanswered alarms and the
worker's to-do list of open alarms (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from yiyang.alarms import access as alarm_access
from yiyang.alarms.models import OPEN_STATES, UNANSWERED_STATES
from yiyang.core.access import has_capability
from yiyang.core.registry import FigureValue, TodoItems, TodoRow


def unanswered_badge(request: Any) -> int | None:
    user = request.user
    if not has_capability(user, alarm_access.ALARM_VIEW):
        return None
    return alarm_access.access_alarms(user).filter(state__in=UNANSWERED_STATES).count() or None


def todo_alarms(request: Any) -> TodoItems | None:
    user = request.user
    if not has_capability(user, alarm_access.ALARM_RESPOND):
        return None
    qs = (alarm_access.access_alarms(user).filter(state__in=OPEN_STATES).select_related("elder")
          .order_by("raised_at"))
    rows = [TodoRow(title=f"{a.elder.name} · {a.get_kind_display()}", detail=a.get_state_display(),
                    url=reverse("alarms:detail", args=[a.pk]), overdue=a.state in UNANSWERED_STATES)
            for a in qs[:5]]
    return TodoItems(count=qs.count(), url=reverse("alarms:board"), rows=rows)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = round(seconds)
    return f"{s} 秒" if s < 120 else f"{s // 60} 分 {s % 60} 秒"


def _figure(key: str) -> Any:
    def compute(user: Any, regions: list[Any], month_start: Any) -> dict[str, FigureValue]:
        from yiyang.alarms.selectors import alarm_figures

        out = {}
        for code, f in alarm_figures(user, regions, month_start).items():
            url = reverse("alarms:list") + "?" + urlencode({"region": code, "month": f"{month_start:%Y-%m}"})
            if key == "count":
                out[code] = FigureValue(f.alarms, str(f.alarms), url)
            elif key == "ack":
                text = "—" if f.ack_median_s is None else f"{_duration(f.ack_median_s)}（P90 {_duration(f.ack_p90_s)}）"
                out[code] = FigureValue(None if f.ack_median_s is None else round(f.ack_median_s), text, url)
            elif key == "escalations":
                out[code] = FigureValue(f.escalations, f"{f.escalations}（{f.escalated_alarms} 次呼叫）", url)
            else:
                out[code] = FigureValue(f.false_alarms, str(f.false_alarms), url + "&state=false_alarm")
        return out

    return compute


alarms_count_figure = _figure("count")
alarms_ack_figure = _figure("ack")
alarms_escalations_figure = _figure("escalations")
alarms_false_figure = _figure("false")


def elder_section(request: Any, elder: Any) -> dict[str, Any] | None:
    """The elder page's 紧急呼叫 section: her responsible worker, devices and latest alarms."""
    if not has_capability(request.user, alarm_access.ALARM_VIEW):
        return None
    from django.utils import timezone

    from yiyang.alarms.models import Alarm, AlarmProfile, Device

    now = timezone.now()
    devices = list(Device.objects.filter(elder=elder, active=True).order_by("serial"))
    return {
        "elder": elder, "profile": AlarmProfile.objects.filter(elder=elder).select_related("responder").first(),
        "devices": [(d, d.offline(now)) for d in devices],
        "alarms": list(Alarm.objects.filter(elder=elder).order_by("-raised_at")[:5]),
    }
