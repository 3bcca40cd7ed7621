"""Sections of the elder's page that other apps contribute (ability, needs, entitlements, and
the visits, alarms and time-bank sections to come). An app registers a ``PageSection`` in its
``AppConfig.ready``: ``context(request, elder)`` returns the template's context, or None when
the section has nothing for this user. The elder page knows no app by name."""

from __future__ import annotations

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
