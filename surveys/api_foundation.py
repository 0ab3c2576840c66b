"""What every endpoint of the REST API (/api/v1/) shares, set in settings.REST_FRAMEWORK:
the API key as `Authorization: Bearer <key>`, a request limit per key and read-only keys
kept from writing (surveys.api_auth); here, errors as RFC 9457 problem details, and every
request with a key in the audit log. Here in `surveys`, the lowest app with staff, so that the
API of every app above may use it.

An endpoint reads `request.user` as any view does (the staff member the key acts as) and
passes it to its app's selectors: the rules of who sees what apply unchanged, and what is
out of the user's scope answers 404. `AdministratorsOnly` guards what only administrators
may do; like the administrators' pages, it answers 404 to everyone else.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from .api_auth import AdministratorsOnly, ApiKeyAuthentication, ReadOnlyKeysRead, api_key_of
from .api_keys import api_key_touch
from .audit import audit_record
from .throttle import client_address

__all__ = ["AdministratorsOnly", "ReadOnlyKeysRead", "ApiProblem", "problem", "PROBLEM_CONTENT_TYPE"]

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types of our own, each explained on the docs page at its anchor.
PROBLEM_INVALID_RECORDS = "/api/v1/docs#problem-invalid-records"
PROBLEM_TOO_MANY_RECORDS = "/api/v1/docs#problem-too-many-records"


# --- The key in the schema ---

class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """The key in the OpenAPI schema, as an HTTP bearer scheme."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An API key made by an administrator on the API keys page."}


# --- Problem details (RFC 9457) -------------------------------------------------------------

class ApiProblem(exceptions.APIException):
    """An error with a problem type of our own and, for a batch, `errors`: one entry per
    problem, each with the index of its record."""

    def __init__(self, *, status: int, detail: str, problem_type: str, title: str, errors: list | None = None):
        self.status_code = status
        self.problem_type, self.title, self.errors = problem_type, title, errors
        super().__init__(detail=detail)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _field_errors(data, field: str = "") -> list[dict]:
    """A serializer's errors as a flat list of {field, detail}."""
    if isinstance(data, dict):
        return [error for name, value in data.items()
                for error in _field_errors(value, f"{field}.{name}" if field else str(name))]
    if isinstance(data, list):
        return [error for value in data for error in _field_errors(value, field)]
    return [{"field": field or None, "detail": str(data)}]


def problem(status: int, detail: str, *, problem_type: str = "about:blank", title: str = "",
            **extra) -> dict:
    """The body of a problem details answer."""
    return {"type": problem_type, "title": title or _title(status), "status": status, "detail": detail, **extra}


def problem_exception_handler(exc, context):
    """settings.REST_FRAMEWORK's EXCEPTION_HANDLER: every error as problem details. An
    unexpected exception is logged and answers 500 with nothing of its inside, and the
    request's transaction is rolled back as it would be had it propagated."""
    response = exception_handler(exc, context)
    if response is None:
        log.error("API request failed", exc_info=exc)
        set_rollback()
        response = Response(status=500)
        response.data = problem(500, _("Something went wrong on our side; nothing was changed. Try again later."))
    elif isinstance(exc, ApiProblem):
        response.data = problem(exc.status_code, str(exc.detail), problem_type=exc.problem_type, title=exc.title,
                                **({"errors": exc.errors} if exc.errors is not None else {}))
    elif response.status_code == 404:
        # The same words whatever was asked for: outside a key's scope is "not found".
        response.data = problem(404, _("Nothing is here, or nothing this key may see."))
    elif isinstance(response.data, dict) and set(response.data) == {"detail"}:
        response.data = problem(response.status_code, str(response.data["detail"]))
    else:
        response.data = problem(response.status_code, _("Some fields are not valid."),
                                errors=_field_errors(response.data))
    renderer = getattr(context.get("request"), "accepted_renderer", None)
    if renderer is None or renderer.format == "json":  # the browsable API's page stays HTML
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def api_not_found(request, *args, **kwargs):
    """Any address under /api/ that is no endpoint: 404 as problem details."""
    return JsonResponse(problem(404, _("Nothing is here, or nothing this key may see.")), status=404,
                        content_type=PROBLEM_CONTENT_TYPE)


def api_docs(request):
    """How to use the API: keys, limits, problem types, and links to the schema and the
    browsable API. (drf-spectacular's Swagger and Redoc pages load their scripts from a
    CDN, which the Content-Security-Policy forbids.)"""
    return render(request, "surveys/api_docs.html", {
        "rate": settings.API_RATE_PER_KEY, "batch_max": f"{settings.API_BOOK_BATCH_MAX:,}"})


# --- The audit log --------------------------------------------------------------------------

class ApiRequestAuditMiddleware:
    """Each request made with an API key, in the audit log once answered: the key, the
    method, the path and the status (one INSERT); and the key's last use (an UPDATE at
    most once a minute). Outside the request's transaction, so that a request that failed
    and was rolled back counts too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        key = api_key_of(request)
        if key is not None:
            api_key_touch(key)
            audit_record("api_request", by=request.user, target=key, address=client_address(request) or None,
                         details={"method": request.method, "path": request.path[:500],
                                  "status": response.status_code})
        return response
