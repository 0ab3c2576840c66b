"""The REST API, /api/v1/: its schema and docs, and each app's endpoints (an API lives
with the app whose data it serves). One line per app's url module."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from surveys.api_foundation import api_docs

urlpatterns = [
    # Public: the OpenAPI 3 schema (YAML; ?format=json for JSON) is a stable interface.
    path("schema", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
         name="api_schema"),
    path("docs", api_docs, name="api_docs"),
    path("", include("surveys.api_urls")),
    path("", include("feedback.api_urls")),
    path("", include("followups.api_urls")),
    path("", include("reports.api_urls")),
]
