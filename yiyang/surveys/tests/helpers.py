"""Answers to the shipped questionnaire (version 1) for the tests."""

from __future__ import annotations

from typing import Any

# Every required question answered, no need anywhere.
NO_NEEDS: dict[str, Any] = {
    "self_care": "independent",
    "caregiver": "spouse",
    "meals": "cook_self",
    "bathing": "independent",
    "cleaning": "self",
    "mobility": "free",
    "medical": "self",
    "family_doctor": True,
    "emergency_device": True,
    "emergency_contact": True,
    "rehab": "none",
    "loneliness": "rarely",
    "visits_wanted": False,
    "home_hazards": ["none"],
    "falls": "no",
    "policy_topics": ["none"],
    "errands": ["none"],
}


def answers(**changes: Any) -> dict[str, Any]:
    data = dict(NO_NEEDS)
    data.update(changes)
    return data


# A lonely elder who needs meals, has stairs and no grab bars, and wants to hear about subsidies.
SOME_NEEDS = answers(meals="need_meals", loneliness="often", home_hazards=["stairs", "bathroom"],
                     policy_topics=["subsidies"], emergency_device=False)
SOME_NEEDS_TAGS = ["meals", "emergency", "companionship", "home_adaptation", "policy_legal"]
SOME_NEEDS_NAMES = ["助餐", "助急", "精神慰藉", "家庭适老化改造", "政策与法律咨询"]
