"""Services configuration: a real worker turns a saved answer into a call on the owner's list."""

import time

import pytest
from django.db import transaction

from feedback.outbox import outbox_enqueue
from followups.selectors import call_list_for
from tests.followups.conftest import answer

pytestmark = pytest.mark.slow


def test_saved_answer_becomes_a_call_on_the_list_within_a_second(celery_worker_process, am, account):
    celery_worker_process()
    latencies = []
    for score in (2, 8, 10):
        with transaction.atomic():
            response = answer(account, score=score, reason="Saved by the answer page")
            outbox_enqueue("followups.services.call_queue_for_response", response_id=response.pk)
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
    assert max(latencies) < 1.0, latencies
