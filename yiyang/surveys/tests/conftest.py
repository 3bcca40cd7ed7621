import pytest

from yiyang.surveys import selectors


@pytest.fixture
def v1(db):
    """The shipped questionnaire, version 1 (installed by migration 0002)."""
    return selectors.questionnaire_published()
