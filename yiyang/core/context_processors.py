from django.conf import settings

from yiyang.core import access


def yiyang(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.YIYANG["SITE_NAME"],
        "can_import": bool(user and access.has_capability(user, access.ELDER_IMPORT)),
        "can_view_elders": bool(user and access.has_capability(user, access.ELDER_VIEW)),
        "can_view_assessments": bool(user and access.has_capability(user, access.ASSESSMENT_VIEW)),
    }
