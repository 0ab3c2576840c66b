"""Rollups: the figures of a set of accounts over a period, by owner, region, level and
month, read from the summaries (surveys.tallies keeps them exact in each event's own
transaction) so a page does not scan the answers. Suspect answers never count."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db.models import (
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from surveys.models import Account, Level, Region, User
from surveys.months import month_add, month_of
from surveys.selectors import accounts_visible_to, pairs_in_scope

from .answer_lists import AnswerFilter
from .figures import STANDINGS, SUMS, Change, Figures, Standing, figures_of, nps_change, nps_standing
from .models import MonthSummary, OwnerMonthSummary
from .periods import rollup_previous, rollup_start

# The figures of a group with no summary rows: no answers, nothing delivered.
NO_FIGURES = Figures(delivered=0, answered=0)


def summaries_visible_to(user: User, *, region: Region | None = None) -> QuerySet[OwnerMonthSummary]:
    """Per-owner-and-region summary rows of the user's scope: a row is visible when the
    user may see the accounts it adds up (the scope rule decides, through an EXISTS)."""
    qs = OwnerMonthSummary.objects.all()
    if not (user.is_authenticated and user.is_active and user.sees_everything):
        qs = qs.filter(pairs_in_scope(accounts_visible_to(user)))
    if region is not None:
        qs = qs.filter(region=region)
    return qs


@dataclass
class Rollup:
    """Everything a rollup page shows, for one set of accounts and one period."""

    figures: Figures
    trend: list  # [(month date, Figures)] oldest first, 12 months
    by_owner: list  # [(User, Figures)]
    by_level: list  # [(level, label, Figures)]
    by_region: list  # [(Region, Figures)]
    as_of: datetime | None = None  # the moment the figures are exact for (the page says it)
    # Change against the previous period of the same length, and side-by-side standings.
    compared_with: tuple | None = None  # (first, last month) of the previous period; None for all time
    change: Change | None = None  # the scope's NPS against the previous period; None for all time
    owners: list = field(default_factory=list)  # [Compared] per AM, by standing, by name within one
    regions: list = field(default_factory=list)  # [Compared] per region (with regions=True), the same way
    levels: list = field(default_factory=list)  # [Compared] per contact level, in the order of the levels
    trend_by_region: list = field(default_factory=list)  # [(Region, trend)] by name (with regions=True)


@dataclass(frozen=True)
class Compared:
    """One row of a side-by-side table (an AM, a region, a contact level): its figures, their
    change against the previous period (None for all time) and where it stands against the
    rest of the scope."""

    key: object  # the owner's or region's pk, or the level
    obj: object  # User, Region, or the level's label
    figures: Figures
    change: Change | None
    standing: Standing
    regions: tuple = ()  # an AM's regions, by name (on the organisation's page)


def rollup(user: User, *, region: Region | None = None, period: str = "12m", now=None, regions=False) -> Rollup:
    """The figures of a rollup page: the user's scope, maybe narrowed to one region."""
    now = now or timezone.now()
    summaries = summaries_visible_to(user, region=region)
    start = rollup_start(period, now)
    in_period = summaries.filter(month__gte=start) if start else summaries
    result = Rollup(
        figures=figures_of(in_period.aggregate(**SUMS)),
        trend=summary_trend(summaries, now=now),
        by_owner=figures_by(in_period, "owner", User),
        by_level=rollup_by_level(in_period),
        by_region=figures_by(in_period, "region", Region) if regions else [],
        as_of=now,
    )
    _add_comparisons(result, summaries, period=period, now=now)
    if regions:
        result.trend_by_region = region_trends(summaries, now=now)
        names = owner_region_names(in_period)
        result.owners = [replace(row, regions=names.get(row.key, ())) for row in result.owners]
    return result


def owner_region_names(summaries) -> dict:
    """{owner pk: (region name, ...)} of the summary rows, in one query: an AM whose accounts
    lie in two regions shows both."""
    names = defaultdict(list)
    rows = summaries.values_list("owner", "region__name").distinct().order_by("owner", "region__name")
    for owner, region in rows:
        names[owner].append(region)
    return {owner: tuple(regions) for owner, regions in names.items()}


def _add_comparisons(result: Rollup, summaries, *, period: str, now) -> None:
    """The change of every headline figure against the previous period (one query, folded
    here by owner, region and level) and each AM's and region's standing in the scope."""
    result.compared_with = rollup_previous(period, now)
    previous = None
    if result.compared_with:
        first, last = result.compared_with
        previous = _fold_by(
            summaries.filter(month__gte=first, month__lte=last).values("owner", "region", "level")
            .annotate(**SUMS).order_by(),
            keys=("owner", "region", "level"),
        )
        result.change = nps_change(result.figures, previous["all"])

    def compared(by: str, key, obj, figures: Figures) -> Compared:
        change = nps_change(figures, previous[by].get(key, NO_FIGURES)) if previous else None
        return Compared(key=key, obj=obj, figures=figures, change=change,
                        standing=nps_standing(figures, result.figures))

    result.owners = _by_standing([compared("owner", o.pk, o, f) for o, f in result.by_owner])
    result.regions = _by_standing([compared("region", r.pk, r, f) for r, f in result.by_region])
    result.levels = [compared("level", level, label, f) for level, label, f in result.by_level]


def _fold_by(rows, *, keys: tuple) -> dict:
    """{"all": Figures, key: {value: Figures}} from summary rows grouped by all the keys."""
    whole, parts = Counter(), {key: defaultdict(Counter) for key in keys}
    for row in rows:
        counts = {name: row[name] or 0 for name in SUMS}
        whole.update(counts)
        for key in keys:
            parts[key][row[key]].update(counts)
    return {"all": figures_of(whole), **{k: {v: figures_of(c) for v, c in p.items()} for k, p in parts.items()}}


def _by_standing(rows: list) -> list:
    """Clearly below the rest first, then those that cannot be told apart from it, clearly
    above, too few answers; by name within a group: no rank is implied where none is known."""
    return sorted(rows, key=lambda r: (STANDINGS.index(r.standing.group), str(r.obj).lower(), r.key))


def figures_by(summaries, key: str, model) -> list:
    """[(object, Figures)] grouped by a foreign key, groups with anything delivered or
    answered in the period; weakest NPS first, thin groups last."""
    figures = {row[key]: figures_of(row) for row in summaries.values(key).annotate(**SUMS).order_by()}
    figures = {k: fig for k, fig in figures.items() if fig.n or fig.delivered}
    objects = model.objects.in_bulk([k for k in figures if k is not None])
    rows = [(objects[k], fig) for k, fig in figures.items() if k in objects]
    rows.sort(key=lambda r: (not r[1].confident, r[1].nps if r[1].nps is not None else 999, str(r[0])))
    return rows


def rollup_by_level(summaries) -> list:
    """[(level, label, Figures)] in the order of the levels."""
    figures = {row["level"]: figures_of(row) for row in summaries.values("level").annotate(**SUMS).order_by()}
    return [(level, label, figures.get(level, Figures(delivered=0, answered=0))) for level, label in Level.choices]


def last_months(now, months: int) -> list:
    """The last `months` calendar months, oldest first, this one included."""
    this_month = month_of(timezone.localdate(now or timezone.now()))
    return [month_add(this_month, -i) for i in range(months - 1, -1, -1)]


def summary_trend(summaries, *, now=None, months: int = 12) -> list:
    """[(month, Figures)] for the last `months` calendar months, oldest first."""
    wanted = last_months(now, months)
    rows = {
        row["month"]: figures_of(row)
        for row in summaries.filter(month__gte=wanted[0]).values("month").annotate(**SUMS).order_by()
    }
    return [(m, rows.get(m, NO_FIGURES)) for m in wanted]


def region_trends(summaries, *, now=None, months: int = 12) -> list:
    """[(Region, [(month, Figures)])] like summary_trend, for each region with summary rows
    in those months (two queries, whatever the number of regions), by name."""
    wanted = last_months(now, months)
    by_region: dict = defaultdict(dict)
    for row in summaries.filter(month__gte=wanted[0]).values("region", "month").annotate(**SUMS).order_by():
        by_region[row["region"]][row["month"]] = figures_of(row)
    regions = Region.objects.in_bulk(list(by_region))
    return sorted(
        ((regions[pk], [(m, rows.get(m, NO_FIGURES)) for m in wanted]) for pk, rows in by_region.items()
         if pk in regions),
        key=lambda pair: (pair[0].name, pair[0].pk),
    )


def account_trend(account: Account, *, months: int = 24, now=None) -> list:
    return summary_trend(MonthSummary.objects.filter(account=account), now=now, months=months)


def account_figures(account: Account) -> Figures:
    """All-time figures of one account."""
    return figures_of(MonthSummary.objects.filter(account=account).aggregate(**SUMS))


def account_period_figures(account: Account, *, period: str, now=None) -> tuple[Figures, Change | None]:
    """One account's figures over a rollup period and their change against the previous
    period of the same length (None for all time), in one query."""
    summaries = MonthSummary.objects.filter(account=account)
    start, previous = rollup_start(period, now), rollup_previous(period, now)
    if start is None:
        return account_figures(account), None
    windows = {"now": Q(month__gte=start), "before": Q(month__gte=previous[0], month__lte=previous[1])}
    sums = summaries.aggregate(**{
        f"{name}_{window}": Sum(name, filter=q) for name in SUMS for window, q in windows.items()
    })
    current, before = ({name: sums[f"{name}_{window}"] for name in SUMS} for window in windows)
    current_figures = figures_of(current)
    return current_figures, nps_change(current_figures, figures_of(before))


def filter_figures(user: User, flt: AnswerFilter, *, now=None) -> Figures | None:
    """The figures of an answers list, from the summary, when its filter is one the summary
    can answer (whole months; no state, reason, theme or suspect-only filter); else None."""
    if flt.triage or flt.reason or flt.theme or flt.suspect == "yes":
        return None
    if flt.month:
        start, end = flt.month, flt.month
    elif flt.period in ("3m", "12m", "all"):
        start, end = rollup_start(flt.period, now), None
    else:
        return None
    if flt.account:
        qs = MonthSummary.objects.filter(account_id=flt.account, account__in=accounts_visible_to(user))
        if flt.region:
            qs = qs.filter(account__region_id=flt.region)
        if flt.owner:
            qs = qs.filter(account__owner_id=flt.owner)
    else:
        qs = summaries_visible_to(user)
        if flt.region:
            qs = qs.filter(region_id=flt.region)
        if flt.owner:
            qs = qs.filter(owner_id=flt.owner)
    if start:
        qs = qs.filter(month__gte=start)
    if end:
        qs = qs.filter(month__lte=end)
    if flt.level:
        qs = qs.filter(level=flt.level)
    fig = figures_of(qs.aggregate(**SUMS))
    if flt.category:
        only = {k: (getattr(fig, k) if k == flt.category + "s" else 0) for k in ("promoters", "passives", "detractors")}
        fig = figures_of({**only, "delivered": fig.delivered, "answered": fig.answered})
    return fig
