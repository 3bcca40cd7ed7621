from django.urls import path

from yiyang.timebank import views

app_name = "timebank"
urlpatterns = [
    path("", views.me, name="me"),
    path("statement/", views.statement, name="statement"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<uuid:request_id>/", views.request_detail, name="request"),
    path("requests/<uuid:request_id>/<str:action>/", views.request_action, name="request_action"),
    path("point/", views.point, name="point"),
    path("members/<uuid:member_id>/review/", views.member_review, name="member_review"),
    path("flags/<int:flag_id>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("stats/", views.stats, name="stats"),
    path("rules/", views.rules, name="rules"),
]
