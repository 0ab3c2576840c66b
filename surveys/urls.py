from django.urls import path

from . import views, views_api_keys, views_public, views_waves, views_webhooks

app_name = "surveys"
urlpatterns = [
    path("book/import/", views.customer_import_upload, name="customer_import"),
    path("book/import/sample.csv", views.customer_import_sample, name="customer_import_sample"),
    path("book/import/jobs/<int:pk>/", views.customer_import_job, name="customer_import_job"),
    path("book/import/jobs/<int:pk>/read/", views.customer_import_job_read, name="customer_import_job_read"),
    path("book/invite/", views.staff_invite, name="staff_invite"),
    path("audit/", views.audit_log, name="audit_log"),
    path("api-keys/", views_api_keys.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views_api_keys.api_key_revoke_view, name="api_key_revoke"),
    # The survey program and the monthly waves.
    path("program/", views_waves.program_edit, name="program"),
    path("program/contacts-a-month/", views_waves.program_monthly, name="program_monthly"),
    path("program/preview/invitation/<str:language>/", views_waves.program_invitation_preview,
         name="program_invitation_preview"),
    path("waves/", views_waves.wave_list, name="wave_list"),
    path("waves/<str:month>/", views_waves.wave_detail, name="wave_detail"),
    # Webhooks (administrators).
    path("settings/webhooks/", views_webhooks.webhook_list, name="webhooks"),
    path("settings/webhooks/new/", views_webhooks.webhook_new, name="webhook_new"),
    path("settings/webhooks/<int:pk>/", views_webhooks.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/switch/", views_webhooks.webhook_switch, name="webhook_switch"),
    path("settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/send-again/", views_webhooks.webhook_resend,
         name="webhook_resend"),
    # Public: the unsubscribe link of every survey email (no login).
    path("u/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
]
