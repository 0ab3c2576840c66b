from django.urls import path

from . import views, views_themes

# The answer's own page (`response_detail`, with its notes) shows its follow-up call and the
# rollups add up more than answers: the apps above this one serve them (see config/urls.py).
app_name = "feedback"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("answers/", views.answers, name="answers"),
    path("answers/export.csv", views.answers_export, name="answers_export"),
    path("answers/<int:pk>/triage/", views.response_triage, name="response_triage"),
    path("answers/<int:pk>/themes/", views.response_themes, name="response_themes"),
    path("definitions/", views.definitions, name="definitions"),
    path("settings/notifications/", views.notification_settings, name="notification_settings"),
    path("themes/", views_themes.themes, name="themes"),
    path("themes/candidates/<int:pk>/theme/", views_themes.candidate_theme, name="candidate_theme"),
    path("themes/candidates/<int:pk>/dismiss/", views_themes.candidate_dismiss, name="candidate_dismiss"),
]
