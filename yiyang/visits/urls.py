from django.urls import path

from yiyang.visits import views

app_name = "visits"
urlpatterns = [
    path("", views.today, name="today"),
    path("record/<uuid:elder_id>/", views.record, name="record"),
    path("not-seen/", views.not_seen, name="not_seen"),
    path("rate/", views.rate, name="rate"),
    path("rate/elders/", views.rate_elders, name="rate_elders"),
    path("plans/<int:plan_id>/cancel/", views.plan_cancel, name="plan_cancel"),
    path("<uuid:visit_id>/", views.detail, name="detail"),
]
