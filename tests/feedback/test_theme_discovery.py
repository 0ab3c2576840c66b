"""New themes found: the recent reasons no theme covers are grouped into candidate themes
with their telling words and five examples; an administrator makes one a theme in one step
or dismisses it, and a decided group is not suggested again."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.celery import app
from feedback.models import ResponseTheme, Theme, ThemeCandidate
from feedback.tasks import new_themes_find as new_themes_find_task
from feedback.theme_candidates import candidate_dismiss, candidate_theme_create
from feedback.theme_defaults import default_themes_create
from feedback.theme_discovery import new_themes_find, uncovered_reasons
from feedback.themes import taxonomy_current
from tests import factories
from tests.feedback.untagged_reasons import NOTHING_SAID, TOPICS

NOW = timezone.now()


@pytest.fixture(autouse=True)
def default_themes(db):
    default_themes_create(Theme)


@pytest.fixture
def uncovered(db):
    """The seeded reasons, answered last month, untagged: response id -> topic."""
    topic_of = {}
    for topic, reasons in [*TOPICS.items(), ("nothing", NOTHING_SAID)]:
        for text, language in reasons:
            response = factories.ResponseFactory(reason=text, language=language, score=6,
                                                 answered_at=NOW - timedelta(days=30))
            topic_of[response.pk] = topic
    return topic_of


def test_the_seeded_reasons_are_not_covered_by_the_default_themes():
    current = taxonomy_current()
    for reasons in TOPICS.values():
        for text, language in reasons:
            assert current.theme_keys(text, language) == [], text


def test_only_recent_counted_untagged_reasons_are_read(uncovered):
    old = factories.ResponseFactory(reason="Plastic wrapping again", answered_at=NOW - timedelta(days=200))
    suspect = factories.ResponseFactory(reason="Plastic wrapping again", answered_at=NOW, suspect=True)
    tagged = factories.ResponseFactory(reason="Plastic wrapping and late deliveries", answered_at=NOW)
    ResponseTheme.objects.create(response=tagged, theme=Theme.objects.get(key="delivery"), source="rules")
    future = factories.ResponseFactory(reason="Plastic wrapping again", answered_at=NOW + timedelta(days=1))
    empty = factories.ResponseFactory(reason="", answered_at=NOW)
    read = {response_id for response_id, _, _ in uncovered_reasons(now=NOW)}
    assert read == set(uncovered)
    assert not read & {old.pk, suspect.pk, tagged.pk, future.pk, empty.pk}


def test_discovery_groups_the_untagged_reasons_by_topic(uncovered):
    candidates = new_themes_find(now=NOW)
    assert 3 <= len(candidates) <= 8
    topics_found = set()
    for candidate in candidates:
        topics = {uncovered[pk] for pk in candidate.response_ids}
        assert len(topics) == 1, (candidate.words, topics)  # each group is one topic
        assert "nothing" not in topics  # "no comment" and the like are never grouped
        assert len(candidate.response_ids) == 5 and candidate.size >= 5
        assert 1 <= len(candidate.words) <= 8
        assert candidate.reasons_grouped == sum(len(reasons) for reasons in TOPICS.values())
        topics_found |= topics
    assert topics_found == set(TOPICS)
    words = {word for candidate in candidates for word in candidate.words_shown}
    assert {"plastic", "plastik"} & words and {"course", "training", "kurset", "kursus"} & words
    assert {"climate", "klimarapporten", "klimarapport", "figures"} & words
    assert [c.size for c in candidates] == sorted((c.size for c in candidates), reverse=True)


def test_too_few_reasons_make_no_groups(db):
    for text, language in TOPICS["plastic"][:8]:
        factories.ResponseFactory(reason=text, language=language, answered_at=NOW - timedelta(days=3))
    assert new_themes_find(now=NOW) == []


def test_a_run_replaces_the_open_groups_and_skips_decided_ones(uncovered, admin_user):
    first = new_themes_find(now=NOW)
    dismissed, adopted = first[0], first[1]
    candidate_dismiss(candidate=dismissed, by=admin_user)
    candidate_theme_create(candidate=adopted, by=admin_user)
    again = new_themes_find(now=NOW + timedelta(days=30))
    assert ThemeCandidate.objects.filter(status="open").count() == len(again) == len(first) - 2
    shown = {tuple(candidate.words_shown) for candidate in again}
    assert tuple(dismissed.words_shown) not in shown and tuple(adopted.words_shown) not in shown
    assert ThemeCandidate.objects.filter(status__in=["dismissed", "adopted"]).count() == 2


def test_making_a_group_a_theme_fills_in_the_theme_switched_off(uncovered, admin_user):
    candidate = next(c for c in new_themes_find(now=NOW) if "plastic" in c.words_shown)
    theme = candidate_theme_create(candidate=candidate, by=admin_user)
    assert not theme.active and not theme.built_in
    assert theme.key == "plastic" and theme.name_en == theme.name_da == "Plastic"
    assert "plastic" in theme.signals_en.splitlines()
    assert "plastic" not in theme.signals_da.splitlines()
    assert theme.description_en.startswith("Found among the reasons no theme covered: plastic")
    assert theme.description_da.startswith("Fundet blandt de begrundelser, intet tema dækkede: plastic")
    assert theme.position > Theme.objects.exclude(pk=theme.pk).order_by("-position").first().position
    candidate.refresh_from_db()
    assert (candidate.status, candidate.theme, candidate.decided_by) == ("adopted", theme, admin_user)
    # Twice is once; another group with the same first word gets a key of its own.
    assert candidate_theme_create(candidate=candidate, by=admin_user) == theme
    other = ThemeCandidate.objects.create(words=[["plastic", "en"]], response_ids=[], size=5, reasons_grouped=9)
    assert candidate_theme_create(candidate=other, by=admin_user).key == "plastic-2"


def test_the_command_and_the_monthly_task(uncovered):
    out = io.StringIO()
    call_command("find_new_themes", "--months", "12", stdout=out)
    assert ThemeCandidate.objects.count() >= 3
    assert "groups found among 35 reasons without a theme (last 12 months)" in out.getvalue()
    entry = app.conf.beat_schedule["themes-find-new"]
    assert entry["task"] == "feedback.tasks.new_themes_find"
    assert entry["schedule"].day_of_month == {1}
    ThemeCandidate.objects.all().delete()
    new_themes_find_task.delay()
    assert ThemeCandidate.objects.count() >= 3
