"""Small helpers shared by the server-rendered pages of every app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from yiyang.core.exceptions import FieldErrors, ForbiddenError


def forbidden(request: HttpRequest, exc: ForbiddenError) -> HttpResponse:
    """A role check refused inside the caller's jurisdiction: the 403 page."""
    return render(request, "core/forbidden.html", {"message": exc.message}, status=403)


def form_add_errors(form: forms.Form, exc: FieldErrors) -> None:
    """Put a service's FieldErrors back on the form: on the field when it has one, else on top."""
    for field, messages in exc.errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class PlainForm(forms.Form):
    """A form whose length limits speak like the API and the services do ("最长200字（现在
    215字）") instead of Django's "确保该变量包含不超过 200 字符"; every text field of a
    page form has a ``max_length`` (tests/test_text_limits.py checks it)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if getattr(field, "max_length", None):
                field.error_messages["max_length"] = _("最长%(limit_value)d字（现在%(show_value)d字）")
            if getattr(field, "min_length", None) and "min_length" not in field.error_messages:
                field.error_messages["min_length"] = _("至少%(limit_value)d字")
