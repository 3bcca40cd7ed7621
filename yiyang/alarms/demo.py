"""Demo alarms: in the communities of 梅林 and 莲花 streets, the responsible worker and a pendant
for some elders living alone (daily check-in on), an on-duty roster per community (the
community's worker by day, the street's administrator by night), each street's duty phone, and a
month of alarm history through the services themselves — presses merged, escalations when
nobody answered in time, outcomes from 送医 to 误报 — plus two calls open now on the board (one
unanswered, one acknowledged), one pendant offline and a few not tested this month."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from yiyang.accounts.models import Role, User
from yiyang.alarms import services
from yiyang.alarms.models import AlarmProfile, Device, DutyPhone, DutyRoster, Outcome
from yiyang.core.models import Notification
from yiyang.core.registry import DemoContext
from yiyang.elders.models import Elder
from yiyang.regions.models import Region

STREETS = ("440304006", "440304007")  # 梅林, 莲花
PER_COMMUNITY = 6
OUTCOMES = [(Outcome.FALSE_ALARM, 30), (Outcome.PHONE, 20), (Outcome.ON_SITE, 25), (Outcome.FAMILY, 15),
            (Outcome.HOSPITAL, 10)]
NOTES = {Outcome.FALSE_ALARM: "老人误按挂件，已电话确认平安", Outcome.PHONE: "电话联系老人，自述无事",
         Outcome.ON_SITE: "上门查看，扶起老人，无明显外伤", Outcome.FAMILY: "联系女儿，已赶到家中照看",
         Outcome.HOSPITAL: "胸闷气短，已拨打120送医"}


def demo_build(ctx: DemoContext) -> str:
    rng = random.Random(ctx.seed + 23)
    now = timezone.now()
    streets = {s.code[:9]: s for s in Region.objects.filter(code__in=[f"{p}000" for p in STREETS])}
    street_admins = {str(u.region_id)[:9]: u for u in User.objects.filter(role=Role.STREET_ADMIN, region_id__in=[
        f"{p}000" for p in STREETS])}
    workers: dict[str, User] = {str(u.region_id): u for u in User.objects.filter(role=Role.COMMISSIONER,
                                                                                region__isnull=False)
                                if str(u.region_id)[:9] in STREETS}
    if not workers:
        return ""
    for i, (_prefix, street) in enumerate(sorted(streets.items())):
        DutyPhone.objects.get_or_create(region_code=street.code, defaults={
            "name": f"{street.name}值班室", "phone": f"0755-8{3000000 + i * 1111:07d}"})
    devices: list[Device] = []
    for code, worker in sorted(workers.items()):
        DutyRoster.objects.create(region_code=code, user=worker, start=dt.time(8), end=dt.time(20))
        admin = street_admins.get(code[:9])
        if admin is not None:
            DutyRoster.objects.create(region_code=code, user=admin, start=dt.time(20), end=dt.time(8))
        elders = list(Elder.objects.filter(region_id=code, active=True).order_by("-living_situation", "name")
                      [:PER_COMMUNITY])
        for n, elder in enumerate(elders):
            AlarmProfile.objects.create(elder=elder, region_code=code, responder=worker,
                                        daily_checkin=elder.living_situation == "alone")
            device, _key = services.device_register(actor=admin or worker, elder=elder,
                                                    serial=f"SOS-{code[-6:]}-{n + 1:02d}")
            devices.append(device)
    # A month of history, oldest first, each alarm through the real transitions at its own time.
    history = []
    for device in devices:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            history.append((now - dt.timedelta(days=rng.uniform(1, 30)), device))
    history.sort(key=lambda h: h[0])
    escalated = 0
    for when, device in history:
        kind = rng.choices(["sos", "fall", "low_battery"], weights=(80, 12, 8))[0]
        alarm, _ = services.alarm_raise(elder=device.elder, source="device", kind=kind, device=device, now=when)
        if rng.random() < 0.3:  # pressed again a little later: merged
            services.alarm_raise(elder=device.elder, source="device", kind=kind, device=device,
                                 now=when + dt.timedelta(seconds=rng.randint(10, 90)))
        wait = rng.choice((25, 40, 60, 90, 110, 150, 260, 400))
        t = when
        while alarm.next_escalation_at is not None and alarm.next_escalation_at <= when + dt.timedelta(seconds=wait):
            t = alarm.next_escalation_at
            services.alarms_escalate_due(now=t)
            alarm.refresh_from_db()
            escalated += 1
        ack = when + dt.timedelta(seconds=wait)
        responder = alarm.responder or workers[device.region_code]
        on_duty = services.on_duty(device.region_code, ack)
        actor = responder if wait < 120 or not on_duty else on_duty[0]
        services.alarm_acknowledge(actor=actor, alarm=alarm, now=ack)
        outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        if outcome in (Outcome.ON_SITE, Outcome.HOSPITAL):
            services.alarm_arrive(actor=actor, alarm=alarm, now=ack + dt.timedelta(minutes=rng.randint(6, 25)))
        closed = ack + dt.timedelta(minutes=rng.randint(28, 70))
        services.alarm_resolve(actor=actor, alarm=alarm, outcome=outcome, note=NOTES[outcome], now=closed)
    # Device health now: most heard from recently and tested this month; one offline, a few untested.
    first_of_month = timezone.localtime(now).replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    for n, device in enumerate(devices):
        seen = now - dt.timedelta(days=2) if n == 3 else now - dt.timedelta(minutes=rng.randint(1, 50))
        tested = None if n % 7 == 5 else max(first_of_month, now - dt.timedelta(days=rng.randint(0, 20)))
        Device.objects.filter(pk=device.pk).update(last_seen_at=seen, battery_pct=rng.randint(35, 100), battery_at=seen,
                                                   last_test_at=tested)
    Notification.objects.filter(kind="alarm").update(read_at=now)  # history: read long ago
    # Open now: one unanswered press, one acknowledged fall with the worker on the way.
    if len(devices) >= 2:
        services.alarm_raise(elder=devices[0].elder, source="device", device=devices[0],
                             note="挂件呼叫", now=now - dt.timedelta(seconds=40))
        fall, _ = services.alarm_raise(elder=devices[1].elder, source="device", kind="fall", device=devices[1],
                                       now=now - dt.timedelta(minutes=6))
        services.alarm_acknowledge(actor=fall.responder or workers[devices[1].region_code], alarm=fall,
                                   now=now - dt.timedelta(minutes=5))
    return f"紧急呼叫：{len(devices)} 台设备、{len(history) + 2} 次呼叫（近一个月，含 {escalated} 次升级）"
