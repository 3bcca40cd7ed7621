"""API schemas of ability assessments."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field


class ScoreIn(Schema):
    scheme: str = "GB/T 42195-2022"
    items: dict[str, Any]
    coma: bool = False
    diagnosed_dementia_or_mental_disorder: bool = False
    risk_events_30d: int = 0


class ScoreOut(Schema):
    dimensions: dict[str, int]
    total: int
    preliminary_level: int
    level: int
    level_name: str
    rules_applied: list[str]


class PartA(Schema):
    information_provider: str = ""
    provider_relation: str = ""
    diagnoses: str = ""
    medications: str = ""
    risk_events: dict[str, int] = Field(default_factory=dict,
                                        description="fall/wandering/choking/self_harm/other → 0,1,2,3(3次及以上)")
    health_problems: list[str] = Field(default_factory=list)
    coma: bool = False
    diagnosed_dementia_or_mental_disorder: bool = False


class AssessmentCreate(Schema):
    reason: str = "first"
    assessed_on: dt.date | None = None
    co_assessor: str | None = Field(None, description="第二评估员的用户名")
    items: dict[str, int] = Field(default_factory=dict)
    part_a: PartA | None = None
    submit: bool = Field(False, description="填写完整时直接提交")


class AssessmentUpdate(Schema):
    items: dict[str, int] | None = None
    part_a: PartA | None = None
    co_assessor: str | None = None


class AssessorRead(Schema):
    name: str
    signed_at: dt.datetime | None


class AssessmentRead(Schema):
    id: uuid.UUID
    number: str
    elder_id: uuid.UUID
    scheme: str
    reason: str
    assessed_on: dt.date
    status: str
    dimensions: dict[str, int | None]
    total: int | None
    preliminary_level: int | None
    level: int | None
    level_name: str
    valid_until: dt.date | None
    previous_level: int | None
    assessors: list[AssessorRead]
    source: str
    origin_region: str
