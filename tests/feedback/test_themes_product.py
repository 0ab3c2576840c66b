"""Themes in the product: the default taxonomy in the database, tagging in the worker
after an answer is saved or changed, people's corrections winning, and the commands."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from feedback.answering import response_submit
from feedback.models import ResponseTheme, Theme, ThemeCorrection
from feedback.response_themes import reasons_tag_all, response_theme_correct, response_theme_keys
from feedback.signals import response_themes_changed
from feedback.theme_defaults import DEFAULT_THEMES, default_themes_create
from outbox.models import Message
from surveys.tokens import invitation_token
from tests import factories
from tests.feedback.answer_support import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_password_hashing", "default_themes")


@pytest.fixture
def default_themes(db):
    """The migration made them; a test that flushed the database (transaction=True) may
    have taken them away since."""
    default_themes_create(Theme)


def _answer(invitation, capture, **fields):
    """As the answer page does, and then the worker: the outbox's rows run after the commit."""
    with capture(execute=True):
        return response_submit(token=invitation_token(invitation), **fields).response


def test_default_taxonomy_has_eight_themes_in_both_languages():
    themes = list(Theme.objects.all())
    assert [theme.key for theme in themes] == [theme["key"] for theme in DEFAULT_THEMES] == [
        "product", "price", "support", "delivery", "relationship", "ordering", "billing", "communication"]
    for theme in themes:
        assert theme.built_in and theme.active
        assert theme.name_en and theme.name_da and theme.description_en and theme.description_da
        assert len(theme.signals_en.splitlines()) >= 20 and len(theme.signals_da.splitlines()) >= 20
    assert Theme.objects.get(key="delivery").name("da") == "Levering"


def test_answer_is_tagged_in_the_worker_and_again_when_the_reason_changes(django_capture_on_commit_callbacks):
    invitation = factories.InvitationFactory(contact__language="da")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = response_submit(
            token=invitation_token(invitation), score=3, reason="Leveringstiden er for lang").response
    # The answer's own transaction wrote the work down and tagged nothing.
    assert Message.objects.filter(event="answer_saved", handler="themes", done_at=None).count() == 1
    assert not ResponseTheme.objects.exists()
    for callback in callbacks:  # the worker
        callback()
    assert response_theme_keys(answer.pk) == ["delivery"]
    assert ResponseTheme.objects.get().source == "rules"

    _answer(invitation, django_capture_on_commit_callbacks, score=4, reason="Fakturaerne er forkerte, og prisen er høj")
    assert response_theme_keys(answer.pk) == ["price", "billing"]
    _answer(invitation, django_capture_on_commit_callbacks, score=4, reason="")
    assert response_theme_keys(answer.pk) == []


def test_suspect_answers_are_tagged_too(django_capture_on_commit_callbacks):
    invitation = factories.InvitationFactory()
    answer = _answer(invitation, django_capture_on_commit_callbacks, score=0, reason="Too expensive",
                     suspect_reason="honeypot filled")
    assert response_theme_keys(answer.pk) == ["price"]


def test_a_correction_wins_over_the_machine_and_survives_retagging(am, django_capture_on_commit_callbacks):
    invitation = factories.InvitationFactory()
    answer = _answer(invitation, django_capture_on_commit_callbacks, score=5,
                     reason="The invoices are late and nobody answers our emails")
    assert response_theme_keys(answer.pk) == ["billing", "communication"]
    communication, relationship = Theme.objects.get(key="communication"), Theme.objects.get(key="relationship")

    assert response_theme_correct(response=answer, theme=communication, present=False, by=am) == ["billing"]
    assert response_theme_correct(response=answer, theme=relationship, present=True, by=am) == [
        "relationship", "billing"]
    added = ResponseTheme.objects.get(response=answer, theme=relationship)
    assert (added.source, added.by) == ("person", am)

    # The customer changes the answer; the bulk command runs: people's word still stands.
    _answer(invitation, django_capture_on_commit_callbacks, score=4,
            reason="The invoices are late and nobody answers our emails or calls")
    call_command("tag_all_reasons", stdout=io.StringIO())
    assert response_theme_keys(answer.pk) == ["relationship", "billing"]
    assert ThemeCorrection.objects.filter(response=answer).count() == 2

    # A person confirming what the machine found makes it theirs.
    billing = Theme.objects.get(key="billing")
    response_theme_correct(response=answer, theme=billing, present=True, by=am)
    assert ResponseTheme.objects.get(response=answer, theme=billing).source == "person"


def test_changes_are_signalled_for_figures_kept_per_theme(django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, response_id, added, removed, **kwargs):
        seen.append((response_id, sorted(added), sorted(removed)))

    response_themes_changed.connect(receiver)
    try:
        invitation = factories.InvitationFactory()
        answer = _answer(invitation, django_capture_on_commit_callbacks, score=9, reason="Fair prices")
        _answer(invitation, django_capture_on_commit_callbacks, score=9, reason="Fair prices, fast delivery")
        call_command("tag_all_reasons", stdout=io.StringIO())  # nothing changes: no signal
    finally:
        response_themes_changed.disconnect(receiver)
    price, delivery = Theme.objects.get(key="price").pk, Theme.objects.get(key="delivery").pk
    assert seen == [(answer.pk, [price], []), (answer.pk, [delivery], [])]


def test_taxonomy_edits_are_picked_up_by_the_next_answer(django_capture_on_commit_callbacks):
    theme = Theme.objects.get(key="product")
    theme.signals_en += "\nwidget"
    theme.save()
    answer = _answer(factories.InvitationFactory(), django_capture_on_commit_callbacks, score=9, reason="Nice widgets")
    assert response_theme_keys(answer.pk) == ["product"]
    theme.active = False
    theme.save()
    answer = _answer(factories.InvitationFactory(), django_capture_on_commit_callbacks, score=9, reason="Nice widgets")
    assert response_theme_keys(answer.pk) == []


def test_tag_all_reasons_tags_every_answer_in_batches_and_is_idempotent():
    answers = [
        factories.ResponseFactory(reason="Too expensive"),
        factories.ResponseFactory(reason="Vi venter altid på varerne", language="da"),
        factories.ResponseFactory(reason=""),
        factories.ResponseFactory(reason="All good"),
        factories.ResponseFactory(reason="Nobody answers the phone"),
    ]
    out = io.StringIO()
    call_command("tag_all_reasons", "--batch", "2", stdout=out)
    assert "Tagged 5 answers" in out.getvalue() and "the themes of 3 changed" in out.getvalue()
    assert [response_theme_keys(answer.pk) for answer in answers] == [
        ["price"], ["delivery"], [], [], ["communication"]]
    before = list(ResponseTheme.objects.order_by("pk").values_list("pk", "response", "theme", "at"))
    assert reasons_tag_all(batch=3) == (5, 0)
    assert list(ResponseTheme.objects.order_by("pk").values_list("pk", "response", "theme", "at")) == before


def test_tag_reasons_adds_a_themes_column_and_keeps_the_others(tmp_path):
    source = tmp_path / "comments.csv"
    source.write_text(
        "id,score,text,language\n"
        '1,3,"The stuff arrived three weeks late, and the invoice was wrong",en\n'
        "2,10,Alt er godt,da\n"
        "3,5,Leveringstiden er for lang,da\n"
        '4,9,"Good products; fair ""prices""",en\n',
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("tag_reasons", str(source), stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == ["id", "score", "text", "language", "themes"]
    assert [(row["id"], row["themes"]) for row in rows] == [
        ("1", "delivery;billing"), ("2", ""), ("3", "delivery"), ("4", "product;price")]
    assert rows[3]["text"] == 'Good products; fair "prices"'


def test_tag_reasons_uses_the_taxonomy_of_its_database(tmp_path):
    Theme.objects.filter(key="price").update(active=False, signals_en="")
    Theme.objects.create(key="sustainability", name_en="Sustainability", name_da="Bæredygtighed",
                         signals_en="co2\nsustainable", signals_da="bæredygtig")
    source = tmp_path / "comments.csv"
    source.write_text("text,language\nSustainable and cheap,en\nMere bæredygtige løsninger,da\n", encoding="utf-8")
    out = io.StringIO()
    call_command("tag_reasons", str(source), stdout=out)
    assert [row["themes"] for row in csv.DictReader(io.StringIO(out.getvalue()))] == [
        "sustainability", "sustainability"]


def test_tag_reasons_needs_text_and_language(tmp_path):
    source = tmp_path / "comments.csv"
    source.write_text("comment,lang\nhello,en\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no text and no language"):
        call_command("tag_reasons", str(source), stdout=io.StringIO())
    with pytest.raises(CommandError, match="cannot read"):
        call_command("tag_reasons", str(tmp_path / "missing.csv"), stdout=io.StringIO())


def test_administrators_edit_the_taxonomy_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/feedback/theme/").status_code == 200
    delivery = Theme.objects.get(key="delivery")
    page = client.get(f"/admin/feedback/theme/{delivery.pk}/change/")
    assert page.status_code == 200 and "leveringstid" in page.content.decode()
    assert client.get(f"/admin/feedback/theme/{delivery.pk}/delete/").status_code == 403  # switched off instead
