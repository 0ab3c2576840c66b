"""Every rollup figure against a direct count from the tables, after every step of a random
sequence of the events that change them, each through the real service: a send (accepted,
refused for good, or for now, over a real SMTP server), a reminder refused for good, an
answer, a change of mind, an answer marked suspect or counted by staff, an import moving
an account to another owner or region, an import changing a contact's level or an
account's revenue, an account deactivated, the owner change page, the daily roll of the
account windows, a call attempted (the answers' calls are queued by the outbox), and time
passing (across month ends). Time is injected; the examples are derandomized, so a run
is the same every time."""

import math
import os
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.answer_lists import AnswerFilter
from feedback.answering import AnswerRefused, response_submit
from feedback.models import Response
from feedback.periods import rollup_since
from feedback.revenue import revenue_coverage, revenue_weighted_nps
from feedback.rollups import account_figures, account_trend, filter_figures, rollup
from feedback.services import account_owner_change, response_suspect_set
from followups.models import AtRiskCount, Call
from followups.revenue_at_risk import revenue_at_risk_differences
from followups.risk_states import risk_states_differences
from followups.services import attempt_log
from outbox.models import Message
from outbox.services import outbox_deliver_due
from reports.at_risk import accounts_at_risk, revenue_at_risk
from surveys.book_accounts import accounts_deactivate
from surveys.book_import import book_csv, book_import
from surveys.models import (
    Account,
    AccountSummary,
    Contact,
    Invitation,
    MonthSummary,
    OwnerMonthSummary,
    RevenueSummary,
    Wave,
)
from surveys.months import month_add
from surveys.reminders import reminders_send
from surveys.selectors import accounts_visible_to
from surveys.sending import invitations_send
from surveys.tallies import account_windows_roll
from surveys.tallies_rebuild import tallies_differences
from surveys.tokens import invitation_token
from tests import factories
from tests.reports.revenue_book import detractor_share, direct_at_risk, direct_revenue_at_risk

LEVELS = ["executive", "manager", "operational"]
REVENUES = ["", "0", "1250000", "99.95", "4000000"]  # "": the column, its cell empty (no revenue)
ACCOUNTS = 3
CONTACTS_PER_ACCOUNT = 2
START = datetime(2026, 1, 20, 10, 0)

event = st.one_of(
    st.tuples(st.just("send"), st.integers(0, 5), st.sampled_from(["250", "250", "250", "550", "451"])),
    st.tuples(st.just("reminder_bounce"), st.integers(0, 30)),
    st.tuples(st.just("answer"), st.integers(0, 30), st.integers(0, 10), st.integers(0, 4).map(lambda x: x == 0)),
    st.tuples(st.just("answer"), st.integers(0, 30), st.integers(0, 10), st.just(False)),
    st.tuples(st.just("staff_suspect"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("import_move"), st.integers(0, ACCOUNTS - 1), st.integers(0, 2), st.integers(0, 1)),
    st.tuples(st.just("import_level"), st.integers(0, 5), st.sampled_from(LEVELS)),
    st.tuples(st.just("owner_page"), st.integers(0, ACCOUNTS - 1), st.integers(0, 2)),
    st.tuples(st.just("time"), st.sampled_from([1, 3, 12, 25, 40])),
    st.tuples(st.just("import_revenue"), st.integers(0, ACCOUNTS - 1), st.sampled_from(REVENUES)),
    st.tuples(st.just("deactivate"), st.integers(0, ACCOUNTS - 1)),
    st.tuples(st.just("roll")),
    st.tuples(st.just("call_attempt"), st.integers(0, 30)),
)


# --- The direct count: the textbook definitions over plain rows, none of the app's code ------

def month(moment):
    return timezone.localdate(moment).replace(day=1)


class Tables:
    """The rows as they are now."""

    def __init__(self):
        self.accounts = {a.pk: a for a in Account.objects.all()}
        self.level = dict(Contact.objects.values_list("pk", "level"))
        self.contacts = list(Contact.objects.values("pk", "account_id"))
        self.invitations = list(Invitation.objects.values("pk", "account_id", "contact_id", "status", "sent_at",
                                                          "wave_id"))
        self.answers = list(Response.objects.values("invitation_id", "account_id", "contact_id", "category",
                                                    "suspect", "answered_at"))
        self.counted = {r["invitation_id"]: r for r in self.answers if not r["suspect"]}

    def figures(self, *, start=None, end=None, keep=lambda account_id, level: True):
        """(promoters, passives, detractors, delivered, answered) of the answers given and the
        invitations delivered in months start..end, of the accounts and levels kept."""
        def inside(m):
            return (start is None or m >= start) and (end is None or m <= end)

        counts = defaultdict(int)
        for r in self.counted.values():
            if keep(r["account_id"], self.level[r["contact_id"]]) and inside(month(r["answered_at"])):
                counts[r["category"]] += 1
        delivered = answered = 0
        for i in self.invitations:
            if i["status"] == "sent" and keep(i["account_id"], self.level[i["contact_id"]]) and inside(
                month(i["sent_at"])
            ):
                delivered += 1
                answered += i["pk"] in self.counted
        return counts["promoter"], counts["passive"], counts["detractor"], delivered, answered

    def owner(self, account_id):
        return self.accounts[account_id].owner_id

    def region(self, account_id):
        return self.accounts[account_id].region_id


def same(fig, expected):
    p, pa, d, delivered, answered = expected
    n = p + pa + d
    assert (fig.n, fig.promoters, fig.passives, fig.detractors, fig.delivered, fig.answered) == (
        n, p, pa, d, delivered, answered)
    if n:
        assert math.isclose(fig.nps, 100 * (p - d) / n, abs_tol=1e-9)
        ps, ds = p / n, d / n
        assert math.isclose(fig.margin, 100 * 1.96 * math.sqrt((ps + ds - (ps - ds) ** 2) / n), abs_tol=1e-9)
    else:
        assert fig.nps is None and fig.margin is None
    assert fig.response_rate == (answered / delivered if delivered else None)
    assert fig.confident == (n >= 10)


def check_everything(staff, now):
    t = Tables()
    director = staff["director"]
    this_month = month(now)
    for period, start in (("all", None), ("12m", month_add(this_month, -11)), ("3m", month_add(this_month, -2))):
        result = rollup(director, period=period, regions=True, now=now)
        assert result.as_of == now
        same(result.figures, t.figures(start=start))
        same(filter_figures(director, AnswerFilter(period=period), now=now), t.figures(start=start))
        groups = {
            "owner": (result.by_owner, t.owner),
            "region": (result.by_region, t.region),
        }
        for what, (rows, key_of) in groups.items():
            shown = {obj.pk: fig for obj, fig in rows}
            keys = {key_of(a) for a in t.accounts}
            for key in keys:
                expected = t.figures(start=start, keep=lambda a, _l, key=key, key_of=key_of: key_of(a) == key)
                if any(expected):
                    same(shown.pop(key), expected)
                flt = AnswerFilter(period=period, **{what: key})
                same(filter_figures(director, flt, now=now), expected)
            assert not shown, f"{what} groups without anything: {shown}"
        for level, _label, fig in result.by_level:
            expected = t.figures(start=start, keep=lambda _a, lv, level=level: lv == level)
            same(fig, expected)
            same(filter_figures(director, AnswerFilter(period=period, level=level), now=now), expected)
        if period == "12m":  # the regional managers see their region's figures (one period: time)
            for region in staff["regions"]:
                mine = rollup(region.manager, region=region, period=period, now=now)
                same(mine.figures, t.figures(start=start, keep=lambda a, _l, r=region.pk: t.region(a) == r))
                expected = {
                    owner_id: t.figures(start=start, keep=lambda a, _l, r=region.pk, o=owner_id: (
                        t.region(a) == r and t.owner(a) == o))
                    for owner_id in {t.owner(a) for a in t.accounts}
                }
                by_owner = {owner.pk: fig for owner, fig in mine.by_owner}
                assert set(by_owner) == {o for o, counts in expected.items() if any(counts)}
                for owner_id, fig in by_owner.items():
                    same(fig, expected[owner_id])
            trend = result.trend
        # Accounts: each one's figures of the period (its windows, exact also right after a
        # month turned, are checked by tallies_differences below).
        for account_id in t.accounts:
            same(filter_figures(director, AnswerFilter(period=period, account=account_id), now=now),
                 t.figures(start=start, keep=lambda a, _l, k=account_id: a == k))
    assert [m for m, _ in trend] == [month_add(this_month, -back) for back in range(11, -1, -1)]
    for m, fig in trend:
        same(fig, t.figures(start=m, end=m))
        same(filter_figures(director, AnswerFilter(month=m), now=now), t.figures(start=m, end=m))
    for account_id, account in t.accounts.items():
        mine = lambda a, _l, k=account_id: a == k  # noqa: E731
        same(account_figures(account), t.figures(keep=mine))
        for m, fig in account_trend(account, months=24, now=now):
            same(fig, t.figures(start=m, end=m, keep=mine))
        check_account_summary(t, account_id)
    check_revenue(staff, t, now)
    assert tallies_differences(now=now) == []
    assert revenue_at_risk_differences() == []
    assert risk_states_differences() == []


def check_revenue(staff, t, now):
    """Revenue coverage (in all and per owner) and the revenue-weighted NPS of each period,
    for the director and each regional manager's region."""
    this_month = month(now)
    heard_from = month_add(this_month, -2)
    for user, region in [(staff["director"], None), *((r.manager, r) for r in staff["regions"])]:
        scope = accounts_visible_to(user)
        if region is not None:
            scope = scope.filter(region=region)
        accounts = [a for a in t.accounts.values() if region is None or a.region_id == region.pk]
        risk = revenue_at_risk(scope)
        assert (risk.revenue, risk.accounts) == direct_revenue_at_risk(accounts)
        coverage = revenue_coverage(scope, now=now)
        assert coverage_of(t, accounts, heard_from) == coverage_figures(coverage.total)
        owners = {a.owner_id for a in accounts if a.active and a.annual_revenue is not None}
        assert {owner.pk for owner, _c in coverage.by_owner} == owners
        for owner, c in coverage.by_owner:
            assert coverage_of(t, [a for a in accounts if a.owner_id == owner.pk], heard_from) == coverage_figures(c)
        for period, start in (("all", None), ("12m", month_add(this_month, -11)), ("3m", heard_from)):
            got, expected = revenue_weighted_nps(scope, period=period, now=now), weighted_of(t, accounts, start)
            assert (got.accounts, got.answers, got.revenue) == expected[:3]
            if expected[3] is None:
                assert got.nps is None
            else:
                assert math.isclose(got.nps, expected[3], abs_tol=1e-6)
                assert math.isclose(got.margin, expected[4], abs_tol=1e-6)
            since = rollup_since(period, now)
            baseline = detractor_share(accounts, since)
            expected_risk = direct_at_risk(sorted(accounts, key=lambda a: a.pk), since, baseline)
            got_risk = accounts_at_risk(scope, period=period, baseline=baseline, since=since, limit=100, now=now)
            assert got_risk.total == len(expected_risk)
            assert [row.account.pk for row in got_risk.rows] == [e["account"] for e in expected_risk]


def coverage_figures(c):
    return c.accounts, c.accounts_with_revenue, c.revenue, c.accounts_heard, c.heard


def coverage_of(t, accounts, heard_from):
    """(active accounts, with a revenue, their revenue, heard from since `heard_from`, their revenue)."""
    active = [a for a in accounts if a.active]
    known = [a for a in active if a.annual_revenue is not None]
    heard = [a for a in known if any(r["account_id"] == a.pk and month(r["answered_at"]) >= heard_from
                                     for r in t.counted.values())]
    return (len(active), len(known), sum((a.annual_revenue for a in known), Decimal(0)), len(heard),
            sum((a.annual_revenue for a in heard), Decimal(0)))


def weighted_of(t, accounts, start):
    """(accounts, answers, revenue, NPS, margin) weighted by revenue: each account's NPS by
    its revenue; each answer weighs its account's revenue over the account's answers."""
    total, weighted, weights, answers, revenue, counted_accounts = 0.0, 0.0, [], 0, Decimal(0), 0
    for a in accounts:
        mine = [r for r in t.counted.values() if r["account_id"] == a.pk and (
            start is None or month(r["answered_at"]) >= start)]
        if a.annual_revenue is None or not mine:
            continue
        values = [{"promoter": 100, "passive": 0, "detractor": -100}[r["category"]] for r in mine]
        w = float(a.annual_revenue)
        total += w
        weighted += w * sum(values) / len(values)
        weights += [(w / len(values), x) for x in values]
        answers, revenue, counted_accounts = answers + len(mine), revenue + a.annual_revenue, counted_accounts + 1
    if not total:
        return counted_accounts, answers, revenue, None, None
    nps = weighted / total
    margin = 1.96 * math.sqrt(sum(w * w * (x - nps) ** 2 for w, x in weights) / total ** 2)
    return counted_accounts, answers, revenue, nps, margin


def check_account_summary(t, account_id):
    summary = AccountSummary.objects.get(pk=account_id)
    assert summary.contacts == sum(1 for c in t.contacts if c["account_id"] == account_id)
    counted = [r for r in t.counted.values() if r["account_id"] == account_id]
    assert summary.answering_contacts == len({r["contact_id"] for r in counted})
    executive = [r["answered_at"] for r in counted if t.level[r["contact_id"]] == "executive"]
    last = max(executive, default=None)
    assert summary.last_executive_answer_at == last
    silent_waves = {
        i["wave_id"] for i in t.invitations
        if i["account_id"] == account_id and t.level[i["contact_id"]] == "executive" and i["status"] == "sent"
        and i["pk"] not in t.counted and (last is None or i["sent_at"] > last)
    }
    assert summary.executive_waves_unanswered == len(silent_waves)


# --- The world and the events ------------------------------------------------------------

@pytest.fixture
def staff(db, director, admin_user):
    rms = [factories.UserFactory(role="rm", email=f"rm{i}@pulse.test") for i in range(2)]
    regions = [factories.RegionFactory(name=f"P{i}", manager=rm) for i, rm in enumerate(rms)]
    ams = [factories.UserFactory(role="am", email=f"am{i}@pulse.test") for i in range(3)]
    return {"director": director, "admin": admin_user, "regions": regions, "ams": ams}


def book_row(staff, account_index, *, am, region, contact=None):
    row = {
        "account_id": f"P-{account_index}", "account_name": f"Account {account_index}",
        "region": staff["regions"][region].name, "regional_manager_email": staff["regions"][region].manager.email,
        "account_manager_email": staff["ams"][am].email,
        "contact_email": "", "contact_name": "", "contact_phone": "", "contact_level": "", "language": "",
    }
    if contact:
        row.update(contact_email=contact.email, contact_name=contact.name, contact_phone=contact.phone,
                   contact_level=contact.level, language="en")
    return row


def account_row(staff, account, **contact):
    am = next(i for i, u in enumerate(staff["ams"]) if u.pk == account.owner_id)
    region = next(i for i, r in enumerate(staff["regions"]) if r.pk == account.region_id)
    return book_row(staff, int(account.external_id.split("-")[1]), am=am, region=region, **contact)


def world_reset(staff, levels):
    for model in (Call, Response, Invitation, Contact, Account, Wave, MonthSummary, OwnerMonthSummary, RevenueSummary,
                  AtRiskCount, Message):
        model.objects.all().delete()
    rows = []
    for a in range(ACCOUNTS):
        for c in range(CONTACTS_PER_ACCOUNT):
            row = book_row(staff, a, am=a % 3, region=a % 2)
            row.update(contact_email=f"c{a}-{c}@customer.test", contact_name=f"Contact {a}-{c}",
                       contact_level=levels[a * CONTACTS_PER_ACCOUNT + c], language="en")
            rows.append(row)
    book_import(data=book_csv(rows))


def step(staff, smtp, now, action):
    kind, *args = action
    contacts = list(Contact.objects.order_by("pk"))
    invitations = list(Invitation.objects.order_by("pk"))
    if kind == "send":
        contact_index, code = args
        contact = contacts[contact_index % len(contacts)]
        wave, _ = Wave.objects.get_or_create(month=month(now), defaults={"status": Wave.Status.SENDING})
        Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.SENDING)
        invitation = Invitation.objects.filter(wave=wave, contact=contact).first()
        if invitation is None:
            invitation = factories.InvitationFactory(
                wave=wave, contact=contact, status=Invitation.Status.PLANNED, sent_at=None, expires_at=None)
        Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PLANNED).update(send_after=None)
        smtp.reject_next = [] if code == "250" else [code]
        invitations_send(invitation_ids=[invitation.pk], now=now)
        smtp.reject_next = []
    elif kind == "reminder_bounce" and invitations:
        invitation = invitations[args[0] % len(invitations)]
        smtp.reject_next = ["550"]
        reminders_send(invitation_ids=[invitation.pk], now=now)
        smtp.reject_next = []
    elif kind == "answer" and invitations:
        index, score, suspect = args
        invitation = invitations[index % len(invitations)]
        try:
            response_submit(token=invitation_token(invitation), score=score, reason=f"r{score}",
                            suspect_reason="honeypot filled" if suspect else "", now=now)
        except AnswerRefused:
            pass  # not emailed, expired: nothing changes
        outbox_deliver_due()  # the worker's part: the answer's call queued (no commit here to run it)
    elif kind == "staff_suspect":
        answers = list(Response.objects.order_by("pk").values_list("pk", flat=True))
        if answers:
            response_suspect_set(response_id=answers[args[0] % len(answers)], suspect=args[1], now=now)
    elif kind == "import_move":
        account_index, am, region = args
        book_import(data=book_csv([book_row(staff, account_index, am=am, region=region)]))
    elif kind == "import_level":
        contact = contacts[args[0] % len(contacts)]
        contact.level = args[1]
        book_import(data=book_csv([account_row(staff, contact.account, contact=contact)]))
    elif kind == "import_revenue":
        account_index, revenue = args
        account = Account.objects.get(external_id=f"P-{account_index}")
        book_import(data=book_csv([{**account_row(staff, account), "annual_revenue": revenue}]))
    elif kind == "deactivate":
        accounts_deactivate(external_ids=[f"P-{args[0]}"], by=staff["admin"], now=now)
    elif kind == "roll":
        account_windows_roll(now=now)
    elif kind == "call_attempt":
        calls = list(Call.objects.filter(state="open").order_by("pk"))
        if calls:
            call = calls[args[0] % len(calls)]
            attempt_log(call_id=call.pk, by=staff["admin"], outcome="no_answer", at=now)
    elif kind == "owner_page":
        account_index, am = args
        account = Account.objects.get(external_id=f"P-{account_index}")
        account_owner_change(account=account, new_owner=staff["ams"][am], by=staff["admin"])


# PROPERTY_EXAMPLES=200 PROPERTY_RANDOM=1 for a longer, fresh search.
@settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", 12)), deadline=None,
          derandomize=not os.environ.get("PROPERTY_RANDOM"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    levels=st.lists(st.sampled_from(LEVELS), min_size=ACCOUNTS * CONTACTS_PER_ACCOUNT,
                    max_size=ACCOUNTS * CONTACTS_PER_ACCOUNT),
    actions=st.lists(event, min_size=1, max_size=14),
)
def test_every_figure_matches_a_direct_count_after_every_event(staff, smtp_server, levels, actions):
    world_reset(staff, levels)
    now = timezone.make_aware(START)
    check_everything(staff, now)
    for action in actions:
        if action[0] == "time":
            now += timedelta(days=action[1])
        else:
            step(staff, smtp_server, now, action)
        check_everything(staff, now)


def test_a_month_turning_moves_the_account_windows(staff, smtp_server):
    """The 3- and 12-month counts of an account are exact on the 1st, before and after the
    daily roll moves the stored windows on."""
    world_reset(staff, ["manager"] * (ACCOUNTS * CONTACTS_PER_ACCOUNT))
    now = timezone.make_aware(START)
    for action in [("send", 0, "250"), ("send", 1, "250"), ("answer", 0, 9, False), ("answer", 1, 3, False)]:
        step(staff, smtp_server, now, action)
    for days in (12, 31, 31, 30):  # into February, then March, April, May
        now += timedelta(days=days)
        check_everything(staff, now)
        account_windows_roll(now=now)
        check_everything(staff, now)
    assert AccountSummary.objects.filter(window_3m_from=month_add(month(now), -2)).count() == ACCOUNTS


def test_the_revenue_at_risk_follows_the_call_the_revenue_the_owner_and_the_account(staff, smtp_server):
    """A detractor's call not made on an account given a revenue puts its revenue at risk; a
    move takes it to the new owner; an attempt, or the account deactivated, takes it out."""
    world_reset(staff, ["manager"] * (ACCOUNTS * CONTACTS_PER_ACCOUNT))
    now = timezone.make_aware(START)
    for action in [("send", 0, "250"), ("answer", 0, 2, False), ("import_revenue", 0, "1250000.50"),
                   ("owner_page", 0, 1), ("import_move", 0, 2, 1), ("call_attempt", 0),
                   ("send", 1, "250"), ("answer", 1, 0, False), ("deactivate", 0)]:
        step(staff, smtp_server, now, action)
        check_everything(staff, now)
        at_risk = revenue_at_risk(Account.objects.all())
        if action[0] in ("import_revenue", "owner_page", "import_move", "answer") and action[1:] != (0, 2, False):
            assert (at_risk.revenue, at_risk.accounts) == (Decimal("1250000.50"), 1), action
        now += timedelta(hours=1)
    assert revenue_at_risk(Account.objects.all()).accounts == 0
