from django.urls import path

from yiyang.elders import location_views, views

app_name = "elders"
urlpatterns = [
    path("", views.elder_list, name="list"),
    path("new/", views.elder_create, name="create"),
    path("import/", views.elder_import, name="import"),
    path("import/template.xlsx", views.elder_import_template, name="import_template"),
    path("import/<str:token>/errors.xlsx", views.elder_import_errors, name="import_errors"),
    path("import/batches/", views.import_batch_list, name="import_batches"),
    path("import/batches/<int:batch_id>/", views.import_batch_detail, name="import_batch"),
    path("<uuid:elder_id>/", views.elder_detail, name="detail"),
    path("<uuid:elder_id>/edit/", views.elder_edit, name="edit"),
    path("<uuid:elder_id>/deactivate/", views.elder_deactivate, name="deactivate"),
    path("<uuid:elder_id>/reactivate/", views.elder_reactivate, name="reactivate"),
    path("<uuid:elder_id>/reveal/", views.elder_reveal, name="reveal"),
    path("<uuid:elder_id>/duplicates/<uuid:other_id>/", views.duplicate_verdict, name="duplicate_verdict"),
    path("<uuid:elder_id>/location/", location_views.elder_location, name="location"),
    path("<uuid:elder_id>/timeline/", views.elder_timeline, name="timeline"),
    path("<uuid:elder_id>/access-log/", views.elder_access_log, name="access_log"),
    path("<uuid:elder_id>/contacts/", views.contact_add, name="contact_add"),
    path("<uuid:elder_id>/contacts/<int:contact_id>/remove/", views.contact_remove, name="contact_remove"),
    path("<uuid:elder_id>/consents/", views.consent_grant, name="consent_grant"),
    path("<uuid:elder_id>/consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
