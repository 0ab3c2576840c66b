"""The customer-facing pages: no login, reached from the emailed link."""

from django.urls import path

from . import views_public

app_name = "answer"
urlpatterns = [
    # The email's buttons link to answer/<token>/?score=N.
    path("r/<str:token>/", views_public.answer, name="answer"),
]
