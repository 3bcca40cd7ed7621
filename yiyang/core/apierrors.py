"""The API's error vocabulary in one place: every error under ``/api/`` is
``{"code", "message", "detail"}`` with a Chinese message — those raised by our code, by
django-ninja (malformed JSON, schema violations, CSRF), by pydantic, and by Django itself
(an unknown path, a method not allowed, a request too large, a crash)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Schema
from ninja.parser import Parser
from pydantic import (
    ModelWrapValidatorHandler,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

# -- messages by status, for errors that carry none of their own ----------------------------------------

STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "请先登录或提供有效的令牌（Authorization: Bearer <token>）"),
    403: ("forbidden", "您无权执行此操作"),
    404: ("not_found", "接口或记录不存在"),
    405: ("method_not_allowed", "该接口不支持此请求方法"),
    409: ("conflict", "与当前数据冲突，请刷新后重试"),
    413: ("too_large", "请求内容过大"),
    422: ("validation_error", "提交的内容格式有误"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    500: ("server_error", "服务器内部错误，请稍后再试；如一再出现请联系管理员"),
}


def status_error(status: int) -> tuple[str, str]:
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    return STATUS_ERRORS[500] if status >= 500 else ("error", "请求未能完成")


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail or {}}


class ApiErrorShapeMiddleware:
    """Under /api/, an error answer that is not JSON (Django's 404 page for an unknown path,
    ninja's plain "Method not allowed", the 400 of a request too large, a crash) becomes the
    API's error shape. With DEBUG on, a crash keeps Django's debug page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")
                and not (settings.DEBUG and response.status_code >= 500)):
            code, message = status_error(response.status_code)
            shaped = JsonResponse(error_body(code, message), status=response.status_code,
                                  json_dumps_params={"ensure_ascii": False})
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


# -- request bodies -----------------------------------------------------------------------------------

class ObjectBodyParser(Parser):
    """Every JSON body of this API is an object. ninja's Schema reads attributes from any
    value, so ``[null, null]`` once validated as "every field at its default": refuse it here.
    ninja wraps any parser error as "Cannot parse request body"; the reason is left on the
    request for the error handler to say in Chinese."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            request.yiyang_body_error = ("malformed_json", "请求体不是有效的 JSON")  # type: ignore[attr-defined]
            raise
        if not isinstance(data, dict):
            request.yiyang_body_error = (  # type: ignore[attr-defined]
                "validation_error", "请求体应为 JSON 对象（{…}），不能是列表、文本、数字或 null")
            raise ValueError("body is not an object")
        if _has_nul(data):
            request.yiyang_body_error = ("validation_error", NUL_MESSAGE)  # type: ignore[attr-defined]
            raise ValueError("NUL in a string")
        return data


# No text holds a NUL character; PostgreSQL refuses to store or compare one (a 500 otherwise).
NUL_MESSAGE = "文本中不能含有空字符（\\u0000）"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def http_error(request: HttpRequest, status: int, message: str) -> tuple[str, str]:
    """Code and Chinese message for one of ninja's HttpErrors."""
    body_error = getattr(request, "yiyang_body_error", None)
    if body_error is not None and message.startswith("Cannot parse request body"):
        return body_error
    if status == 403 and "CSRF" in message:
        return "csrf_failed", "CSRF 校验失败：请刷新页面后重试；脚本请改用令牌（Authorization: Bearer）"
    return status_error(status)


# -- dates ---------------------------------------------------------------------------------------------

DATE_MESSAGE = "不是有效的日期（应为 YYYY-MM-DD）"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> dt.date:
    # pydantic alone takes 0 as 1970-01-01 and 1700000000 as a Unix time.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date_format", DATE_MESSAGE)


IsoDate = Annotated[dt.date, PlainValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]


# -- pydantic's messages, in Chinese -------------------------------------------------------------------

def zh_validation(e: dict[str, Any]) -> str:
    """One pydantic error in Chinese; never pydantic's English."""
    kind = e.get("type", "")
    ctx = e.get("ctx") or {}
    fixed = {
        "missing": "必填",
        "string_type": "应为文本",
        "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
        "int_parsing_size": "数值超出范围",
        "float_parsing": "应为数字", "float_type": "应为数字", "finite_number": "应为有限的数字",
        "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
        "uuid_parsing": "不是有效的编号", "uuid_type": "不是有效的编号", "uuid_version": "不是有效的编号",
        "json_invalid": "不是有效的 JSON", "json_type": "不是有效的 JSON",
        "list_type": "应为列表", "tuple_type": "应为列表", "set_type": "应为列表",
        "dict_type": "应为对象（{…}）", "model_type": "应为对象（{…}）", "model_attributes_type": "应为对象（{…}）",
        "dataclass_type": "应为对象（{…}）",
        "date_parsing": DATE_MESSAGE, "date_type": DATE_MESSAGE, "date_from_datetime_parsing": DATE_MESSAGE,
        "date_from_datetime_inexact": DATE_MESSAGE,
        "datetime_parsing": "不是有效的时间（应为 ISO 8601）", "datetime_type": "不是有效的时间（应为 ISO 8601）",
        "datetime_from_date_parsing": "不是有效的时间（应为 ISO 8601）",
        "string_pattern_mismatch": "格式不符合要求",
        "extra_forbidden": "不认识的字段",
        "string_unicode": "应为文本",
        "none_required": "应为 null",
        "is_instance_of": "类型不正确",
    }
    if kind in fixed:
        return fixed[kind]
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于{'等于' if kind == 'greater_than' else ''} {ctx.get('ge', ctx.get('gt', ''))}".strip()
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于{'等于' if kind == 'less_than' else ''} {ctx.get('le', ctx.get('lt', ''))}".strip()
    if kind == "string_too_long":
        given = e.get("input")
        return f"最长{ctx.get('max_length')}字" + (f"（现在{len(given)}字）" if isinstance(given, str) else "")
    if kind == "string_too_short":
        return f"至少 {ctx.get('min_length', '')} 个字符"
    if kind == "too_long":
        return f"最多{ctx.get('max_length')}项"
    if kind == "too_short":
        return f"至少 {ctx.get('min_length', '')} 项"
    if kind in ("literal_error", "enum"):
        return f"应为以下之一：{ctx.get('expected', '')}"
    msg = str(e.get("msg", ""))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return msg if any("\u4e00" <= ch <= "\u9fff" for ch in msg) else "格式有误"


# -- the OpenAPI document: each operation's error answers -------------------------------------------------

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "机器可读的错误代码，例如 validation_error、not_found"},
        "message": {"type": "string", "description": "给人看的中文说明"},
        "detail": {"type": "object", "description": "补充信息；字段错误在 detail.fields = {字段: [说明]}",
                   "additionalProperties": True},
    },
    "required": ["code", "message", "detail"],
}
ERROR_DESCRIPTIONS = {
    400: "请求有误：业务规则不满足、请求体不是 JSON 对象、数值超出范围（validation_error 等）",
    401: "未登录或令牌无效（unauthorized）；登录接口：用户名或密码错误（bad_credentials）",
    403: "在管辖范围内但角色无权执行（forbidden），或 CSRF 校验失败（csrf_failed）",
    404: "记录不存在或不在您的管辖范围内（not_found）",
    409: "与当前数据冲突：版本过期、状态不允许（version_conflict 等）",
    422: "请求格式有误：缺字段、类型不对、日期无效（validation_error，detail.fields）",
    429: "登录失败次数过多，已暂时锁定（login_locked）",
}


def add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """List on each operation the error answers it can give, all with the ``Error`` schema."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            codes = {400, 422}
            if op.get("security"):
                codes |= {401, 403}
            if "{" in path or op.get("security"):
                codes.add(404)  # a record named in the path, the query or the body may not exist
            if method in ("post", "patch", "put", "delete") and op.get("security"):
                codes.add(409)
            if path.endswith("/auth/token"):
                codes |= {401, 429}
            responses = op.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS[code], "content": ref})
    return schema


# -- input schemas ---------------------------------------------------------------------------------------

class InputSchema(Schema):
    """Base of every request body schema (and of the objects nested in one). ninja's Schema
    reads attributes from any value — right for answers built from ORM rows, wrong for input:
    ``{"part_a": [1, 2]}`` validated as a PartA with every field at its default. Input must be
    a JSON object."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo) -> Any:
        if isinstance(values, dict | cls):
            return handler(values)
        raise PydanticCustomError("model_type", "应为对象（{…}）")
