"""The taxonomy page: administrators only (404 for everyone else), the themes with links to
their admin pages, the classifier's measured precision and recall, the groups of reasons
no theme covers made a theme in one step or dismissed; a flat query count; Danish."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import Theme, ThemeCandidate, TrainedClassifier
from feedback.theme_defaults import default_themes_create
from tests import factories

URL = "/themes/"


@pytest.fixture(autouse=True)
def default_themes(db):
    default_themes_create(Theme)


def _candidate(words=("plastic", "wrapping"), examples=5):
    responses = [factories.ResponseFactory(reason=f"Too much {words[0]} {i}", answered_at=timezone.now()
                                           - timedelta(days=3)) for i in range(examples)]
    return ThemeCandidate.objects.create(words=[[word, "en"] for word in words],
                                         response_ids=[r.pk for r in responses], size=12, reasons_grouped=40)


def _trained():
    figures = {"precision": 0.9, "recall": 0.55, "f1": 0.68, "tp": 11, "fp": 1, "fn": 9}
    return TrainedClassifier.objects.create(
        model=b"x", library_version="1.9.1", examples_shipped=445, examples_corrected=7, combination="rules",
        metrics={"folds": 5, "classifier": {"delivery": figures, "price": {**figures, "recall": 0.25}},
                 "examples": {"delivery": {"with": 77, "without": 375}, "price": {"with": 58, "without": 394}}})


def test_urls():
    assert reverse("feedback:themes") == URL
    assert reverse("feedback:candidate_theme", args=[3]) == "/themes/candidates/3/theme/"
    assert reverse("feedback:candidate_dismiss", args=[3]) == "/themes/candidates/3/dismiss/"


@pytest.mark.parametrize("role", ["am", "rm", "director"])
def test_only_administrators_see_the_page_and_decide(client, role, request):
    user = request.getfixturevalue(role)
    candidate = _candidate()
    client.force_login(user)
    assert client.get(URL).status_code == 404
    assert client.post(reverse("feedback:candidate_theme", args=[candidate.pk])).status_code == 404
    assert client.post(reverse("feedback:candidate_dismiss", args=[candidate.pk])).status_code == 404
    candidate.refresh_from_db()
    assert candidate.status == "open" and Theme.objects.count() == 8


def test_signed_out_is_sent_to_sign_in(client):
    assert client.get(URL).status_code == 302


def test_the_page_lists_the_themes_and_what_the_classifier_measured(client, admin_user):
    _trained()
    Theme.objects.filter(key="billing").update(active=False)
    client.force_login(admin_user)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    delivery = Theme.objects.get(key="delivery")
    assert reverse("admin:feedback_theme_change", args=[delivery.pk]) in html
    assert "Delivery" in html and "Levering" in html
    signals = len(delivery.signals_en.splitlines()) + len(delivery.signals_da.splitlines())
    assert f'data-label="Signals">{signals}<' in html.replace("\n", "")
    assert "90%" in html and "55%" in html and "25%" in html and "77 examples" in html
    assert html.count("not learned") == 6  # the themes without figures
    assert "off</span>" in html  # billing is switched off
    assert "445 labelled reasons" in html and "7 answers people" in html
    assert "Tagging uses the rules alone" in html


def test_the_page_without_a_classifier_or_groups(client, admin_user):
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert "Not trained yet" in html and "No groups to look at" in html


def test_groups_show_their_words_and_examples_and_become_a_theme_in_one_step(client, admin_user):
    candidate = _candidate()
    erased = factories.ResponseFactory(reason="")
    candidate.response_ids.append(erased.pk)
    candidate.save()
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert "plastic, wrapping" in html and "12 reasons" in html
    assert html.count("Too much plastic") == 5
    assert reverse("response_detail", args=[candidate.response_ids[0]]) in html

    made = client.post(reverse("feedback:candidate_theme", args=[candidate.pk]))
    theme = Theme.objects.get(key="plastic")
    assert made.status_code == 302 and made["Location"] == reverse("admin:feedback_theme_change", args=[theme.pk])
    assert not theme.active and theme.signals_en == "plastic\nwrapping"
    # The admin's edit page opens with it, and the group is no longer open.
    assert client.get(made["Location"]).status_code == 200
    assert "plastic, wrapping" not in client.get(URL).content.decode()
    assert client.post(reverse("feedback:candidate_theme", args=[candidate.pk])).status_code == 404
    assert client.get(reverse("feedback:candidate_theme", args=[candidate.pk])).status_code == 405


def test_a_group_is_dismissed(client, admin_user):
    candidate = _candidate()
    client.force_login(admin_user)
    done = client.post(reverse("feedback:candidate_dismiss", args=[candidate.pk]), follow=True)
    assert done.redirect_chain == [(URL, 302)]
    assert "Group dismissed" in done.content.decode()
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == ("dismissed", admin_user)
    assert Theme.objects.count() == 8


def test_the_query_count_stays_flat(client, admin_user):
    client.force_login(admin_user)
    _candidate()
    client.get(URL)  # the first request of a session may write it
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    _trained()
    for i in range(6):
        _candidate(words=(f"word{i}", "other"))
    Theme.objects.create(key="extra", name_en="Extra", name_da="Ekstra", signals_en="a\nb")
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 12, "\n".join(
        query["sql"] for query in many.captured_queries)


def test_the_page_in_danish(client, admin_user):
    _trained()
    _candidate()
    client.force_login(admin_user)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="da").content.decode()
    for danish in ("Temaer", "Klassifikatoren", "Nye temaer fundet", "Gør det til et tema", "Afvis",
                   "Klassifikatorens præcision", "Mærkningen bruger reglerne alene"):
        assert danish in html, danish
