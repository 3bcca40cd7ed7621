from django.urls import path

from yiyang.entitlements import views

app_name = "entitlements"
urlpatterns = [
    path("", views.benefit_list, name="benefits"),
    path("changes/", views.change_list, name="changes"),
    path("changes/<int:change_id>/acknowledge/", views.change_acknowledge, name="acknowledge"),
    path("elders/<uuid:elder_id>/<slug:benefit>/explained/", views.entitlement_explained, name="explained"),
]
