from django.urls import path

from yiyang.assessments import views

app_name = "assessments"
urlpatterns = [
    path("due/", views.assessments_due, name="due"),
    path("elder/<uuid:elder_id>/new/", views.assessment_start, name="start"),
    path("elder/<uuid:elder_id>/immediate/", views.assessment_request_immediate, name="immediate"),
    path("<uuid:assessment_id>/", views.assessment_detail, name="detail"),
    path("<uuid:assessment_id>/edit/", views.assessment_edit, name="edit"),
    path("<uuid:assessment_id>/confirm/", views.assessment_confirm, name="confirm"),
    path("<uuid:assessment_id>/cancel/", views.assessment_cancel, name="cancel"),
    path("<uuid:assessment_id>/print/", views.assessment_print, name="print"),
    path("<uuid:assessment_id>/export/", views.assessment_export, name="export"),
]
