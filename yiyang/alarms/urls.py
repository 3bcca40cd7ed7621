from django.urls import path

from yiyang.alarms import views

app_name = "alarms"
urlpatterns = [
    path("", views.board, name="board"),
    path("list/", views.alarm_list, name="list"),
    path("<uuid:alarm_id>/", views.detail, name="detail"),
    path("<uuid:alarm_id>/facts/", views.facts, name="facts"),
    path("<uuid:alarm_id>/<str:action>/", views.act, name="act"),
]
