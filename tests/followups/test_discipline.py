"""Discipline figures read from the call summaries match an independent calculation in Python
(the medians became "half of the calls within", on delay buckets: followups.delays)."""

import math
import random
from collections import Counter, defaultdict
from datetime import timedelta
from fractions import Fraction

import pytest
from django.utils import timezone

from feedback.summaries import summary_rebuild
from followups.models import Call, RootCause
from followups.selectors import discipline_by_am, discipline_by_region, discipline_figures, top_root_causes
from followups.services import attempt_log, call_queue_for_response
from surveys.models import Account
from tests.factories import AccountFactory, RegionFactory, UserFactory
from tests.followups.conftest import answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    """Two regions, three AMs, 60 answers with every kind of outcome, at known times."""
    rng = random.Random(42)
    regions = [RegionFactory(name="North"), RegionFactory(name="South")]
    ams = [UserFactory(role="am") for _ in range(3)]
    accounts = [AccountFactory(owner=ams[i % 3], region=regions[i % 2]) for i in range(6)]
    causes = list(RootCause.objects.all())
    now = timezone.now()
    for i in range(60):
        account = accounts[i % 6]
        response = answer(account, score=rng.randint(0, 10), suspect=(i % 13 == 0))
        response.answered_at = response.changed_at = now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
        response.save()
        call = call_queue_for_response(response_id=response.pk)
        if call is None:
            continue
        fate = rng.choice(["open", "reached", "reached", "unreachable", "tried"])
        first_at = response.answered_at + timedelta(hours=rng.randint(1, 120))
        if fate == "reached":
            if rng.random() < 0.5:
                attempt_log(call_id=call.pk, by=account.owner, outcome="voicemail", at=first_at)
                first_at += timedelta(hours=rng.randint(1, 48))
            attempt_log(call_id=call.pk, by=account.owner, outcome="reached", root_cause_id=rng.choice(causes).pk,
                        agreed="Agreed", at=first_at)
        elif fate == "unreachable":
            for k in range(3):
                attempt_log(call_id=call.pk, by=account.owner, outcome="no_answer", at=first_at + timedelta(hours=k))
        elif fate == "tried":
            attempt_log(call_id=call.pk, by=account.owner, outcome="no_answer", at=first_at)
    summary_rebuild()  # the answers were written by factories
    return {"regions": regions, "ams": ams}


def expected(responses, today):
    """The figures from first principles: loop over answers and their calls."""
    answers = [r for r in responses if not r.suspect]
    calls = [r.call for r in answers]
    reached = [c for c in calls if c.state == "reached"]
    not_due = [c for c in calls if c.state == "open" and c.due_on >= today]
    missed = [c for c in calls if c.state == "open" and c.due_on < today]
    due = [c for c in calls if c not in not_due]
    detractor_missed = [c for c in missed if c.category == "detractor"]
    due_detractors = [c for c in calls if c.category == "detractor" and (c.due_on < today or c.first_attempt_at)]
    on_time = [c for c in due_detractors if c.first_attempt_at and timezone.localdate(c.first_attempt_at) <= c.due_on
               and c not in missed]

    def median_hours(values):
        return half_within_hours(values) if values else None

    def secs(a, b):
        return int((a - b).total_seconds())

    return {
        "answers": len(answers),
        "reached": len(reached),
        "closed_unreached": sum(1 for c in calls if c.state in ("unreachable", "declined")),
        "not_due": len(not_due),
        "missed": len(missed),
        "due": len(due),
        "done_share": Fraction(len(reached), len(due)) if due else None,
        "detractor_due": len(due_detractors),
        "detractor_on_time": len(on_time),
        "detractor_on_time_share": Fraction(len(on_time), len(due_detractors)) if due_detractors else None,
        "detractor_missed": len(detractor_missed),
        "first": {cat: median_hours([secs(c.first_attempt_at, c.answered_at) for c in calls
                                     if c.category == cat and c.first_attempt_at])
                  for cat in ("promoter", "passive", "detractor")},
        "reach": {cat: median_hours([secs(c.reached_at, c.answered_at) for c in calls
                                     if c.category == cat and c.reached_at])
                  for cat in ("promoter", "passive", "detractor")},
    }


def half_within_hours(seconds: list[int]) -> Fraction | None:
    """The end of the step (0.1 h below 10 h, 1 h below 48 h, 1 day below 60 days) holding
    the middle delay: the ceil(n/2)-th smallest, so at least half took no longer."""
    middle = Fraction(sorted(seconds)[math.ceil(len(seconds) / 2) - 1], 3600)
    if middle < 10:
        return Fraction(math.floor(middle * 10) + 1, 10)
    if middle < 48:
        return Fraction(math.floor(middle) + 1)
    if middle < 60 * 24:
        return Fraction(24 * (math.floor(middle / 24) + 1))
    return None


def hours_of(half):
    return None if half is None else half.hours


def responses_of(accounts):
    from feedback.models import Response

    return list(Response.objects.filter(account__in=accounts).select_related("call", "account"))


def check(figures, exp):
    for key in ("answers", "reached", "closed_unreached", "not_due", "missed", "due", "done_share",
                "detractor_due", "detractor_on_time", "detractor_on_time_share", "detractor_missed"):
        assert figures[key] == exp[key], key


def test_overall_figures_match(book):
    today = timezone.localdate()
    figures = discipline_figures(Account.objects.all(), delays=True)
    exp = expected(responses_of(Account.objects.all()), today)
    assert exp["answers"] > 40 and exp["reached"] > 5 and exp["detractor_due"] > 3
    assert exp["not_due"] > 0 and exp["missed"] > 0
    check(figures, exp)
    # Every answer's follow-up is exactly one of these.
    assert (figures["reached"] + figures["closed_unreached"] + figures["not_due"] + figures["missed"]
            + figures["without_call"]) == figures["answers"]
    assert figures["overdue"]["count"] == exp["missed"]  # all time: overdue now is the period's missed
    for row in figures["by_category"]:
        assert hours_of(row["half_tried_within"]) == exp["first"][row["category"]], row
        assert hours_of(row["half_reached_within"]) == exp["reach"][row["category"]], row


def test_per_am_and_per_region_match(book):
    today = timezone.localdate()
    by_am = discipline_by_am(Account.objects.all(), delays=True)
    assert set(by_am) == {am.pk for am in book["ams"]}
    for am in book["ams"]:
        exp = expected(responses_of(Account.objects.filter(owner=am)), today)
        check(by_am[am.pk], exp)
        calls = [r.call for r in responses_of(Account.objects.filter(owner=am)) if not r.suspect]
        firsts = [int((c.first_attempt_at - c.answered_at).total_seconds()) for c in calls if c.first_attempt_at]
        assert hours_of(by_am[am.pk]["half_tried_within"]) == half_within_hours(firsts)
    by_region = discipline_by_region(Account.objects.all())
    for region in book["regions"]:
        check(by_region[region.pk], expected(responses_of(Account.objects.filter(region=region)), today))


def test_scoped_figures_only_count_the_scope(book):
    north = Account.objects.filter(region=book["regions"][0])
    check(discipline_figures(north), expected(responses_of(north), timezone.localdate()))


def test_top_root_causes_by_category(book):
    counts = defaultdict(Counter)
    for call in Call.objects.filter(state="reached").select_related("root_cause"):
        counts[call.category][call.root_cause.name] += 1
    for row in top_root_causes(Account.objects.all()):
        exp = sorted(counts[row["category"]].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert row["causes"] == exp


def test_empty_scope_gives_empty_figures(db):
    figures = discipline_figures(Account.objects.none())
    assert figures["answers"] == 0 and figures["done_share"] is None and figures["detractor_on_time_ok"] is None
    assert figures["overdue"]["count"] == 0 and figures["overdue"]["oldest_days_late"] is None
