from django.conf import settings

from yiyang.core.registry import nav_for


def yiyang(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.YIYANG["SITE_NAME"],
        # Development (DEBUG) says so on every page; production refuses DEBUG (config/settings.py).
        "debug_banner": settings.DEBUG,
        # The navigation the apps declared (core.registry), filtered by the user's capabilities.
        "nav_items": nav_for(request) if user is not None and user.is_authenticated else [],
    }
