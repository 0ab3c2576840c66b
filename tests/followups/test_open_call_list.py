"""The assignee's list of open calls read a page at a time (followups.open_call_list): the
same calls in the same order as the whole list sorted in SQL (selectors.call_list_for),
and counts equal to a direct count, for every slice, through covers, hand-overs and an
account that changed hands before its calls moved."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups.models import Call
from followups.open_call_list import SEGMENTS, OpenCallIds
from followups.selectors import call_list_for, urgency_of
from followups.services import call_reassign, calls_move_for_account
from tests.factories import UserFactory
from tests.followups.conftest import bulk_calls

pytestmark = pytest.mark.django_db


def _assert_same_as_sorted_in_sql(user, today):
    expected = list(call_list_for(user, today=today).values_list("pk", flat=True))
    ids = OpenCallIds(user, today)
    assert ids.count() == len(expected)
    calls = Call.objects.in_bulk(expected)
    for segment in SEGMENTS:
        group, detractors = segment
        assert ids.counts[segment] == sum(
            1 for pk in expected
            if urgency_of(calls[pk], today) == group and (calls[pk].category == "detractor") == detractors)
    for size in (1, 2, 3, 7, 50):
        for start in range(0, len(expected) + size, size):
            assert ids[start:start + size] == expected[start:start + size], (size, start)


def test_every_slice_is_the_sorted_lists(am, account, colleague):
    today = timezone.localdate()
    for days, score in [(-30, 9), (-30, 2), (-3, 7), (-3, 1), (0, 8), (0, 0), (0, 10), (4, 3), (4, 9), (40, 6)]:
        bulk_calls(account, 2, score=score, due_on=today + timedelta(days=days))
    bulk_calls(account, 3, score=2, due_on=today - timedelta(days=5), assignee=colleague)  # a cover's
    _assert_same_as_sorted_in_sql(am, today)
    _assert_same_as_sorted_in_sql(colleague, today)
    # Tomorrow the groups shift: what was due today is overdue.
    _assert_same_as_sorted_in_sql(am, today + timedelta(days=1))


def test_handed_calls_and_an_account_that_changed_hands(am, rm, account, colleague):
    from feedback.services import account_owner_change

    today = timezone.localdate()
    calls = bulk_calls(account, 4, score=2, due_on=today - timedelta(days=2))
    bulk_calls(account, 3, score=9, due_on=today + timedelta(days=2))
    call_reassign(call_id=calls[0].pk, by=am, assignee_id=colleague.pk)
    _assert_same_as_sorted_in_sql(am, today)
    _assert_same_as_sorted_in_sql(colleague, today)
    assert OpenCallIds(colleague, today).count() == 1

    new_owner = UserFactory(role="am")
    account_owner_change(account=account, new_owner=new_owner, by=rm)
    # The calls have not moved yet (the outbox moves them): they are nobody's to work from
    # their list, and no count says otherwise.
    for user in (am, colleague, new_owner):
        assert OpenCallIds(user, today).count() == 0
        _assert_same_as_sorted_in_sql(user, today)
    calls_move_for_account(account_id=account.pk, new_owner_id=new_owner.pk)
    assert OpenCallIds(new_owner, today).count() == 7
    _assert_same_as_sorted_in_sql(new_owner, today)


def test_a_closed_call_leaves_the_count(am, account):
    from followups.models import RootCause
    from followups.services import attempt_log

    today = timezone.localdate()
    calls = bulk_calls(account, 3, score=2, due_on=today)
    attempt_log(call_id=calls[1].pk, by=am, outcome="reached", root_cause_id=RootCause.objects.first().pk,
                agreed="A visit")
    assert OpenCallIds(am, today).count() == 2
    _assert_same_as_sorted_in_sql(am, today)


def test_a_page_past_the_end_and_nobody_signed_in(client, am, account):
    from django.contrib.auth.models import AnonymousUser

    assert OpenCallIds(AnonymousUser(), timezone.localdate()).count() == 0
    bulk_calls(account, 3)
    client.force_login(am)
    response = client.get("/calls/?page=99")  # the last page, as every list here
    assert response.status_code == 200 and len(response.context["calls"]) == 3


def test_a_call_not_theirs_is_never_listed_even_when_the_summary_lags(client, am, account):
    """An owner change that skipped the summaries (here: the account saved directly) leaves
    the rows saying the calls are still the former owner's: the page loads them and drops
    them rather than list a customer to someone who no longer works the account."""
    bulk_calls(account, 2, score=2, due_on=timezone.localdate() - timedelta(days=1))
    account.owner = UserFactory(role="am")
    account.save()
    client.force_login(am)
    response = client.get("/calls/")
    assert response.status_code == 200 and response.context["calls"] == []
