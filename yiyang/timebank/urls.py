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
    path("members/<uuid:member_id>/relatives/", views.member_relatives, name="member_relatives"),
    path("flags/<int:flag_id>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("stats/", views.stats, name="stats"),
    path("rules/", views.rules, name="rules"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:team_id>/", views.team_detail, name="team"),
    path("family/", views.family, name="family"),
    path("family/elders/<uuid:elder_id>/", views.family_elder, name="family_elder"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:item_id>/redeem/", views.catalogue_redeem, name="redeem"),
    path("corrections/", views.corrections, name="corrections"),
    path("bookings/<uuid:transaction_id>/", views.booking, name="booking"),
]
