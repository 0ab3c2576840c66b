"""Rollups: the figures of a set of accounts over a period, by owner, region, level and
month, read from the summaries (surveys.tallies keeps them exact in each event's own
transaction) so a page does not scan the answers. Suspect answers never count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Exists,
    F,
    FloatField,
    OuterRef,
    QuerySet,
)
from django.db.models.functions import Cast
from django.utils import timezone

from surveys.models import Account, Level, Region, User
from surveys.months import month_add, month_of
from surveys.selectors import accounts_visible_to
from surveys.tallies import account_window_counts

from .answer_lists import AnswerFilter
from .figures import SUMS, Figures, figures_of
from .models import AccountSummary, MonthSummary, OwnerMonthSummary
from .periods import rollup_start


def summaries_visible_to(user: User, *, region: Region | None = None) -> QuerySet[OwnerMonthSummary]:
    """Per-owner-and-region summary rows of the user's scope: a row is visible when the
    user may see the accounts it adds up (the scope rule decides, through an EXISTS)."""
    qs = OwnerMonthSummary.objects.all()
    if not (user.is_authenticated and user.is_active and user.sees_everything):
        qs = qs.filter(
            Exists(accounts_visible_to(user).filter(owner_id=OuterRef("owner_id"), region_id=OuterRef("region_id")))
        )
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
    lowest_accounts: list  # [(Account, Figures)]
    one_voice_accounts: list  # [AccountSummary with .account]
    silent_executive_accounts: list  # [AccountSummary with .account]
    as_of: datetime | None = None  # the moment the figures are exact for (the page says it)


def rollup(user: User, *, region: Region | None = None, period: str = "12m", now=None, regions=False) -> Rollup:
    """The figures of a rollup page: the user's scope, maybe narrowed to one region."""
    now = now or timezone.now()
    summaries = summaries_visible_to(user, region=region)
    start = rollup_start(period, now)
    in_period = summaries.filter(month__gte=start) if start else summaries
    accounts = AccountSummary.objects.all()
    if not user.sees_everything:
        accounts = accounts.filter(account__in=accounts_visible_to(user))
    if region is not None:
        accounts = accounts.filter(account__region=region)
    return Rollup(
        figures=figures_of(in_period.aggregate(**SUMS)),
        trend=summary_trend(summaries, now=now),
        by_owner=figures_by(in_period, "owner", User),
        by_level=rollup_by_level(in_period),
        by_region=figures_by(in_period, "region", Region) if regions else [],
        lowest_accounts=lowest_accounts(accounts, period, now=now),
        one_voice_accounts=list(
            accounts.filter(answering_contacts=1, contacts__gt=1, account__active=True)
            .select_related("account__owner")
            .order_by("-contacts", "account__name")[:10]
        ),
        silent_executive_accounts=list(
            accounts.filter(executive_waves_unanswered__gte=2, account__active=True)
            .select_related("account__owner")
            .order_by("-executive_waves_unanswered", "account__name")[:10]
        ),
        as_of=now,
    )


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


def summary_trend(summaries, *, now=None, months: int = 12) -> list:
    """[(month, Figures)] for the last `months` calendar months, oldest first."""
    today = timezone.localdate(now or timezone.now())
    first = month_add(month_of(today), -(months - 1))
    rows = {
        row["month"]: figures_of(row)
        for row in summaries.filter(month__gte=first).values("month").annotate(**SUMS).order_by()
    }
    out = []
    for i in range(months - 1, -1, -1):
        m = month_add(month_of(today), -i)
        out.append((m, rows.get(m, Figures(delivered=0, answered=0))))
    return out


def lowest_accounts(account_summaries, period: str, limit: int = 10, *, now=None) -> list:
    """Accounts with the lowest NPS in the period (at least 2 answers), weakest first.
    The window counts are exact as of `now`, also right after a month turned."""
    if period in ("3m", "12m"):
        counts = account_window_counts(period, now)
    else:
        counts = {k: F(f"{k}_all") for k in ("promoters", "passives", "detractors")}
    rows = list(
        account_summaries.annotate(**{f"in_period_{k}": v for k, v in counts.items()})
        .annotate(n=F("in_period_promoters") + F("in_period_passives") + F("in_period_detractors"))
        .filter(n__gte=2)
        .annotate(nps_sql=Cast(F("in_period_promoters") - F("in_period_detractors"), FloatField())
                  / Cast(F("n"), FloatField()))
        .select_related("account__owner")
        .order_by("nps_sql", "-n", "account_id")[:limit]
    )
    return [
        (s.account, figures_of({k: getattr(s, f"in_period_{k}") for k in ("promoters", "passives", "detractors")}))
        for s in rows
    ]


def account_trend(account: Account, *, months: int = 24, now=None) -> list:
    return summary_trend(MonthSummary.objects.filter(account=account), now=now, months=months)


def account_figures(account: Account) -> Figures:
    """All-time figures of one account."""
    return figures_of(MonthSummary.objects.filter(account=account).aggregate(**SUMS))


def filter_figures(user: User, flt: AnswerFilter, *, now=None) -> Figures | None:
    """The figures of an answers list, from the summary, when its filter is one the summary
    can answer (whole months; no state, reason or suspect-only filter); else None."""
    if flt.triage or flt.reason or flt.suspect == "yes":
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
