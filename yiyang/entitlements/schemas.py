"""API schemas of entitlements."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field


class EntitlementRead(Schema):
    benefit: str = Field(description="政策项目代码，例如 advanced_age_allowance")
    name: str = Field(description="中文名称，例如 高龄津贴")
    status: str = Field(description="entitled（可享受）/ maybe（可能符合）/ not（不符合）")
    reason: str = Field(description="理由（中文）")
    missing: list[str] = Field(description="status 为 maybe 时，能决定结果的缺失信息")


class ExplainedIn(Schema):
    note: str = ""


class ExplainedRead(Schema):
    benefit: str
    name: str
    event_id: uuid.UUID
    explained_at: dt.datetime


class ChangeRead(Schema):
    id: int
    elder_id: uuid.UUID
    elder_name: str
    region_code: str
    region_name: str
    benefit: str
    name: str
    from_status: str = Field(alias="from")
    to_status: str = Field(alias="to")
    reason: str
    cause: str
    at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None

    model_config = {"populate_by_name": True}


class ChangePage(Schema):
    items: list[ChangeRead]
    count: int
    page: int
    page_size: int


class RuleRead(Schema):
    id: int
    region_code: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    priority: int
    conditions: dict[str, Any]
    description: str
    source: str


class BenefitRead(Schema):
    code: str
    name: str
    kind: str
    kind_name: str
    description: str
    amount: str
    how_to_apply: str
    active: bool
    rules: list[RuleRead]
