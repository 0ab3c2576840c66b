"""The drivers' figures and the root causes by theme against a direct count of the rows,
after every step of a random sequence of the events that change them, each through the
real service: an answer (its reason tagged by the worker, or not yet), a change of mind
(another score, another reason), an answer marked suspect by staff or counted after all,
a person adding or removing a theme, the whole history tagged again, attempts (reached
with a root cause), an import moving an account to another owner or region, the owner
change page, and time passing. Each AM's inbox is checked too: the answers carry their
account's owner. Time is injected; the examples are derandomized, so a run
is the same every time."""

import os
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.answer_lists import AnswerFilter, inbox_pinned, inbox_responses
from feedback.answering import AnswerRefused, response_submit
from feedback.drivers import account_drivers, rollup_drivers
from feedback.models import Response, ResponseTheme, Theme, ThemeMonthSummary
from feedback.periods import rollup_since
from feedback.response_owners import response_owners_differences
from feedback.response_themes import reasons_tag_all, response_theme_correct, response_themes_tag
from feedback.theme_tallies import theme_summaries_differences
from followups.models import Call, RootCauseThemeSummary
from followups.root_causes import root_causes_by_theme
from followups.services import call_queue_for_response
from followups.tallies import call_summaries_differences
from surveys.models import Account, Invitation
from surveys.months import month_add
from surveys.selectors import accounts_visible_to
from surveys.tokens import invitation_token
from tests.feedback import test_rollup_property as answers_world
from tests.followups import test_call_summaries_property as calls_world

ACCOUNTS = answers_world.ACCOUNTS
REASONS = [
    "", "all good", "Delivery was late again", "Too expensive", "Our account manager is great",
    "The invoices are wrong", "Late delivery and wrong invoices, and prices went up",
    "Support never answers my emails", "Varerne kom for sent",
]
KEYS = ["product", "price", "support", "delivery", "relationship", "ordering", "billing", "communication"]

event = st.one_of(
    st.tuples(st.just("send"), st.integers(0, 5), st.just("250")),
    # (answer, invitation, score, suspect, reason, tagged by the worker at once)
    st.tuples(st.just("answer"), st.integers(0, 30), st.integers(0, 10), st.integers(0, 5).map(lambda x: x == 0),
              st.integers(0, len(REASONS) - 1), st.integers(0, 3).map(lambda x: x > 0)),
    st.tuples(st.just("tag"), st.integers(0, 30)),
    st.tuples(st.just("tag_all")),
    st.tuples(st.just("correct"), st.integers(0, 30), st.sampled_from(KEYS), st.booleans()),
    st.tuples(st.just("staff_suspect"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("attempt"), st.integers(0, 30), st.just("reached"), st.integers(0, 4)),
    st.tuples(st.just("attempt"), st.integers(0, 30), st.sampled_from(["no_answer", "declined"]), st.integers(0, 4)),
    st.tuples(st.just("import_move"), st.integers(0, ACCOUNTS - 1), st.integers(0, 2), st.integers(0, 1)),
    st.tuples(st.just("owner_page"), st.integers(0, ACCOUNTS - 1), st.integers(0, 2)),
    st.tuples(st.just("time"), st.sampled_from([1, 3, 12, 25, 40])),
)


# --- The direct count: plain rows, none of the app's code ---------------------------------------

def month(moment):
    return timezone.localdate(moment).replace(day=1)


class Rows:
    def __init__(self):
        self.owner = dict(Account.objects.values_list("pk", "owner_id"))
        self.region = dict(Account.objects.values_list("pk", "region_id"))
        self.answers = {r["pk"]: r for r in Response.objects.values("pk", "account_id", "category", "suspect",
                                                                    "answered_at")}
        self.themes = defaultdict(set)
        for response_id, theme_id in ResponseTheme.objects.values_list("response_id", "theme_id"):
            self.themes[response_id].add(theme_id)
        self.calls = list(Call.objects.values("response_id", "account_id", "state", "root_cause_id", "category",
                                              "answered_at"))

    def counted(self, keep=lambda account_id: True, start=None):
        return [r for r in self.answers.values() if not r["suspect"] and keep(r["account_id"])
                and (start is None or month(r["answered_at"]) >= start)]

    def summary(self) -> dict:
        rows = defaultdict(Counter)
        for r in self.counted():
            a = r["account_id"]
            for theme_id in self.themes[r["pk"]]:
                rows[(self.owner[a], self.region[a], month(r["answered_at"]), theme_id)][r["category"] + "s"] += 1
        return rows

    def causes_by_theme(self) -> dict:
        rows = Counter()
        for c in self.calls:
            if c["state"] == "reached" and c["root_cause_id"] is not None:
                a = c["account_id"]
                for theme_id in self.themes[c["response_id"]]:
                    rows[(self.owner[a], self.region[a], month(c["answered_at"]), c["category"], c["root_cause_id"],
                          theme_id)] += 1
        return rows


def check_drivers(rows: Rows, drivers, keep, start, now):
    """Each theme's counts in the period and by month, of the answers of the accounts kept."""
    counted = rows.counted(keep, start)
    total = Counter(r["category"] + "s" for r in counted)
    assert (drivers.total.promoters, drivers.total.passives, drivers.total.detractors) == (
        total["promoters"], total["passives"], total["detractors"])
    months = [month_add(month(now), -back) for back in range(11, -1, -1)]
    assert drivers.months == months
    recent = rows.counted(keep, months[0])
    for d in drivers.rows:
        mention = Counter(r["category"] + "s" for r in counted if d.theme.pk in rows.themes[r["pk"]])
        assert (d.mention.promoters, d.mention.passives, d.mention.detractors) == (
            mention["promoters"], mention["passives"], mention["detractors"]), d.theme.key
        assert (d.rest.promoters, d.rest.passives, d.rest.detractors) == (
            total["promoters"] - mention["promoters"], total["passives"] - mention["passives"],
            total["detractors"] - mention["detractors"])
        assert (d.share.count, d.share.n) == (sum(mention.values()), sum(total.values()))
        assert (d.detractor_share.count, d.detractor_share.n) == (mention["detractors"], total["detractors"])
        for point in d.trend:
            in_month = [r for r in recent if month(r["answered_at"]) == point.month]
            assert point.answers == len(in_month)
            assert point.mentions == sum(1 for r in in_month if d.theme.pk in rows.themes[r["pk"]])
    assert [d.theme.pk for d in drivers.leave] == [d.theme.pk for d in sorted(
        (d for d in drivers.rows if d.mention.detractors), key=lambda d: -d.mention.detractors)][:5]


def check_everything(staff, now):
    rows = Rows()
    have = {}
    for owner_id, region_id, m, theme_id, *counts in ThemeMonthSummary.objects.values_list(
        "owner_id", "region_id", "month", "theme_id", "promoters", "passives", "detractors"
    ):
        counts = Counter({f: n for f, n in zip(("promoters", "passives", "detractors"), counts, strict=True) if n})
        if counts:
            have[(owner_id, region_id, m, theme_id)] = counts
    assert have == {k: v for k, v in rows.summary().items() if v}
    stored = {tuple(key): n for *key, n in RootCauseThemeSummary.objects.values_list(
        "owner_id", "region_id", "month", "category", "root_cause_id", "theme_id", "reached") if n}
    assert stored == {k: n for k, n in rows.causes_by_theme().items() if n}

    director = staff["director"]
    this_month = month(now)
    for period, start in (("all", None), ("12m", month_add(this_month, -11)), ("3m", month_add(this_month, -2))):
        check_drivers(rows, rollup_drivers(director, period=period, now=now), lambda a: True, start, now)
        for region in staff["regions"]:
            mine = rollup_drivers(region.manager, region=region, period=period, now=now)
            check_drivers(rows, mine, lambda a, r=region.pk: rows.region[a] == r, start, now)
        for am in staff["ams"]:
            drill = rollup_drivers(director, owner=am, period=period, now=now)
            check_drivers(rows, drill, lambda a, o=am.pk: rows.owner[a] == o, start, now)
        for account in Account.objects.all():
            check_drivers(rows, account_drivers(account, period=period, now=now), lambda a, k=account.pk: a == k,
                          start, now)
        # The discipline page's cross-table: every reached call with a root cause, by theme.
        since = rollup_since(period, now)
        table = root_causes_by_theme(accounts_visible_to(director), since=since)
        want = Counter()
        for (_o, _r, m, _c, cause, theme), n in rows.causes_by_theme().items():
            if start is None or m >= start:
                want[(cause, theme)] += n
        shown = {(row.root_cause.pk, t.pk): n for row in table.rows for t, n in row.cells if n}
        assert shown == {k: n for k, n in want.items() if n}
    assert theme_summaries_differences() == []
    assert call_summaries_differences() == []
    # Each AM's inbox (pinned and the rest) holds exactly their accounts' answers.
    assert response_owners_differences() == []
    for am in staff["ams"]:
        inbox = {r.pk for r in inbox_pinned(am, AnswerFilter())} | {r.pk for r in inbox_responses(am, AnswerFilter())}
        assert inbox == set(Response.objects.filter(account__owner=am).values_list("pk", flat=True))


# --- The events ------------------------------------------------------------------------------

def _answer(index: int) -> Response | None:
    answers = list(Response.objects.order_by("pk"))
    return answers[index % len(answers)] if answers else None


def world_reset(staff):
    ThemeMonthSummary.objects.all().delete()
    RootCauseThemeSummary.objects.all().delete()
    calls_world.world_reset(staff)


def step(staff, smtp, now, action):
    kind, *args = action
    if kind == "answer":
        index, score, suspect, reason, tagged = args
        invitations = list(Invitation.objects.order_by("pk"))
        if not invitations:
            return
        invitation = invitations[index % len(invitations)]
        try:
            result = response_submit(token=invitation_token(invitation), score=score, reason=REASONS[reason],
                                     suspect_reason="honeypot filled" if suspect else "", now=now)
        except AnswerRefused:
            return
        if result.changed:  # what the outbox runs after the commit (the "answer_saved" event)
            if tagged:
                response_themes_tag(response_id=result.response.pk, now=now)
            if not suspect:
                call_queue_for_response(response_id=result.response.pk)
    elif kind == "tag" and (answer := _answer(args[0])):
        response_themes_tag(response_id=answer.pk, now=now)
    elif kind == "tag_all":
        reasons_tag_all(batch=4)
    elif kind == "correct" and (answer := _answer(args[0])):
        response_theme_correct(response=answer, theme=Theme.objects.get(key=args[1]), present=args[2],
                               by=staff["admin"], now=now)
    else:
        calls_world.step(staff, smtp, now, action)


# PROPERTY_EXAMPLES=200 PROPERTY_RANDOM=1 for a longer, fresh search.
@settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", 10)), deadline=None,
          derandomize=not os.environ.get("PROPERTY_RANDOM"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=st.lists(event, min_size=1, max_size=20))
def test_the_drivers_match_a_direct_count_after_every_event(staff, smtp_server, actions):
    world_reset(staff)
    now = timezone.make_aware(answers_world.START)
    check_everything(staff, now)
    for action in actions:
        if action[0] == "time":
            now += timedelta(days=action[1])
        else:
            step(staff, smtp_server, now, action)
        check_everything(staff, now)


def test_a_long_sequence_touches_every_kind_of_change(staff, smtp_server):
    """A fixed sequence through every event, so the property never passes on empty rows."""
    world_reset(staff)
    now = timezone.make_aware(answers_world.START)
    actions = [("send", i, "250") for i in range(6)] + [
        ("answer", 0, 2, False, 6, True), ("answer", 1, 9, False, 4, True), ("answer", 2, 3, False, 7, False),
        ("answer", 3, 10, False, 2, True), ("answer", 4, 5, False, 3, True), ("tag", 2), ("time", 1),
        ("attempt", 0, "reached", 1), ("attempt", 1, "reached", 2), ("answer", 0, 8, False, 6, False),
        ("correct", 0, "support", True), ("correct", 0, "delivery", False), ("tag", 0),
        ("answer", 1, 1, False, 8, True), ("staff_suspect", 3, True), ("import_move", 0, 2, 1), ("time", 12),
        ("owner_page", 1, 0), ("staff_suspect", 3, False), ("answer", 3, 6, False, 5, False), ("tag_all",),
        ("time", 40), ("send", 0, "250"), ("answer", 6, 9, False, 2, True),
    ]
    for action in actions:
        if action[0] == "time":
            now += timedelta(days=action[1])
        else:
            step(staff, smtp_server, now, action)
        check_everything(staff, now)
    assert ThemeMonthSummary.objects.filter(detractors__gt=0).exists()
    assert ThemeMonthSummary.objects.filter(promoters__gt=0).exists()
    assert RootCauseThemeSummary.objects.filter(reached__gt=0).exists()
    assert ResponseTheme.objects.filter(source="person").exists()


@pytest.fixture
def staff(db, director, admin_user):
    from tests import factories

    rms = [factories.UserFactory(role="rm", email=f"rm{i}@pulse.test") for i in range(2)]
    regions = [factories.RegionFactory(name=f"P{i}", manager=rm) for i, rm in enumerate(rms)]
    ams = [factories.UserFactory(role="am", email=f"am{i}@pulse.test") for i in range(3)]
    return {"director": director, "admin": admin_user, "regions": regions, "ams": ams}
