"""API schemas of casework (XCreate / XRead / XPage)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from ninja import Schema
from pydantic import Field


class FollowUpIn(Schema):
    title: str = Field(max_length=200)
    due_date: dt.date
    assignee: str | None = Field(None, max_length=150, description="负责人用户名（默认本人）")


class ConsultationCreate(Schema):
    channel: str = Field("walk_in", max_length=20, description="walk_in 来访 / phone 电话 / online 线上 / hotline 热线")
    visitor_type: str = Field("elder", max_length=20,
                              description="elder / family / elder_and_family / neighbour / organisation / other")
    visitor_count: int = 1
    family_count: int = 0
    visited_at: dt.datetime | None = Field(None, description="来访时间，默认现在")
    elder_id: uuid.UUID | None = Field(None, description="已建档老年人；匿名来访不填")
    visitor_name: str = Field("", max_length=50)
    visitor_age: int | None = None
    visitor_phone: str = Field("", max_length=20)
    community_code: str = Field("", max_length=12, description="所属居委（社区区划代码）")
    visitor_address: str = Field("", max_length=200)
    service_item: str = Field(max_length=20)
    result: str = Field(..., max_length=20, description="answered / referred / follow_up / unresolved")
    reason: str = Field(max_length=2000)
    advice: str = Field("", max_length=500, description="顾问建议，不超过 500 字")
    aftercare: str = Field("", max_length=2000)
    followup: FollowUpIn | None = None


class ConsultationRead(Schema):
    id: uuid.UUID
    channel: str
    visitor_type: str
    visitor_count: int
    family_count: int
    visited_at: dt.datetime
    elder_id: uuid.UUID | None
    elder_name: str | None
    visitor_name: str = Field(description="脱敏")
    visitor_age: int | None
    visitor_phone: str = Field(description="脱敏")
    visitor_address: str = Field(description="脱敏")
    community_code: str | None
    region_code: str
    service_point: str | None
    service_item: str
    result: str
    reason: str
    advice: str
    aftercare: str
    recorded_by: str
    followup_ids: list[uuid.UUID]


class ConsultationPage(Schema):
    items: list[ConsultationRead]
    count: int
    page: int
    page_size: int


class FollowUpCreate(Schema):
    title: str = Field(max_length=200)
    due_date: dt.date
    elder_id: uuid.UUID | None = None
    assignee: str | None = Field(None, max_length=150, description="负责人用户名（默认本人）")


class FollowUpRead(Schema):
    id: uuid.UUID
    title: str
    elder_id: uuid.UUID | None
    elder_name: str | None
    region_code: str
    due_date: dt.date
    overdue: bool
    assignee: str
    status: str
    result_note: str
    source: str
    source_id: str


class FollowUpPage(Schema):
    items: list[FollowUpRead]
    count: int
    page: int
    page_size: int


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(max_length=2000)


class ConsentIn(Schema):
    granted_by: str = Field(max_length=50, description="表示同意的人（本人或监护人姓名）")
    method: str = Field(max_length=20,
                        description="signed_paper 纸质签字 / verbal_witnessed 口头同意（有见证人） / in_app 线上确认")
    granted_at: dt.datetime | None = None
    evidence: str = Field("", max_length=200)


class ErrandCreate(Schema):
    elder_id: uuid.UUID
    kind: str = Field(max_length=20, description="medical_escort / admission / documents / payment / shopping / other")
    description: str = Field(max_length=2000)
    due_date: dt.date
    assignee: str | None = Field(None, max_length=150, description="经办人用户名（默认本人）")
    consent: ConsentIn | None = Field(None, description="无有效委托授权时必填")


class EvidenceIn(Schema):
    file_name: str = Field(max_length=120)
    # base64 of at most 5 MB, with room for line breaks
    content_base64: str = Field(max_length=7_100_000, description="JPEG、PNG 或 PDF，不超过 5 MB")


class ErrandComplete(Schema):
    note: str = Field(max_length=2000)
    evidence: EvidenceIn | None = None


class ErrandRead(Schema):
    id: uuid.UUID
    elder_id: uuid.UUID
    elder_name: str
    region_code: str
    kind: str
    description: str
    due_date: dt.date
    overdue: bool
    status: str
    assignee: str
    consent_by: str
    consent_method: str
    consent_at: dt.datetime
    completion_note: str
    completed_by: str | None
    closed_by: str | None
    evidence: list[str]


class ErrandPage(Schema):
    items: list[ErrandRead]
    count: int
    page: int
    page_size: int


class DecisionIn(Schema):
    text: str = Field(max_length=300)
    due_date: dt.date | None = Field(None, description="填写则生成跟踪事项")
    assignee: str | None = Field(None, max_length=150)


class ConferenceCreate(Schema):
    elder_id: uuid.UUID
    held_on: dt.date
    problem: str = Field(max_length=2000)
    minutes: str = Field("", max_length=10000)
    participants: list[Annotated[str, Field(max_length=150)]] = Field(default_factory=list, max_length=30,
                                                                       description="参加人员用户名")
    decisions: list[DecisionIn] = Field(default_factory=list)


class DecisionRead(Schema):
    text: str
    followup_id: uuid.UUID | None


class ConferenceRead(Schema):
    id: uuid.UUID
    elder_id: uuid.UUID
    held_on: dt.date
    problem: str
    minutes: str
    participants: list[str]
    decisions: list[DecisionRead]


class ConsultationQuery(Schema):
    elder_id: uuid.UUID | None = None
    channel: str = Field("", max_length=20)
    page: int = 1
    page_size: int = 20


class FollowUpQuery(Schema):
    mine: bool = True
    status: str = Field("open", max_length=20)
    overdue: bool = False
    elder_id: uuid.UUID | None = None
    page: int = 1
    page_size: int = 50


class ErrandQuery(Schema):
    status: str = Field("", max_length=20)
    mine: bool = False
    overdue: bool = False
    elder_id: uuid.UUID | None = None
    page: int = 1
    page_size: int = 50
