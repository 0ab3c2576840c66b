"""Keeping the figures current costs the same whatever the account's history: an answer,
a change of mind, a suspect flag, a send, and the worker's routing, call and themes after
an answer issue a bounded number of queries, the same for an account with no earlier
answers as for one with many."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app
from feedback.answering import response_submit
from feedback.response_themes import response_themes_retag
from feedback.routing import response_route
from feedback.summaries import summary_rebuild
from followups.services import call_queue_for_response
from surveys import sending
from surveys.models import Invitation, Wave
from surveys.months import month_add, month_begins
from surveys.tokens import invitation_token
from tests import factories


def _account_with_history(region, answers: int):
    account = factories.AccountFactory(region=region)
    contacts = [factories.ContactFactory(account=account, level=level) for level in ("executive", "manager")]
    this_month = timezone.localdate().replace(day=1)
    for n in range(answers):
        wave = factories.WaveFactory(month=month_add(this_month, -(n // 2 + 2)))
        sent_at = month_begins(wave.month) + timedelta(hours=9)
        invitation = factories.InvitationFactory(wave=wave, contact=contacts[n % 2], sent_at=sent_at)
        factories.ResponseFactory(invitation=invitation, score=n % 11, answered_at=sent_at + timedelta(hours=1))
    return contacts


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def _answer_costs(contact) -> tuple:
    invitation = factories.InvitationFactory(contact=contact)
    token = invitation_token(invitation)
    return (
        _queries(lambda: response_submit(token=token, score=3)),  # a first answer
        _queries(lambda: response_submit(token=token, score=9)),  # a change of mind
        _queries(lambda: response_submit(token=token, score=9, reason="r", suspect_reason="honeypot filled")),
        _queries(lambda: response_route(response_id=invitation.response.pk)),
    )


@pytest.mark.parametrize("level", [0, 1], ids=["executive", "manager"])
def test_an_answer_costs_the_same_queries_whatever_the_account_holds(db, region, level, max_queries):
    small = _account_with_history(region, 0)[level]
    large = _account_with_history(region, 40)[level]
    summary_rebuild()
    costs, large_costs = _answer_costs(small), _answer_costs(large)
    # The same, but for one write: the counts of accounts at risk change only when the
    # account's group does, which its other answers decide (followups.risk_states).
    assert all(abs(a - b) <= 1 for a, b in zip(costs, large_costs, strict=True)), (costs, large_costs)
    costs = tuple(max(a, b) for a, b in zip(costs, large_costs, strict=True))
    first, change, suspect, route = costs
    # The link; savepoint; the answer (inserted, or read and changed); its invitation's
    # mirror; the account's lock; the owner's, the account's monthly and summary rows;
    # outbox rows; release. An executive's answer counting or not also recounts the
    # waves an executive left unanswered since (3 more). An answer that starts or stops
    # counting also recounts its account's call state and reads its revenue at risk
    # (followups.call_states and revenue_at_risk, 2 more); one
    # that stops counting, the account's latest counted answer (1 more). A change of
    # category reads the answer's themes, which move with it (1 more; and their summary
    # rows when it has any: feedback.theme_tallies); a first answer has none. The revenue
    # sums: the account's part read, the sums and the part written (3 more). The accounts
    # at risk (followups.risk_states), after the summary and again when the call state
    # changed: each time the account's summary read with its rows, and its rows written
    # when they changed, the counts when its group did (3 more for a first answer).
    executive = 3 if level == 0 else 0
    assert first <= 18 + executive and change <= 16 and suspect <= 21 + executive
    assert route <= 4  # routing no longer recounts the account


def _worker_costs(contact, wave) -> tuple:
    """The queries of the worker's call and themes handlers after a first answer, then
    after a change of category."""
    invitation = factories.InvitationFactory(contact=contact, wave=wave)
    token = invitation_token(invitation)
    response = response_submit(token=token, score=3, reason="The delivery was late and the invoice wrong").response
    costs = [_queries(lambda: call_queue_for_response(response_id=response.pk)),
             _queries(lambda: response_themes_retag(response_id=response.pk))]
    response_submit(token=token, score=9, reason="Good prices")
    costs += [_queries(lambda: call_queue_for_response(response_id=response.pk)),
              _queries(lambda: response_themes_retag(response_id=response.pk))]
    return tuple(costs)


@pytest.mark.parametrize("level", [0, 1], ids=["executive", "manager"])
def test_the_workers_handlers_cost_the_same_queries_whatever_the_account_holds(db, region, level):
    app.conf.task_always_eager = False  # the handlers run here, once each (the fixture puts it back)
    small = _account_with_history(region, 0)[level]
    large = _account_with_history(region, 40)[level]
    summary_rebuild()
    wave = factories.WaveFactory(month=month_add(timezone.localdate().replace(day=1), -1))
    costs, large_costs = _worker_costs(small, wave), _worker_costs(large, wave)
    # As the answer's: one write of the counts at risk more or less, by the account's group.
    assert all(abs(a - b) <= 1 for a, b in zip(costs, large_costs, strict=True)), (costs, large_costs)
    queue_first, themes_first, queue_change, themes_change = (
        max(a, b) for a, b in zip(costs, large_costs, strict=True))
    # The call: savepoints; the answer read and locked; the account locked; the call read;
    # the cover; the settings (and, in a new database, their row); the call; its summary
    # rows; the account's call state, and when it changed its revenue at risk, its rows at
    # risk and their counts. A change: no cover, no new call, the call updated instead.
    assert queue_first <= 18 and queue_change <= 15
    # The themes: savepoint; the answer locked; whether a theme or the classifier changed
    # (the themes read when one did); the answer's themes and corrections; the themes
    # written; the theme summary (the answer and its account locked, the rows); the calls
    # by theme (the account locked, its reached call).
    assert themes_first <= 15 and themes_change <= 15


def test_a_send_costs_the_same_queries_whatever_the_account_holds(db, region, smtp_server):
    accounts = [_account_with_history(region, n) for n in (0, 40)]
    summary_rebuild()
    wave = Wave.objects.create(month=timezone.localdate().replace(day=1) + timedelta(days=400), status="sending")
    costs = []
    for contacts in accounts:
        invitation = factories.InvitationFactory(
            wave=wave, contact=contacts[0], status=Invitation.Status.PLANNED, sent_at=None, expires_at=None)
        costs.append(_queries(lambda i=invitation: sending.invitations_send(invitation_ids=[i.pk])))
    assert costs[0] == costs[1] <= 18  # an executive's: the account's rows at risk read and written
