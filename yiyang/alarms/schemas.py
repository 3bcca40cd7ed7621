"""Ninja schemas of /api/v1/alarms."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Field, Schema

from yiyang.core.apierrors import InputSchema


class AlarmCreate(InputSchema):
    elder_id: uuid.UUID | None = Field(None, description="老人编号；设备调用时可省略（即设备所属老人）")
    source: Literal["hotline", "worker", "portal", "device"] | None = Field(
        None, description="来源：hotline 热线、worker 工作人员、portal 门户；设备调用时固定为 device")
    kind: Literal["sos", "fall", "low_battery", "checkin_missed"] = Field("sos", description="类型")
    note: str = Field("", max_length=500)
    device_time: dt.datetime | None = Field(None, description="设备记录的按键时间（迟到的信号据此归并）")


class AlarmResolve(InputSchema):
    outcome: Literal["hospital", "on_site", "family", "phone", "false_alarm", "other"] = Field(
        description="处置结果：hospital 送医、on_site 上门处置、family 家属处理、phone 电话确认平安、false_alarm 误报、other 其他")
    note: str = Field("", max_length=500)


class AlarmCancel(InputSchema):
    reason: str = Field("", max_length=200)


class AlarmEventRead(Schema):
    at: dt.datetime
    kind: str
    kind_label: str
    actor: str
    step: int | None
    detail: str


class AlarmRead(Schema):
    id: uuid.UUID
    elder_id: uuid.UUID
    elder_name: str
    region_code: str
    kind: str
    kind_label: str
    priority: str
    source: str
    state: str
    state_label: str
    note: str
    raised_at: dt.datetime
    presses: int
    responder: str | None
    dispatched_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    arrived_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    outcome_label: str
    outcome_note: str
    escalations: int
    next_escalation_at: dt.datetime | None
    events: list[AlarmEventRead]


class AlarmBrief(Schema):
    id: uuid.UUID
    elder_id: uuid.UUID
    elder_name: str
    region_code: str
    kind: str
    priority: str
    state: str
    raised_at: dt.datetime
    presses: int
    escalations: int


class DeviceSignal(InputSchema):
    kind: Literal["heartbeat", "test", "checkin"] = Field(
        "heartbeat", description="heartbeat 心跳、test 每月测试按键、checkin 老人按键报平安")
    battery_pct: int | None = Field(None, ge=0, le=100)
    sent_at: dt.datetime | None = Field(None, description="设备发送时间（乱序到达的旧信号不会覆盖新状态）")


class DeviceStatus(Schema):
    serial: str
    last_seen_at: dt.datetime | None
    battery_pct: int | None
    last_test_at: dt.datetime | None
    alarm_id: uuid.UUID | None = Field(None, description="电量低时产生的提醒")


class DeviceCreate(InputSchema):
    elder_id: uuid.UUID
    serial: str = Field(max_length=40, description="设备编号（唯一）")
    type: Literal["pendant", "fall_sensor", "smart_home", "phone"] = "pendant"
    heartbeat_timeout_s: int | None = Field(None, ge=60, le=7 * 86400, description="心跳超时（秒），默认 6 小时")


class DeviceCreated(Schema):
    id: int
    serial: str
    elder_id: uuid.UUID
    key: str = Field(description="设备密钥，仅此一次返回；设备以 Authorization: Bearer <key> 调用")


class CheckinCreate(InputSchema):
    elder_id: uuid.UUID


class CheckinRead(Schema):
    elder_id: uuid.UUID
    first_today: bool


Outcomes = Literal["hospital", "on_site", "family", "phone", "false_alarm", "other"]
