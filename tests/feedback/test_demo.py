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
