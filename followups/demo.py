"""Follow-up calls for the demo (seed_demo step 4): a call for every answer earlier steps
left, with lived-in outcomes: attempts, reached calls with root causes and agreements,
some unreachable or declined, some still open and overdue."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from feedback.models import Response

from .business_days import add_business_days
from .models import Attempt, Call, FollowupSettings, RecoveryRequest, RootCause
from .tallies import calls_added_count

AGREED = {
    "detractor": [
        "Credit note for the late delivery; a fixed weekly delivery slot from next month.",
        "Service manager visits on site to go through the open tickets.",
        "Escalated the invoicing errors to finance; corrected invoices within a week.",
        "New account contact in support with a direct phone line.",
    ],
    "passive": [
        "Send the roadmap for the reporting module; follow up at the quarterly meeting.",
        "Offer training for the new users in their team.",
        "Review the price list together before renewal.",
    ],
    "promoter": [
        "Thanked them; asked for a reference case, they agreed.",
        "Invited them to the customer advisory board.",
        "Shared the feedback with the delivery team.",
    ],
}
CAUSE_WEIGHTS = {
    "detractor": {"Delivery": 4, "Service": 3, "Product": 2, "Price": 2, "Relationship": 1},
    "passive": {"Product": 3, "Price": 3, "Service": 2, "Delivery": 1, "Relationship": 1},
    "promoter": {"Relationship": 4, "Service": 3, "Product": 2, "Delivery": 1, "Price": 1},
}
NOTES = ["", "", "Left a message", "Busy, call back tomorrow", "Out of office until Monday"]


def _business_hour(rng: random.Random, day_start):
    return day_start + timedelta(hours=rng.randint(8, 16), minutes=rng.randint(0, 59))


def seed_calls(*, seed: int, stdout) -> str:
    responses = list(
        Response.objects.filter(suspect=False, call__isnull=True)
        .select_related("account__owner", "contact")
        .order_by("answered_at", "pk")
    )
    if not responses:
        return "followups: no answers to follow up (nothing to do)"
    rng = random.Random(seed)
    settings = FollowupSettings.current()
    causes = {c.name: c for c in RootCause.objects.filter(active=True)}
    now = timezone.now()
    today = timezone.localdate()
    calls, plans = [], []
    for response in responses:
        answered_on = timezone.localdate(response.answered_at)
        due_on = add_business_days(answered_on, settings.due_days(response.category))
        call = Call(response=response, account=response.account, contact=response.contact,
                    category=response.category, answered_at=response.answered_at,
                    assignee=response.account.owner, assigned_for=response.account.owner, due_on=due_on,
                    created_at=response.answered_at)
        age_days = (now - response.answered_at).days
        plans.append(_plan(rng, call, age_days, today, now, causes))
        calls.append(call)
    attempts, recoveries = [], []
    with transaction.atomic():
        Call.objects.bulk_create(calls, batch_size=2000)
        calls_added_count(calls)
        for call, plan in zip(calls, plans, strict=True):
            for outcome, at, note in plan:
                attempts.append(Attempt(call=call, outcome=outcome, note=note, by_id=call.assignee_id, at=at))
            if (call.state == Call.State.REACHED and call.category == "detractor" and call.contact.reachable
                    and rng.random() < 0.3):
                recoveries.append(RecoveryRequest(
                    call=call, contact=call.contact, account=call.account, original_score=call.response.score,
                    survey_on=timezone.localdate(call.reached_at) + timedelta(days=rng.choice([30, 45, 60, 90])),
                    requested_by_id=call.assignee_id, requested_at=call.reached_at,
                ))
        Attempt.objects.bulk_create(attempts, batch_size=5000)
        RecoveryRequest.objects.bulk_create(recoveries, batch_size=2000)
    states = {}
    for call in calls:
        states[call.state] = states.get(call.state, 0) + 1
    overdue = sum(1 for c in calls if c.state == Call.State.OPEN and c.due_on < today)
    return (f"followups: {len(calls)} calls ({', '.join(f'{n} {s}' for s, n in sorted(states.items()))}; "
            f"{overdue} overdue), {len(attempts)} attempts, {len(recoveries)} recovery requests")


def _plan(rng, call, age_days, today, now, causes) -> list:
    """Decide the call's fate and fill its fields; return its attempts [(outcome, at, note)]."""
    diligence = rng.random()
    # Fresh answers are mostly still open; older ones mostly done, a few forgotten (overdue).
    if age_days <= 2:
        fate = "open" if diligence < 0.75 else "reached"
    elif age_days <= 45:
        fate = rng.choices(["reached", "unreachable", "declined", "open", "tried"], [70, 8, 4, 10, 8])[0]
    else:
        # Months old: a team that uses Pulse has closed nearly all of these.
        fate = rng.choices(["reached", "unreachable", "declined", "open", "tried"], [80, 10, 5, 0.3, 5])[0]
    start = call.answered_at
    lateness = 0.3 if call.category == "detractor" else 1.0
    first_at = start + timedelta(hours=rng.expovariate(1 / (30 * lateness)))
    first_at = min(_business_hour(rng, first_at.replace(hour=0, minute=0)), now - timedelta(minutes=5))
    if first_at < start:
        first_at = start + timedelta(minutes=rng.randint(20, 90))
    if first_at > now or fate == "open":
        return []
    attempts = []
    at = first_at
    if fate in ("reached", "tried") and rng.random() < 0.4:
        attempts.append((rng.choice(["no_answer", "voicemail"]), at, rng.choice(NOTES)))
        at = at + timedelta(hours=rng.randint(3, 30))
    if fate == "unreachable":
        for _k in range(3):
            attempts.append((rng.choice(["no_answer", "voicemail", "no_answer"]), at, rng.choice(NOTES)))
            at = at + timedelta(hours=rng.randint(20, 50))
    at = min(at, now - timedelta(minutes=1))
    if fate == "reached":
        attempts.append(("reached", at, ""))
    elif fate == "declined":
        attempts.append(("declined", at, "Not interested in talking about it"))
    elif fate == "tried" and not attempts:
        attempts.append(("no_answer", at, ""))

    attempts = [(outcome, min(when, now - timedelta(minutes=1)), note) for outcome, when, note in attempts]
    call.first_attempt_at = attempts[0][1]
    call.first_attempt_on = timezone.localdate(call.first_attempt_at)
    call.seconds_to_first_attempt = max(0, int((call.first_attempt_at - start).total_seconds()))
    call.unanswered_attempts = sum(1 for a in attempts if a[0] in Attempt.UNANSWERED)
    last_at = attempts[-1][1]
    if fate == "reached":
        weights = CAUSE_WEIGHTS[call.category]
        names = [n for n in weights if n in causes] or list(causes)
        if names:
            call.root_cause = causes[rng.choices(names, [weights.get(n, 1) for n in names])[0]]
        call.state = Call.State.REACHED
        call.reached_at = call.closed_at = last_at
        call.seconds_to_reached = max(0, int((last_at - start).total_seconds()))
        call.agreed = rng.choice(AGREED[call.category])
        if call.category != "promoter":
            call.action_owner = call.assignee.full_name or call.assignee.email
            call.action_due = timezone.localdate(last_at) + timedelta(days=rng.randint(5, 30))
    elif fate == "unreachable":
        call.state, call.closed_at = Call.State.UNREACHABLE, last_at
    elif fate == "declined":
        call.state, call.closed_at = Call.State.DECLINED, last_at
    return attempts
