"""API schemas of casework (XCreate / XRead / XPage)."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field


class FollowUpIn(Schema):
    title: str
    due_date: dt.date
    assignee: str | None = Field(None, description="负责人用户名（默认本人）")


class ConsultationCreate(Schema):
    channel: str = Field("walk_in", description="walk_in 来访 / phone 电话 / online 线上 / hotline 热线")
    visitor_type: str = Field("elder", description="elder / family / elder_and_family / neighbour / organisation / other")
    visitor_count: int = 1
    family_count: int = 0
    visited_at: dt.datetime | None = Field(None, description="来访时间，默认现在")
    elder_id: uuid.UUID | None = Field(None, description="已建档老年人；匿名来访不填")
    visitor_name: str = ""
    visitor_age: int | None = None
    visitor_phone: str = ""
    community_code: str = Field("", description="所属居委（社区区划代码）")
    visitor_address: str = ""
    service_item: str
    result: str = Field(..., description="answered / referred / follow_up / unresolved")
    reason: str
    advice: str = Field("", description="顾问建议，不超过 500 字")
    aftercare: str = ""
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
    title: str
    due_date: dt.date
    elder_id: uuid.UUID | None = None
    assignee: str | None = Field(None, description="负责人用户名（默认本人）")


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
    note: str = ""


class ReasonIn(Schema):
    reason: str


class ConsentIn(Schema):
    granted_by: str = Field(description="表示同意的人（本人或监护人姓名）")
    method: str = Field(description="signed_paper 纸质签字 / verbal_witnessed 口头同意（有见证人） / in_app 线上确认")
    granted_at: dt.datetime | None = None
    evidence: str = ""


class ErrandCreate(Schema):
    elder_id: uuid.UUID
    kind: str = Field(description="medical_escort / admission / documents / payment / shopping / other")
    description: str
    due_date: dt.date
    assignee: str | None = Field(None, description="经办人用户名（默认本人）")
    consent: ConsentIn | None = Field(None, description="无有效委托授权时必填")


class EvidenceIn(Schema):
    file_name: str
    content_base64: str = Field(description="JPEG、PNG 或 PDF，不超过 5 MB")


class ErrandComplete(Schema):
    note: str
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
    text: str
    due_date: dt.date | None = Field(None, description="填写则生成跟踪事项")
    assignee: str | None = None


class ConferenceCreate(Schema):
    elder_id: uuid.UUID
    held_on: dt.date
    problem: str
    minutes: str = ""
    participants: list[str] = Field(default_factory=list, description="参加人员用户名")
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
