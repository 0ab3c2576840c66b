from django.urls import path

from . import api

# Under /api/v1/ (config/api_urls.py).
urlpatterns = [
    path("calls", api.CallList.as_view(), name="api_calls"),
    path("calls/<int:pk>", api.CallDetail.as_view(), name="api_call"),
    path("calls/<int:pk>/attempts", api.CallAttempts.as_view(), name="api_call_attempts"),
]
