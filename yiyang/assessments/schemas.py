"""API schemas of ability assessments."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from yiyang.core.apierrors import InputSchema, IsoDate
from yiyang.core.text import LINE_MAX, NAME_MAX, REMARK_MAX, SHORT_MAX

CODE_MAX = 40  # an item code (B.1.1), a scheme, a reason, an assessment number
USERNAME_MAX = 150  # Django's username field
ITEMS_MAX = 40  # the standard has 26
Code = Annotated[str, Field(max_length=CODE_MAX)]


class ScoreIn(InputSchema):
    scheme: str = Field("GB/T 42195-2022", max_length=CODE_MAX)
    items: dict[Code, Any] = Field(max_length=ITEMS_MAX)
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


class PartA(InputSchema):
    information_provider: str = Field("", max_length=NAME_MAX)
    provider_relation: str = Field("", max_length=SHORT_MAX)
    diagnoses: str = Field("", max_length=REMARK_MAX)
    medications: str = Field("", max_length=REMARK_MAX)
    risk_events: dict[Code, int] = Field(default_factory=dict, max_length=10,
                                         description="fall/wandering/choking/self_harm/other → 0,1,2,3(3次及以上)")
    health_problems: list[Code] = Field(default_factory=list, max_length=20)
    coma: bool = False
    diagnosed_dementia_or_mental_disorder: bool = False


class AssessmentCreate(InputSchema):
    reason: str = Field("first", max_length=CODE_MAX)
    assessed_on: IsoDate | None = None
    co_assessor: str | None = Field(None, max_length=USERNAME_MAX,
                                    description="第二评估员的用户名（须为本辖区内的评估人员）")
    items: dict[Code, int] = Field(default_factory=dict, max_length=ITEMS_MAX)
    part_a: PartA | None = None
    submit: bool = Field(False, description="填写完整时直接提交")


class AssessmentUpdate(InputSchema):
    items: dict[Code, int] | None = Field(None, max_length=ITEMS_MAX)
    part_a: PartA | None = None
    co_assessor: str | None = Field(None, max_length=USERNAME_MAX)


class ExportIn(InputSchema):
    purpose: str = Field(max_length=LINE_MAX, description="导出事由（至少2个字），写入访问记录；导出内容含完整身份证号")


class ExchangeSubject(Schema):
    id_number: str = Field("", max_length=30)
    name: str = Field("", max_length=NAME_MAX)
    birth_date: dt.date | None = None
    sex: str = Field("", max_length=1)


class ExchangeAssessor(Schema):
    name: str = Field(max_length=NAME_MAX)
    certificate: str = Field("", max_length=50)
    signed_at: dt.datetime | None = None


class ExchangePartA(Schema):
    information_provider: str = Field("", max_length=NAME_MAX)
    provider_relation: str = Field("", max_length=SHORT_MAX)
    diagnoses: str = Field("", max_length=REMARK_MAX)
    medications: str = Field("", max_length=REMARK_MAX)
    risk_events: dict[Code, int] = Field(default_factory=dict, max_length=10)
    health_problems: list[Code] = Field(default_factory=list, max_length=20)


class AssessmentExchange(Schema):
    """One assessment in the exchange format ``yiyang.assessment/1`` (docs/assessment-format.md),
    as ``POST /assessments/{id}/export`` writes it. ``result`` is checked against the items."""

    format: str | None = Field(None, max_length=CODE_MAX, description="yiyang.assessment/1")
    scheme: str = Field(max_length=CODE_MAX, description="GB/T 42195-2022")
    number: str = Field("", max_length=CODE_MAX, description="原评估编号")
    assessed_on: dt.date
    reason: str = Field("", max_length=CODE_MAX)
    status: str = Field("", max_length=CODE_MAX)
    region_code: str = Field("", max_length=CODE_MAX, description="原评估地区")
    subject: ExchangeSubject | None = None
    assessors: list[ExchangeAssessor] = Field(max_length=10)
    valid_until: dt.date | None = None
    items: dict[Code, Any] = Field(max_length=ITEMS_MAX)
    coma: bool = False
    diagnosed_dementia_or_mental_disorder: bool = False
    risk_events_30d: int = Field(0, ge=0, le=1000)
    part_a: ExchangePartA | None = None
    result: dict[Code, Any] | None = Field(None, max_length=20)


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
