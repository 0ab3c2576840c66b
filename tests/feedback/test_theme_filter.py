"""The answers list, the inbox and the CSV export filter by theme (`?theme=<key>`; a bad key
is a filter error, as with the other filters), the export carries a `themes` column,
and the pages' query counts stay flat with the themes shown."""

import csv
import io

import pytest
from django.template import Context, Template
from django.urls import reverse

from feedback.models import ResponseTheme, Theme
from feedback.response_themes import response_theme_correct, response_themes_tag
from tests import factories


def _export(client, query=""):
    response = client.get(reverse("feedback:answers_export") + query)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- The answers list, the inbox and the export by theme ---------------------------------

def test_the_answers_list_and_the_inbox_filter_by_theme(client, tagged):
    world = tagged
    priced = factories.ResponseFactory(invitation__contact__account=world.account, score=6, reason="Far too expensive")
    response_themes_tag(response_id=priced.pk)
    client.force_login(world.am)
    for name in ("feedback:answers", "feedback:inbox"):
        body = client.get(reverse(name) + "?theme=price").content.decode()
        assert f'id="answer-{priced.pk}"' in body and f'id="answer-{world.response.pk}"' not in body, name
        assert '<option value="price" selected>Price</option>' in body, name
    body = client.get(reverse("feedback:answers") + "?theme=delivery").content.decode()
    assert f'id="answer-{world.response.pk}"' in body and f'id="answer-{priced.pk}"' not in body
    assert 'href="/answers/export.csv?theme=delivery"' in body  # the export takes the filter along
    # A person's word counts: adding price to the late delivery brings it into the list.
    response_theme_correct(response=world.response, theme=Theme.objects.get(key="price"), present=True, by=world.am)
    body = client.get(reverse("feedback:answers") + "?theme=price").content.decode()
    assert f'id="answer-{world.response.pk}"' in body


@pytest.mark.parametrize("value", ["nonsense", "PRICE", "price;delivery", "%00", "x" * 3000])
def test_a_bad_theme_is_a_clear_filter_error(client, tagged, value):
    client.force_login(tagged.am)
    for name in ("feedback:answers", "feedback:inbox"):
        response = client.get(reverse(name), {"theme": value})
        body = response.content.decode()
        assert response.status_code == 200 and "not understood" in body and "theme:" in body, name
        assert f'id="answer-{tagged.response.pk}"' in body, name  # the bad filter is ignored
    refused = client.get(reverse("feedback:answers_export"), {"theme": value})
    assert refused.status_code == 400 and "theme" in refused.content.decode()


def test_a_theme_switched_off_still_filters(client, tagged):
    Theme.objects.filter(key="delivery").update(active=False)
    client.force_login(tagged.am)
    body = client.get(reverse("feedback:answers") + "?theme=delivery").content.decode()
    assert "not understood" not in body and f'id="answer-{tagged.response.pk}"' in body


def test_the_export_carries_the_themes_and_filters_by_them(client, tagged):
    world = tagged
    both = factories.ResponseFactory(invitation__contact__account=world.account, score=4,
                                     reason="Late deliveries and the prices went up")
    response_themes_tag(response_id=both.pk)
    client.force_login(world.am)
    rows = _export(client)
    assert rows[0][-1] == "themes" and len(rows[0]) == len(rows[1])
    themes = {int(row[0]): row[-1] for row in rows[1:]}
    assert themes == {world.response.pk: "delivery", both.pk: "price;delivery"}
    rows = _export(client, "?theme=price")
    assert [(int(row[0]), row[-1]) for row in rows[1:]] == [(both.pk, "price;delivery")]
    # Answers without a theme: an empty cell.
    response_theme_correct(response=world.response, theme=Theme.objects.get(key="delivery"), present=False,
                           by=world.am)
    assert {int(row[0]): row[-1] for row in _export(client)[1:]}[world.response.pk] == ""


def test_the_export_reads_the_themes_once_per_chunk(client, tagged, max_queries, monkeypatch):
    from feedback import answer_lists

    monkeypatch.setattr(answer_lists, "EXPORT_CHUNK", 3)
    for i in range(7):
        answer = factories.ResponseFactory(invitation__contact__account=tagged.account, score=i,
                                           reason="The invoices are wrong")
        response_themes_tag(response_id=answer.pk)
    client.force_login(tagged.am)
    with max_queries(12) as captured:
        rows = _export(client)
    theme_reads = [q for q in captured.captured_queries if "feedback_responsetheme" in q["sql"]]
    assert len(theme_reads) == 3  # 8 answers in chunks of 3
    assert len(rows) == 9 and sum(row[-1] == "billing" for row in rows[1:]) == 7


def test_answers_url_links_to_a_theme(tagged):
    rendered = Template(
        "{% load pulse_feedback %}{% answers_url base theme='delivery' %}|{% answers_url base theme=None %}"
    ).render(Context({"base": {"category": "detractor", "theme": "price"}}))
    assert rendered == "/answers/?category=detractor&amp;theme=delivery|/answers/?category=detractor"


# --- Query counts: the same with 5 answers as with 50 -----------------------------------

def _answers_with_themes(world, n):
    """n answers on the AM's account, tagged, some of them corrected by a person."""
    reasons = ["Late deliveries", "Too expensive and invoices wrong", "Nobody answers the phone", "All good", ""]
    scores = [2, 10, 7, 4, 9]  # in the inbox: pinned detractors and the rest, from the first five on
    for i in range(n):
        answer = factories.ResponseFactory(invitation__contact__account=world.account, score=scores[i % 5],
                                           reason=reasons[i % len(reasons)])
        response_themes_tag(response_id=answer.pk)
        if i % 4 == 0:
            response_theme_correct(response=answer, theme=Theme.objects.get(key="product"), present=True,
                                   by=world.am)


PAGES = [
    ("am", "feedback:inbox", ""),
    ("am", "feedback:inbox", "?theme=delivery"),
    ("am", "feedback:answers", ""),
    ("am", "feedback:answers", "?theme=product&category=detractor"),
    ("director", "feedback:answers", "?theme=delivery"),
    ("am", "feedback:answers_export", ""),
    ("am", "feedback:answers_export", "?theme=billing"),
]


@pytest.mark.parametrize("role,name,query", PAGES, ids=[f"{p[0]}-{p[1]}{p[2]}" for p in PAGES])
def test_query_counts_stay_flat_with_themes(client, tagged, max_queries, role, name, query):
    world = tagged
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(getattr(world, role))
    url = reverse(name) + query

    def get():
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
        return response

    _answers_with_themes(world, 5)
    with CaptureQueriesContext(connection) as small:
        get()
    _answers_with_themes(world, 45)
    assert ResponseTheme.objects.filter(response__account=world.account).count() > 40
    with max_queries(len(small.captured_queries)):
        get()
