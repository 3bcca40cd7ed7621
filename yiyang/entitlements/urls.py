from django.urls import path

from yiyang.entitlements import payment_views, views

app_name = "entitlements"
urlpatterns = [
    path("", views.benefit_list, name="benefits"),
    path("changes/", views.change_list, name="changes"),
    path("changes/<int:change_id>/acknowledge/", views.change_acknowledge, name="acknowledge"),
    path("elders/<uuid:elder_id>/<slug:benefit>/explained/", views.entitlement_explained, name="explained"),
    path("recomputes/<int:run_id>/", views.recompute_status, name="recompute_status"),
    # 发放名单 and 发放批次 (the names are access.PAYMENT_URL_NAMES)
    path("payments/", payment_views.recipients_index, name="recipients_index"),
    path("payments/<slug:benefit>/", payment_views.recipients, name="recipients"),
    path("payments/<slug:benefit>/export/", payment_views.recipients_export, name="recipients_export"),
    path("rounds/", payment_views.rounds, name="rounds"),
    path("rounds/draft/", payment_views.round_draft, name="round_draft"),
    path("rounds/<int:round_id>/", payment_views.round_detail, name="round_detail"),
    path("rounds/<int:round_id>/submit/", payment_views.round_submit, name="round_submit"),
    path("rounds/<int:round_id>/approve/", payment_views.round_approve, name="round_approve"),
    path("rounds/<int:round_id>/cancel/", payment_views.round_cancel, name="round_cancel"),
    path("rounds/<int:round_id>/export/", payment_views.round_export, name="round_export"),
]
