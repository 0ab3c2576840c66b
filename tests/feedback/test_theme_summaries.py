"""The theme summary the drivers read (feedback.theme_tallies): each event moves it in its
own transaction, the nightly repair recounts it, and `rebuild_summaries --check` says
where it disagrees with the answers' themes. (The random sequences of every event are in
tests/followups/test_theme_summaries_property.py.)"""

import pytest
from django.core.management import CommandError, call_command

from feedback.answering import response_submit
from feedback.models import ResponseTheme, Theme, ThemeMonthSummary
from feedback.response_themes import response_theme_correct, response_themes_tag
from feedback.services import account_owner_change, response_suspect_set
from feedback.summaries import summary_rebuild
from feedback.theme_tallies import theme_summaries_differences
from surveys import sending
from surveys.models import Invitation
from surveys.tokens import invitation_token
from tests import factories


def _counts(theme_key: str) -> tuple:
    rows = ThemeMonthSummary.objects.filter(theme__key=theme_key)
    return tuple(sum(getattr(r, f) for r in rows) for f in ("promoters", "passives", "detractors"))


@pytest.fixture
def answered(account, sending_wave, smtp_server):
    contact = factories.ContactFactory(account=account)
    invitation = factories.InvitationFactory(wave=sending_wave, contact=contact, status=Invitation.Status.PLANNED,
                                             sent_at=None, expires_at=None)
    sending.invitations_send(invitation_ids=[invitation.pk])
    result = response_submit(token=invitation_token(invitation), score=2, reason="The delivery was late again")
    response_themes_tag(response_id=result.response.pk)  # the worker, after the commit
    return invitation, result.response


@pytest.fixture
def sending_wave(db):
    from django.utils import timezone

    return factories.WaveFactory(month=timezone.localdate().replace(day=1), status="sending")


def test_each_event_moves_the_counts(answered, am, admin_user, account):
    invitation, response = answered
    assert _counts("delivery") == (0, 0, 1)
    response_submit(token=invitation_token(invitation), score=10, reason="The delivery was late again")
    assert _counts("delivery") == (1, 0, 0)  # a change of mind moves the theme with the answer
    response_suspect_set(response_id=response.pk, suspect=True)
    assert _counts("delivery") == (0, 0, 0)  # a suspect answer never counts
    response_suspect_set(response_id=response.pk, suspect=False)
    response_theme_correct(response=response, theme=Theme.objects.get(key="price"), present=True, by=am)
    assert _counts("delivery") == (1, 0, 0) and _counts("price") == (1, 0, 0)
    new_owner = factories.UserFactory(role="am")
    account_owner_change(account=account, new_owner=new_owner, by=admin_user)
    assert set(ThemeMonthSummary.objects.exclude(promoters=0).values_list("owner_id", flat=True)) == {new_owner.pk}
    assert theme_summaries_differences() == []


def test_the_repair_and_its_check(answered):
    _invitation, response = answered
    call_command("rebuild_summaries", "--check")  # agrees
    ResponseTheme.objects.filter(response=response).delete()  # around the services: an administrator's edit
    with pytest.raises(CommandError, match="disagree"):
        call_command("rebuild_summaries", "--check")
    assert theme_summaries_differences()[0].startswith("ThemeMonthSummary")
    summary_rebuild()
    assert theme_summaries_differences() == [] and _counts("delivery") == (0, 0, 0)
    call_command("rebuild_summaries", "--check")
