"""Writes of alarms: raising (idempotent, merging repeated presses), the state machine's
transitions, the escalation engine that a periodic job drives, and the outbox that sends each
notification once. Every transition runs in one transaction that writes the alarm, its log
row and the platform event together; notifications leave only after the commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from yiyang.accounts.models import Role, User
from yiyang.alarms import access as alarm_access
from yiyang.alarms import events
from yiyang.alarms.models import (
    CLOSED_STATES,
    KIND_PRIORITY,
    OPEN_STATES,
    UNANSWERED_STATES,
    Alarm,
    AlarmEvent,
    AlarmKey,
    AlarmProfile,
    Checkin,
    CheckinRule,
    Delivery,
    Device,
    DutyPhone,
    DutyRoster,
    EscalationPolicy,
    EscalationStep,
    Kind,
    Outcome,
    Source,
    State,
    Target,
)
from yiyang.core import access, notify
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.elders.models import Elder

log = logging.getLogger("yiyang.alarms")

DEVICE_KEY_PREFIX = "dev_"
MAX_NOTE = 500
MAX_KEY = 100


def setting(name: str, default: Any) -> Any:
    return settings.YIYANG.get(name, default)


def ack_timeout_s() -> int:
    return int(setting("ALARM_ACK_TIMEOUT_S", 120))


def merge_window() -> dt.timedelta:
    return dt.timedelta(seconds=int(setting("ALARM_MERGE_WINDOW_S", 300)))


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def actor_label(*, user: Any = None, device: Device | None = None) -> str:
    if device is not None:
        return f"设备 {device.serial}"[:60]
    if user is not None and getattr(user, "pk", None):
        return str(getattr(user, "display_name", "") or user)[:60]
    return "系统"


# ---------------------------------------------------------------------------------------------
# Devices and their keys


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def device_register(*, actor: Any, elder: Elder, serial: str, type: str = Device.Type.PENDANT,  # noqa: A002
                    heartbeat_timeout_s: int | None = None) -> tuple[Device, str]:
    """Register a device for an elder; returns it and its key (shown once, stored as a hash)."""
    access.require_capability(actor, alarm_access.ALARM_MANAGE)
    if not access.in_jurisdiction(actor, elder.region_id):
        raise NotFoundError()
    serial = serial.strip()
    errors: dict[str, list[str]] = {}
    if not serial or len(serial) > 40:
        errors["serial"] = ["设备编号必填，最多 40 个字符"]
    elif Device.objects.filter(serial=serial).exists():
        errors["serial"] = ["该设备编号已登记"]
    if type not in Device.Type.values:
        errors["type"] = ["设备类型无效"]
    if errors:
        raise FieldErrors(errors)
    key = DEVICE_KEY_PREFIX + secrets.token_urlsafe(32)
    device = Device.objects.create(elder=elder, region_code=elder.region_id, serial=serial, type=type,
                                   key_hash=_key_hash(key),
                                   **({"heartbeat_timeout_s": heartbeat_timeout_s} if heartbeat_timeout_s else {}))
    event_record(type=events.DEVICE_REGISTERED, actor=actor, elder_id=elder.pk, subject=device,
                 region_code=elder.region_id,
                 payload={"serial": serial, "type": type, "summary": f"{Device.Type(type).label} {serial}"})
    return device, key


def device_lookup(key: str) -> Device | None:
    """The active device holding this key (None for any other string)."""
    if not key.startswith(DEVICE_KEY_PREFIX) or len(key) > 200:
        return None
    return Device.objects.select_related("elder").filter(key_hash=_key_hash(key), active=True).first()


# ---------------------------------------------------------------------------------------------
# Policies and recipients


def policy_for(region_code: str, priority: str) -> EscalationPolicy | None:
    """The active policy of this priority with the longest prefix the region starts with."""
    best: EscalationPolicy | None = None
    for p in EscalationPolicy.objects.filter(active=True, priority=priority):
        if region_code.startswith(p.region_prefix) and (best is None or len(p.region_prefix) > len(best.region_prefix)):
            best = p
    return best


@dataclass(frozen=True)
class Recipient:
    key: str  # unique within one step of one alarm: "user:12", "user:12:sms", "contact:7", …
    label: str
    channel: str
    user_id: int | None = None


def _phone_channel() -> str:
    return Delivery.Channel.SMS if setting("SMS_GATEWAY_URL", "") else Delivery.Channel.CONSOLE


def _user_recipients(users: Iterable[User]) -> list[Recipient]:
    out = []
    for u in users:
        out.append(Recipient(f"user:{u.pk}", u.display_name[:60], Delivery.Channel.IN_APP, u.pk))
        if u.phone:
            out.append(Recipient(f"user:{u.pk}:sms", u.display_name[:60], _phone_channel(), u.pk))
    return out


def street_code(region_code: str) -> str:
    return region_code[:9] + "000"


def on_duty(region_code: str, at: dt.datetime) -> list[User]:
    local = timezone.localtime(at)
    rows = DutyRoster.objects.filter(region_code=region_code, user__is_active=True).select_related("user")
    seen: dict[int, User] = {}
    for r in rows:
        if r.covers(local):
            seen.setdefault(r.user_id, r.user)
    return list(seen.values())


def recipients_for(alarm: Alarm, step: EscalationStep, now: dt.datetime) -> list[Recipient]:
    target = step.target
    if target == Target.ELDER:
        return [Recipient("elder", alarm.elder.name[:60], _phone_channel())] if alarm.elder.phone_enc else []
    if target == Target.ASSIGNED_WORKER:
        responder = alarm.responder
        if responder is None or not responder.is_active:
            return []
        return _user_recipients([responder])
    if target == Target.ROSTER:
        return _user_recipients(on_duty(alarm.region_code, now))
    if target == Target.COMMUNITY_LEADS:
        return _user_recipients(User.objects.filter(is_active=True, region_id=alarm.region_code,
                                                    role__in=[Role.POINT_LEAD, Role.COMMUNITY_ADMIN]).order_by("pk"))
    if target == Target.STREET_ADMINS:
        return _user_recipients(User.objects.filter(is_active=True, region_id=street_code(alarm.region_code),
                                                    role=Role.STREET_ADMIN).order_by("pk"))
    if target == Target.STREET_PHONE:
        phone = DutyPhone.objects.filter(region_code=street_code(alarm.region_code)).first()
        if phone is None:
            phone = DutyPhone.objects.filter(region_code=alarm.region_code[:6] + "000000").first()
        return [Recipient(f"dutyphone:{phone.pk}", phone.name[:60], _phone_channel())] if phone else []
    if target == Target.CONTACTS:
        return [Recipient(f"contact:{c.pk}", f"{c.name}（{c.relation or '联系人'}）"[:60], _phone_channel())
                for c in alarm.elder.contacts.order_by("sort_order", "pk")]
    if target == Target.WEBHOOK:
        url = step.webhook_url or setting("NOTIFY_WEBHOOK_URL", "")
        return [Recipient(f"webhook:{step.pk}", "外部系统", Delivery.Channel.WEBHOOK)] if url else []
    return []


# ---------------------------------------------------------------------------------------------
# The escalation engine


def _log(alarm: Alarm, kind: str, at: dt.datetime, *, user: Any = None, device: Device | None = None,
         label: str = "", step: int | None = None, detail: str = "") -> AlarmEvent:
    return AlarmEvent.objects.create(
        alarm=alarm, at=at, kind=kind, actor=user if getattr(user, "pk", None) else None,
        actor_label=label or actor_label(user=user, device=device), step=step, detail=detail[:500])


def _event(alarm: Alarm, type_: str, *, actor: Any = None, at: dt.datetime, **payload: Any) -> None:
    payload.setdefault("summary", f"{Kind(alarm.kind).label}（{State(alarm.state).label}）")
    event_record(type=type_, actor=actor, elder_id=alarm.elder_id, subject=alarm, region_code=alarm.region_code,
                 occurred_at=at, payload={"alarm_id": str(alarm.pk), "kind": alarm.kind, "state": alarm.state,
                                          **payload})


def _alarm_text(alarm: Alarm) -> str:
    when = timezone.localtime(alarm.raised_at)
    return f"【颐养】{Kind(alarm.kind).label}：{alarm.elder.region.name}{alarm.elder.name}，{when:%m-%d %H:%M}，请立即处理"


def _wait(step: EscalationStep) -> dt.timedelta:
    return dt.timedelta(seconds=ack_timeout_s() if step.wait_s is None else step.wait_s)


def _fire(alarm: Alarm, now: dt.datetime) -> list[int]:
    """Fire the alarm's due step(s) — its row is locked by the caller — and move its
    escalation on: a step with nobody to notify, or with no wait, is followed at once by the
    next. Returns the deliveries to send after the commit."""
    policy = alarm.policy
    steps = list(policy.steps.order_by("order")) if policy is not None else []
    to_send: list[int] = []
    if not steps:
        alarm.next_escalation_at, alarm.exhausted = None, True
        _log(alarm, AlarmEvent.Kind.EXHAUSTED, now, label="系统", detail="没有适用的升级策略")
        return to_send
    empties = 0
    for _guard in range(len(steps) * (policy.repeat + 2)):  # type: ignore[union-attr]
        if alarm.esc_step >= len(steps):
            alarm.esc_step, alarm.esc_loop = 0, alarm.esc_loop + 1
        if alarm.esc_loop > policy.repeat:  # type: ignore[union-attr]
            alarm.next_escalation_at, alarm.exhausted = None, True
            _log(alarm, AlarmEvent.Kind.EXHAUSTED, now, label="系统",
                 detail=f"已通知 {policy.repeat + 1} 轮，仍无人接警")  # type: ignore[union-attr]
            _event(alarm, events.EXHAUSTED, at=now, summary=f"{Kind(alarm.kind).label}：升级已用尽，仍无人接警")
            return to_send
        step = steps[alarm.esc_step]
        found = recipients_for(alarm, step, now)
        to_send += _deliver(alarm, step, found, now)
        first = alarm.esc_loop == 0 and alarm.esc_step == 0
        names = "、".join(dict.fromkeys(r.label for r in found)) or "无可通知对象"
        detail = f"{step.get_target_display()}：{names}"
        if first:
            alarm.state, alarm.dispatched_at = State.DISPATCHED, now
            _log(alarm, AlarmEvent.Kind.DISPATCHED, now, label="系统", step=step.order, detail=detail)
            _event(alarm, events.DISPATCHED, at=now, step=step.order, target=step.target)
        else:
            alarm.escalations += 1
            _log(alarm, AlarmEvent.Kind.ESCALATED, now, label="系统", step=step.order,
                 detail=f"第{alarm.esc_loop + 1}轮 · {detail}")
            _event(alarm, events.ESCALATED, at=now, step=step.order, loop=alarm.esc_loop, target=step.target,
                   summary=f"{Kind(alarm.kind).label}无人接警，升级通知{step.get_target_display()}")
        alarm.last_escalated_at = now
        alarm.esc_step += 1
        wait = _wait(step)
        if found and wait.total_seconds() > 0:
            alarm.next_escalation_at = now + wait
            return to_send
        empties = 0 if found else empties + 1
        if empties >= len(steps):
            # A whole ladder with nobody to notify (no worker, roster or phone set up yet): try
            # again after the default wait rather than burning the passes at once; the board
            # shows the alarm unanswered meanwhile.
            alarm.next_escalation_at = now + dt.timedelta(seconds=ack_timeout_s())
            return to_send
    alarm.next_escalation_at = now + dt.timedelta(seconds=ack_timeout_s())
    return to_send


def _deliver(alarm: Alarm, step: EscalationStep, found: list[Recipient], now: dt.datetime) -> list[int]:
    if not found:
        return []
    rows = [Delivery(alarm=alarm, loop=alarm.esc_loop, step=step.order, target=step.target, recipient=r.key,
                     label=r.label, channel=r.channel, user_id=r.user_id, next_attempt_at=now, created_at=now,
                     status=Delivery.Status.SENT if r.channel == Delivery.Channel.IN_APP else Delivery.Status.PENDING,
                     sent_at=now if r.channel == Delivery.Channel.IN_APP else None)
            for r in found]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    in_app = [r for r in found if r.channel == Delivery.Channel.IN_APP and r.user_id]
    if in_app:
        url = reverse("alarms:detail", args=[alarm.pk])
        notify.notify_many(notify.Message(r.user_id, "alarm", _alarm_text(alarm), url=url,  # type: ignore[arg-type]
                                          dedupe_key=f"alarm:{alarm.pk}:{alarm.esc_loop}:{step.order}")
                           for r in in_app)
    return list(Delivery.objects.filter(alarm=alarm, loop=alarm.esc_loop, step=step.order,
                                        status=Delivery.Status.PENDING).values_list("pk", flat=True))


def _after_commit_send(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: deliveries_send(ids=ids))


def alarms_escalate_due(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Advance every alarm whose escalation is due: each under its row lock (``SKIP LOCKED`` on
    PostgreSQL, so two workers share the work and never fire one step twice; SQLite serialises
    writers anyway), in one transaction with its log rows, events and outbox rows. Returns how
    many alarms moved."""
    now = _now(now)
    moved = 0
    with transaction.atomic():
        due = (Alarm.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(next_escalation_at__lte=now, state__in=UNANSWERED_STATES)
               .select_related("elder", "elder__region", "policy", "responder").order_by("next_escalation_at")[:limit])
        to_send: list[int] = []
        for alarm in due:
            to_send += _fire(alarm, now)
            alarm.save(update_fields=["state", "dispatched_at", "esc_step", "esc_loop", "next_escalation_at",
                                      "last_escalated_at", "escalations", "exhausted", "updated_at"])
            moved += 1
        _after_commit_send(to_send)
    return moved


# ---------------------------------------------------------------------------------------------
# The outbox


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(5 * 2 ** (attempts - 1), 600))


def _phone_of(d: Delivery) -> str:
    kind, _, rest = d.recipient.partition(":")
    if kind == "user":
        return d.user.phone if d.user else ""
    if kind == "elder":
        return d.alarm.elder.phone
    if kind == "contact":
        from yiyang.elders.models import EmergencyContact

        contact = EmergencyContact.objects.filter(pk=int(rest), elder_id=d.alarm.elder_id).first()
        return contact.phone if contact else ""
    if kind == "dutyphone":
        phone = DutyPhone.objects.filter(pk=int(rest)).first()
        return phone.phone if phone else ""
    return ""


def _payload(d: Delivery) -> dict[str, Any]:
    a = d.alarm
    return {"delivery_id": d.pk, "alarm_id": str(a.pk), "kind": a.kind, "state": a.state,
            "priority": a.priority, "region_code": a.region_code, "elder_name": a.elder.name,
            "raised_at": a.raised_at.isoformat(), "step": d.step, "loop": d.loop,
            "url": reverse("alarms:detail", args=[a.pk])}


def _send_one(d: Delivery) -> None:
    text = _alarm_text(d.alarm) if d.target != Target.ELDER else \
        f"【颐养】您的{Kind(d.alarm.kind).label}已收到，请回拨或按键确认是否平安"
    key = f"alarm-delivery-{d.pk}"
    if d.channel == Delivery.Channel.WEBHOOK:
        step = EscalationStep.objects.filter(policy_id=d.alarm.policy_id, order=d.step).first()
        url = (step.webhook_url if step else "") or setting("NOTIFY_WEBHOOK_URL", "")
        notify.webhook_post(url=url, payload=_payload(d), key=key)
    elif d.channel == Delivery.Channel.SMS:
        phone = _phone_of(d)
        if not phone:
            raise ValueError("接收方没有电话")
        notify.sms_send(phone=phone, text=text, key=key)
    else:
        log.info("alarm %s step %s: %s → %s (console)", d.alarm_id, d.step, d.get_target_display(), d.label)


def deliveries_send(*, ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> int:
    """Send pending notifications (these ids, or every one due). Each row is claimed by a
    conditional update before its send — one sender per row — and marked sent or given its
    next attempt (5 s, 10 s, 20 s … at most 10 min) after. Runs outside any transaction: a
    slow gateway never holds a lock. Returns how many were sent."""
    now = _now(now)
    qs = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    sent = 0
    max_attempts = int(setting("ALARM_DELIVERY_MAX_ATTEMPTS", 6))
    for pk in list(qs.order_by("next_attempt_at").values_list("pk", flat=True)[:500]):
        if not Delivery.objects.filter(pk=pk, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1):
            continue
        d = Delivery.objects.select_related("alarm", "alarm__elder", "alarm__elder__region", "user").get(pk=pk)
        try:
            _send_one(d)
        except Exception as exc:  # noqa: BLE001 - any failure of a gateway is a retry, not a crash
            error = f"{type(exc).__name__}: {exc}"[:300]
            if d.attempts >= max_attempts:
                Delivery.objects.filter(pk=pk).update(status=Delivery.Status.FAILED, error=error)
                with transaction.atomic():
                    _log(d.alarm, AlarmEvent.Kind.DELIVERY_FAILED, timezone.now(), label="系统", step=d.step,
                         detail=f"{d.label}（{d.get_channel_display()}）：{error}")
            else:
                Delivery.objects.filter(pk=pk).update(status=Delivery.Status.PENDING, error=error,
                                                      next_attempt_at=timezone.now() + _backoff(d.attempts))
            log.warning("alarm delivery %s failed (attempt %s): %s", pk, d.attempts, error)
            continue
        Delivery.objects.filter(pk=pk).update(status=Delivery.Status.SENT, sent_at=timezone.now(), error="")
        sent += 1
    return sent


def deliveries_recover(*, now: dt.datetime | None = None, lease_s: int = 60) -> int:
    """A send claimed by a process that died before marking it: pending again (the gateway
    gets the same delivery id and can drop the duplicate)."""
    now = _now(now)
    return Delivery.objects.filter(status=Delivery.Status.SENDING,
                                   claimed_at__lt=now - dt.timedelta(seconds=lease_s)).update(
        status=Delivery.Status.PENDING, next_attempt_at=now)


# ---------------------------------------------------------------------------------------------
# Raising


def _principal(actor: Any, device: Device | None) -> str:
    if device is not None:
        return f"device:{device.pk}"
    return f"user:{actor.pk}" if getattr(actor, "pk", None) else "system"


def alarm_raise(*, elder: Elder, source: str, kind: str = Kind.SOS, note: str = "", actor: Any = None,
                device: Device | None = None, idempotency_key: str = "", device_time: dt.datetime | None = None,
                now: dt.datetime | None = None) -> tuple[Alarm, bool]:
    """Raise an alarm for ``elder`` — or answer with the alarm this call belongs to: the same
    ``Idempotency-Key`` from the same caller, a repeated press within the merge window, or a
    delayed device message of an alarm already closed. Returns (alarm, created). A new alarm is
    dispatched (step 0 of its policy) in the same transaction; its notifications leave right
    after the commit."""
    key = (idempotency_key or "").strip()
    try:
        return _alarm_raise(elder=elder, source=source, kind=kind, note=note, actor=actor, device=device, key=key,
                            device_time=device_time, now=_now(now))
    except IntegrityError:
        # Two requests with one key at the same moment: the first committed, this one lost.
        found = AlarmKey.objects.filter(principal=_principal(actor, device), key=key).select_related("alarm").first()
        if not key or found is None:
            raise
        return found.alarm, False


@transaction.atomic
def _alarm_raise(*, elder: Elder, source: str, kind: str, note: str, actor: Any, device: Device | None, key: str,
                 device_time: dt.datetime | None, now: dt.datetime) -> tuple[Alarm, bool]:
    if device is not None:
        if not device.active or device.elder_id != elder.pk:
            raise NotFoundError()
        source = Source.DEVICE if source != Source.SYSTEM else source
    elif source == Source.SYSTEM and actor is None:
        pass  # the platform itself (a missed check-in): called by the job, never by the API
    else:
        access.require_capability(actor, alarm_access.ALARM_RAISE)
        if not access.in_jurisdiction(actor, elder.region_id):
            raise NotFoundError()
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = ["呼叫类型无效"]
    if source not in Source.values or (device is None and source == Source.DEVICE) or (
            actor is not None and source == Source.SYSTEM):
        errors["source"] = ["来源应为 hotline（热线）、worker（工作人员）或 portal（门户）"]
    if len(note) > MAX_NOTE:
        errors["note"] = [f"说明最多 {MAX_NOTE} 字"]
    if len(key) > MAX_KEY:
        errors["idempotency_key"] = [f"Idempotency-Key 最多 {MAX_KEY} 个字符"]
    if errors:
        raise FieldErrors(errors)
    principal = _principal(actor, device)
    if key:
        existing = AlarmKey.objects.filter(principal=principal, key=key).select_related("alarm").first()
        if existing is not None:
            return existing.alarm, False
    # One raise at a time per elder: two presses at the same instant make one alarm.
    locked = list(Elder.objects.select_for_update().filter(pk=elder.pk).values_list("active", flat=True))
    if not locked or not locked[0]:
        raise ApplicationError("该老人已注销，不能发起呼叫", code="elder_inactive", status=409)
    if device_time is not None and timezone.is_naive(device_time):
        device_time = timezone.make_aware(device_time)
    if device_time is not None and device_time > now:
        device_time = now  # a device clock ahead of ours is not trusted beyond now
    label = actor_label(user=actor, device=device)
    window = merge_window()

    open_alarm = (Alarm.objects.select_for_update().filter(elder=elder, kind=kind, state__in=OPEN_STATES,
                                                           last_press_at__gte=now - window)
                  .order_by("-raised_at").first())
    if open_alarm is not None:
        Alarm.objects.filter(pk=open_alarm.pk).update(presses=F("presses") + 1, last_press_at=now)
        open_alarm.refresh_from_db()
        _log(open_alarm, AlarmEvent.Kind.MERGED, now, user=actor, device=device, label=label,
             detail=f"第 {open_alarm.presses} 次呼叫，已合并" + (f"：{note}" if note else ""))
        _remember(principal, key, open_alarm)
        return open_alarm, False
    if device_time is not None:
        # A message the device kept and sent late: it belongs to an alarm already closed.
        late = (Alarm.objects.filter(elder=elder, kind=kind, state__in=CLOSED_STATES,
                                     raised_at__lte=device_time + window, closed_at__gte=device_time)
                .order_by("-raised_at").first())
        if late is not None:
            _log(late, AlarmEvent.Kind.LATE_PRESS, now, user=actor, device=device, label=label,
                 detail=f"设备时间 {timezone.localtime(device_time):%H:%M:%S} 的呼叫信号迟到，该呼叫已结束")
            _remember(principal, key, late)
            return late, False

    profile = AlarmProfile.objects.filter(elder=elder).select_related("responder").first()
    priority = KIND_PRIORITY[Kind(kind)]
    alarm = Alarm.objects.create(
        elder=elder, region_code=elder.region_id, kind=kind, priority=priority, source=source, device=device,
        raised_by=actor if device is None else None, note=note.strip(), state=State.RAISED, raised_at=now,
        device_time=device_time, last_press_at=now, responder=profile.responder if profile else None,
        policy=policy_for(elder.region_id, priority),
    )
    alarm.elder = Elder.objects.select_related("region").get(pk=elder.pk)
    _log(alarm, AlarmEvent.Kind.RAISED, now, user=actor, device=device, label=label,
         detail=f"{Source(source).label}" + (f"：{note.strip()}" if note.strip() else ""))
    _event(alarm, events.RAISED, actor=actor, at=now, source=source, device=device.serial if device else "",
           summary=f"{Kind(kind).label}（{Source(source).label}）")
    to_send = _fire(alarm, now)
    alarm.save(update_fields=["state", "dispatched_at", "esc_step", "esc_loop", "next_escalation_at",
                              "last_escalated_at", "escalations", "exhausted", "updated_at"])
    _remember(principal, key, alarm)
    _after_commit_send(to_send)
    return alarm, True


def _remember(principal: str, key: str, alarm: Alarm) -> None:
    if key:
        AlarmKey.objects.create(principal=principal, key=key, alarm=alarm)


# ---------------------------------------------------------------------------------------------
# Transitions

VERBS = {"acknowledge": "接警", "arrive": "登记到场", "resolve": "处置结束", "cancel": "取消"}
ALLOWED: dict[str, tuple[str, ...]] = {
    "acknowledge": UNANSWERED_STATES,
    "arrive": (State.ACKNOWLEDGED,),
    "resolve": (State.ACKNOWLEDGED, State.ON_SCENE),
    "cancel": (State.RAISED, State.DISPATCHED, State.ACKNOWLEDGED),
}


def _lock_for(action: str, alarm: Alarm, actor: Any, device: Device | None = None) -> Alarm:
    if device is None:
        access.require_capability(actor, alarm_access.ALARM_RESPOND)
        if not access.in_jurisdiction(actor, alarm.region_code):
            raise NotFoundError()
    elif device.elder_id != alarm.elder_id:
        raise NotFoundError()
    locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
    if locked.state not in ALLOWED[action]:
        raise ApplicationError(f"该呼叫当前为「{State(locked.state).label}」，不能{VERBS[action]}", code="alarm_state",
                               status=409, detail={"state": locked.state, "allowed_from": list(ALLOWED[action])})
    return locked


def _save(alarm: Alarm, fields: list[str]) -> None:
    alarm.version += 1
    alarm.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def alarm_acknowledge(*, actor: Any, alarm: Alarm, now: dt.datetime | None = None) -> Alarm:
    """Someone answers: the escalation stops."""
    now = _now(now)
    alarm = _lock_for("acknowledge", alarm, actor)
    alarm.state, alarm.acknowledged_at, alarm.acknowledged_by = State.ACKNOWLEDGED, now, actor
    alarm.next_escalation_at = None
    if alarm.dispatched_at is None:
        alarm.dispatched_at = now
    _save(alarm, ["state", "acknowledged_at", "acknowledged_by", "next_escalation_at", "dispatched_at"])
    seconds = int((now - alarm.raised_at).total_seconds())
    _log(alarm, AlarmEvent.Kind.ACKNOWLEDGED, now, user=actor, detail=f"呼叫后 {seconds} 秒接警")
    _event(alarm, events.ACKNOWLEDGED, actor=actor, at=now, seconds=seconds,
           summary=f"{Kind(alarm.kind).label}：{actor_label(user=actor)}接警（{seconds} 秒）")
    return alarm


@transaction.atomic
def alarm_arrive(*, actor: Any, alarm: Alarm, now: dt.datetime | None = None) -> Alarm:
    now = _now(now)
    alarm = _lock_for("arrive", alarm, actor)
    alarm.state, alarm.arrived_at, alarm.arrived_by = State.ON_SCENE, now, actor
    _save(alarm, ["state", "arrived_at", "arrived_by"])
    _log(alarm, AlarmEvent.Kind.ARRIVED, now, user=actor)
    _event(alarm, events.ARRIVED, actor=actor, at=now,
           summary=f"{Kind(alarm.kind).label}：{actor_label(user=actor)}到场")
    return alarm


FOLLOWUP_HOURS = 48


def followup_due(closed_at: dt.datetime) -> dt.date:
    """The last day whose end is within 48 hours of the closing: the follow-up visit's date."""
    limit = timezone.localtime(closed_at + dt.timedelta(hours=FOLLOWUP_HOURS))
    day = limit.date()
    return day if limit.time() == dt.time(0, 0) else day - dt.timedelta(days=1)


@transaction.atomic
def alarm_resolve(*, actor: Any, alarm: Alarm, outcome: str, note: str = "",
                  now: dt.datetime | None = None) -> Alarm:
    """Close with an outcome (误报 closes as a false alarm). The event carries who is to make the
    follow-up visit within 48 hours (the responsible worker, else whoever closed it): casework
    hears it and puts the visit on that worker's list."""
    now = _now(now)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = ["请选择处置结果：" + "、".join(str(o.label) for o in Outcome)]
    if len(note) > MAX_NOTE:
        errors["note"] = [f"处置说明最多 {MAX_NOTE} 字"]
    if outcome == Outcome.OTHER and not note:
        errors["note"] = ["处置结果为“其他”时请写明情况"]
    if errors:
        raise FieldErrors(errors)
    alarm = _lock_for("resolve", alarm, actor)
    false_alarm = outcome == Outcome.FALSE_ALARM
    alarm.state = State.FALSE_ALARM if false_alarm else State.RESOLVED
    alarm.closed_at, alarm.closed_by, alarm.outcome, alarm.outcome_note = now, actor, outcome, note
    alarm.next_escalation_at = None
    _save(alarm, ["state", "closed_at", "closed_by", "outcome", "outcome_note", "next_escalation_at"])
    label = str(Outcome(outcome).label)
    _log(alarm, AlarmEvent.Kind.FALSE_ALARM if false_alarm else AlarmEvent.Kind.RESOLVED, now, user=actor,
         detail=label + (f"：{note}" if note else ""))
    assignee = alarm.responder if alarm.responder is not None and alarm.responder.is_active else actor
    due = followup_due(now)
    _event(alarm, events.FALSE_ALARM if false_alarm else events.RESOLVED, actor=actor, at=now, outcome=outcome,
           outcome_label=label, note=note[:200], followup_assignee_id=assignee.pk, followup_due_date=due.isoformat(),
           summary=f"{Kind(alarm.kind).label}：{label}" + (f"（{note[:60]}）" if note else ""))
    return alarm


@transaction.atomic
def alarm_cancel(*, alarm: Alarm, actor: Any = None, device: Device | None = None, reason: str = "",
                 now: dt.datetime | None = None) -> Alarm:
    """The elder cancels on the device (pressed by mistake), or a worker cancels a duplicate."""
    now = _now(now)
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise FieldErrors({"reason": ["原因最多 200 字"]})
    alarm = _lock_for("cancel", alarm, actor, device)
    alarm.state, alarm.closed_at, alarm.closed_by = State.CANCELLED, now, actor if device is None else None
    alarm.next_escalation_at = None
    alarm.outcome_note = reason
    _save(alarm, ["state", "closed_at", "closed_by", "next_escalation_at", "outcome_note"])
    _log(alarm, AlarmEvent.Kind.CANCELLED, now, user=actor, device=device, detail=reason)
    _event(alarm, events.CANCELLED, actor=actor, at=now, reason=reason,
           summary=f"{Kind(alarm.kind).label}已取消" + (f"：{reason}" if reason else ""))
    return alarm


def alarm_forbid_device(device: Device | None) -> None:
    """Answering an alarm is a person's act."""
    if device is not None:
        raise ForbiddenError("设备只能发起或取消本人的呼叫")


# ---------------------------------------------------------------------------------------------
# Device health and daily check-ins


def low_battery_pct() -> int:
    return int(setting("ALARM_LOW_BATTERY_PCT", 20))


@dataclass
class SignalResult:
    device: Device
    alarm: Alarm | None = None


def device_signal(*, device: Device, kind: str = "heartbeat", battery_pct: int | None = None,
                  sent_at: dt.datetime | None = None, now: dt.datetime | None = None) -> SignalResult:
    """A message from a device: a heartbeat (with its battery), the monthly test press, or the
    elder's "I'm OK". Messages may arrive late and out of order: the time the device stamped
    (never later than now) decides, and an older message never overwrites a newer state. A
    battery at or under ``ALARM_LOW_BATTERY_PCT`` raises a low-battery alarm (one while it is open
    and at most one a day)."""
    now = _now(now)
    if kind not in ("heartbeat", "test", "checkin"):
        raise FieldErrors({"kind": ["信号类型应为 heartbeat、test 或 checkin"]})
    if battery_pct is not None and not 0 <= battery_pct <= 100:
        raise FieldErrors({"battery_pct": ["电量应在 0～100 之间"]})
    at = min(sent_at or now, now)
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    raised: Alarm | None = None
    with transaction.atomic():
        d = Device.objects.select_for_update().select_related("elder").get(pk=device.pk)
        fields: list[str] = []
        first_today = d.last_seen_at is None or timezone.localtime(d.last_seen_at).date() < timezone.localtime(at).date()
        if d.last_seen_at is None or at > d.last_seen_at:
            d.last_seen_at = at
            fields.append("last_seen_at")
        newer_battery = battery_pct is not None and (d.battery_at is None or at >= d.battery_at)
        if newer_battery:
            d.battery_pct, d.battery_at = battery_pct, at
            fields += ["battery_pct", "battery_at"]
        if kind == "test" and (d.last_test_at is None or at > d.last_test_at):
            d.last_test_at = at
            fields.append("last_test_at")
        if fields:
            d.save(update_fields=fields)
        elder = d.elder
        if kind == "test":
            event_record(type=events.DEVICE_TESTED, elder_id=elder.pk, subject=d, region_code=d.region_code,
                         occurred_at=at, payload={"serial": d.serial, "summary": f"设备 {d.serial} 测试按键正常"})
        elif first_today and "last_seen_at" in fields:
            # One heartbeat event a day: the not-seen list hears the elder is about, the
            # timeline does not fill with pings.
            event_record(type=events.DEVICE_HEARTBEAT, elder_id=elder.pk, subject=d, region_code=d.region_code,
                         occurred_at=at, payload={"serial": d.serial, "battery_pct": d.battery_pct,
                                                  "summary": f"设备 {d.serial} 在线"})
        if kind == "checkin":
            checkin_record(elder=elder, at=at, source="device")
    if newer_battery and battery_pct is not None and battery_pct <= low_battery_pct():
        recent = Alarm.objects.filter(elder_id=d.elder_id, kind=Kind.LOW_BATTERY).filter(
            Q(state__in=OPEN_STATES) | Q(raised_at__gte=now - dt.timedelta(days=1))).exists()
        if not recent:
            raised, _created = alarm_raise(elder=d.elder, source=Source.DEVICE, kind=Kind.LOW_BATTERY, device=d,
                                           note=f"设备 {d.serial} 电量 {battery_pct}%", now=now)
    return SignalResult(device=d, alarm=raised)


def checkin_record(*, elder: Elder, at: dt.datetime, source: str, actor: Any = None) -> bool:
    """The elder's "I'm OK" for the day of ``at`` (the first counts). An open missed-check-in
    alarm of hers is closed: she answered the prompt. Returns whether it was the day's first."""
    day = timezone.localtime(at).date()
    with transaction.atomic():
        created = bool(Checkin.objects.bulk_create(
            [Checkin(elder=elder, region_code=elder.region_id, day=day, at=at, source=source)], ignore_conflicts=True))
        first = Checkin.objects.filter(elder=elder, day=day, at=at).exists() and created
        if first:
            event_record(type=events.CHECKIN_OK, actor=actor, elder_id=elder.pk, region_code=elder.region_id,
                         occurred_at=at, payload={"source": source, "summary": "报平安"})
        for alarm in Alarm.objects.filter(elder=elder, kind=Kind.CHECKIN_MISSED, state__in=UNANSWERED_STATES):
            _close_by_checkin(alarm, at)
    return first


def _close_by_checkin(alarm: Alarm, at: dt.datetime) -> None:
    locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
    if locked.state not in UNANSWERED_STATES:
        return
    locked.state, locked.closed_at, locked.next_escalation_at = State.CANCELLED, at, None
    locked.outcome_note = "老人已报平安"
    _save(locked, ["state", "closed_at", "next_escalation_at", "outcome_note"])
    _log(locked, AlarmEvent.Kind.CANCELLED, at, label="系统", detail="老人已报平安")
    _event(locked, events.CANCELLED, at=at, reason="老人已报平安", summary="未按时报平安：老人已报平安")


@transaction.atomic
def checkin_by_worker(*, actor: Any, elder: Elder, now: dt.datetime | None = None) -> bool:
    """A worker heard from the elder (a call, a visit): her check-in for today."""
    access.require_capability(actor, alarm_access.ALARM_RESPOND)
    if not access.in_jurisdiction(actor, elder.region_id):
        raise NotFoundError()
    return checkin_record(elder=elder, at=_now(now), source="worker", actor=actor)


def checkin_deadline(region_code: str) -> dt.time | None:
    best: CheckinRule | None = None
    for r in CheckinRule.objects.filter(active=True):
        if region_code.startswith(r.region_prefix) and (best is None or len(r.region_prefix) > len(best.region_prefix)):
            best = r
    if best is None:
        hh, mm = str(setting("ALARM_CHECKIN_DEADLINE", "10:00")).split(":")
        return dt.time(int(hh), int(mm))
    return best.deadline


def checkins_missed(*, now: dt.datetime | None = None) -> int:
    """Elders who check in daily and have not by their region's deadline today: a low-priority
    alarm each (its ladder first prompts the elder). Once a day per elder. Returns how many."""
    now = _now(now)
    local = timezone.localtime(now)
    today = local.date()
    done = set(Checkin.objects.filter(day=today).values_list("elder_id", flat=True))
    start_of_day = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    alarmed = set(Alarm.objects.filter(kind=Kind.CHECKIN_MISSED, raised_at__gte=start_of_day)
                  .values_list("elder_id", flat=True))
    deadlines: dict[str, dt.time | None] = {}
    raised = 0
    for profile in (AlarmProfile.objects.filter(daily_checkin=True, elder__active=True)
                    .select_related("elder").order_by("region_code")):
        if profile.elder_id in done or profile.elder_id in alarmed:
            continue
        code = profile.region_code
        if code not in deadlines:
            deadlines[code] = checkin_deadline(code)
        deadline = deadlines[code]
        if deadline is None or local.time() < deadline:
            continue
        alarm_raise(elder=profile.elder, source=Source.SYSTEM, kind=Kind.CHECKIN_MISSED,
                    note=f"截至 {deadline:%H:%M} 未报平安", idempotency_key=f"checkin:{today}", now=now)
        raised += 1
    return raised


__all__ = ["alarm_acknowledge", "alarm_arrive", "alarm_cancel", "alarm_raise", "alarm_resolve",
           "alarms_escalate_due", "deliveries_send", "device_lookup", "device_register"]
