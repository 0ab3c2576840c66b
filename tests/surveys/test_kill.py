"""The kill test (services configuration): a real worker SIGKILLed in the middle of a wave.

Nothing is lost, and nothing is sent twice save the one message per killed worker that
the SMTP server may have accepted before the worker could commit it as sent.
"""

import time
from collections import Counter

import pytest
from django.utils import timezone

from surveys import dispatch
from surveys.models import Invitation, Program, Wave
from tests.surveys.book import book_create, invitations_create

pytestmark = [pytest.mark.slow, pytest.mark.broker]

WAVE_SIZE = 2000


def _poll(condition, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def test_worker_killed_mid_wave_loses_nothing_and_repeats_at_most_one(
    celery_worker_process, smtp_server, settings, am, region
):
    # The crash rule's thresholds, shortened so the test does not wait ten minutes.
    settings.SURVEYS_SENDING_STALE_AFTER = 15
    settings.SURVEYS_DISPATCH_LEASE = 20
    program = Program.current()
    program.send_rate = 0
    program.save()
    book_create(sizes=[4] * (WAVE_SIZE // 4), owner=am, region=region)
    wave = Wave.objects.create(month=timezone.localdate().replace(day=1), status=Wave.Status.SENDING)
    from surveys.models import Contact

    invitations_create(wave=wave, contacts=Contact.objects.all())
    assert wave.invitations.count() == WAVE_SIZE

    worker = celery_worker_process(concurrency=1)
    dispatch.invitations_dispatch()
    assert _poll(lambda: smtp_server.count() >= WAVE_SIZE // 4, timeout=120), "the first worker sent too little"
    worker.kill()
    at_kill = smtp_server.count()
    assert at_kill < WAVE_SIZE, "the wave finished before the kill; make it bigger"

    celery_worker_process(concurrency=1, purge=False)

    def all_sent():
        dispatch.invitations_dispatch()  # what beat does every minute
        return not Invitation.objects.exclude(status=Invitation.Status.SENT).exists()

    assert _poll(all_sent, timeout=240, every=1.0), Counter(Invitation.objects.values_list("status", flat=True))

    received = Counter(str(m["To"].addresses[0].addr_spec) for m in smtp_server.messages)
    expected = set(Contact.objects.values_list("email", flat=True))
    duplicates = sum(n - 1 for n in received.values())
    print(f"\nkill test: {WAVE_SIZE} invitations, SIGKILL after {at_kill} received, "
          f"{sum(received.values())} messages received, {duplicates} duplicate(s) for 1 killed worker")
    assert set(received) == expected  # none lost
    assert duplicates <= 1  # at most one per killed worker process
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.SENT
