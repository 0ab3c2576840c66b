"""People correct an answer's themes on the answer's page and in the inbox (htmx, or a plain
form without JavaScript); the correction is kept and wins over the machine. Who may
correct: whoever may triage the answer (its owner, administrators); others who read it
get 403, and outside their scope 404."""

import pytest
from django.urls import reverse

from feedback.models import Theme, ThemeCorrection
from feedback.response_themes import response_theme_correct, response_theme_keys, response_themes_tag
from tests import factories

HX = {"HTTP_HX_REQUEST": "true"}


def _themes_url(response):
    return reverse("feedback:response_themes", args=[response.pk])


# --- Seeing them -----------------------------------------------------------------------

def test_the_answers_page_shows_its_themes_and_who_said_so(client, tagged):
    world = tagged
    response_theme_correct(response=world.response, theme=Theme.objects.get(key="price"), present=True,
                           by=world.am)
    client.force_login(world.am)
    body = client.get(reverse("response_detail", args=[world.response.pk])).content.decode()
    assert 'id="themes-h"' in body and f'id="themes-{world.response.pk}"' in body
    assert "Delivery<span class=\"visually-hidden\"> (suggested)</span>" in body
    assert "Price<span class=\"visually-hidden\"> (added by Anna Andersen)</span>" in body
    assert 'title="Added by Anna Andersen"' in body and "theme-machine" in body and "theme-person" in body
    assert 'aria-label="Remove theme Delivery"' in body and 'aria-label="Add theme Support"' in body
    assert 'aria-label="Add theme Delivery"' not in body  # only the themes it does not have yet


def test_theme_names_follow_the_language_of_the_page(client, tagged):
    client.force_login(tagged.am)
    body = client.get(reverse("response_detail", args=[tagged.response.pk]), HTTP_ACCEPT_LANGUAGE="da")
    body = body.content.decode()
    assert "Levering<span class=\"visually-hidden\"> (foreslået)</span>" in body
    assert "Fjern temaet Levering" in body and "Tilføj et tema" in body
    inbox = client.get(reverse("feedback:inbox"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Levering" in inbox and ">Tema<" in inbox  # the row and the filter


def test_each_inbox_row_shows_its_themes_with_the_controls(client, tagged):
    client.force_login(tagged.am)
    body = client.get(reverse("feedback:inbox")).content.decode()
    row = body[body.index(f'id="answer-{tagged.response.pk}"'):]
    row = row[: row.index("</li>\n", row.index("answer-actions"))]
    assert f'hx-post="{_themes_url(tagged.response)}"' in row and 'hx-target="#themes-' in row
    assert 'name="remove" value="delivery"' in row and 'name="add" value="price"' in row
    assert 'name="next" value="/inbox/"' in row


def test_readers_who_may_not_correct_see_the_themes_only(client, tagged):
    for user in (tagged.rm, tagged.director):
        client.force_login(user)
        for url in (reverse("response_detail", args=[tagged.response.pk]),
                    reverse("feedback:answers") + f"?account={tagged.account.pk}"):
            body = client.get(url).content.decode()
            assert "Delivery" in body and "(suggested)" in body, url
            assert "Remove theme" not in body and "Add a theme" not in body, url


def test_an_answer_without_a_reason_shows_no_theme_box(client, world):
    silent = factories.ResponseFactory(invitation__contact__account=world.account, score=10, reason="")
    client.force_login(world.am)
    body = client.get(reverse("response_detail", args=[silent.pk])).content.decode()
    assert "Add a theme" not in body and "No theme" not in body
    inbox = client.get(reverse("feedback:inbox")).content.decode()
    assert f'<div class="themes" id="themes-{silent.pk}"></div>' in inbox


# --- Correcting them -------------------------------------------------------------------

def test_without_javascript_a_correction_redirects_back_and_wins(client, tagged):
    world = tagged
    client.force_login(world.am)
    here = reverse("feedback:inbox") + "?category=detractor"
    response = client.post(_themes_url(world.response), {"remove": "delivery", "next": here})
    assert response.status_code == 302 and response["Location"] == here
    response = client.post(_themes_url(world.response), {"add": "support", "next": here})
    assert response.status_code == 302 and response["Location"] == here
    assert response_theme_keys(world.response.pk) == ["support"]
    assert {(c.theme.key, c.present, c.by_id) for c in ThemeCorrection.objects.all()} == {
        ("delivery", False, world.am.pk), ("support", True, world.am.pk)}
    response_themes_tag(response_id=world.response.pk)  # the worker tags it again: the person wins
    assert response_theme_keys(world.response.pk) == ["support"]
    body = client.get(here).content.decode()
    assert "Theme “Support” added." in body
    assert 'name="remove" value="support"' in body and 'name="add" value="delivery"' in body


def test_without_next_the_correction_returns_to_the_answers_page(client, tagged):
    client.force_login(tagged.am)
    response = client.post(_themes_url(tagged.response), {"remove": "delivery", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("response_detail", args=[tagged.response.pk])
    assert response_theme_keys(tagged.response.pk) == []


def test_with_htmx_the_themes_come_back_in_place(client, tagged):
    client.force_login(tagged.am)
    response = client.post(_themes_url(tagged.response), {"add": "price", "next": "/inbox/"}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith(f'<div class="themes" id="themes-{tagged.response.pk}">') and "<html" not in body
    assert "Price<span class=\"visually-hidden\"> (added by Anna Andersen)</span>" in body
    assert 'name="next" value="/inbox/"' in body and 'aria-label="Add theme Price"' not in body
    response = client.post(_themes_url(tagged.response), {"remove": "delivery", "next": "/inbox/"}, **HX)
    assert response.status_code == 200 and "Remove theme Delivery" not in response.content.decode()
    assert response_theme_keys(tagged.response.pk) == ["price"]


@pytest.mark.parametrize("data", [
    {"add": "nonsense"}, {"remove": ""}, {}, {"add": "x" * 5000}, {"add": "billing"},  # billing switched off
])
def test_a_theme_that_is_not_in_use_is_refused_never_a_500(client, tagged, data):
    Theme.objects.filter(key="billing").update(active=False)
    client.force_login(tagged.am)
    plain = client.post(_themes_url(tagged.response), {**data, "next": "/inbox/"}, follow=True)
    assert plain.status_code == 200 and "That theme is not in use" in plain.content.decode()
    fragment = client.post(_themes_url(tagged.response), {**data, "next": "/inbox/"}, **HX)
    assert fragment.status_code == 200 and 'role="alert"' in fragment.content.decode()
    assert not ThemeCorrection.objects.exists()
    assert response_theme_keys(tagged.response.pk) == ["delivery"]


def test_a_theme_switched_off_can_still_be_removed(client, tagged):
    response_theme_correct(response=tagged.response, theme=Theme.objects.get(key="billing"), present=True,
                           by=tagged.am)
    Theme.objects.filter(key="billing").update(active=False)
    client.force_login(tagged.am)
    body = client.get(reverse("response_detail", args=[tagged.response.pk])).content.decode()
    assert "Remove theme Billing" in body and "Add theme Billing" not in body
    assert client.post(_themes_url(tagged.response), {"remove": "billing"}).status_code == 302
    assert response_theme_keys(tagged.response.pk) == ["delivery"]


def test_corrections_must_be_posted(client, tagged):
    client.force_login(tagged.am)
    assert client.get(_themes_url(tagged.response)).status_code == 405


# Whoever may triage the answer corrects its themes: its owner and administrators. Others who
# read it (the RM of its region, the director) may not (403); outside their scope, 404.
PERMISSIONS = [
    ("am", "response", 302), ("other_am", "response", 404), ("rm", "response", 403),
    ("far_rm", "response", 404), ("director", "response", 403), ("admin", "response", 302),
    ("am", "far_response", 404), ("far_am", "far_response", 302),
]


@pytest.mark.parametrize("headers", [{}, HX], ids=["form", "htmx"])
@pytest.mark.parametrize("role,answer,status", PERMISSIONS, ids=[f"{p[0]}-{p[1]}" for p in PERMISSIONS])
def test_who_may_correct(client, tagged, role, answer, status, headers):
    response = getattr(tagged, answer)
    client.force_login(getattr(tagged, role))
    got = client.post(_themes_url(response), {"add": "price", "next": "/inbox/"}, **headers)
    expected = 200 if status == 302 and headers else status
    assert got.status_code == expected
    assert ThemeCorrection.objects.filter(response=response).exists() == (status == 302)


def test_an_rm_who_owns_the_account_corrects_its_answers(client, tagged):
    tagged.account.owner = tagged.rm
    tagged.account.save()
    client.force_login(tagged.rm)
    assert client.post(_themes_url(tagged.response), {"add": "price"}).status_code == 302
    assert response_theme_keys(tagged.response.pk) == ["price", "delivery"]


def test_the_answer_page_reads_its_themes_in_one_query(client, tagged, max_queries):
    for key in ("price", "support", "product"):
        response_theme_correct(response=tagged.response, theme=Theme.objects.get(key=key), present=True,
                               by=tagged.am)
    client.force_login(tagged.am)
    url = reverse("response_detail", args=[tagged.response.pk])
    client.get(url)
    with max_queries(40) as captured:
        client.get(url)
    assert sum("feedback_responsetheme" in q["sql"] for q in captured.captured_queries) == 1
