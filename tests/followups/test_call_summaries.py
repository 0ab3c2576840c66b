"""The call summaries, event by event: each event that changes a call adds its difference
in its own transaction (checked against a recount from the calls), an owner change moves
the rows, the rebuild repairs what was written around the events, and the delay buckets."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import timezone

from feedback.services import account_owner_change
from followups.delays import (
    OPEN_BUCKET,
    HalfWithin,
    bucket_expression,
    bucket_of,
    bucket_upper_hours,
    half_within,
)
from followups.models import Call, CallDelaySummary, CallMonthSummary, OpenCallSummary, RootCause, RootCauseSummary
from followups.selectors import discipline_by_am, discipline_figures, overdue_summary
from followups.services import attempt_log, call_queue_for_response
from followups.tallies import call_summaries_differences, call_summaries_rebuild, open_call_rows_recount
from surveys.models import Account
from surveys.tallies import accounts_forget
from tests.factories import AccountFactory, UserFactory
from tests.followups.conftest import answer, answer_with_call

pytestmark = pytest.mark.django_db


def month_row(call):
    return CallMonthSummary.objects.get(owner_id=call.account.owner_id, region_id=call.account.region_id,
                                        category=call.category)


def test_a_queued_call_counts_at_once(account):
    call = answer_with_call(account, score=2)
    row = month_row(call)
    assert (row.calls, row.attempted, row.reached, row.closed_unreached, row.on_time) == (1, 0, 0, 0, 0)
    assert OpenCallSummary.objects.get().due_on == call.due_on
    assert call_summaries_differences() == []


def test_attempts_of_each_outcome(account, am):
    cause = RootCause.objects.first()
    calls = [answer_with_call(account, score=s) for s in (2, 2, 2)]
    attempt_log(call_id=calls[0].pk, by=am, outcome="reached", root_cause_id=cause.pk, agreed="Agreed")
    attempt_log(call_id=calls[1].pk, by=am, outcome="declined")
    for _ in range(3):
        attempt_log(call_id=calls[2].pk, by=am, outcome="no_answer")
    row = month_row(calls[0])
    assert (row.calls, row.attempted, row.reached, row.closed_unreached, row.on_time) == (3, 3, 1, 2, 3)
    assert not OpenCallSummary.objects.exists()  # no call open: no rows left at zero
    assert RootCauseSummary.objects.get().reached == 1
    assert CallDelaySummary.objects.filter(kind="first_attempt").aggregate(n=Sum("calls"))["n"] == 3
    assert CallDelaySummary.objects.get(kind="reached").calls == 1
    assert call_summaries_differences() == []


def test_a_changed_answer_moves_its_open_call_to_the_new_category(account):
    response = answer(account, score=9)
    call_queue_for_response(response_id=response.pk)
    response.score, response.category, response.changed_at = 2, "detractor", timezone.now()
    response.save()
    call = call_queue_for_response(response_id=response.pk)
    assert call.category == "detractor"
    assert list(CallMonthSummary.objects.filter(calls__gt=0).values_list("category", flat=True)) == ["detractor"]
    assert call_summaries_differences() == []


def test_suspect_cancels_and_counting_again_requeues(account):
    response = answer(account, score=3)
    call_queue_for_response(response_id=response.pk)
    response.suspect = True
    response.save()
    call_queue_for_response(response_id=response.pk)
    assert Call.objects.get().state == "cancelled"
    assert discipline_figures(Account.objects.all())["with_call"] == 0
    assert call_summaries_differences() == []
    response.suspect = False
    response.save()
    call_queue_for_response(response_id=response.pk)
    assert discipline_figures(Account.objects.all())["with_call"] == 1
    assert call_summaries_differences() == []


def test_overdue_follows_today_without_any_event(account):
    call = answer_with_call(account, score=1)
    assert overdue_summary(Account.objects.all(), today=call.due_on)["count"] == 0
    late = overdue_summary(Account.objects.all(), today=call.due_on + timedelta(days=9))
    assert (late["count"], late["long"], late["detractors"], late["oldest_days_late"]) == (1, 1, 1, 9)


def test_an_owner_change_moves_the_rows_with_the_account(account, am, admin_user, region):
    other = UserFactory(role="am")
    AccountFactory(owner=other, region=region)
    answer_with_call(account, score=2)
    account_owner_change(account=account, new_owner=other, by=admin_user)
    assert call_summaries_differences() == []
    by_am = discipline_by_am(Account.objects.all())
    assert am.pk not in by_am and by_am[other.pk]["with_call"] == 1
    assert not CallMonthSummary.objects.filter(owner=am).exists()  # rows at zero removed


def test_an_account_forgotten_before_its_delete_leaves_nothing(account):
    answer_with_call(account, score=2)
    accounts_forget([account.pk])
    Account.objects.filter(pk=account.pk).delete()
    assert call_summaries_differences() == []
    assert discipline_figures(Account.objects.all())["with_call"] == 0


def test_the_rebuild_repairs_what_was_written_around_the_events(account, capsys):
    call = answer_with_call(account, score=2)
    Call.objects.filter(pk=call.pk).update(state="reached", closed_at=timezone.now())
    assert call_summaries_differences() != []
    with pytest.raises(CommandError):
        call_command("rebuild_call_summaries", "--check")
    call_command("rebuild_call_summaries")
    assert call_summaries_differences() == []
    call_command("rebuild_call_summaries", "--check")
    assert "agree" in capsys.readouterr().out


def test_the_rebuild_runs_nightly():
    from config.celery import app

    entry = app.conf.beat_schedule["followups-call-summaries-rebuild"]
    assert entry["task"] == "followups.tasks.call_summaries_rebuild"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {45})


def test_a_rebuild_of_an_empty_world_is_empty(db):
    assert call_summaries_rebuild() == 0 and call_summaries_differences() == []


# --- The delay buckets -------------------------------------------------------------------

@pytest.mark.parametrize("seconds,bucket,upper", [
    (0, 0, 0.1), (359, 0, 0.1), (360, 1, 0.2), (35999, 99, 10), (36000, 100, 11), (172799, 137, 48),
    (172800, 138, 72), (60 * 86400 - 1, OPEN_BUCKET - 1, 60 * 24), (60 * 86400, OPEN_BUCKET, None),
])
def test_buckets_at_their_edges(seconds, bucket, upper):
    assert bucket_of(seconds) == bucket
    assert (None if upper is None else float(bucket_upper_hours(bucket))) == (None if upper is None else upper)


def test_the_sql_buckets_agree_with_python(account):
    values = [0, 359, 360, 35999, 36000, 100000, 172799, 172800, 500000, 60 * 86400 - 1, 60 * 86400, 10**8]
    calls = [answer_with_call(account, score=5) for _ in values]
    for call, seconds in zip(calls, values, strict=True):
        Call.objects.filter(pk=call.pk).update(seconds_to_first_attempt=seconds)
    shown = dict(Call.objects.annotate(b=bucket_expression("seconds_to_first_attempt")).values_list(
        "seconds_to_first_attempt", "b"))
    assert shown == {seconds: bucket_of(seconds) for seconds in values}


def test_half_within_and_how_it_reads(settings):
    assert half_within({}) is None
    assert half_within({3: 1, 5: 1}) == HalfWithin(3, 2)  # half (1 of 2) within bucket 3
    assert half_within({3: 1, 5: 2}) == HalfWithin(5, 3)
    assert str(HalfWithin(34, 1)) == "3.5 h"
    assert str(HalfWithin(106, 1)) == "17 h"
    assert str(HalfWithin(139, 1)) == "4 d"
    assert str(HalfWithin(OPEN_BUCKET, 1)) == "over 60 d"


def test_the_open_calls_rows_alone_counted_afresh(account, am, colleague):
    from followups.services import call_reassign

    first = answer_with_call(account, score=2)
    answer_with_call(account, score=9)
    call_reassign(call_id=first.pk, by=am, assignee_id=colleague.pk)
    OpenCallSummary.objects.update(open=0, assigned_for=colleague)  # wrong rows, as if written around the events
    assert open_call_rows_recount() == 2
    assert call_summaries_differences() == []
