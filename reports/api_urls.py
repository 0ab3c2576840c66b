from django.urls import path

from . import api

# Under /api/v1/ (config/api_urls.py).
urlpatterns = [
    path("figures", api.FiguresView.as_view(), name="api_figures"),
]
