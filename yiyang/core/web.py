"""Small helpers shared by the server-rendered pages of every app."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiyang.core.exceptions import FieldErrors, ForbiddenError


def forbidden(request: HttpRequest, exc: ForbiddenError) -> HttpResponse:
    """A role check refused inside the caller's jurisdiction: the 403 page."""
    return render(request, "core/forbidden.html", {"message": exc.message}, status=403)


def form_add_errors(form: forms.Form, exc: FieldErrors) -> None:
    """Put a service's FieldErrors back on the form: on the field when it has one, else on top."""
    for field, messages in exc.errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
