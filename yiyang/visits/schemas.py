"""Ninja schemas of /api/v1/visits and /api/v1/indicators/visit-rate."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from ninja import Field, Schema

Code = Annotated[str, Field(max_length=40)]


class DueItemRead(Schema):
    plan_id: int
    elder_id: uuid.UUID
    name: str
    community: str
    window_start: dt.date
    due_date: dt.date
    window_end: dt.date
    overdue: bool
    phase: str = Field(description="due（应访）/ overdue（逾期）")
    way: str
    way_label: str
    rule: str
    distance_m: int | None = Field(None, description="与调用者位置的距离（米），住址已定位且传入 lat/lon 时")


class DueList(Schema):
    date: dt.date
    items: list[DueItemRead]


class FollowUpIn(Schema):
    title: str = Field(max_length=200)
    due_date: dt.date


class VisitCreate(Schema):
    elder_id: uuid.UUID
    visited_at: dt.datetime
    way: Literal["home", "video", "phone"] = Field(description="home（上门）/ video（视频）/ phone（电话）")
    outcome: Literal["met", "not_home", "refused"] = Field(
        "met", description="met（已探访）/ not_home（未遇）/ refused（拒访）")
    missed_reason: str = Field("", max_length=200)
    elder_state: Literal["", "good", "fair", "poor", "urgent"] = Field("", description="good / fair / poor / urgent")
    findings: str = Field("", max_length=2000)
    risks: list[Code] = Field(default_factory=list, max_length=20)
    needs_changed: list[Code] = Field(default_factory=list, max_length=20)
    follow_ups: list[FollowUpIn] = Field(default_factory=list, max_length=10)
    latitude: float | None = Field(None, description="签到：手机当前位置（可选，不保存，只保存与住址网格的距离）")
    longitude: float | None = None
    set_home: bool = Field(False, description="上门且在老人家中时，把此位置记为住址位置")
    backdate_note: str = Field("", max_length=300, description="补录超过期限的探访时，管理员的说明")


class VisitRead(Schema):
    id: uuid.UUID
    elder_id: uuid.UUID
    plan_id: int | None
    plan_done: bool
    visited_at: dt.datetime
    way: str
    outcome: str
    missed_reason: str
    elder_state: str
    findings: str
    risks: list[str]
    needs_changed: list[str]
    checkin_distance_m: int | None
    checkin_far: bool
    backdated: bool
    recorded_by: str
    next_due_date: dt.date | None = None


class PlanCancelIn(Schema):
    reason: str = Field(max_length=200)


class PlanRead(Schema):
    id: int
    elder_id: uuid.UUID
    window_start: dt.date
    due_date: dt.date
    window_end: dt.date
    status: str
    cancel_reason: str


class RateRead(Schema):
    region: str
    month: str
    due: int
    done: int
    rate: float | None = Field(description="done ÷ due，0–1；当月无应访时为 null")


class RateElderRead(Schema):
    plan_id: int
    elder_id: uuid.UUID
    name: str
    region_code: str
    due_date: dt.date
    status: str
    visited_at: dt.datetime | None


class RateElders(Schema):
    region: str
    month: str
    kind: str
    count: int
    items: list[RateElderRead]


class NotSeenRead(Schema):
    elder_id: uuid.UUID
    name: str
    community: str
    last_contact_at: dt.datetime | None
    last_contact_kind: str
