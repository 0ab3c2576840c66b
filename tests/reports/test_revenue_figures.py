"""The revenue figures and the accounts at risk, each against a direct count of a random
book's answers and calls (tests/reports/revenue_book.py), for every rollup period."""

from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override

from feedback.figures import share_interval
from feedback.periods import rollup_since
from feedback.revenue import revenue_coverage, revenue_weighted_nps
from reports.at_risk import accounts_at_risk, revenue_at_risk
from surveys.models import Account
from surveys.templatetags.pulse_money import money
from tests.reports.revenue_book import (
    accounts_of,
    detractor_share,
    direct_at_risk,
    direct_coverage,
    direct_revenue_at_risk,
    direct_weighted_nps,
    revenue_book,
    wilson_low,
)

SEEDS = [1, 2, 3]


@pytest.fixture(params=SEEDS, ids=[f"seed {s}" for s in SEEDS])
def book(request, rm, am):
    return revenue_book(seed=request.param, rm=rm, am=am)


PERIODS = ["3m", "12m", "all"]


def test_revenue_weighted_nps_is_the_revenue_weighted_mean_of_the_accounts_nps(book):
    for period, region in [(p, r) for p in PERIODS for r in (None, book.north, book.south)]:
        accounts = accounts_of(book, region=region)
        scope = Account.objects.all() if region is None else Account.objects.filter(region=region)
        got = revenue_weighted_nps(scope, period=period)
        expected = direct_weighted_nps(accounts, rollup_since(period))
        if expected is None:
            assert got.nps is None
            continue
        assert got.nps == pytest.approx(expected["nps"], abs=1e-9)
        assert got.margin == pytest.approx(expected["margin"], abs=1e-9)
        assert got.effective_n == pytest.approx(expected["effective_n"], rel=1e-9)
        with_answers = [a for a in accounts if a.annual_revenue is not None and
                        any(r.answered_at >= (rollup_since(period) or r.answered_at)
                            for r in a.responses.filter(suspect=False))]
        assert got.accounts == len(with_answers)
        assert got.revenue == sum(a.annual_revenue for a in with_answers)


def test_one_account_gives_the_plain_nps_and_a_big_account_outweighs_many_small_voices(am, region):
    from feedback.figures import Figures
    from feedback.summaries import summary_rebuild
    from tests import factories
    from tests.followups.conftest import answer

    colleague = factories.UserFactory(role="am")
    one = factories.AccountFactory(owner=colleague, region=region, annual_revenue=Decimal("250000"))
    for score in (10, 9, 9, 10, 9, 8, 7, 3, 0, 6):
        answer(one, score=score)
    summary_rebuild()
    got = revenue_weighted_nps(Account.objects.all(), period="12m")
    plain = Figures(n=10, promoters=5, passives=2, detractors=3)
    assert got.nps == pytest.approx(plain.nps) and got.margin == pytest.approx(plain.margin)
    assert got.effective_n == pytest.approx(10) and got.confident

    big = factories.AccountFactory(owner=am, region=region, annual_revenue=Decimal("9000000"))
    answer(big, score=10)
    small = factories.AccountFactory(owner=am, region=region, annual_revenue=Decimal("1000000"))
    for _ in range(9):
        answer(small, score=2)
    summary_rebuild()
    got = revenue_weighted_nps(Account.objects.filter(owner=am), period="12m")  # the AM's scope
    assert got.nps == pytest.approx(80.0)  # the plain NPS of these 10 answers is -80
    assert (got.accounts, got.answers, got.revenue) == (2, 10, Decimal("10000000"))
    assert not got.confident  # 9 of 10 million rest on one answer: effective n about 1.2


def test_revenue_coverage_against_a_direct_count_in_all_per_region_and_per_am(book):
    now = timezone.now()
    accounts = accounts_of(book)
    coverage = revenue_coverage(Account.objects.all(), now=now)
    expected = direct_coverage(accounts, now)
    total = coverage.total
    assert (total.revenue, total.heard, total.accounts_with_revenue, total.accounts_heard) == (
        expected["revenue"], expected["heard"], expected["with_revenue"], expected["heard_accounts"])
    assert total.accounts == sum(1 for a in accounts if a.active)
    assert total.share == pytest.approx(float(expected["heard"] / expected["revenue"]))
    for region, c in coverage.by_region:
        e = direct_coverage([a for a in accounts if a.region_id == region.pk], now)
        assert (c.revenue, c.heard, c.accounts_with_revenue, c.accounts_heard) == (
            e["revenue"], e["heard"], e["with_revenue"], e["heard_accounts"]), region
    assert {r for r, _ in coverage.by_region} == {book.north, book.south}
    for owner, c in coverage.by_owner:
        e = direct_coverage([a for a in accounts if a.owner_id == owner.pk], now)
        assert (c.revenue, c.heard, c.accounts_with_revenue, c.accounts_heard) == (
            e["revenue"], e["heard"], e["with_revenue"], e["heard_accounts"]), owner
    shares = [c.share for _, c in coverage.by_owner]
    assert shares == sorted(shares), "lowest coverage first"


def test_revenue_at_risk_against_a_direct_count(book):
    for region in (None, book.north, book.south):
        accounts = accounts_of(book, region=region)
        got = revenue_at_risk(Account.objects.all() if region is None else Account.objects.filter(region=region))
        assert (got.revenue, got.accounts) == direct_revenue_at_risk(accounts)


def test_accounts_at_risk_are_those_a_direct_count_finds_in_that_order(book):
    for period in PERIODS:
        check_accounts_at_risk(period)


def check_accounts_at_risk(period):
    since = rollup_since(period)
    accounts = list(Account.objects.order_by("pk"))
    baseline = detractor_share(accounts, since)
    got = accounts_at_risk(Account.objects.all(), period=period, baseline=baseline, since=since, limit=100)
    expected = direct_at_risk(accounts, since, baseline)
    assert got.total == len(expected) and got.baseline == baseline
    assert [row.account.pk for row in got.rows] == [e["account"] for e in expected]
    for row, e in zip(got.rows, expected, strict=True):
        assert (row.answers, row.detractors, row.not_called, row.latest_not_called, row.above_baseline) == (
            e["answers"], e["detractors"], e["not_called"], e["latest_not_called"], e["above"]), row.account
        if row.answers:
            assert row.interval[0] == pytest.approx(wilson_low(row.detractors, row.answers))
    shown = accounts_at_risk(Account.objects.all(), period=period, baseline=baseline, since=since, limit=5)
    assert [r.account.pk for r in shown.rows] == [e["account"] for e in expected[:5]]
    assert shown.total == len(expected)


def test_an_account_with_a_known_revenue_outranks_an_unknown_one_and_silence_comes_last(rm, am, region):
    from tests import factories
    from tests.followups.conftest import answer_with_call

    big = factories.AccountFactory(name="Big", owner=am, region=region, annual_revenue=Decimal("900000"))
    small = factories.AccountFactory(name="Small", owner=am, region=region, annual_revenue=Decimal("1000"))
    unknown = factories.AccountFactory(name="Unknown", owner=am, region=region)
    silent = factories.AccountFactory(name="Silent", owner=am, region=region, annual_revenue=Decimal("5000000"))
    for account in (small, unknown, big):
        answer_with_call(account, score=2)  # a detractor nobody has called yet
    from feedback.models import AccountSummary
    from feedback.summaries import summary_rebuild
    from followups.risk_states import risk_states_refresh

    summary_rebuild()
    AccountSummary.objects.filter(account=silent).update(executive_waves_unanswered=3)
    risk_states_refresh([silent.pk])  # what the executives' third wave unanswered would do
    got = accounts_at_risk(Account.objects.all(), period="12m", baseline=0.5, since=rollup_since("12m"))
    assert [r.account.name for r in got.rows] == ["Big", "Small", "Unknown", "Silent"]
    assert all(r.latest_not_called and r.not_called == 1 for r in got.rows[:3])


@pytest.mark.parametrize("d, n, low, high", [(2, 2, 0.342, 1.0), (1, 1, 0.2065, 1.0), (0, 10, 0.0, 0.2775),
                                             (5, 10, 0.2366, 0.7634)])
def test_the_detractor_share_interval_is_wilsons(d, n, low, high):
    got = share_interval(d, n)
    assert got == (pytest.approx(low, abs=5e-4), pytest.approx(high, abs=5e-4))
    assert share_interval(0, 0) is None


def test_money_shows_the_currency_code_and_whole_units_grouped_as_the_language_does():
    with override("en"):
        assert money(Decimal("1250000.50"), "EUR") == "EUR\u00a01,250,001"
        assert money(Decimal("0.49"), "DKK") == "DKK\u00a00"
        assert money(None, "EUR") == "—"
    with override("da"):
        assert money(Decimal("1250000"), "DKK") == "DKK\u00a01.250.000"
