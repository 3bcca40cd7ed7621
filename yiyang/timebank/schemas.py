"""Ninja schemas of /api/v1/timebank. Amounts are integers in hundredths of a credit
(``amount``) with their text (``"1.50"``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Field, Schema

Kind = Literal["meal", "cleaning", "escort", "shopping", "company", "repair", "digital", "culture", "other"]


class MemberCreate(Schema):
    name: str = Field(max_length=50)
    id_number: str = Field(max_length=18, description="居民身份证号（校验位按 GB 11643 核对）")
    region_code: str = Field(max_length=12, description="所在社区的12位区划代码")
    phone: str = Field("", max_length=20)
    volunteer: bool = Field(False, description="申请成为志愿者（服务点审核后平台复核）")
    skills: str = Field("", max_length=200)


class MemberRead(Schema):
    id: uuid.UUID
    name: str
    region_code: str
    age: int
    age_group: str = Field(description="young（青）/ middle（中）/ old（老）")
    volunteer_status: str
    volunteer_status_label: str
    account_id: int | None
    balance: int
    balance_text: str


class ReviewIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


class RequestCreate(Schema):
    elder_id: uuid.UUID
    kind: Kind
    description: str = Field(max_length=500)
    wanted_at: dt.datetime
    expected_minutes: int = Field(60, ge=15, le=480)
    estate_id: int | None = None  # 物业小区 of the elder's community (4th level); its point certifies


class RequestRead(Schema):
    id: uuid.UUID
    elder_id: uuid.UUID
    elder_name: str
    region_code: str
    estate: str | None = None
    service_point: str
    kind: str
    kind_label: str
    description: str
    wanted_at: dt.datetime
    expected_minutes: int
    posted_as: str
    status: str
    status_label: str
    volunteer: str | None
    checkin_at: dt.datetime | None
    checkin_distance_m: int | None
    checkout_at: dt.datetime | None
    minutes: int | None
    elder_rating: int | None
    volunteer_rating: int | None
    certified_minutes: int | None
    credits: str | None = Field(None, description="认证后记入的积分")
    flags: list[str]


class PositionIn(Schema):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class RateIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)


class CertifyIn(Schema):
    minutes: int | None = Field(None, ge=1, le=1440, description="认证时长（分钟），缺省为签到至签退的时长")


class ReasonIn(Schema):
    reason: str = Field(max_length=200)


class FlagRead(Schema):
    id: int
    request_id: uuid.UUID
    kind: str
    kind_label: str
    detail: str
    resolution: str
    raised_at: dt.datetime


class FlagResolveIn(Schema):
    confirmed: bool
    note: str = Field(max_length=200)


class EntryRead(Schema):
    id: int
    at: dt.datetime
    category: str
    category_label: str
    service_kind: str
    amount: int
    amount_text: str
    balance_after: int
    balance_after_text: str
    reason: str
    transaction_id: uuid.UUID


class AccountRead(Schema):
    id: int
    name: str
    kind: str
    region_code: str
    balance: int = Field(description="余额（百分之一积分），等于全部分录之和")
    balance_text: str
    statement: list[EntryRead]


class TransferIn(Schema):
    from_member_id: uuid.UUID | None = Field(None, description="工作人员代办时填写；成员本人转出时省略")
    to_member_id: uuid.UUID
    amount: int = Field(gt=0, le=10_000_000)


class DonationIn(Schema):
    member_id: uuid.UUID | None = None
    team_id: int | None = None
    amount: int = Field(gt=0, le=10_000_000)


class TransactionRead(Schema):
    id: uuid.UUID
    category: str
    category_label: str
    created_at: dt.datetime


class CatalogueRead(Schema):
    id: int
    name: str
    kind: str
    partner: str
    service_point: str
    region_code: str
    price: int
    price_text: str


class RedemptionIn(Schema):
    item_id: int
    member_id: uuid.UUID | None = Field(None, description="工作人员代办时填写；成员本人兑换时省略")


class RedemptionRead(Schema):
    id: int
    item: str
    member_id: uuid.UUID
    exchanged: bool
    category: str
    price_text: str
    created_at: dt.datetime
