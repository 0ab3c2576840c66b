from django.urls import path

from . import views, views_answer

app_name = "followups"
urlpatterns = [
    path("calls/", views.call_list, name="list"),
    path("calls/<int:call_id>/", views.call_detail, name="detail"),
    path("calls/<int:call_id>/attempt/", views.call_attempt, name="attempt"),
    path("calls/<int:call_id>/email/", views.call_email, name="email"),
    path("calls/<int:call_id>/recovery/", views.call_recovery, name="recovery"),
    path("calls/<int:call_id>/reassign/", views.call_reassign, name="reassign"),
    path("calls/cover/", views.cover, name="cover"),
    path("calls/cover/<int:absence_id>/end/", views.cover_end, name="cover_end"),
    path("calls/overdue/", views.overdue, name="overdue"),
    path("calls/settings/", views.followup_settings, name="settings"),
    # The answer's page itself is `response_detail` (config/urls.py); its note form posts here.
    path("answers/<int:pk>/notes/", views_answer.note_add, name="note_add"),
]
