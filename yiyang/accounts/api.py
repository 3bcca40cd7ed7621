"""/api/v1/auth: exchange a username and password for a bearer token; list and revoke
one's own tokens; log out (end the token of the call, or all of them)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import logout
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from yiyang.accounts.services import api_token_issue, api_tokens_of, api_tokens_revoke, user_authenticate
from yiyang.core.apierrors import InputSchema

router = Router(tags=["认证 auth"])


class TokenRequest(InputSchema):
    # Django's username field: documented here, enforced by user_authenticate as a 400 in Chinese.
    username: str = Field(json_schema_extra={"maxLength": 150})
    password: str = Field(max_length=4096)


class TokenRead(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - a scheme name, not a secret
    username: str
    role: str
    region_code: str | None


class TokenInfo(Schema):
    id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    current: bool = False


class LogoutIn(InputSchema):
    all_tokens: bool = False


class RevokedRead(Schema):
    revoked: int


@router.post("/token", response=TokenRead, auth=None, summary="取得 API 令牌")
def token(request, payload: TokenRequest):
    user = user_authenticate(request=request, username=payload.username, password=payload.password)
    return TokenRead(token=api_token_issue(user=user), username=user.username, role=user.role,
                     region_code=user.region_id)


@router.get("/tokens", response=list[TokenInfo], summary="我的 API 令牌（仍有效的）")
def token_list(request: HttpRequest):
    current = getattr(request, "api_token_id", None)
    return [TokenInfo(id=t.pk, created_at=t.created_at, expires_at=t.expires_at, last_used_at=t.last_used_at,
                      current=t.pk == current) for t in api_tokens_of(request.user)]  # type: ignore[arg-type]


@router.delete("/tokens/{token_id}", response={204: None}, summary="吊销我的一个令牌")
def token_revoke(request: HttpRequest, token_id: int):
    api_tokens_revoke(actor=request.user, token_ids=[token_id], reason="api")  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/logout", response=RevokedRead, summary="退出：吊销本次调用所用的令牌（all_tokens=true 时吊销全部令牌）")
def api_logout(request: HttpRequest, payload: LogoutIn | None = None):
    current = getattr(request, "api_token_id", None)
    if payload is not None and payload.all_tokens:
        n = api_tokens_revoke(actor=request.user, reason="logout_all")  # type: ignore[arg-type]
    else:
        n = api_tokens_revoke(actor=request.user, token_ids=[current], reason="logout") if current else 0  # type: ignore[arg-type]
    if current is None:
        logout(request)  # a session call: end the session too
    return RevokedRead(revoked=n)
