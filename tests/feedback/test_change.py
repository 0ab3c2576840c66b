"""Change against the previous period and standing against the rest of a scope: the
two-sample test on NPS (feedback.figures), the periods compared (feedback.periods), and
every change and standing of a rollup against a calculation from the answers themselves."""

import math
import random
from datetime import date, datetime

import pytest
from django.utils import timezone

from feedback.figures import ABOVE, BELOW, MIN_N, THIN, WITHIN, Figures, figures_minus, nps_change, nps_standing
from feedback.models import Response
from feedback.periods import rollup_previous, rollup_start
from feedback.rollups import account_period_figures, rollup
from feedback.summaries import summary_rebuild
from surveys.months import month_add, month_begins
from tests import factories
from tests.feedback.answers_in_months import answers_in_month, month_back


def fig(promoters, passives, detractors):
    return Figures(n=promoters + passives + detractors, promoters=promoters, passives=passives,
                   detractors=detractors)


def textbook_se(p, pa, d):
    """The standard error of an NPS in points, written out: sqrt((P + D - (P - D)^2) / n)."""
    n = p + pa + d
    ps, ds = p / n, d / n
    return 100 * math.sqrt((ps + ds - (ps - ds) ** 2) / n)


# --- The test itself ---------------------------------------------------------------------

def test_ten_to_forty_with_200_answers_each_is_significant():
    before, after = fig(80, 60, 60), fig(110, 60, 30)  # NPS 10, then 40
    change = nps_change(after, before)
    assert (before.nps, after.nps) == (10, 40)
    z = 30 / math.sqrt(textbook_se(80, 60, 60) ** 2 + textbook_se(110, 60, 30) ** 2)
    assert change.delta == pytest.approx(30) and change.z == pytest.approx(z) and z == pytest.approx(3.83, abs=0.01)
    assert change.significant and change.comparable and change.direction == "up"
    assert change.previous is before and change.current is after


def test_ten_to_fourteen_with_50_answers_each_is_within_noise():
    change = nps_change(fig(22, 13, 15), fig(20, 15, 15))  # NPS 10, then 14
    assert change.delta == pytest.approx(4)
    assert change.z == pytest.approx(4 / math.hypot(textbook_se(22, 13, 15), textbook_se(20, 15, 15)))
    assert abs(change.z) < 1.96 and not change.significant and change.comparable


def test_the_same_fall_is_significant_or_not_by_the_number_of_answers():
    assert nps_change(fig(9, 12, 9), fig(15, 9, 6)).significant is False  # 30 -> 0, 30 answers each
    fall = nps_change(fig(90, 120, 90), fig(150, 90, 60))  # the same, 300 answers each
    assert fall.significant is True and fall.direction == "down" and fall.delta == pytest.approx(-30)


def test_standard_error_is_the_margins_variance():
    f = fig(7, 2, 4)
    assert f.standard_error == pytest.approx(textbook_se(7, 2, 4))
    assert f.margin == pytest.approx(1.96 * f.standard_error)
    assert (f.low, f.high) == (pytest.approx(f.nps - f.margin), pytest.approx(f.nps + f.margin))
    assert fig(3, 0, 0).high == 100 and fig(0, 0, 3).low == -100  # the interval stays on the scale
    assert Figures().standard_error is None and Figures().low is None


def test_nothing_is_claimed_below_min_n_on_either_side():
    few = fig(MIN_N - 1, 0, 0)  # NPS 100, 9 answers
    many = fig(0, 0, 500)  # NPS -100
    for change in (nps_change(few, many), nps_change(many, few)):
        assert abs(change.z) > 100 and not change.significant and not change.comparable
    enough = nps_change(fig(MIN_N, 0, 0), many)
    assert enough.significant and enough.comparable


def test_no_answers_on_a_side_is_no_change():
    for change in (nps_change(fig(5, 5, 5), Figures()), nps_change(Figures(), fig(5, 5, 5))):
        assert change.delta is None and change.z is None and not change.significant


def test_unanimous_periods():
    """Both periods all promoters: no spread, no change. All passives then all promoters: a
    change with no spread at all, infinitely many standard errors."""
    same = nps_change(fig(20, 0, 0), fig(30, 0, 0))
    assert same.delta == 0 and same.z == 0 and not same.significant and same.direction == "same"
    up = nps_change(fig(20, 0, 0), fig(0, 30, 0))
    assert up.delta == 100 and up.z == math.inf and up.significant


def test_standing_against_the_rest_of_the_scope():
    anna, otto, bea = fig(110, 60, 30), fig(20, 15, 65), fig(12, 10, 8)
    whole = Figures(n=anna.n + otto.n + bea.n, promoters=142, passives=85, detractors=103, delivered=900,
                    answered=330)
    rest_of_anna = figures_minus(whole, anna)
    assert (rest_of_anna.n, rest_of_anna.promoters, rest_of_anna.detractors) == (130, 32, 73)
    assert nps_standing(anna, whole).group == ABOVE
    assert nps_standing(otto, whole).group == BELOW
    standing = nps_standing(bea, whole)
    assert standing.group == WITHIN and standing.rest.n == 300
    assert standing.z == pytest.approx(nps_change(bea, standing.rest).z)
    assert nps_standing(fig(3, 1, 1), whole).group == THIN
    assert nps_standing(whole, whole).group == THIN  # nobody else to compare with
    assert figures_minus(whole, Figures(delivered=None)).delivered is None


# --- The periods compared ---------------------------------------------------------------

@pytest.mark.parametrize("period,first,last", [
    ("12m", date(2025, 1, 1), date(2025, 12, 1)),
    ("3m", date(2026, 7, 1), date(2026, 9, 1)),
])
def test_the_previous_period_has_the_same_length_just_before(period, first, last):
    now = timezone.make_aware(datetime(2026, 12, 1, 0, 30))
    assert rollup_previous(period, now) == (first, last)
    assert month_add(last, 1) == rollup_start(period, now)
    assert rollup_previous("all", now) is None


# --- Rollups against the answers --------------------------------------------------------

def _counted(responses):
    p = sum(1 for r in responses if r.score >= 9)
    d = sum(1 for r in responses if r.score <= 6)
    return fig(p, len(responses) - p - d, d)


def _answers_between(first, last, **filters):
    """The counted answers of whole months `first`..`last`, read from the answers."""
    return list(Response.objects.filter(
        suspect=False, answered_at__gte=month_begins(first), answered_at__lt=month_begins(month_add(last, 1)),
        **filters,
    ).select_related("account"))


def _same_change(change, current, previous):
    assert (change.current.n, change.current.promoters, change.current.detractors) == (
        current.n, current.promoters, current.detractors)
    assert (change.previous.n, change.previous.promoters, change.previous.detractors) == (
        previous.n, previous.promoters, previous.detractors)
    if not (current.n and previous.n):
        assert change.delta is None and not change.significant
        return
    se = math.sqrt(textbook_se(current.promoters, current.passives, current.detractors) ** 2
                   + textbook_se(previous.promoters, previous.passives, previous.detractors) ** 2)
    delta = 100 * ((current.promoters - current.detractors) / current.n
                   - (previous.promoters - previous.detractors) / previous.n)
    assert change.delta == pytest.approx(delta, abs=1e-9)
    if se:
        assert change.z == pytest.approx(delta / se)
        want = current.n >= 10 and previous.n >= 10 and abs(delta / se) >= 1.96
        assert change.significant == want


@pytest.fixture
def scattered(db, director):
    """Three AMs over two regions, answers scattered over 30 months and the levels, some
    suspect (never counted): NPS moves a lot for one AM and little for the others."""
    rnd = random.Random(11)
    north, south = factories.RegionFactory(name="North"), factories.RegionFactory(name="South")
    ams = [factories.UserFactory(role="am", full_name=name) for name in ("Anna", "Bo", "Cai")]
    accounts = [factories.AccountFactory(owner=ams[i % 3], region=(north, south)[i % 2]) for i in range(4)]
    for account_index, account in enumerate(accounts):
        for months_back in range(0, 30, 3):
            lift = 2 if account_index == 0 and months_back < 12 else 0  # Anna's first account got better
            counts = [rnd.randint(0, 12) + lift * 6, rnd.randint(0, 8), max(rnd.randint(0, 12) - lift * 4, 0)]
            answers_in_month(account, months_back, promoters=counts[0], passives=counts[1], detractors=counts[2],
                             unanswered=rnd.randint(0, 2),
                             level=("executive", "manager", "operational")[(months_back // 3 + account_index) % 3])
    Response.objects.filter(pk__in=list(Response.objects.values_list("pk", flat=True)[::17])).update(suspect=True)
    summary_rebuild()
    return {"regions": [north, south], "ams": ams, "accounts": accounts}


@pytest.mark.parametrize("period", ["12m", "3m"])
def test_every_change_and_standing_of_a_rollup_against_the_answers(scattered, director, period):
    result = rollup(director, period=period, regions=True)
    start = rollup_start(period)
    this_month = month_back(0)
    first, last = rollup_previous(period)
    assert result.compared_with == (first, last)

    def pair(**filters):
        return _counted(_answers_between(start, this_month, **filters)), _counted(
            _answers_between(first, last, **filters))

    _same_change(result.change, *pair())
    in_period = _answers_between(start, this_month)
    groups = [(result.owners, "account__owner_id", lambda r: r.account.owner_id),
              (result.regions, "account__region_id", lambda r: r.account.region_id)]
    for rows, lookup, key_of in groups:
        assert len(rows) in (2, 3)
        for row in rows:
            current, previous = pair(**{lookup: row.key})
            _same_change(row.change, current, previous)
            rest = _counted([r for r in in_period if key_of(r) != row.key])
            assert (row.standing.rest.n, row.standing.rest.promoters, row.standing.rest.detractors) == (
                rest.n, rest.promoters, rest.detractors)
            _same_change(nps_change(row.figures, row.standing.rest), current, rest)
            if row.standing.group in (ABOVE, BELOW):
                assert nps_change(current, rest).significant
                assert (row.standing.group == ABOVE) == (row.standing.delta > 0)
            elif row.standing.group == WITHIN:
                assert not nps_change(current, rest).significant
    for row in result.levels:
        _same_change(row.change, *pair(contact__level=row.key))
    # The data exercise both outcomes of the test.
    changes = [row.change for row in result.owners + result.regions + result.levels]
    assert any(c.significant for c in changes) and not all(c.significant for c in changes)
    assert len({row.standing.group for row in result.owners + result.regions}) >= 2
    # Groups in their order (below, within, above, thin), by name within one.
    order = ["below", "within", "above", "thin"]
    keys = [(order.index(r.standing.group), str(r.obj).lower()) for r in result.owners]
    assert keys == sorted(keys)


def test_all_time_has_no_change(scattered, director):
    result = rollup(director, period="all", regions=True)
    assert result.change is None and result.compared_with is None
    assert all(row.change is None for row in result.owners + result.regions + result.levels)
    assert {row.standing.group for row in result.owners} <= {ABOVE, BELOW, WITHIN}


def test_an_rm_compares_within_the_region(scattered):
    north = scattered["regions"][0]
    result = rollup(north.manager, region=north, period="12m")
    in_north = _answers_between(rollup_start("12m"), month_back(0), account__region=north)
    assert result.figures.n == len(in_north)
    for row in result.owners:
        mine = [r for r in in_north if r.account.owner_id == row.key]
        assert row.standing.rest.n == len(in_north) - len(mine)


def test_region_trends_against_the_answers(scattered, director):
    result = rollup(director, period="3m", regions=True)
    assert [region.name for region, _ in result.trend_by_region] == ["North", "South"]
    for region, trend in result.trend_by_region:
        assert [m for m, _ in trend] == [month_back(k) for k in range(11, -1, -1)]
        for month, figures in trend:
            counted = _counted(_answers_between(month, month, account__region=region))
            assert (figures.n, figures.promoters, figures.detractors) == (
                counted.n, counted.promoters, counted.detractors)


@pytest.mark.parametrize("period", ["12m", "3m", "all"])
def test_account_figures_and_change_against_the_answers(scattered, period):
    account = scattered["accounts"][0]
    figures, change = account_period_figures(account, period=period)
    if period == "all":
        assert change is None and figures.n == len(_answers_between(date(2000, 1, 1), month_back(0),
                                                                     account=account))
        return
    first, last = rollup_previous(period)
    current = _counted(_answers_between(rollup_start(period), month_back(0), account=account))
    _same_change(change, current, _counted(_answers_between(first, last, account=account)))
    assert figures is change.current
