"""API schemas of entitlements."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from yiyang.core.apierrors import InputSchema
from yiyang.core.text import LINE_MAX, REMARK_MAX

CODE_MAX = 40  # a benefit code, a region code, a status, a month as typed


class EntitlementRead(Schema):
    benefit: str = Field(description="政策项目代码，例如 advanced_age_allowance")
    name: str = Field(description="中文名称，例如 高龄津贴")
    status: str = Field(description="entitled（可享受）/ maybe（可能符合）/ not（不符合）")
    reason: str = Field(description="理由（中文）")
    missing: list[str] = Field(description="status 为 maybe 时，能决定结果的缺失信息")


class ExplainedIn(InputSchema):
    note: str = Field("", max_length=REMARK_MAX)


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


# --------------------------------------------------------------------------- payment lists and rounds


class RecipientRead(Schema):
    elder_id: uuid.UUID
    name: str
    id_number: str = Field(description="身份证号（已遮蔽，例如 4403**********1234）")
    region_code: str = Field(description="所属社区的12位区划代码")
    status: str = Field(description="entitled（可享受）或 maybe（可能符合）")
    since: dt.datetime = Field(description="处于该状态的起始时间")


class RecipientPage(Schema):
    items: list[RecipientRead]
    count: int


class ExportIn(InputSchema):
    purpose: str = Field("", max_length=LINE_MAX,
                         description="事由：填写（至少2个字）则导出完整身份证号，留空则遮蔽；都写入访问记录")
    reason: str = Field("", max_length=LINE_MAX, description="同 purpose（别名）")

    @property
    def stated(self) -> str:
        return self.purpose or self.reason


class RecipientExportIn(ExportIn):
    region: str = Field("", max_length=CODE_MAX, description="区划代码（社区或街道）；留空 = 本人管辖范围")
    status: str = Field("entitled", max_length=CODE_MAX)


class RoundCreate(InputSchema):
    benefit: str = Field(max_length=CODE_MAX, description="政策项目代码，例如 advanced_age_allowance")
    region_code: str = Field(max_length=CODE_MAX,
                             description="本批次覆盖的区划（社区、街道或区）的代码，须在本人管辖范围内")
    month: str = Field("", max_length=CODE_MAX, description="发放月份 YYYY-MM（或该月任一日期）；留空 = 本月")


class RoundCancelIn(InputSchema):
    note: str = Field("", max_length=LINE_MAX)


class RoundRead(Schema):
    id: int
    benefit: str
    benefit_name: str
    region_code: str
    region_name: str
    month: dt.date = Field(description="发放月份（该月1日）")
    status: str = Field(description="draft 草稿 / submitted 待审核 / approved 已审核 / exported 已导出 / cancelled 已作废")
    status_name: str
    count: int
    joined_count: int = Field(description="比上期新增人数")
    left_count: int = Field(description="比上期减少人数")
    previous_id: int | None = Field(description="上期批次（同一项目、同一区划最近一次已审核的批次）")
    drafted_by: str | None
    drafted_at: dt.datetime
    submitted_by: str | None
    submitted_at: dt.datetime | None
    approved_by: str | None
    approved_at: dt.datetime | None
    exported_by: str | None
    exported_at: dt.datetime | None
    cancelled_by: str | None
    cancelled_at: dt.datetime | None
    note: str


class RoundChangeRead(Schema):
    elder_id: uuid.UUID
    name: str
    region_code: str
    cause: str = Field(description="deactivated 档案注销 / moved_out 迁出 / moved_in 迁入 / status 资格变化 / "
                                   "registered 新登记 / other 其他")
    reason: str


class RoundDetail(RoundRead):
    joined: list[RoundChangeRead] = Field(description="比上期新增的人及原因")
    left: list[RoundChangeRead] = Field(description="比上期减少的人及原因")
    changes_since_draft: int = Field(description="编制后本区划该项目资格发生变化的人次（>0 时名单可能已过时）")


class RoundPage(Schema):
    items: list[RoundRead]
    count: int


class RoundLineRead(Schema):
    elder_id: uuid.UUID
    name: str
    id_number: str = Field(description="身份证号（已遮蔽）")
    region_code: str
    status: str
    since: dt.datetime


class RoundLinePage(Schema):
    items: list[RoundLineRead]
    count: int
