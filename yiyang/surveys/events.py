"""Event types of the needs survey."""

from django.utils.translation import gettext_lazy as _

SUBMITTED = "survey.submitted"
QUESTIONNAIRE_COPIED = "survey.questionnaire_copied"
QUESTIONNAIRE_PUBLISHED = "survey.questionnaire_published"

EVENT_TYPES = {
    SUBMITTED: _("需求调查"),
    QUESTIONNAIRE_COPIED: _("复制需求调查问卷为新版本"),
    QUESTIONNAIRE_PUBLISHED: _("发布需求调查问卷"),
}
