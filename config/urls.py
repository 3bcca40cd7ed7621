from django.contrib import admin
from django.urls import include, path

from config.api import api

admin.site.site_header = "颐养 后台管理"
admin.site.site_title = "颐养"
admin.site.index_title = "后台数据"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("yiyang.accounts.urls")),
    path("elders/", include("yiyang.elders.urls")),
    path("assessments/", include("yiyang.assessments.urls")),
    path("entitlements/", include("yiyang.entitlements.urls")),
    path("visits/", include("yiyang.visits.urls")),
    path("timebank/", include("yiyang.timebank.urls")),
    path("casework/", include("yiyang.casework.urls")),
    path("resources/", include("yiyang.directory.urls")),
    path("alarms/", include("yiyang.alarms.urls")),
    path("", include("yiyang.surveys.urls")),  # /elders/<id>/survey/, /surveys/<id>/
    path("", include("yiyang.core.urls")),
]

handler403 = "yiyang.core.views.permission_denied"
