"""Who sees and works a call (followups.selectors, DESIGN §3): the account's current owner
and those above them, and the assignee while the call is still theirs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups.models import RootCause
from followups.selectors import call_can_work, call_list_for, calls_visible_to
from followups.services import absence_end, absence_set, attempt_log, call_reassign, calls_move_for_account
from tests.factories import UserFactory
from tests.followups.conftest import answer_with_call

pytestmark = pytest.mark.django_db


def _sees(user, call):
    return calls_visible_to(user).filter(pk=call.pk).exists()


def test_a_cover_keeps_the_calls_given_to_them_after_the_absence(am, account, colleague):
    today = timezone.localdate()
    absence = absence_set(user=am, cover_id=colleague.pk, starts_on=today, ends_on=today + timedelta(days=2))
    call = answer_with_call(account, score=2)
    absence_end(absence_id=absence.pk, user=am)
    assert _sees(colleague, call) and call_can_work(colleague, call)
    attempt_log(call_id=call.pk, by=colleague, outcome="reached", root_cause_id=RootCause.objects.first().pk,
                agreed="A credit note")
    call.refresh_from_db()
    assert _sees(colleague, call) and call_can_work(colleague, call)  # to send the close-the-loop email
    assert _sees(am, call) and call_can_work(am, call)


def test_a_handed_call_is_the_colleagues_until_the_account_changes_hands(am, rm, account, colleague):
    call = answer_with_call(account, score=5)
    call_reassign(call_id=call.pk, by=am, assignee_id=colleague.pk)
    call.refresh_from_db()
    assert list(call_list_for(colleague)) == [call] and call_can_work(colleague, call)
    assert call_list_for(am).count() == 0 and call_can_work(am, call)  # the owner still may
    new_owner = UserFactory(role="am")
    account.owner = new_owner
    account.save()
    # Before the open calls have moved (the move runs through the outbox), nobody who
    # worked for the former owner sees them any more; the new owner does at once.
    call.account.refresh_from_db()
    for former in (am, colleague):
        assert not _sees(former, call) and not call_can_work(former, call)
        assert call_list_for(former).count() == 0
    assert _sees(new_owner, call) and call_can_work(new_owner, call) and _sees(rm, call)
    assert calls_move_for_account(account_id=account.pk, new_owner_id=new_owner.pk) == 1
    assert list(call_list_for(new_owner)) == [call]


def test_the_new_owners_cover_gets_the_moved_calls(am, account, colleague):
    call = answer_with_call(account, score=4)
    new_owner = UserFactory(role="am")
    absence_set(user=new_owner, cover_id=colleague.pk, starts_on=timezone.localdate(), ends_on=timezone.localdate())
    account.owner = new_owner
    account.save()
    calls_move_for_account(account_id=account.pk, new_owner_id=new_owner.pk)
    call.refresh_from_db()
    assert call.assignee == colleague and _sees(colleague, call) and call_can_work(colleague, call)
    assert not _sees(am, call)


def test_an_account_handed_back_brings_its_calls_back(am, account):
    call = answer_with_call(account, score=3)
    attempt_log(call_id=call.pk, by=am, outcome="declined")
    other = UserFactory(role="am")
    account.owner = other
    account.save()
    assert not _sees(am, call)
    account.owner = am
    account.save()
    call.refresh_from_db()
    assert _sees(am, call) and call_can_work(am, call) and not _sees(other, call)


def test_moving_the_calls_of_an_account_deleted_since_moves_nothing(am, account):
    answer_with_call(account, score=4)
    new_owner = UserFactory(role="am")
    account_id = account.pk
    account.delete()  # before the outbox ran the move: its calls went with it
    assert calls_move_for_account(account_id=account_id, new_owner_id=new_owner.pk) == 0
