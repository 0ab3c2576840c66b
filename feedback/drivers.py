"""Drivers: what the reasons of a group of answers talk about, and how that goes with the
score. For each theme of the taxonomy: the answers that mention it among promoters,
passives and detractors, its share of the answers (and of the promoters', and of the
detractors') with a 95% interval, the NPS of the answers that mention it against those
that do not with the difference's 95% interval, and its share month by month. Two lists
lead: why promoters stay (the themes most promoters mention) and why detractors leave.

Read from the summaries (feedback.theme_tallies keeps ThemeMonthSummary exact; the
answers that do not mention a theme are the group's answers in the rollup summary less
those that do): a page reads a few hundred rows whatever the number of answers. One
account's drivers are counted from its own answers' themes (a few dozen rows).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, DateField, QuerySet, Sum
from django.db.models.functions import TruncMonth

from surveys.models import Account, OwnerMonthSummary, Region, User
from surveys.months import month_begins
from surveys.selectors import accounts_visible_to, pairs_in_scope

from .figures import MIN_N, SUMS, Difference, Figures, figures_minus, figures_of, nps_difference, share_interval
from .models import MonthSummary, ResponseTheme, Theme, ThemeMonthSummary
from .periods import rollup_start
from .rollups import last_months

# The themes each of the two lists shows, at most.
LIST_LENGTH = 5
TREND_MONTHS = 12
COUNTS = ("promoters", "passives", "detractors")


@dataclass(frozen=True)
class Share:
    """`count` of `n` as a share with its 95% (Wilson) interval; below MIN_N of `n` it is
    too few to show."""

    count: int
    n: int

    @property
    def value(self) -> float | None:
        return self.count / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return share_interval(self.count, self.n)

    @property
    def low(self) -> float | None:
        return self.interval[0] if self.n else None

    @property
    def high(self) -> float | None:
        return self.interval[1] if self.n else None

    @property
    def confident(self) -> bool:
        return self.n >= MIN_N


@dataclass(frozen=True)
class ThemeMonth:
    """One month of a theme's trend: the answers that mention it, of all answers."""

    month: date
    share: Share

    @property
    def mentions(self) -> int:
        return self.share.count

    @property
    def answers(self) -> int:
        return self.share.n


@dataclass(frozen=True)
class Driver:
    theme: Theme
    mention: Figures  # the answers that mention the theme
    rest: Figures  # the answers that do not
    share: Share  # of all answers
    promoter_share: Share  # of the promoters
    detractor_share: Share  # of the detractors
    difference: Difference  # NPS of `mention` - NPS of `rest`
    trend: list  # [ThemeMonth], oldest first


@dataclass(frozen=True)
class Drivers:
    total: Figures
    rows: list  # [Driver] for every active theme, in the taxonomy's order
    stay: list  # [Driver] most mentioned by promoters first (those mentioned at all)
    leave: list  # [Driver] most mentioned by detractors first
    months: list  # the trend's months, oldest first

    @property
    def mentioned(self) -> bool:
        return any(d.mention.n for d in self.rows)

    @property
    def trend_top(self) -> float:
        """One scale for every theme's share by month: the highest share in a month with
        enough answers to show it (at least 10%, so a few mentions do not fill the bar)."""
        return max([p.share.value for d in self.rows for p in d.trend if p.share.confident] + [0.1])


def drivers_build(themes: list[Theme], mentions: dict, *, total: Figures, month_totals: dict,
                  months: list[date]) -> Drivers:
    """Drivers from the counts: `mentions` {(theme id, month): Counter of COUNTS} of the
    period and of the trend's months, `total` the period's answers, `month_totals`
    {month: Figures} the trend's months' answers. `months` the trend's months."""
    period = defaultdict(Counter)
    by_month = defaultdict(Counter)
    wanted = set(months)
    for (theme_id, month), counts in mentions.items():
        if month in wanted:
            by_month[theme_id][month] += counts["promoters"] + counts["passives"] + counts["detractors"]
        if counts.get("in_period", True):
            period[theme_id].update({k: counts[k] for k in COUNTS})
    rows = []
    for theme in themes:
        mention = figures_of(period[theme.pk])
        rest = figures_minus(total, mention)
        rows.append(Driver(
            theme=theme, mention=mention, rest=rest,
            share=Share(mention.n, total.n),
            promoter_share=Share(mention.promoters, total.promoters),
            detractor_share=Share(mention.detractors, total.detractors),
            difference=nps_difference(mention, rest),
            trend=[ThemeMonth(m, Share(by_month[theme.pk][m], month_totals.get(m, Figures()).n)) for m in months],
        ))

    def ranked(share_of) -> list:
        mentioned = [d for d in rows if share_of(d).count]
        return sorted(mentioned, key=lambda d: (-share_of(d).count, d.theme.position, d.theme.key))[:LIST_LENGTH]

    return Drivers(total=total, rows=rows, stay=ranked(lambda d: d.promoter_share),
                   leave=ranked(lambda d: d.detractor_share), months=months)


def _themes() -> list[Theme]:
    return list(Theme.objects.filter(active=True))


def _summed(rows: QuerySet, start: date | None, months: list[date]) -> dict:
    """{(theme, month): counts} of summary rows, the months of the period (`start` on;
    None: all) and the trend's, in one grouped read; counts["in_period"] says which."""
    first = months[0] if start is None else min(start, months[0])
    if start is not None:
        rows = rows.filter(month__gte=first)
    mentions = {}
    for theme_id, month, *counts in (
        rows.values_list("theme_id", "month").annotate(*(Sum(c) for c in COUNTS)).order_by()
    ):
        mentions[(theme_id, month)] = {**dict(zip(COUNTS, counts, strict=True)),
                                       "in_period": start is None or month >= start}
    return mentions


def _visible(model, user: User, *, region: Region | None, owner: User | None, accounts=None) -> QuerySet:
    """Rows of a summary keyed by owner and region (the rollup summary, the theme summary)
    of the user's scope, maybe of one region and one owner. A scope holds all of an
    owner's accounts in a region or none (surveys.selectors.pairs_in_scope)."""
    qs = model.objects.all()
    if not (user.is_authenticated and user.is_active and user.sees_everything):
        accounts = accounts if accounts is not None else accounts_visible_to(user)
        qs = qs.filter(pairs_in_scope(accounts))
    if region is not None:
        qs = qs.filter(region=region)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs


def rollup_drivers(user: User, *, region: Region | None = None, owner: User | None = None, period: str = "12m",
                   now=None, total: Figures | None = None, trend: list | None = None) -> Drivers:
    """The drivers of a rollup page: the user's scope, maybe of one region and one owner.
    `total` and `trend` ([(month, Figures)] of the last 12 months): the page's own figures
    of the same scope (feedback.rollups.rollup), when it has them; else read here."""
    start = rollup_start(period, now)
    months = last_months(now, TREND_MONTHS)
    accounts = accounts_visible_to(user)
    if total is None or trend is None:
        summaries = _visible(OwnerMonthSummary, user, region=region, owner=owner, accounts=accounts)
        total, trend = _totals(summaries, start, months)
    mentions = _summed(_visible(ThemeMonthSummary, user, region=region, owner=owner, accounts=accounts), start, months)
    return drivers_build(_themes(), mentions, total=total, month_totals=dict(trend), months=months)


def _totals(summaries: QuerySet, start: date | None, months: list[date]) -> tuple[Figures, list]:
    """(the period's Figures, [(month, Figures)] of `months`) of rollup summary rows, in one
    grouped read."""
    first = months[0] if start is None else min(start, months[0])
    rows = summaries if start is None else summaries.filter(month__gte=first)
    whole, by_month = Counter(), {}
    for row in rows.values("month").annotate(**SUMS).order_by():
        counts = {name: row[name] or 0 for name in SUMS}
        if start is None or row["month"] >= start:
            whole.update(counts)
        by_month[row["month"]] = figures_of(counts)
    return figures_of(whole), [(m, by_month.get(m, Figures())) for m in months]


def account_drivers(account: Account, *, period: str = "12m", now=None) -> Drivers:
    """One account's drivers, counted from its own answers' themes (bounded by the
    account's answers), with its answers from its monthly summary."""
    start = rollup_start(period, now)
    months = last_months(now, TREND_MONTHS)
    total, trend = _totals(MonthSummary.objects.filter(account=account), start, months)
    first = months[0] if start is None else min(start, months[0])
    themes = ResponseTheme.objects.filter(response__account=account, response__suspect=False)
    if start is not None:
        themes = themes.filter(response__answered_at__gte=month_begins(first))
    mentions: dict = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for theme_id, month, category, n in (
        themes.annotate(m=TruncMonth("response__answered_at", output_field=DateField()))
        .values_list("theme_id", "m", "response__category").annotate(n=Count("pk")).order_by()
    ):
        counts = mentions[(theme_id, month)]
        counts[category + "s"] += n
        counts["in_period"] = start is None or month >= start
    return drivers_build(_themes(), mentions, total=total, month_totals=dict(trend), months=months)

