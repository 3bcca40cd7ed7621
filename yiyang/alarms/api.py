"""/api/v1/alarms — thin: access_*, selectors, services. A device authenticates with its own key
(``Authorization: Bearer dev_…``) and may raise, read and cancel its own elder's alarms only;
staff use their API token or session as everywhere else."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, Router, Status
from ninja.security import HttpBearer, django_auth

from yiyang.accounts.services import api_token_lookup
from yiyang.alarms import access as alarm_access
from yiyang.alarms import selectors, services
from yiyang.alarms.models import Alarm, AlarmEvent, Kind, Outcome, State
from yiyang.alarms.schemas import (
    AlarmBrief,
    AlarmCancel,
    AlarmCreate,
    AlarmEventRead,
    AlarmRead,
    AlarmResolve,
    CheckinCreate,
    CheckinRead,
    DeviceCreate,
    DeviceCreated,
    DeviceSignal,
    DeviceStatus,
)
from yiyang.core.exceptions import ApplicationError, FieldErrors, NotFoundError
from yiyang.elders import access as elder_access


class DeviceOrStaffToken(HttpBearer):
    """A device's key (``dev_…``) or a staff API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if token.startswith(services.DEVICE_KEY_PREFIX):
            device = services.device_lookup(token)
            if device is not None:
                request.device = device  # type: ignore[attr-defined]
            return device
        found = api_token_lookup(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token_id = found.pk  # type: ignore[attr-defined]
        return found.user


router = Router(tags=["紧急呼叫 alarms"], auth=[DeviceOrStaffToken(), django_auth])


def _device(request: HttpRequest) -> Any:
    return getattr(request, "device", None)


def alarm_read(alarm: Alarm) -> AlarmRead:
    return AlarmRead(
        id=alarm.pk, elder_id=alarm.elder_id, elder_name=alarm.elder.name, region_code=alarm.region_code,
        kind=alarm.kind, kind_label=str(Kind(alarm.kind).label), priority=alarm.priority, source=alarm.source,
        state=alarm.state, state_label=str(State(alarm.state).label), note=alarm.note, raised_at=alarm.raised_at,
        presses=alarm.presses, responder=alarm.responder.display_name if alarm.responder else None,
        dispatched_at=alarm.dispatched_at, acknowledged_at=alarm.acknowledged_at,
        acknowledged_by=alarm.acknowledged_by.display_name if alarm.acknowledged_by else None,
        arrived_at=alarm.arrived_at, closed_at=alarm.closed_at, outcome=alarm.outcome,
        outcome_label=str(Outcome(alarm.outcome).label) if alarm.outcome else "", outcome_note=alarm.outcome_note,
        escalations=alarm.escalations, next_escalation_at=alarm.next_escalation_at,
        events=[AlarmEventRead(at=e.at, kind=e.kind, kind_label=str(AlarmEvent.Kind(e.kind).label),
                               actor=e.actor_label, step=e.step, detail=e.detail)
                for e in selectors.alarm_events(alarm)],
    )


def _reload(alarm: Alarm) -> Alarm:
    return Alarm.objects.select_related("elder", "responder", "acknowledged_by").get(pk=alarm.pk)


@router.post("", response={200: AlarmRead, 201: AlarmRead},
             summary="发起紧急呼叫（设备、热线、工作人员）；同一 Idempotency-Key 或合并窗口内的重复呼叫返回原呼叫（200）")
def alarm_create(request: HttpRequest, payload: AlarmCreate,
                 idempotency_key: str = Header("", alias="Idempotency-Key", max_length=100)):
    device = _device(request)
    if device is not None:
        if payload.elder_id is not None and payload.elder_id != device.elder_id:
            raise NotFoundError()  # another elder does not exist for this device
        alarm, created = services.alarm_raise(elder=device.elder, source="device", kind=payload.kind,
                                              note=payload.note, device=device, idempotency_key=idempotency_key,
                                              device_time=payload.device_time)
    else:
        if payload.elder_id is None:
            raise FieldErrors({"elder_id": ["请指明老人（elder_id）"]})
        if payload.source == "device":
            raise FieldErrors({"source": ["source=device 只能由登记的设备使用"]})
        elder = elder_access.access_elder(request.user, payload.elder_id)
        alarm_access.access_alarms(request.user, alarm_access.ALARM_RAISE)
        alarm, created = services.alarm_raise(elder=elder, source=payload.source or "worker", kind=payload.kind,
                                              note=payload.note, actor=request.user,
                                              idempotency_key=idempotency_key)
    return Status(201 if created else 200, alarm_read(_reload(alarm)))


@router.post("/devices", response={201: DeviceCreated}, summary="登记呼叫设备（返回设备密钥，仅此一次）")
def device_create(request: HttpRequest, payload: DeviceCreate):
    services.alarm_forbid_device(_device(request))
    elder = elder_access.access_elder(request.user, payload.elder_id)
    alarm_access.access_alarms(request.user, alarm_access.ALARM_MANAGE)
    device, key = services.device_register(actor=request.user, elder=elder, serial=payload.serial, type=payload.type,
                                           heartbeat_timeout_s=payload.heartbeat_timeout_s)
    return Status(201, DeviceCreated(id=device.pk, serial=device.serial, elder_id=elder.pk, key=key))


@router.post("/devices/signal", response=DeviceStatus,
             summary="设备信号：心跳（含电量）、每月测试按键、老人按键报平安；乱序到达的旧信号不覆盖新状态")
def device_signal(request: HttpRequest, payload: DeviceSignal):
    device = _device(request)
    if device is None:
        raise ApplicationError("只有登记的设备可以发送设备信号", code="device_only", status=403)
    result = services.device_signal(device=device, kind=payload.kind, battery_pct=payload.battery_pct,
                                    sent_at=payload.sent_at)
    d = result.device
    return DeviceStatus(serial=d.serial, last_seen_at=d.last_seen_at, battery_pct=d.battery_pct,
                        last_test_at=d.last_test_at, alarm_id=result.alarm.pk if result.alarm else None)


@router.post("/checkins", response=CheckinRead, summary="代老人记录今日报平安（电话或上门联系到老人）")
def checkin_create(request: HttpRequest, payload: CheckinCreate):
    device = _device(request)
    if device is not None:
        if payload.elder_id != device.elder_id:
            raise NotFoundError()
        first = services.checkin_record(elder=device.elder, at=timezone.now(), source="device")
        return CheckinRead(elder_id=device.elder_id, first_today=first)
    elder = elder_access.access_elder(request.user, payload.elder_id)
    first = services.checkin_by_worker(actor=request.user, elder=elder)
    return CheckinRead(elder_id=elder.pk, first_today=first)


@router.get("", response=list[AlarmBrief], summary="管辖范围内未结束的紧急呼叫（最早的在前）")
def alarm_list(request: HttpRequest):
    services.alarm_forbid_device(_device(request))
    return [AlarmBrief(id=a.pk, elder_id=a.elder_id, elder_name=a.elder.name, region_code=a.region_code,
                       kind=a.kind, priority=a.priority, state=a.state, raised_at=a.raised_at, presses=a.presses,
                       escalations=a.escalations) for a in selectors.open_alarms(request.user)[:500]]


def _access(request: HttpRequest, alarm_id: uuid.UUID, capability: str = alarm_access.ALARM_VIEW) -> Alarm:
    device = _device(request)
    if device is not None:
        if capability != alarm_access.ALARM_VIEW:
            services.alarm_forbid_device(device)
        return alarm_access.device_access_alarm(device, alarm_id)
    return alarm_access.access_alarm(request.user, alarm_id, capability)


@router.get("/{alarm_id}", response=AlarmRead, summary="一次紧急呼叫及其全部记录（时间、操作方、类型，含 escalated）")
def alarm_detail(request: HttpRequest, alarm_id: uuid.UUID):
    return alarm_read(_access(request, alarm_id))


@router.post("/{alarm_id}/acknowledge", response=AlarmRead, summary="接警（停止升级）")
def alarm_acknowledge(request: HttpRequest, alarm_id: uuid.UUID):
    alarm = _access(request, alarm_id, alarm_access.ALARM_RESPOND)
    return alarm_read(_reload(services.alarm_acknowledge(actor=request.user, alarm=alarm)))


@router.post("/{alarm_id}/arrive", response=AlarmRead, summary="登记到场")
def alarm_arrive(request: HttpRequest, alarm_id: uuid.UUID):
    alarm = _access(request, alarm_id, alarm_access.ALARM_RESPOND)
    return alarm_read(_reload(services.alarm_arrive(actor=request.user, alarm=alarm)))


@router.post("/{alarm_id}/resolve", response=AlarmRead, summary="处置结束（须选处置结果；误报即结束为误报）")
def alarm_resolve(request: HttpRequest, alarm_id: uuid.UUID, payload: AlarmResolve):
    alarm = _access(request, alarm_id, alarm_access.ALARM_RESPOND)
    return alarm_read(_reload(services.alarm_resolve(actor=request.user, alarm=alarm, outcome=payload.outcome,
                                                     note=payload.note)))


@router.post("/{alarm_id}/cancel", response=AlarmRead, summary="取消（老人在设备上取消，或工作人员取消重复呼叫）")
def alarm_cancel(request: HttpRequest, alarm_id: uuid.UUID, payload: AlarmCancel):
    device = _device(request)
    if device is not None:
        alarm = alarm_access.device_access_alarm(device, alarm_id)
        return alarm_read(_reload(services.alarm_cancel(alarm=alarm, device=device, reason=payload.reason)))
    alarm = _access(request, alarm_id, alarm_access.ALARM_RESPOND)
    return alarm_read(_reload(services.alarm_cancel(alarm=alarm, actor=request.user, reason=payload.reason)))


__all__ = ["ApplicationError", "HttpResponse", "router"]
