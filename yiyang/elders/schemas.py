"""API schemas of the elder registry (ElderCreate / ElderUpdate / ElderRead / ElderPage)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from yiyang.core.apierrors import InputSchema
from yiyang.core.text import LINE_MAX, NAME_MAX, NOTE_MAX, REMARK_MAX, SHORT_MAX

# Every text has a maximum (the registry's own rules in validation.py say more; these
# stop a 5-MB string at the door). Codes and numbers as typed get some room for spaces.
CODE_MAX = 40
ID_NUMBER_MAX = 30
PHONE_MAX = 30
CATEGORIES_MAX = 20
CONTACTS_MAX = 10
Code = Annotated[str, Field(max_length=CODE_MAX)]


ECONOMIC_DESCRIPTION = ("经济状况：extreme_poverty / subsistence / near_subsistence / low_income（或中文名称，同时记入人员类别）、"
                        "not_in_difficulty（非经济困难）、unknown（未知）；不填：登记时为未知，修改时不变")
CONFIRM_DESCRIPTION = "按身份证号未满60周岁时须为 true 才能登记（确认确需登记，如重度残疾、失能人员）；所在地区规定了最低登记年龄的，低于该年龄一律不能登记"


CURSOR_DESCRIPTION = ("分页游标：上一次回答的 next_cursor（下一页）或 prev_cursor（上一页）；给出时不看 page。"
                      "每一页的代价与第一页相同")
PAGE_DESCRIPTION = "页码（旧用法，仍可用：深页按偏移读取，越往后越慢；请改用 cursor）"


class ContactIn(InputSchema):
    name: str = Field(max_length=NAME_MAX)
    phone: str = Field(max_length=PHONE_MAX)
    relation: str = Field("", max_length=SHORT_MAX)
    is_guardian: bool = False


class ElderCreate(InputSchema):
    name: str = Field(max_length=NAME_MAX)
    id_number: str = Field(max_length=ID_NUMBER_MAX)
    region_code: str = Field(max_length=CODE_MAX, description="12位社区代码")
    phone: str = Field("", max_length=PHONE_MAX)
    address: str = Field("", max_length=LINE_MAX)
    living_situation: str = Field("", max_length=CODE_MAX,
                                  description="alone / empty_nest / left_behind / with_children / … 或中文名称")
    categories: list[Code] = Field(default_factory=list, max_length=CATEGORIES_MAX, description="类别代码或中文名称")
    economic_status: str = Field("", max_length=CODE_MAX, description=ECONOMIC_DESCRIPTION)
    confirm_under_age: bool = Field(False, description=CONFIRM_DESCRIPTION)
    hukou_local: bool = True
    notes: str = Field("", max_length=NOTE_MAX)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=CONTACTS_MAX)


def _absent(**constraints: Any) -> Any:
    """The default of an optional field of an edit: None marks "left out" (pydantic does not
    validate defaults), while a null that is sent meets the field's type and is refused."""
    return Field(None, **constraints)


class ElderSearch(InputSchema):
    """POST /api/v1/elders/search: the list's filters, with the personal ones in the body."""

    region: str = Field("", max_length=CODE_MAX, description="区划代码：该节点及以下")
    category: str = Field("", max_length=CODE_MAX, description="类别代码或中文名称")
    name: str = Field("", max_length=NAME_MAX, description="姓名（包含）")
    id_number: str = Field("", max_length=ID_NUMBER_MAX, description="身份证号（精确，经盲索引）")
    phone: str = Field("", max_length=PHONE_MAX, description="电话（精确，经盲索引）")
    living_situation: str = Field("", max_length=CODE_MAX)
    active: bool | None = True
    q: str = Field("", max_length=NAME_MAX, description="一个搜索框：15/18 位 → 身份证号；7 位以上数字 → 电话；否则姓名")
    cursor: str = Field("", max_length=60, description=CURSOR_DESCRIPTION)
    page: int = Field(1, description=PAGE_DESCRIPTION)
    page_size: int = 20


class ElderUpdate(InputSchema):
    """Only the fields given change. A field left out is not changed; ``null`` is refused
    (it neither means "no change" nor "empty"); ``""`` empties phone, address, living
    situation and notes, and is refused for name, ID number and community."""

    name: str = _absent(max_length=NAME_MAX)
    id_number: str = _absent(max_length=ID_NUMBER_MAX)
    region_code: str = _absent(max_length=CODE_MAX)
    phone: str = _absent(max_length=PHONE_MAX)
    address: str = _absent(max_length=LINE_MAX)
    living_situation: str = _absent(max_length=CODE_MAX)
    categories: list[Code] = _absent(max_length=CATEGORIES_MAX)
    economic_status: str = _absent(max_length=CODE_MAX, description=ECONOMIC_DESCRIPTION)
    confirm_under_age: bool = _absent(description=CONFIRM_DESCRIPTION)
    hukou_local: bool = _absent()
    notes: str = _absent(max_length=NOTE_MAX)
    version: int | None = Field(None, description="读取时的版本号；若档案已被他人修改则返回 409（null 或不填：不检查）")

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name != "version":
            raise PydanticCustomError("null_not_allowed", "不能为空值（null）；不修改请省略该字段")
        return value


class CategoryRead(Schema):
    code: str
    name: str


class SuspectRead(Schema):
    """Another archive that may be the same person (same street; same name and birth date or phone)."""

    id: uuid.UUID
    name: str
    id_number: str = Field(description="脱敏显示")
    region_code: str
    region_name: str
    reasons: list[str]


class VerdictIn(Schema):
    same: bool = Field(description="true：是同一人（本档案注销为“重复登记”）；false：不是同一人")
    note: str = Field("", max_length=LINE_MAX, description="说明；判定“不是同一人”时必填")


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
    economic_status: str = Field(description="特困等类别代码、not_in_difficulty（非经济困难）或 unknown（未知）")
    economic_status_name: str
    hukou_local: bool
    active: bool
    deactivation_reason: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    suspected_duplicates: list[SuspectRead] = Field(
        default_factory=list, description="疑似重复、尚未核实的档案（仅在登记、读取单个档案时给出）")


class ElderPage(Schema):
    items: list[ElderRead]
    count: int
    page: int
    page_size: int
    next_cursor: str | None = Field(None, description="下一页的游标（没有下一页时为 null）")
    prev_cursor: str | None = Field(None, description="上一页的游标（第一页为 null）")


class DeactivateIn(InputSchema):
    reason: str = Field(max_length=CODE_MAX, description="deceased / moved_away / duplicate / other")
    note: str = Field("", max_length=REMARK_MAX)


class RevealIn(InputSchema):
    fields: list[Code] = Field(max_length=10, description="id_number / phone / address / contacts")
    purpose: str = Field(max_length=LINE_MAX, description="查看事由，写入访问记录")


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
