"""Hostile query strings on the API's reads, as tests/reports/test_query_parameters.py
sends them to the pages: every endpoint x every parameter it reads x values nobody should
send. The answer is a 200, a 400 that names what is wrong or a 404, never a server error."""

import pytest
from rest_framework.test import APIClient

from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)
from tests.reports.test_query_parameters import HOSTILE, _join, _problems, _queries, hostile_world  # noqa: F401

ANSWERS = ["period", "region", "owner", "account", "category", "theme", "changed_since", "cursor", "page_size"]
CALLS = ["state", "overdue", "owner", "region", "cursor", "page_size"]
FIGURES = ["region", "owner", "account", "period"]

# (name, who, path(world), the parameters it reads)
ENDPOINTS = [
    ("answers", "director", lambda w: "/api/v1/answers", ANSWERS),
    ("answers of an am", "am", lambda w: "/api/v1/answers", ANSWERS),
    ("calls", "director", lambda w: "/api/v1/calls", CALLS),
    ("calls of an rm", "rm", lambda w: "/api/v1/calls", CALLS),
    ("figures", "director", lambda w: "/api/v1/figures", FIGURES),
    ("figures of an rm", "rm", lambda w: "/api/v1/figures", FIGURES),
]


def _answers(name, path):
    def check(response):
        if response.status_code not in (200, 400, 404):
            return f"{name}: {path[:160]!r} answered {response.status_code}"
        if response.status_code == 400 and not response.json():
            return f"{name}: {path[:160]!r}: a 400 that says nothing"
    return check


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_the_api_answers_hostile_parameters_without_a_server_error(hostile_world, endpoint):  # noqa: F811
    name, who, build, params = endpoint
    client = APIClient()
    client.force_authenticate(getattr(hostile_world, who))
    paths = [_join(build(hostile_world), query) for value in HOSTILE for query in _queries(params, value)]
    problems = [_problems(client, name, path, {}, _answers(name, path)) for path in paths]
    assert [p for p in problems if p] == []
