"""ApplicationError: the one error type services raise for a user-facing problem.

Views show its message next to the form; the API turns it into
``{"code", "message", "detail"}`` (see ``config/api.py``).
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.detail = detail if detail is not None else {}


class NotFoundError(ApplicationError):
    """Outside the caller's jurisdiction looks exactly like absent: 404, never 403."""

    status = 404
    code = "not_found"

    def __init__(self, message: str = "记录不存在或不在您的管辖范围内", **kw: Any):
        super().__init__(message, **kw)


class ForbiddenError(ApplicationError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "您的角色无权执行此操作", **kw: Any):
        super().__init__(message, **kw)


class FieldErrors(ApplicationError):
    """Validation problems keyed by field name; ``detail`` = {field: [messages]}."""

    code = "validation_error"

    def __init__(self, errors: dict[str, list[str]], message: str = "提交的内容有误，请按提示修改"):
        super().__init__(message, detail={"fields": errors})
        self.errors = errors
