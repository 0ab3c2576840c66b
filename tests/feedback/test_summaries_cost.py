"""Keeping the figures current costs the same whatever the account's history: an answer,
a change of mind, a suspect flag, a send and the routing after an answer issue a bounded
number of queries, the same for an account with no earlier answers as for one with many."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.answering import response_submit
from feedback.routing import response_route
from feedback.summaries import summary_rebuild
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
    # at risk (followups.risk_states), after the summary and again after the call state:
    # each time the account's summary read with its rows, and its rows written when they
    # changed, the counts when its group did (3 more for a first answer).
    executive = 3 if level == 0 else 0
    assert first <= 18 + executive and change <= 16 and suspect <= 21 + executive
    assert route <= 4  # routing no longer recounts the account


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
