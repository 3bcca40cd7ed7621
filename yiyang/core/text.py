"""Bounds on free text: every text a person types has a maximum, one place names them.

Forms and API schemas refuse a longer text with a plain Chinese message (``too_long``); the
event log never copies unbounded text (``clip_payload``, applied by ``events.event_record``):
an event is the audit trail of a change, not a second copy of a document.
"""

from __future__ import annotations

from typing import Any

NAME_MAX = 50  # a person's name (core.identifiers.PERSON_NAME_MAX)
SHORT_MAX = 20  # a relation (儿子), a code, a phone number as typed
LINE_MAX = 200  # an address, a purpose (查看事由), evidence, a one-line note
REMARK_MAX = 500  # a note on an action (注销说明)
NOTE_MAX = 1000  # notes, diagnoses, medication: a paragraph, not a file
EVENT_TEXT_MAX = 500  # the longest text an event payload keeps


def too_long(value: str, limit: int) -> str | None:
    """The Chinese message for ``value`` longer than ``limit`` characters, or None."""
    if len(value) > limit:
        return f"最长{limit}字（现在{len(value)}字）"
    return None


def clip(value: str, limit: int = EVENT_TEXT_MAX) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def clip_payload(value: Any, limit: int = EVENT_TEXT_MAX) -> Any:
    """``value`` with every string in it cut to ``limit`` characters (dicts and lists walked)."""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, dict):
        return {k: clip_payload(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clip_payload(v, limit) for v in value]
    return value


PURPOSE_MIN = 2


def purpose_clean(raw: str | None, *, action: str = "查看", example: str = "电话回访") -> str:
    """The reason (事由) a person gives for seeing, exporting or printing someone's sensitive
    data, as the access log keeps it: 2 to ``LINE_MAX`` characters. Raises FieldErrors."""
    from yiyang.core.exceptions import FieldErrors

    purpose = (raw or "").strip()
    if len(purpose) < PURPOSE_MIN:
        raise FieldErrors({"purpose": [f"请填写{action}事由（例如：{example}）"]})
    if message := too_long(purpose, LINE_MAX):
        raise FieldErrors({"purpose": [message]})
    return purpose
