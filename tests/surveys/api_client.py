"""Helpers for the API's tests: a key made as an administrator would, and requests with it."""

import json

from surveys.api_keys import api_key_create
from surveys.models import ApiKey


def key_for(user, *, by, scope=ApiKey.Scope.ACT_AS, name="CRM sync"):
    """(key, secret) acting as `user` (or reading everything, scope read_only), made by `by`."""
    return api_key_create(name=name, scope=scope, acts_as=user if scope == ApiKey.Scope.ACT_AS else None, by=by)


def post_json(client, url, body, token=None, **extra):
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **extra)


def get(client, url, token=None, **extra):
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(url, **extra)


def is_problem(response, status):
    """The answer is RFC 9457 problem details with `status`; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = json.loads(response.content)
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body
