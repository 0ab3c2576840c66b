"""The themes' classifier: trained from the shipped labelled reasons and people's
corrections, measured by cross-validation and stored for every worker; used beside the
rules only when it adds to them; corrections win over it; the command, the scheduled task."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.celery import app
from feedback import classifier_store
from feedback.models import ResponseTheme, Theme, ThemeCorrection, ThemeSource, TrainedClassifier
from feedback.response_themes import response_theme_correct, response_theme_keys, response_themes_tag
from feedback.tasks import theme_classifier_retrain
from feedback.theme_classifier import Measured, classifier_fit
from feedback.theme_combination import UNION, Combination
from feedback.theme_defaults import DEFAULT_THEMES, default_themes_create
from feedback.theme_learning import CORRECTION_WEIGHT, theme_classifier_train, training_data
from feedback.themes import taxonomy_current
from tests import factories

KEYS = [theme["key"] for theme in DEFAULT_THEMES]


@pytest.fixture(autouse=True)
def default_themes(db):
    default_themes_create(Theme)
    classifier_store.classifier_forget()
    yield
    classifier_store.classifier_forget()


def _corrected(reason, key, present, by, language="en"):
    response = factories.ResponseFactory(reason=reason, language=language, score=4)
    ThemeCorrection.objects.create(response=response, theme=Theme.objects.get(key=key), present=present, by=by)
    return response


def _probability(classifier, text, key, language="en"):
    return classifier.probabilities([(text, language)])[0][key]


def test_training_data_is_the_shipped_set_and_what_people_said(am):
    _corrected("The Zebra scanners you sold us freeze every morning", "product", True, am)
    removed = _corrected("The invoice portal keeps logging us out", "billing", False, am)
    ThemeCorrection.objects.create(response=removed, theme=Theme.objects.get(key="ordering"), present=True, by=am)
    set_by_hand = factories.ResponseFactory(reason="Mette calls us back every time", score=9)
    ResponseTheme.objects.create(response=set_by_hand, theme=Theme.objects.get(key="relationship"),
                                 source=ThemeSource.PERSON, by=am)
    factories.ResponseFactory(reason="", score=3)  # an erased reason teaches nothing
    data = training_data()
    assert data.keys == KEYS
    assert data.shipped == 445 and data.corrected == 3
    shipped = data.examples[0]
    assert set(shipped.labels) == set(KEYS) and shipped.weight == 1.0
    corrected = data.examples[data.shipped:]
    assert [example.labels for example in corrected] == [
        {"product": True}, {"billing": False, "ordering": True}, {"relationship": True}]
    assert {example.weight for example in corrected} == {CORRECTION_WEIGHT}
    # What it learns from decides whether the scheduled training runs again.
    assert training_data().fingerprint == data.fingerprint
    _corrected("Too many boxes", "delivery", True, am)
    assert training_data().fingerprint != data.fingerprint


@pytest.mark.parametrize(("reason", "near", "key", "present"), [
    ("The Zebra scanners you sold us freeze every morning",
     "The Zebra scanners you sold us freeze every single morning", "product", True),
    ("The invoice portal keeps logging us out", "The invoice portal keeps logging us out!", "billing", False),
])
def test_a_correction_flips_the_classifier_for_a_near_identical_reason(am, reason, near, key, present):
    before = classifier_fit(training_data().examples, KEYS)
    _corrected(reason, key, present, am)
    after = classifier_fit(training_data().examples, KEYS)
    assert (_probability(before, near, key) >= 0.5) is not present
    assert (_probability(after, near, key) >= 0.5) is present


def test_training_measures_each_theme_and_stores_the_model_for_every_worker(am):
    _corrected("The Zebra scanners you sold us freeze every morning", "product", True, am)
    trained = theme_classifier_train()
    assert TrainedClassifier.objects.get() == trained
    assert trained.examples_shipped == 445 and trained.examples_corrected == 1
    assert trained.library_version and trained.data_fingerprint and len(bytes(trained.model)) > 10_000
    metrics = trained.metrics
    assert metrics["folds"] == 5
    assert set(metrics["classifier"]) == set(KEYS)
    for key in KEYS:
        figures = metrics["classifier"][key]
        assert 0 < figures["precision"] <= 1 and 0 < figures["recall"] <= 1
        assert figures["tp"] + figures["fn"] == metrics["examples"][key]["with"]
    assert metrics["examples"]["product"]["with"] == 62  # 61 shipped, 1 corrected
    assert 0 < metrics["micro_f1"]["classifier"] < metrics["micro_f1"]["rules"]
    # On the set the rules were written from, the classifier adds nothing to them: the
    # rules alone tag, and a worker does not even load the model.
    assert (trained.combination, metrics["combination"]["mode"]) == ("rules", "rules")
    assert metrics["candidates"]["rules"] >= max(metrics["candidates"].values()) - 0.005
    stored = classifier_store.classifier_current()
    assert (stored.pk, stored.classifier, stored.combination.uses_classifier) == (trained.pk, None, False)


def _stored_union(threshold=0.5):
    """A classifier stored as if cross-validation had found that the union helps."""
    data = training_data()
    combination = Combination(UNION, threshold)
    measured = Measured(classifier={}, rules={}, combined={}, combination=combination, candidates={}, examples={})
    return classifier_store.classifier_save(
        classifier=classifier_fit(data.examples, data.keys), measured=measured, now=timezone.now(),
        examples_shipped=data.shipped, examples_corrected=data.corrected, data_fingerprint="", seconds=0.0)


def test_the_classifier_adds_themes_beside_the_rules_and_corrections_still_win(am):
    # Taught by a correction: scanners freezing is about the product, which no rule says.
    _corrected("The Zebra scanners you sold us freeze every morning", "product", True, am)
    _stored_union()
    answer = factories.ResponseFactory(
        reason="The Zebra scanners you sold us freeze every single morning, and the invoices are wrong", score=3)
    assert response_themes_tag(response_id=answer.pk) == ["product", "billing"]
    sources = dict(ResponseTheme.objects.filter(response=answer).values_list("theme__key", "source"))
    assert sources == {"product": "classifier", "billing": "rules"}
    # A person removes the classifier's theme and adds one: tagged again, their word stands.
    product, support = Theme.objects.get(key="product"), Theme.objects.get(key="support")
    response_theme_correct(response=answer, theme=product, present=False, by=am)
    response_theme_correct(response=answer, theme=support, present=True, by=am)
    assert response_themes_tag(response_id=answer.pk) == ["support", "billing"]
    assert ResponseTheme.objects.get(response=answer, theme=support).source == "person"
    # A theme switched off is not given by the classifier either.
    other = factories.ResponseFactory(reason="The Zebra scanners you sold us freeze every single morning", score=3)
    assert response_themes_tag(response_id=other.pk) == ["product"]
    product.active = False
    product.save()
    assert response_themes_tag(response_id=other.pk) == []
    # The same tagger for the CSV command.
    product.active = True
    product.save()
    assert taxonomy_current().theme_keys("The Zebra scanners you sold us freeze every single morning", "en") == [
        "product"]


def test_empty_and_nothing_said_reasons_get_no_theme_from_the_classifier(am):
    _stored_union(threshold=0.5)
    current = taxonomy_current()
    assert current.themes_found([("", "en"), ("   ", "da"), ("All good", "en"), ("Ingen kommentarer", "da")]) == [
        {}, {}, {}, {}]


def test_a_model_of_another_scikit_learn_version_is_not_used(am, caplog):
    _corrected("The Zebra scanners you sold us freeze every morning", "product", True, am)
    stored = _stored_union()
    TrainedClassifier.objects.filter(pk=stored.pk).update(library_version="0.1")
    current = taxonomy_current()
    assert current.classifier is None and not current.combination.uses_classifier
    assert "not used" in caplog.text
    assert current.theme_keys("The Zebra scanners you sold us freeze every single morning", "en") == []


def test_only_the_last_trainings_are_kept():
    for _ in range(classifier_store.KEEP + 2):
        newest = _stored_union()
    assert TrainedClassifier.objects.count() == classifier_store.KEEP
    assert TrainedClassifier.objects.order_by("-pk").first() == newest


def test_the_command_trains_and_says_what_it_measured():
    out = io.StringIO()
    call_command("train_theme_classifier", stdout=out)
    trained = TrainedClassifier.objects.get()
    text = out.getvalue()
    assert f"Trained classifier {trained.pk}" in text and "445 shipped reasons and 0 corrected answers" in text
    assert "Tagging uses the rules alone" in text
    for key in KEYS:
        assert key in text


def test_the_scheduled_training_runs_when_there_is_something_new_to_learn(am):
    entry = app.conf.beat_schedule["themes-classifier-train"]
    assert entry["task"] == "feedback.tasks.theme_classifier_retrain"
    theme_classifier_retrain.delay()
    first = TrainedClassifier.objects.get()
    theme_classifier_retrain.delay()  # nothing changed: no training
    assert TrainedClassifier.objects.get() == first
    _corrected("The Zebra scanners you sold us freeze every morning", "product", True, am)
    theme_classifier_retrain.delay()
    assert TrainedClassifier.objects.count() == 2
    assert TrainedClassifier.objects.order_by("-pk").first().examples_corrected == 1


def test_the_scheduled_training_tags_the_answers_again_when_the_classifier_was_in_use(am):
    answer = factories.ResponseFactory(reason="The Zebra scanners you sold us freeze every single morning", score=3)
    _corrected("The Zebra scanners you sold us freeze every morning", "product", True, am)
    _stored_union()
    response_themes_tag(response_id=answer.pk)
    assert response_theme_keys(answer.pk) == ["product"]
    # The new training (the union does not beat the rules here) stops using the classifier:
    # the answers it tagged are tagged again, by the rules alone.
    theme_classifier_retrain.delay()
    assert TrainedClassifier.objects.order_by("-pk").first().combination == "rules"
    assert response_theme_keys(answer.pk) == []
