"""What every endpoint of the REST API shares: the schema and docs, problem details for
every error, the limit per key, 404 for any other address under /api/."""

import json

import pytest
import yaml
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.exceptions import NotFound

from surveys.api_foundation import problem_exception_handler
from tests.surveys.api_client import get, is_problem, key_for, post_json


def test_the_schema_is_valid_openapi_3_and_public(client, db):
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)  # drf-spectacular's check against the OpenAPI 3 JSON schema
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/book/batches", "/api/v1/book/accounts/deactivate"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer", "description": "An API key made by an administrator on the API keys page."}
    as_json = client.get("/api/v1/schema?format=json")
    assert json.loads(as_json.content)["paths"].keys() == schema["paths"].keys()


def test_the_schema_ignores_a_bad_key(client, db):
    assert client.get("/api/v1/schema", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 200


def test_the_docs_page_links_the_schema(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert reverse("api_schema").encode() in response.content
    assert b'id="problem-invalid-records"' in response.content


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/book/batches", "/api/", "/api/v1/book/batches/"])
def test_any_other_address_under_api_is_a_404_problem(client, db, path):
    is_problem(client.get(path), 404)


def test_a_method_not_allowed_is_a_problem(client, admin_user):
    token = key_for(admin_user, by=admin_user)[1]
    body = is_problem(get(client, "/api/v1/book/batches", token, HTTP_ACCEPT="application/json"), 405)
    assert body["type"] == "about:blank" and body["title"] == "Method Not Allowed"


def test_requests_beyond_the_key_s_rate_answer_429(client, admin_user, am, settings):
    settings.API_RATE_PER_KEY = "3/m"
    token = key_for(admin_user, by=admin_user)[1]
    for _ in range(3):
        assert post_json(client, "/api/v1/book/batches", {"records": []}, token).status_code == 400
    response = post_json(client, "/api/v1/book/batches", {"records": []}, token)
    is_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    # Another key has a count of its own.
    other = key_for(am, by=admin_user, name="Other")[1]
    is_problem(post_json(client, "/api/v1/book/batches", {"records": []}, other), 404)


def test_an_unexpected_error_is_a_500_problem_that_tells_nothing(rf, caplog):
    response = problem_exception_handler(RuntimeError("secret inside"), {"request": None})
    assert response.status_code == 500
    assert response.data["status"] == 500 and "secret" not in json.dumps(response.data)
    assert response.content_type == "application/problem+json"  # the header, once rendered
    assert "API request failed" in caplog.text


def test_a_not_found_says_the_same_whatever_was_asked(rf):
    response = problem_exception_handler(NotFound("No Account matches the given query."), {"request": None})
    assert "Account" not in response.data["detail"]


def test_signed_in_staff_use_the_browsable_api(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/v1/book/batches", HTTP_ACCEPT="text/html")
    assert response.status_code == 405 and response["Content-Type"].startswith("text/html")
    assert b"Upsert accounts and contacts" in response.content or b"Book Batch" in response.content
