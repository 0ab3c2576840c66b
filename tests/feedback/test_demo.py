from feedback.demo import seed_answers
from feedback.models import MonthSummary, Note, Response
from surveys.models import Invitation
from tests import factories


def test_seed_answers_on_an_empty_database_makes_a_lived_in_demo(db):
    summary = seed_answers(seed=7, stdout=None)
    assert "answers:" in summary
    assert Response.objects.count() > 300
    assert set(Response.objects.values_list("triage", flat=True)) == {"new", "seen", "handled"}
    assert Response.objects.filter(suspect=True).exists()
    assert Note.objects.exists() and MonthSummary.objects.exists()
    # answers only to delivered invitations, never to bounced ones
    assert not Response.objects.exclude(invitation__status="sent").exists()


def test_seed_answers_uses_the_invitations_it_finds(db):
    invitations = [factories.InvitationFactory() for _ in range(40)]
    seed_answers(seed=3, stdout=None)
    assert Invitation.objects.count() == 40
    assert 5 < Response.objects.count() < 40
    assert set(Response.objects.values_list("invitation", flat=True)) <= {i.pk for i in invitations}


def test_demo_reasons_are_varied_in_both_languages_and_tagged(db):
    from feedback.models import ResponseTheme, Theme
    from feedback.theme_defaults import default_themes_create

    default_themes_create(Theme)
    seed_answers(seed=7, stdout=None)
    reasons = list(Response.objects.exclude(reason="").values_list("reason", "language", "category"))
    assert len({reason for reason, _, _ in reasons}) > len(reasons) / 4  # not a handful of sentences
    assert {language for _, language, _ in reasons} == {"en", "da"}
    themed = ResponseTheme.objects.values_list("response__category", "theme__key")
    assert {key for _, key in themed} == {theme.key for theme in Theme.objects.all()}
    assert {category for category, _ in themed} == {"promoter", "passive", "detractor"}
