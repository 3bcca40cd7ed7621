from django.urls import path

from yiyang.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notifications, name="notifications"),
    path("overview/", views.overview, name="overview"),
    path("healthz", views.healthz, name="healthz"),
]
