"""API schemas of the needs survey (QuestionnaireRead / SurveyCreate / SurveyResponseRead …)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from yiyang.core.apierrors import InputSchema, IsoDate


class NeedTagRead(Schema):
    code: str = Field(description="稳定的标签代码，例如 meals")
    name: str = Field(description="中文名称，例如 助餐")


class OptionRead(Schema):
    code: str
    text: str
    order: int
    exclusive: bool = Field(description="多选题中不能与其他选项同时选（如“以上都没有”）")
    need_tags: list[NeedTagRead]


class QuestionRead(Schema):
    code: str
    section: str
    text: str
    help_text: str
    kind: str = Field(description="single 单选 / multiple 多选 / yes_no 是否 / text 文字")
    required: bool
    order: int
    options: list[OptionRead]


class QuestionnaireRead(Schema):
    id: int
    name: str
    version: int
    status: str = Field(description="draft 草稿 / published 已发布 / retired 已停用")
    description: str
    published_at: dt.datetime | None
    questions: list[QuestionRead]
    need_tags: list[NeedTagRead] = Field(description="全部需求标签")


class SurveyCreate(InputSchema):
    answers: dict[Annotated[str, Field(max_length=40)], Any] = Field(max_length=200, description=(
        "问题代码 → 回答：单选为选项代码，多选为选项代码列表，是否题为 true/false（或 \"yes\"/\"no\"），文字题为字符串"))
    surveyed_on: IsoDate = Field(description="调查日期 YYYY-MM-DD，不晚于今天")
    questionnaire_version: int | None = Field(
        None, description="回答的问卷版本；省略时为当前发布的版本（已停用的旧版本仍可提交）")


class SurveyResponseRead(Schema):
    id: uuid.UUID
    elder_id: uuid.UUID
    region_code: str
    questionnaire_version: int
    surveyed_on: dt.date
    surveyed_by: str | None
    source: str
    need_tags: list[NeedTagRead]
    created_at: dt.datetime


class SurveyResponseDetail(SurveyResponseRead):
    answers: dict[str, Any]


class CurrentNeedsRead(Schema):
    elder_id: uuid.UUID
    need_tags: list[NeedTagRead]
    surveyed_on: dt.date | None
    response_id: uuid.UUID | None
