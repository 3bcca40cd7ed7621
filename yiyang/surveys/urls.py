from django.urls import path

from yiyang.surveys import views

app_name = "surveys"
urlpatterns = [
    path("elders/<uuid:elder_id>/survey/", views.survey_form, name="form"),
    path("surveys/missing/", views.surveys_missing, name="missing"),
    path("surveys/<uuid:response_id>/", views.survey_detail, name="detail"),
]
