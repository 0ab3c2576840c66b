"""call_queue_for_response: a call for every answer that is not suspect, through the outbox."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from followups.models import Absence, Call, FollowupSettings
from followups.services import call_queue_for_response, calls_move_for_account
from outbox.models import Message
from outbox.services import outbox_publish
from tests.factories import AccountFactory, UserFactory
from tests.followups.conftest import answer

pytestmark = pytest.mark.django_db
CPH = ZoneInfo("Europe/Copenhagen")
FRIDAY_NOON = datetime(2026, 11, 20, 12, 0, tzinfo=CPH)


@pytest.mark.parametrize(
    "score, due",
    [(3, date(2026, 11, 24)), (7, date(2026, 12, 1)), (10, date(2026, 12, 10))],
)
def test_due_in_business_days_by_category(account, am, score, due):
    response = answer(account, score=score)
    response.answered_at = FRIDAY_NOON
    response.save()
    call = call_queue_for_response(response_id=response.pk)
    assert (call.assignee, call.due_on, call.state, call.category) == (am, due, "open", response.category)
    assert call.account == account and call.contact == response.contact


def test_settings_change_the_due_days(account):
    FollowupSettings.objects.update_or_create(pk=FollowupSettings.current().pk, defaults={"detractor_due_days": 1})
    response = answer(account, score=0)
    response.answered_at = FRIDAY_NOON
    response.save()
    assert call_queue_for_response(response_id=response.pk).due_on == date(2026, 11, 23)


def test_queued_through_the_outbox_once_for_each_answer(account, django_capture_on_commit_callbacks):
    responses = [answer(account, score=s) for s in (2, 7, 9)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for response in responses:
            outbox_publish("answer_saved", response_id=response.pk)
    assert Call.objects.count() == 3
    assert Message.objects.filter(handler="queue_call", done_at__isnull=False).count() == 3
    # Delivered again (a claim run out, a second save): still one call each.
    for response in responses:
        call_queue_for_response(response_id=response.pk)
    assert Call.objects.count() == 3


def test_no_call_for_a_suspect_answer(account):
    response = answer(account, score=0, suspect=True)
    assert call_queue_for_response(response_id=response.pk) is None
    assert not Call.objects.exists()


def test_an_answer_later_marked_suspect_cancels_its_untouched_call(account):
    response = answer(account, score=0)
    call_queue_for_response(response_id=response.pk)
    response.suspect = True
    response.save()
    call_queue_for_response(response_id=response.pk)
    assert Call.objects.get().state == "cancelled"


def test_a_changed_answer_updates_its_open_call(account):
    response = answer(account, score=9)
    response.answered_at = FRIDAY_NOON
    response.save()
    first = call_queue_for_response(response_id=response.pk)
    assert first.due_on == date(2026, 12, 10)
    # The customer changes their mind on Monday: now a detractor, due two business days later.
    response.set_score(4)
    response.changed_at = datetime(2026, 11, 23, 9, 0, tzinfo=CPH)
    response.save()
    call = call_queue_for_response(response_id=response.pk)
    assert Call.objects.count() == 1
    assert (call.pk, call.category, call.due_on) == (first.pk, "detractor", date(2026, 11, 25))
    # Only the reason changes: same call, same due date.
    response.reason = "Still late deliveries"
    response.save()
    assert call_queue_for_response(response_id=response.pk).due_on == date(2026, 11, 25)


def test_a_closed_call_is_history_and_stays(account, am):
    from followups.services import attempt_log

    response = answer(account, score=3)
    call = call_queue_for_response(response_id=response.pk)
    attempt_log(call_id=call.pk, by=am, outcome="declined")
    response.set_score(9)
    response.save()
    call_queue_for_response(response_id=response.pk)
    call.refresh_from_db()
    assert (call.state, call.category) == ("declined", "detractor")
    assert Call.objects.count() == 1


def test_new_calls_go_to_the_cover_while_the_owner_is_away(account, am):
    cover = UserFactory(role="am")
    today = timezone.localdate()
    Absence.objects.create(user=am, cover=cover, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=3))
    call = call_queue_for_response(response_id=answer(account, score=2).pk)
    assert call.assignee == cover


def test_cover_ends_when_the_owner_returns(account, am):
    cover = UserFactory(role="am")
    today = timezone.localdate()
    Absence.objects.create(user=am, cover=cover, starts_on=today - timedelta(days=5), ends_on=today - timedelta(days=1))
    assert call_queue_for_response(response_id=answer(account).pk).assignee == am


def test_cover_chain_never_loops(account, am):
    other = UserFactory(role="am")
    today = timezone.localdate()
    Absence.objects.create(user=am, cover=other, starts_on=today, ends_on=today)
    Absence.objects.create(user=other, cover=am, starts_on=today, ends_on=today)
    assert call_queue_for_response(response_id=answer(account).pk).assignee == other


def test_ownership_change_moves_open_calls_with_the_account(account, am, region, django_capture_on_commit_callbacks):
    from followups.services import attempt_log

    open_call = call_queue_for_response(response_id=answer(account, score=5).pk)
    done_call = call_queue_for_response(response_id=answer(account, score=6).pk)
    attempt_log(call_id=done_call.pk, by=am, outcome="declined")
    elsewhere = call_queue_for_response(response_id=answer(AccountFactory(owner=am, region=region)).pk)
    new_owner = UserFactory(role="am")
    account.owner = new_owner
    account.save()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox_publish("owner_changed", account_id=account.pk, new_owner_id=new_owner.pk)
    open_call.refresh_from_db()
    done_call.refresh_from_db()
    elsewhere.refresh_from_db()
    assert open_call.assignee == new_owner
    assert done_call.assignee == am and elsewhere.assignee == am
    assert calls_move_for_account(account_id=account.pk, new_owner_id=new_owner.pk) == 0
