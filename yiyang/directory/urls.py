from django.urls import path

from yiyang.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("mine/", views.mine, name="mine"),
    path("fairness/", views.fairness, name="fairness"),
    path("<uuid:service_id>/", views.detail, name="detail"),
    path("<uuid:service_id>/edit/", views.edit, name="edit"),
    path("<uuid:service_id>/confirm/", views.confirm, name="confirm"),
]
