"""Reassign and cover; the daily escalation email to each RM through a real SMTP server."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from followups.models import Absence, Call, EscalationSent
from followups.services import absence_end, absence_set, call_reassign, overdue_calls_escalate
from followups.tallies import call_summaries_rebuild
from followups.tasks import overdue_calls_escalate as escalate_task
from tests.factories import AccountFactory, RegionFactory, UserFactory
from tests.followups.conftest import answer_with_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger():
    """An AM in another region."""
    user = UserFactory(role="am", full_name="Sten Syd")
    AccountFactory(owner=user, region=RegionFactory(name="South"))
    return user


def test_am_hands_a_call_to_a_colleague_in_the_region(account, am, colleague, stranger):
    call = answer_with_call(account)
    with pytest.raises(ValidationError):
        call_reassign(call_id=call.pk, by=am, assignee_id=stranger.pk)
    call_reassign(call_id=call.pk, by=am, assignee_id=colleague.pk)
    call.refresh_from_db()
    assert call.assignee == colleague


def test_rm_reassigns_within_their_region_only(account, am, rm, colleague, stranger):
    call = answer_with_call(account)
    call_reassign(call_id=call.pk, by=rm, assignee_id=colleague.pk)
    assert Call.objects.get().assignee == colleague
    south_call = answer_with_call(stranger.owned_accounts.get())
    with pytest.raises(PermissionError):
        call_reassign(call_id=south_call.pk, by=rm, assignee_id=colleague.pk)
    with pytest.raises(PermissionError):  # another AM cannot take a call away
        call_reassign(call_id=call.pk, by=stranger, assignee_id=stranger.pk)


def test_cover_is_set_and_ended(am, account, colleague):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        absence_set(user=am, cover_id=colleague.pk, starts_on=today, ends_on=today - timedelta(days=1))
    absence = absence_set(user=am, cover_id=colleague.pk, starts_on=today, ends_on=today + timedelta(days=7))
    with pytest.raises(ValidationError):  # overlapping
        absence_set(user=am, cover_id=colleague.pk, starts_on=today + timedelta(days=2), ends_on=today + timedelta(9))
    assert answer_with_call(account).assignee == colleague
    absence_end(absence_id=absence.pk, user=am)
    assert not Absence.objects.filter(starts_on__lte=today, ends_on__gte=today).exists()
    assert answer_with_call(account).assignee == am


def _overdue(account, days):
    call = answer_with_call(account, score=3)
    Call.objects.filter(pk=call.pk).update(due_on=timezone.localdate() - timedelta(days=days))
    call_summaries_rebuild()  # written around the services: recount
    return call


def test_escalation_emails_each_rm_their_regions_overdue_calls(account, rm, stranger, smtp_server, settings):
    settings.SITE_URL = "https://pulse.example.com"
    late = _overdue(account, 9)
    _overdue(account, 1)
    answer_with_call(account)  # not due yet
    south = stranger.owned_accounts.get()
    south_rm = south.region.manager
    _overdue(south, 3)
    assert escalate_task.delay() is not None  # in-process: runs now
    smtp_server.wait_for(2)
    by_to = {m["To"]: m for m in smtp_server.messages}
    north = by_to[rm.email]
    assert north["Subject"] == "2 overdue follow-up calls in your region"
    text = north.get_body(("plain",)).get_content()
    assert f"https://pulse.example.com/calls/{late.pk}/" in text and "(more than 7 days)" in text
    assert text.count("/calls/") == 2
    assert by_to[south_rm.email]["Subject"] == "1 overdue follow-up call in your region"
    # Beat runs it twice the same day (a retry): nobody gets it twice.
    assert overdue_calls_escalate() == 0
    assert EscalationSent.objects.count() == 2 and len(smtp_server.messages) == 2


def test_no_overdue_calls_no_email(account, smtp_server):
    answer_with_call(account)
    assert overdue_calls_escalate() == 0
    assert smtp_server.messages == []


def test_beat_runs_the_escalation_every_morning():
    from config.celery import app

    entry = app.conf.beat_schedule["followups-overdue-calls"]
    assert entry["task"] == "followups.tasks.overdue_calls_escalate"
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {30}


def test_escalation_comes_in_the_managers_language(account, rm, smtp_server):
    from surveys.models import User

    User.objects.filter(pk=rm.pk).update(language="da")
    _overdue(account, 9)
    assert overdue_calls_escalate() == 1
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "1 overskredet opfølgningsopkald i din region"
    text = message.get_body(("plain",)).get_content()
    assert "dage for sent" in text and "(mere end 7 dage)" in text and "Ældste først" in text
