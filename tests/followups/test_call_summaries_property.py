"""Every follow-up discipline figure against a direct count of the Call rows, after every
step of a random sequence of the events that change calls, each through the real service:
an answer (its call queued), a changed answer (another category: a new due date), an
answer marked suspect by staff or counted after all (its call cancelled or queued again),
attempts of every outcome, a call handed to a colleague, an import moving an account to
another owner or region, the owner change page (and the hand-over of the open calls the
outbox runs after either), and time passing (today moves: calls fall due, become overdue).
The overdue page's people and counts are checked too. Time is injected; the examples are
derandomized, so a run is the same every time."""

import os
from collections import Counter, defaultdict
from datetime import timedelta
from fractions import Fraction

import pytest
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import Response
from feedback.periods import rollup_since
from followups.call_states import call_states_differences
from followups.models import (
    AccountCallState,
    Attempt,
    Call,
    CallDelaySummary,
    CallMonthSummary,
    FollowupSettings,
    OpenCallSummary,
    RootCause,
    RootCauseSummary,
)
from followups.selectors import (
    discipline_by_am,
    discipline_by_region,
    discipline_figures,
    overdue_assignees,
    overdue_count,
    reassign_candidates,
)
from followups.services import attempt_log, call_queue_for_response, call_reassign, calls_move_for_account
from followups.tallies import call_summaries_differences
from surveys.models import Account, Invitation
from surveys.selectors import accounts_visible_to
from tests.feedback import test_rollup_property as answers_world
from tests.followups.test_discipline import half_within_hours

ACCOUNTS = answers_world.ACCOUNTS
OUTCOMES = [o.value for o in Attempt.Outcome]

event = st.one_of(
    st.tuples(st.just("send"), st.integers(0, 5), st.just("250")),
    st.tuples(st.just("answer"), st.integers(0, 30), st.integers(0, 10), st.just(False)),
    st.tuples(st.just("answer"), st.integers(0, 30), st.integers(0, 10), st.integers(0, 5).map(lambda x: x == 0)),
    st.tuples(st.just("staff_suspect"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("attempt"), st.integers(0, 30), st.sampled_from(OUTCOMES), st.integers(0, 4)),
    st.tuples(st.just("attempt"), st.integers(0, 30), st.just("reached"), st.integers(0, 4)),
    st.tuples(st.just("reassign"), st.integers(0, 30), st.integers(0, 4)),
    st.tuples(st.just("import_move"), st.integers(0, ACCOUNTS - 1), st.integers(0, 2), st.integers(0, 1)),
    st.tuples(st.just("owner_page"), st.integers(0, ACCOUNTS - 1), st.integers(0, 2)),
    st.tuples(st.just("time"), st.sampled_from([1, 2, 3, 9, 25, 40])),
)


# --- The direct count: the definitions over plain rows, none of the app's code ----------------

class Rows:
    def __init__(self):
        self.owner = dict(Account.objects.values_list("pk", "owner_id"))
        self.region = dict(Account.objects.values_list("pk", "region_id"))
        self.calls = list(Call.objects.select_related("root_cause"))
        self.answers = list(Response.objects.filter(suspect=False).values("account_id", "answered_at"))


def direct(rows: Rows, today, since, keep) -> dict:
    calls = [c for c in rows.calls if keep(c.account_id) and c.state != "cancelled"]
    period = [c for c in calls if since is None or c.answered_at >= since]
    open_ = [c for c in period if c.state == "open"]
    not_due = [c for c in open_ if c.due_on >= today]
    missed = [c for c in open_ if c.due_on < today]
    detractors = [c for c in period if c.category == "detractor"]
    detractor_due = [c for c in detractors if c.due_on < today or c.first_attempt_at is not None]
    on_time = [c for c in detractor_due if c.first_attempt_on is not None and c.first_attempt_on <= c.due_on
               and c not in missed]
    overdue = [c for c in calls if c.state == "open" and c.due_on < today]
    late_detractors = [c for c in overdue if c.category == "detractor"]
    due = len(period) - len(not_due)
    causes = defaultdict(Counter)
    for c in period:
        if c.state == "reached" and c.root_cause is not None:
            causes[c.category][c.root_cause.name] += 1
    return {
        "answers": sum(1 for r in rows.answers
                       if keep(r["account_id"]) and (since is None or r["answered_at"] >= since)),
        "with_call": len(period),
        "attempted": sum(1 for c in period if c.first_attempt_at is not None),
        "reached": sum(1 for c in period if c.state == "reached"),
        "closed_unreached": sum(1 for c in period if c.state in ("unreachable", "declined")),
        "not_due": len(not_due),
        "missed": len(missed),
        "due": due,
        "done_share": Fraction(sum(1 for c in period if c.state == "reached"), due) if due else None,
        "detractor_due": len(detractor_due),
        "detractor_on_time": len(on_time),
        "detractor_missed": sum(1 for c in missed if c.category == "detractor"),
        "detractors_overdue_now": len(late_detractors),
        "overdue": {
            "count": len(overdue),
            "long": sum(1 for c in overdue if c.due_on < today - timedelta(days=7)),
            "oldest_due_on": min((c.due_on for c in overdue), default=None),
            "detractors": len(late_detractors),
            "oldest_detractor_due_on": min((c.due_on for c in late_detractors), default=None),
        },
        "causes": {cat: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3] for cat, counts in causes.items()},
        "delays": {
            (cat, kind): half_within_hours(values)
            for cat in ("promoter", "passive", "detractor", None)
            for kind, field in (("first_attempt", "seconds_to_first_attempt"), ("reached", "seconds_to_reached"))
            if (values := [getattr(c, field) for c in calls if getattr(c, field) is not None
                           and cat in (None, c.category)])
        },
    }


FIGURES = ("answers", "with_call", "attempted", "reached", "closed_unreached", "not_due", "missed", "due",
           "done_share", "detractor_due", "detractor_on_time", "detractor_missed", "detractors_overdue_now")


def hours(half):
    return None if half is None else half.hours


def same(shown: dict, want: dict, *, delays_by_category: bool = False, delays_total: bool = False):
    for name in FIGURES:
        assert shown[name] == want[name], (name, shown[name], want[name])
    if delays_total:
        assert hours(shown["half_tried_within"]) == want["delays"].get((None, "first_attempt"))
        assert hours(shown["half_reached_within"]) == want["delays"].get((None, "reached"))
    if delays_by_category:
        for row in shown["by_category"]:
            assert hours(row["half_tried_within"]) == want["delays"].get((row["category"], "first_attempt"))
            assert hours(row["half_reached_within"]) == want["delays"].get((row["category"], "reached"))


def check_everything(staff, now):
    rows = Rows()
    today = timezone.localdate(now)
    director = staff["director"]
    everything = accounts_visible_to(director)
    for period in ("all", "12m", "3m"):
        since = rollup_since(period, now)
        delays = period == "all"  # the discipline page: all time, with the delays
        figures = discipline_figures(everything, since=since, today=today, delays=delays)
        want = direct(rows, today, since, lambda a: True)
        same(figures, want, delays_by_category=delays)
        overdue = figures["overdue"]
        assert {k: overdue[k] for k in want["overdue"]} == want["overdue"]
        assert overdue["oldest_days_late"] == (None if overdue["oldest_due_on"] is None
                                               else (today - overdue["oldest_due_on"]).days)
        for cause in figures["root_causes"]:
            assert cause["causes"] == want["causes"].get(cause["category"], [])
        for grouped, key_of in ((discipline_by_am, rows.owner), (discipline_by_region, rows.region)):
            shown = grouped(everything, since=since, today=today, delays=delays)
            for key in set(key_of.values()):
                want = direct(rows, today, since, lambda a, key=key, key_of=key_of: key_of[a] == key)
                if want["answers"] or want["with_call"] or want["overdue"]["count"]:
                    same(shown.pop(key), want, delays_total=delays)
            assert not shown, f"groups without anything: {shown}"
        # A regional manager's scope: their region's rows only (the EXISTS on the accounts).
        for region in staff["regions"]:
            mine = accounts_visible_to(region.manager)
            want = direct(rows, today, since, lambda a, r=region.pk: rows.region[a] == r)
            same(discipline_figures(mine, since=since, today=today, delays=delays), want, delays_by_category=delays)
    # The overdue page: who has overdue calls, and how many, of each scope and filter.
    for accounts, keep in [(everything, lambda a: True)] + [
        (accounts_visible_to(r.manager), lambda a, r=r.pk: rows.region[a] == r) for r in staff["regions"]
    ]:
        overdue = [c for c in rows.calls if keep(c.account_id) and c.state == "open" and c.due_on < today]
        people = Counter(c.assignee_id for c in overdue)
        assert {u.pk for u in overdue_assignees(accounts, today=today)} == set(people)
        assert overdue_count(accounts, today=today) == len(overdue)
        for assignee_id, n in people.items():
            assert overdue_count(accounts, today=today, assignee_id=assignee_id) == n
            detractors = sum(1 for c in overdue if c.assignee_id == assignee_id and c.category == "detractor")
            assert overdue_count(accounts, today=today, assignee_id=assignee_id, category="detractor") == detractors
    assert call_summaries_differences() == []
    assert call_states_differences() == []


def step(staff, smtp, now, action):
    kind, *args = action
    if kind == "attempt":
        index, outcome, cause = args
        calls = list(Call.objects.filter(state="open").select_related("account").order_by("pk"))
        if calls:
            call = calls[index % len(calls)]
            causes = list(RootCause.objects.filter(active=True).order_by("pk"))
            extra = {}
            if outcome == "reached":
                extra = {"root_cause_id": causes[cause % len(causes)].pk, "agreed": "Agreed"}
            attempt_log(call_id=call.pk, by=call.account.owner, outcome=outcome, at=now, **extra)
        return
    if kind == "reassign":
        index, colleague = args
        calls = list(Call.objects.filter(state="open").select_related("account").order_by("pk"))
        if calls:
            call = calls[index % len(calls)]
            candidates = list(reassign_candidates(call))
            if candidates:
                call_reassign(call_id=call.pk, by=staff["admin"],
                              assignee_id=candidates[colleague % len(candidates)].pk)
        return
    with_call_queued = {"answer", "staff_suspect"}
    before = set(Response.objects.values_list("pk", "changed_at"))
    owners = dict(Account.objects.values_list("pk", "owner_id"))
    answers_world.step(staff, smtp, now, action)
    for account_id, owner_id in Account.objects.values_list("pk", "owner_id"):
        if owners.get(account_id) != owner_id:  # what the outbox runs on "owner_changed"
            calls_move_for_account(account_id=account_id, new_owner_id=owner_id)
    if kind in with_call_queued:
        # What the outbox runs after the answer's commit (the "answer_saved" event; an answer
        # with signs of a bot is routed, not followed up; staff's mark re-queues or cancels).
        for response in Response.objects.order_by("pk"):
            if (response.pk, response.changed_at) not in before or kind == "staff_suspect":
                if kind == "staff_suspect" or not response.suspect:
                    call_queue_for_response(response_id=response.pk)


def world_reset(staff):
    """The answers' world afresh (its rows deleted around the services), and the call summaries with it."""
    for model in (CallMonthSummary, OpenCallSummary, CallDelaySummary, RootCauseSummary, AccountCallState):
        model.objects.all().delete()
    answers_world.world_reset(staff, ["manager"] * (ACCOUNTS * answers_world.CONTACTS_PER_ACCOUNT))
    FollowupSettings.objects.filter(pk=FollowupSettings.current().pk).update(max_unanswered_attempts=2)


# PROPERTY_EXAMPLES=200 PROPERTY_RANDOM=1 for a longer, fresh search.
@settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", 10)), deadline=None,
          derandomize=not os.environ.get("PROPERTY_RANDOM"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=st.lists(event, min_size=1, max_size=24))
def test_every_discipline_figure_matches_a_direct_count_after_every_event(staff, smtp_server, actions):
    world_reset(staff)
    now = timezone.make_aware(answers_world.START)
    check_everything(staff, now)
    for action in actions:
        if action[0] == "time":
            now += timedelta(days=action[1])
        else:
            step(staff, smtp_server, now, action)
        check_everything(staff, now)


def test_a_long_sequence_touches_every_kind_of_call(staff, smtp_server):
    """A fixed sequence that reaches every state, so the property never passes on empty rows."""
    world_reset(staff)
    now = timezone.make_aware(answers_world.START)
    actions = [("send", i, "250") for i in range(6)] + [
        ("answer", 0, 2, False), ("answer", 1, 8, False), ("answer", 2, 10, False), ("answer", 3, 1, False),
        ("answer", 4, 5, False), ("answer", 5, 9, False), ("time", 1), ("attempt", 0, "no_answer", 0),
        ("attempt", 0, "reached", 1), ("answer", 1, 3, False), ("staff_suspect", 2, True), ("time", 9),
        ("attempt", 1, "declined", 0), ("attempt", 0, "voicemail", 0), ("attempt", 0, "no_answer", 0),
        ("import_move", 0, 2, 1), ("owner_page", 1, 0), ("staff_suspect", 2, False), ("time", 25),
        ("attempt", 0, "reached", 2), ("reassign", 1, 1), ("reassign", 2, 0), ("owner_page", 2, 1),
        ("time", 40),
    ]
    for action in actions:
        if action[0] == "time":
            now += timedelta(days=action[1])
        else:
            step(staff, smtp_server, now, action)
        check_everything(staff, now)
    assert Call.objects.exclude(assignee_id=F("account__owner_id")).exists()  # a call was handed over
    states = set(Call.objects.values_list("state", flat=True))
    assert {"open", "reached", "declined"} <= states, states
    assert Invitation.objects.filter(status="sent").count() == 6


@pytest.fixture
def staff(db, director, admin_user):
    from tests import factories

    rms = [factories.UserFactory(role="rm", email=f"rm{i}@pulse.test") for i in range(2)]
    regions = [factories.RegionFactory(name=f"P{i}", manager=rm) for i, rm in enumerate(rms)]
    ams = [factories.UserFactory(role="am", email=f"am{i}@pulse.test") for i in range(3)]
    return {"director": director, "admin": admin_user, "regions": regions, "ams": ams}
