"""The survey page's form: turns a POST into the ``answers`` the service takes, and
builds what the template shows (each question with its state and errors).

The questions come from the database, so this is not a Django ``Form`` class; the rules
(required, option codes, kinds) live in ``validation.clean_answers`` and the service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from yiyang.surveys.models import Question, Questionnaire
from yiyang.surveys.selectors import sections_of


def field_name(question: Question) -> str:
    return f"q_{question.code}"


def answers_from_post(questionnaire: Questionnaire, data: QueryDict) -> dict[str, Any]:
    """Every question of the version, as the browser sent it (unanswered → empty)."""
    answers: dict[str, Any] = {}
    for q in questionnaire.questions.all():
        name = field_name(q)
        if q.kind == Question.Kind.MULTIPLE:
            answers[q.code] = data.getlist(name)
        else:
            answers[q.code] = data.get(name, "")
    return answers


def parse_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@dataclass
class OptionState:
    code: str
    text: str
    checked: bool


@dataclass
class QuestionState:
    number: int
    question: Question
    name: str
    options: list[OptionState]
    text_value: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def input_type(self) -> str:
        return "checkbox" if self.question.kind == Question.Kind.MULTIPLE else "radio"


def form_sections(questionnaire: Questionnaire, answers: dict[str, Any] | None = None,
                  errors: dict[str, list[str]] | None = None) -> list[tuple[str, list[QuestionState]]]:
    """Sections of question states for the template, holding the given answers (so a
    page with errors keeps what the worker chose) and each question's errors."""
    answers = answers or {}
    errors = errors or {}
    number = 0
    result = []
    for section, questions in sections_of(questionnaire):
        states = []
        for q in questions:
            number += 1
            value = answers.get(q.code)
            chosen = {str(v) for v in value} if isinstance(value, list) else {str(value)} if value else set()
            states.append(QuestionState(
                number=number, question=q, name=field_name(q),
                options=[OptionState(code=o.code, text=o.text, checked=o.code in chosen) for o in q.options.all()],
                text_value=value if q.kind == Question.Kind.TEXT and isinstance(value, str) else "",
                errors=errors.get(q.code, []),
            ))
        result.append((section, states))
    return result
