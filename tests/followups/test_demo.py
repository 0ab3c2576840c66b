import io
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from followups.demo import seed_calls
from followups.models import Attempt, Call
from tests.factories import AccountFactory, UserFactory
from tests.followups.conftest import answer

pytestmark = pytest.mark.django_db


def test_nothing_to_do_without_answers():
    assert "nothing to do" in seed_calls(seed=7, stdout=io.StringIO())
    assert not Call.objects.exists()


def test_seeds_lived_in_calls_for_every_answer(django_assert_max_num_queries):
    rng = random.Random(1)
    accounts = [AccountFactory(owner=UserFactory(role="am")) for _ in range(3)]
    now = timezone.now()
    for i in range(150):
        response = answer(accounts[i % 3], score=rng.randint(0, 10), suspect=(i % 50 == 0))
        response.answered_at = now - timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 23))
        response.save()
    with django_assert_max_num_queries(40):
        summary = seed_calls(seed=7, stdout=io.StringIO())
    assert "147 calls" in summary
    states = set(Call.objects.values_list("state", flat=True))
    assert {"open", "reached", "unreachable"} <= states
    assert Call.objects.filter(state="open", due_on__lt=timezone.localdate()).exists()
    reached = Call.objects.filter(state="reached")
    assert not reached.filter(root_cause__isnull=True).exists() and not reached.filter(agreed="").exists()
    for call in Call.objects.exclude(state="open"):
        assert call.closed_at and call.first_attempt_at and call.first_attempt_at >= call.answered_at
        assert call.first_attempt_at <= now
    assert not Attempt.objects.filter(at__gt=now).exists()
    assert Attempt.objects.filter(call__state="unreachable").count() == 3 * Call.objects.filter(
        state="unreachable").count()
    # Run again: nothing new.
    seed_calls(seed=7, stdout=io.StringIO())
    assert Call.objects.count() == 147
