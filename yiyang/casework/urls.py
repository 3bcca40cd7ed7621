from django.urls import path

from yiyang.casework import views

app_name = "casework"
urlpatterns = [
    path("consultations/", views.consultation_list, name="consultations"),
    path("consultations/new/", views.consultation_create, name="consultation_create"),
    path("consultations/elder-search/", views.elder_search, name="elder_search"),
    path("consultations/<uuid:consultation_id>/", views.consultation_detail, name="consultation_detail"),
    path("follow-ups/", views.followup_list, name="followups"),
    path("follow-ups/new/", views.followup_create, name="followup_create"),
    path("follow-ups/<uuid:followup_id>/complete/", views.followup_complete, name="followup_complete"),
    path("errands/", views.errand_list, name="errands"),
    path("errands/new/", views.errand_create, name="errand_create"),
    path("errands/<uuid:errand_id>/", views.errand_detail, name="errand_detail"),
    path("errands/<uuid:errand_id>/<str:action>/", views.errand_action, name="errand_action"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("conferences/", views.conference_list, name="conferences"),
    path("conferences/new/", views.conference_create, name="conference_create"),
    path("conferences/<uuid:conference_id>/", views.conference_detail, name="conference_detail"),
    path("decisions/<int:decision_id>/follow-up/", views.decision_followup, name="decision_followup"),
]
