"""Every text a person or a client can send has a maximum (issue 7 A.8): each string of every
API request body and query parameter in the OpenAPI document has a ``maxLength``, and each
text field of every page form has a ``max_length`` with the plain Chinese message of
``core.web.PlainForm``. A new field without one fails here, not in production with a
5,000,000-character note."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from django import forms

import yiyang
from yiyang.core.web import PlainForm

FORMATS_WITHOUT_LENGTH = {"date", "date-time", "uuid", "binary"}


def _unbounded(schema: dict[str, Any], components: dict[str, Any], path: str, seen: set[str]) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded(components[name], components, f"{path}<{name}>", seen | {name})
    found = []
    if (schema.get("type") == "string" and "maxLength" not in schema and "enum" not in schema
            and schema.get("format") not in FORMATS_WITHOUT_LENGTH):
        found.append(path)
    for key, sub in (schema.get("properties") or {}).items():
        found += _unbounded(sub, components, f"{path}.{key}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _unbounded(schema[key], components, f"{path}[]", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded(sub, components, path, seen)
    return found


def test_every_string_a_client_sends_has_a_max_length():
    from config.api import api

    doc = api.get_openapi_schema()
    components = doc.get("components", {}).get("schemas", {})
    unbounded = []
    for url, operations in doc["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {url}"
            for param in op.get("parameters", []):
                if param.get("in") != "path":  # a path segment is a key, routed before it is read
                    unbounded += _unbounded(param.get("schema", {}), components, f"{where} ?{param['name']}", set())
            for content in (op.get("requestBody") or {}).get("content", {}).values():
                unbounded += _unbounded(content.get("schema", {}), components, f"{where} body", set())
    assert unbounded == []


def _form_classes() -> list[type[forms.BaseForm]]:
    classes = []
    for module_info in pkgutil.walk_packages(yiyang.__path__, "yiyang."):
        if not module_info.name.endswith(".forms"):
            continue
        module = importlib.import_module(module_info.name)
        for _name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__:
                classes.append(obj)
    return classes


def test_every_text_field_of_a_page_form_has_a_max_length_and_plain_messages():
    classes = _form_classes()
    assert len(classes) >= 8  # the walk found the apps' forms
    unbounded, not_plain = [], []
    for cls in classes:
        texts = [name for name, f in cls.base_fields.items() if isinstance(f, forms.CharField)]
        unbounded += [f"{cls.__module__}.{cls.__name__}.{n}" for n in texts if not cls.base_fields[n].max_length]
        if texts and not issubclass(cls, PlainForm):
            not_plain.append(f"{cls.__module__}.{cls.__name__}")
    assert unbounded == [] and not_plain == []


def test_a_plain_form_says_the_limit_in_plain_chinese():
    class NoteForm(PlainForm):
        note = forms.CharField(max_length=5)

    form = NoteForm({"note": "一二三四五六"})
    assert not form.is_valid()
    assert form.errors["note"] == ["最长5字（现在6字）"]
