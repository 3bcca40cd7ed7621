"""Sections of the elder's page that other apps contribute (ability, needs, entitlements, and
the visits, alarms and time-bank sections to come). An app registers a ``PageSection`` in its
``AppConfig.ready``: ``context(request, elder)`` returns the template's context, or None when
the section has nothing for this user. The elder page knows no app by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from yiyang.core.registry import PageSection, Registry, sections_for

ELDER_SECTIONS = Registry[PageSection]("elder page sections")


def register_elder_section(section: PageSection) -> None:
    ELDER_SECTIONS.add(section)


def elder_sections_html(request: Any, elder: Any) -> list[SafeString]:
    return [mark_safe(render_to_string(template, context, request))  # noqa: S308 - our templates, autoescaped
            for template, context in sections_for(ELDER_SECTIONS, request, elder)]


# What to check with the elder during a visit, contributed by other apps (the directory's open
# referrals: 服务是否已提供、是否满意). Shown on the visit form above it; the visit page knows no
# app by name. Each section is its own form(s), outside the visit's form.
VISIT_SECTIONS = Registry[PageSection]("visit page sections")


def register_visit_section(section: PageSection) -> None:
    VISIT_SECTIONS.add(section)


def visit_sections_html(request: Any, elder: Any) -> list[SafeString]:
    return [mark_safe(render_to_string(template, context, request))  # noqa: S308 - our templates, autoescaped
            for template, context in sections_for(VISIT_SECTIONS, request, elder)]


# What an elder may apply for, in plain words, for documents handed to the elder (the large-type
# assessment report). The entitlements app registers the source; the report knows no app by name.
BenefitSource = Callable[[Any], list[dict[str, Any]]]
_BENEFIT_SOURCES: list[BenefitSource] = []


def register_benefit_source(source: BenefitSource) -> None:
    if source not in _BENEFIT_SOURCES:
        _BENEFIT_SOURCES.append(source)


def elder_benefits_plain(elder: Any) -> list[dict[str, Any]]:
    """``[{"code", "name", "status", "entitled", "how_to_apply", "missing"}]`` of every benefit the
    elder may apply for (``status`` in words; ``entitled`` False means 可能符合)."""
    return [row for source in _BENEFIT_SOURCES for row in source(elder)]


# The same as kept (the stored statuses the entitlements app keeps current after every elder
# edit, assessment and rule change), for many elders at once: {elder id: {benefit code: {"name",
# "entitled", "how_to_apply", "reason"}}} with 可享受 (entitled True) and 可能符合 (False) only.
# Matching weighs costs by it and a batch of service lists lists it; no rules evaluated.
StoredBenefitSource = Callable[[list[Any]], dict[Any, dict[str, dict[str, Any]]]]
_STORED_BENEFIT_SOURCES: list[StoredBenefitSource] = []


def register_stored_benefit_source(source: StoredBenefitSource) -> None:
    if source not in _STORED_BENEFIT_SOURCES:
        _STORED_BENEFIT_SOURCES.append(source)


def elders_stored_benefits(elder_ids: list[Any]) -> dict[Any, dict[str, dict[str, Any]]]:
    out: dict[Any, dict[str, dict[str, Any]]] = {}
    for source in _STORED_BENEFIT_SOURCES:
        for elder_id, benefits in source(elder_ids).items():
            out.setdefault(elder_id, {}).update(benefits)
    return out
