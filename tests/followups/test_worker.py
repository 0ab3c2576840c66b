"""Services configuration: a real worker turns a saved answer into a call on the owner's list."""

import time

import pytest

from feedback.answering import response_submit
from followups.selectors import call_list_for
from surveys.tokens import invitation_token
from tests.factories import ContactFactory, InvitationFactory

pytestmark = pytest.mark.slow


def test_saved_answer_becomes_a_call_on_the_list_through_a_real_worker(celery_worker_process, am, account):
    """The answer page's own path: the answer and its outbox rows committed, beat's
    half-second poll, the call queued by a real worker. The latency is printed, not
    asserted (a loaded machine is no bug; bench/answer_load.py --worker measures it)."""
    celery_worker_process(beat=True)
    latencies = []
    for score in (2, 8, 10):
        invitation = InvitationFactory(contact=ContactFactory(account=account), account=account)
        response = response_submit(token=invitation_token(invitation), score=score, reason="Saved by the page").response
        committed = time.monotonic()
        deadline = committed + 10.0
        while time.monotonic() < deadline:
            if call_list_for(am).filter(response_id=response.pk).exists():
                break
            time.sleep(0.01)  # polling the database, bounded by the deadline
        else:
            pytest.fail("no call on the list 10 s after the answer was committed")
        latencies.append(time.monotonic() - committed)
    print(f"\nanswer committed -> call on the AM's list: {', '.join(f'{s * 1000:.0f} ms' for s in latencies)}")
    assert call_list_for(am).count() == 3
