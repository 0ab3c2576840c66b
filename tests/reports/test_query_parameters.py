"""Hostile query strings: every page that reads the query string x every parameter it
reads x values nobody should send (huge, negative, zero, not a number, impossible
months, very long, NUL bytes, other scripts' digits, repeated). The answer is a page
(200), a redirect, a 400 that says what is wrong or a 404, never a server error; an
export is a whole CSV file or a 400, never a file cut off in the middle."""

import csv
import io
import uuid
from urllib.parse import quote

import pytest
from django.urls import URLResolver, get_resolver, reverse

from feedback.answer_lists import EXPORT_HEADER
from followups.services import call_queue_for_response
from surveys.tokens import invitation_token
from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)

HX = {"HTTP_HX_REQUEST": "true"}
FILTERS = ["category", "triage", "period", "month", "account", "owner", "region", "level", "reason", "suspect"]

# (name, who, path(world), the parameters it reads, headers)
PAGES = [
    ("inbox", "am", lambda w: reverse("feedback:inbox"), ["page", *FILTERS], {}),
    # The fragments render the same list as their pages, from the same filter.
    ("inbox fragment", "am", lambda w: reverse("feedback:inbox"), ["page", "month"],
     {**HX, "HTTP_HX_TARGET": "inbox-list"}),
    ("answers", "director", lambda w: reverse("feedback:answers"), ["page", *FILTERS], {}),
    ("answers fragment", "director", lambda w: reverse("feedback:answers"), ["page", "month"],
     {**HX, "HTTP_HX_TARGET": "answers-list"}),
    ("calls", "am", lambda w: reverse("followups:list"), ["page", "show"], {}),
    ("closed calls", "am", lambda w: reverse("followups:list") + "?show=closed", ["page"], {}),
    ("overdue calls", "rm", lambda w: reverse("followups:overdue"), ["page", "region", "am", "category", "sort"], {}),
    ("overdue calls of all", "director", lambda w: reverse("followups:overdue"),
     ["page", "region", "am", "category", "sort"], {}),
    ("region home", "rm", lambda w: reverse("reports:region_home"), ["period"], {}),
    ("region page", "rm", lambda w: reverse("reports:region_detail", args=[w.region.pk]), ["period"], {}),
    ("organisation", "director", lambda w: reverse("reports:org_home"), ["period"], {}),
    ("account page", "am", lambda w: reverse("account_detail", args=[w.account.pk]), ["period"], {}),
    ("answer link", None, lambda w: reverse("answer:answer", args=[invitation_token(w.invitation)]), ["score"], {}),
]

EXPORTS = [
    ("answers export", "director", lambda w: reverse("feedback:answers_export"), FILTERS),
    ("answers export of an am", "am", lambda w: reverse("feedback:answers_export"), FILTERS),
]

HOSTILE = [
    "100000000000000000000", "-100000000000000000000", "9223372036854775808", "-1", "0", "1.5", "1e5",
    "abc", "9999-12", "0000-00", "2026-13", "2026-00", "0001-01", "-2026-03", "2026-3-1",
    "9" * 5000, "x" * 10000, "\x00", "1\x00", "2026-03\x00", "\u0663", "\uff12\uff10\uff12\uff16-\uff10\uff13",
    "\u00f8\u00e6\u00e5", "\U0001f600", " ", "",
]


@pytest.fixture
def hostile_world(world, settings):  # noqa: F811
    """The feedback tests' world with a follow-up call on its detractor and an answer link,
    which the matrix opens more often than the rate limit lets a customer."""
    settings.ANSWER_RATE_NAMESPACE = uuid.uuid4().hex
    settings.ANSWER_RATE_PER_TOKEN = settings.ANSWER_RATE_PER_ADDRESS = "100000/m"
    call_queue_for_response(response_id=world.response.pk)
    world.invitation = world.far_response.invitation
    return world


def _query(pairs) -> str:
    return "&".join(f"{quote(name)}={quote(value)}" for name, value in pairs)


def _join(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


def _queries(params, value):
    """One parameter at a time, all at once, and all repeated (a harmless value first)."""
    queries = [_query([(name, value)]) for name in params]
    queries.append(_query([(name, value) for name in params]))
    queries.append(_query([pair for name in params for pair in ((name, "1"), (name, value))]))
    return list(dict.fromkeys(queries))  # one parameter: alone is all at once


def _sign_in(client, world, who):  # noqa: F811
    if who is not None:
        client.force_login(getattr(world, who))


def _problems(client, name, path, headers, check):
    """What is wrong with one request, or None: a server error is caught and named, so one
    run reports every bad URL of the page at once."""
    try:
        response = client.get(path, **headers)
        return check(response)
    except Exception as error:  # noqa: BLE001 - a server error is what the matrix looks for
        return f"{name}: {path[:160]!r} raised {type(error).__name__}: {str(error)[:160]}"


def _page_answers(name, path):
    def check(response):
        if response.status_code not in (200, 302, 400, 404):
            return f"{name}: {path[:160]!r} answered {response.status_code}"
    return check


@pytest.mark.parametrize("page", PAGES, ids=[p[0] for p in PAGES])
def test_pages_answer_hostile_parameters_without_a_server_error(client, hostile_world, page):
    name, who, build, params, headers = page
    _sign_in(client, hostile_world, who)
    paths = [_join(build(hostile_world), query) for value in HOSTILE for query in _queries(params, value)]
    problems = [_problems(client, name, path, headers, _page_answers(name, path)) for path in paths]
    assert [p for p in problems if p] == []


def _whole_csv(response) -> str | None:
    """Why the response is not a whole CSV file of the export's columns, or None."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    if not text.endswith("\n"):
        return "the file ends mid-line"
    rows = list(csv.reader(io.StringIO(text)))
    if rows[0] != EXPORT_HEADER or any(len(row) != len(EXPORT_HEADER) for row in rows):
        return "a row is cut or the header is not the export's"
    return None


def _export_answers(name, path):
    def check(response):
        where = f"{name}: {path[:160]!r}"
        if response.status_code == 404:  # a filter outside the user's scope: nothing of it is sent
            return None
        if response.status_code not in (200, 400):
            return f"{where} answered {response.status_code}"
        if "no-store" not in response.get("Cache-Control", ""):
            return f"{where} may be kept by a cache"
        if response.status_code == 200 and (cut := _whole_csv(response)):
            return f"{where}: {cut}"
    return check


@pytest.mark.parametrize("export", EXPORTS, ids=[e[0] for e in EXPORTS])
def test_exports_are_a_whole_file_or_a_400(client, hostile_world, export):
    name, who, build, params = export
    _sign_in(client, hostile_world, who)
    paths = [_join(build(hostile_world), query) for value in HOSTILE for query in _queries(params, value)]
    problems = [_problems(client, name, path, {}, _export_answers(name, path)) for path in paths]
    assert [p for p in problems if p] == []


def _url_names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from _url_names(pattern.url_patterns, prefix + namespace)
        elif pattern.name:
            yield prefix + pattern.name, str(pattern.pattern)


EXPORT_URL_NAMES = {"feedback:answers_export"}
# Downloads that hold none of the book's data: the import page's made-up sample file.
NOT_EXPORTS = {"surveys:customer_import_sample"}


def test_every_export_is_in_the_matrix():
    """A new download (a name or path saying export or .csv) joins EXPORTS above."""
    exports = {name for name, route in _url_names(get_resolver().url_patterns)
               if "export" in name or "export" in route or route.endswith(".csv")}
    assert exports - NOT_EXPORTS == EXPORT_URL_NAMES


@pytest.mark.parametrize("export", EXPORTS, ids=[e[0] for e in EXPORTS])
def test_exports_are_never_kept_by_a_cache(client, hostile_world, export):
    name, who, build, _params = export
    _sign_in(client, hostile_world, who)
    for query in ("", "?period=30d", "?month=nonsense"):
        response = client.get(build(hostile_world) + query)
        assert response.status_code in (200, 400), name
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], (name, query)
        if response.status_code == 200:
            assert response["Content-Disposition"].startswith("attachment;")
            assert _whole_csv(response) is None, (name, query)
