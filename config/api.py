"""The versioned JSON API at /api/v1/ (django-ninja). One Router per app; errors are
always ``{"code", "message", "detail"}`` with a Chinese message."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from yiyang.accounts.services import api_token_lookup
from yiyang.core.apierrors import ObjectBodyParser, add_error_responses, error_body, http_error, zh_validation
from yiyang.core.exceptions import ApplicationError


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[override]
        found = api_token_lookup(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token_id = found.pk  # type: ignore[attr-defined]  # POST /auth/logout ends this one
        return found.user


class YiyangAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):  # type: ignore[override]
        # Each operation lists its error answers (the Error schema): clients and the
        # schemathesis run of the suite read them.
        return add_error_responses(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


api = YiyangAPI(
    title="颐养 Yiyang API",
    version="1",
    urls_namespace="api-v1",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=ObjectBodyParser(),
    description="养老服务平台接口。认证：POST /api/v1/auth/token 取得令牌，之后带 `Authorization: Bearer <token>`。",
)


def _error(request: HttpRequest, status: int, code: str, message: str, detail=None):
    return api.create_response(request, error_body(code, message, detail), status=status)


@api.exception_handler(ApplicationError)
def _application_error(request, exc: ApplicationError):
    return _error(request, exc.status, exc.code, exc.message, exc.detail)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for e in exc.errors:
        loc = [str(p) for p in e.get("loc", []) if p not in ("body", "query", "path", "payload", "filters")]
        fields.setdefault(".".join(loc) or "请求", []).append(zh_validation(e))
    return _error(request, 422, "validation_error", "提交的内容格式有误", {"fields": fields})


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, "unauthorized", "请先登录或提供有效的令牌（Authorization: Bearer <token>）")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "记录不存在或不在您的管辖范围内")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request, exc):
    # The database is briefly unreachable or busy (a restart, a fail-over, SQLite's lock held too
    # long): the request's transaction was rolled back whole, so the client may simply retry —
    # a device does, with the same Idempotency-Key.
    response = _error(request, 503, "db_unavailable", "数据库暂时不可用，请稍后重试（未保存任何内容）",
                      {"retry_after": 5})
    response["Retry-After"] = "5"
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code, message = http_error(request, exc.status_code, str(exc))
    return _error(request, exc.status_code, code, message)


api.add_router("/auth", "yiyang.accounts.api.router")
api.add_router("/regions", "yiyang.regions.api.router")
api.add_router("/elders", "yiyang.elders.api.router")
api.add_router("", "yiyang.assessments.api.router")
api.add_router("", "yiyang.surveys.api.router")
api.add_router("", "yiyang.entitlements.api.router")
api.add_router("/visits", "yiyang.visits.api.router")
api.add_router("/indicators", "yiyang.visits.api.indicators")
api.add_router("", "yiyang.casework.api.router")
api.add_router("/directory", "yiyang.directory.api.router")
api.add_router("/elders", "yiyang.directory.api.elders_router")
api.add_router("/referrals", "yiyang.directory.api.referrals_router")
api.add_router("/alarms", "yiyang.alarms.api.router")
api.add_router("/timebank", "yiyang.timebank.api.router")

__all__ = ["api"]
