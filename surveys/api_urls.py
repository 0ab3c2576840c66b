"""The customer book's API endpoints (surveys.api), under /api/v1/ (config/api_urls.py)."""

from django.urls import path

from . import api

app_name = "surveys_api"
urlpatterns = [
    path("book/batches", api.BookBatchView.as_view(), name="book_batches"),
    path("book/accounts/deactivate", api.AccountsDeactivateView.as_view(), name="book_accounts_deactivate"),
]
