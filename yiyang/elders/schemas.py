"""API schemas of the elder registry (ElderCreate / ElderUpdate / ElderRead / ElderPage)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field


class ContactIn(Schema):
    name: str
    phone: str
    relation: str = ""
    is_guardian: bool = False


class ElderCreate(Schema):
    name: str
    id_number: str
    region_code: str = Field(description="12位社区代码")
    phone: str = ""
    address: str = ""
    living_situation: str = Field("", description="alone / empty_nest / left_behind / with_children / … 或中文名称")
    categories: list[str] = Field(default_factory=list, description="类别代码或中文名称")
    hukou_local: bool = True
    notes: str = ""
    contacts: list[ContactIn] = Field(default_factory=list)


class ElderUpdate(Schema):
    name: str | None = None
    id_number: str | None = None
    region_code: str | None = None
    phone: str | None = None
    address: str | None = None
    living_situation: str | None = None
    categories: list[str] | None = None
    hukou_local: bool | None = None
    notes: str | None = None
    version: int | None = Field(None, description="读取时的版本号；若档案已被他人修改则返回 409")


class CategoryRead(Schema):
    code: str
    name: str


class ElderRead(Schema):
    id: uuid.UUID
    name: str
    id_number: str = Field(description="脱敏显示")
    phone: str = Field(description="脱敏显示")
    address: str = Field(description="脱敏显示")
    birth_date: dt.date
    sex: str
    age: int
    region_code: str
    region_name: str
    street_name: str
    living_situation: str
    categories: list[str]
    category_names: list[str]
    hukou_local: bool
    active: bool
    deactivation_reason: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ElderPage(Schema):
    items: list[ElderRead]
    count: int
    page: int
    page_size: int


class DeactivateIn(Schema):
    reason: str = Field(description="deceased / moved_away / duplicate / other")
    note: str = ""


class RevealIn(Schema):
    fields: list[str] = Field(description="id_number / phone / address / contacts")
    purpose: str = Field(description="查看事由，写入访问记录")


class EventRead(Schema):
    id: uuid.UUID
    type: str
    label: str
    occurred_at: dt.datetime
    actor: str | None
    payload: dict[str, Any]


class AccessLogRead(Schema):
    at: dt.datetime
    actor: str
    action: str
    fields: list[str]
    purpose: str
