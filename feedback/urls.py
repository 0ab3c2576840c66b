from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("answers/", views.answers, name="answers"),
    path("answers/export.csv", views.answers_export, name="answers_export"),
    path("answers/<int:pk>/", views.response_detail, name="response_detail"),
    path("answers/<int:pk>/triage/", views.response_triage, name="response_triage"),
    path("answers/<int:pk>/notes/", views.note_add, name="note_add"),
    path("region/", views.region_home, name="region_home"),
    path("regions/<int:pk>/", views.region_detail, name="region_detail"),
    path("organisation/", views.org_home, name="org_home"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/owner/", views.account_owner, name="account_owner"),
    path("settings/notifications/", views.notification_settings, name="notification_settings"),
]
