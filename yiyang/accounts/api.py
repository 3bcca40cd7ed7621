"""POST /api/v1/auth/token: exchange a username and password for a bearer token."""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import Field

from yiyang.accounts.services import api_token_issue, user_authenticate
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


@router.post("/token", response=TokenRead, auth=None, summary="取得 API 令牌")
def token(request, payload: TokenRequest):
    user = user_authenticate(request=request, username=payload.username, password=payload.password)
    return TokenRead(token=api_token_issue(user=user), username=user.username, role=user.role,
                     region_code=user.region_id)
