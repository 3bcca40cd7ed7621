from django.urls import path

from yiyang.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("mine/", views.mine, name="mine"),
    path("fairness/", views.fairness, name="fairness"),
    path("coverage/", views.coverage_gaps, name="coverage"),
    path("import/", views.institutions_upload, name="import"),
    path("import/template.xlsx", views.institutions_template_download, name="import_template"),
    path("<uuid:service_id>/", views.detail, name="detail"),
    path("elder/<uuid:elder_id>/list/", views.elder_service_list, name="elder_list"),
    path("lists/batch/", views.list_batches, name="list_batches"),
    path("lists/<uuid:list_id>/", views.list_print, name="list_print"),
    path("lists/<uuid:list_id>/share/", views.list_share, name="list_share"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("elder/<uuid:elder_id>/refer/<uuid:service_id>/", views.refer, name="refer"),
    path("referrals/", views.provider_referrals, name="provider_referrals"),
    path("referrals/<uuid:referral_id>/<str:step>/", views.referral_step, name="referral_step"),
    path("<uuid:service_id>/edit/", views.edit, name="edit"),
    path("<uuid:service_id>/confirm/", views.confirm, name="confirm"),
]
