"""Revenue figures of a set of accounts (DESIGN §2.8), read from the revenue sums kept per
owner, region and month of the accounts' latest answer (surveys.revenue_tallies), never
from the accounts or their answers one by one:

- `revenue_weighted_nps`: the sums of the period's window, in one aggregate;
- `revenue_coverage`: the active accounts' revenue, and the part of it whose accounts
  answered in the last COVERAGE_MONTHS calendar months, per region and per owner.

The accounts come in as a scope (`surveys.selectors.accounts_visible_to`, maybe of one
region): every scope holds all the accounts of an owner in a region or none. Revenue is
in the program's currency; an account without one (null) is left out, never taken as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, Count, F, FloatField, QuerySet, Sum, Value, When
from django.db.models.functions import Cast

from surveys.models import Account, Region, RevenueSummary, User
from surveys.months import month_begins, month_window_first
from surveys.revenue_tallies import WINDOW_SUMS, money_of_cents
from surveys.selectors import accounts_in_scope, pairs_in_scope
from surveys.tallies import account_window_counts, account_windows_current

from .figures import MIN_N, Z95
from .models import AccountSummary

# CustomerGauge's users aim to hear, each quarter, from the accounts holding 80% of revenue.
COVERAGE_TARGET = 0.8
# "The last quarter": this calendar month and the two before it, as the rollups' "3 months".
COVERAGE_MONTHS = 3


def _float(expression):
    return Cast(expression, FloatField())


@dataclass(frozen=True)
class WeightedNps:
    """NPS with each account's answers weighted by its annual revenue (see
    `revenue_weighted_nps`)."""

    nps: float | None  # -100..100; None without answers of accounts with revenue
    margin: float | None  # 95% margin of error, in points
    effective_n: float | None  # Kish's effective number of answers: (Σw)² / Σw²
    accounts: int  # accounts with counted answers in the period and a known revenue
    answers: int  # their counted answers
    revenue: Decimal  # their revenue: the weights

    @property
    def confident(self) -> bool:
        """As for the plain NPS: at least MIN_N answers, here effective ones."""
        return self.effective_n is not None and self.effective_n >= MIN_N


def revenue_weighted_nps(accounts: QuerySet[Account], *, period: str,
                         now: datetime | None = None) -> WeightedNps:
    """Over the accounts with a known revenue and counted answers in the period: each
    account's NPS (its promoters minus detractors over its answers) weighted by its
    revenue, Σ revenue·NPS / Σ revenue. Equivalently every answer weighs its account's
    revenue shared among the account's answers, so an account counts by its revenue and
    not by how many of its contacts answered.

    The margin treats the answers as independent with those fixed weights (the plain
    NPS's margin when all weights are equal): Var = Σ w_i² (x_i − NPS)² / (Σ w_i)², with
    x_i = 100, 0, −100 for a promoter, passive, detractor; summed per account as the
    answers change (surveys.revenue_tallies)."""
    window = period if period in ("3m", "12m") else "all"
    if window != "all" and not account_windows_current(now):
        return _weighted_of_accounts(accounts, window=window, now=now)
    row = RevenueSummary.objects.filter(pairs_in_scope(accounts)).aggregate(
        **{name: Sum(f"{name}_{window}") for name in WINDOW_SUMS})
    row["revenue"] = money_of_cents(row.pop("revenue_cents"))
    return _weighted(row)


def _weighted(row: dict) -> WeightedNps:
    """The figure from the sums (see revenue_weighted_nps)."""
    accounts, weight = row["accounts"] or 0, row["weight"] or 0.0
    if not accounts or weight <= 0:
        return WeightedNps(nps=None, margin=None, effective_n=None, accounts=accounts,
                           answers=row["answers"] or 0, revenue=row["revenue"] or Decimal(0))
    nps = 100.0 * row["weighted"] / weight
    variance = (nps * nps * row["sq_answers"] + 200.0 * nps * row["sq_net_detractors"]
                + 10000.0 * row["sq_polar"]) / (weight * weight)
    return WeightedNps(
        nps=nps,
        margin=Z95 * math.sqrt(max(variance, 0.0)),
        effective_n=weight * weight / row["sq_answers"],
        accounts=accounts,
        answers=row["answers"],
        revenue=row["revenue"],
    )


def _weighted_of_accounts(accounts: QuerySet[Account], *, window: str, now: datetime | None) -> WeightedNps:
    """The same sums over the accounts one by one, their windows corrected
    (surveys.tallies.account_window_counts): only between a month's turn and the roll."""
    counts = account_window_counts(window, now)
    p, pa, d = counts["promoters"], counts["passives"], counts["detractors"]
    revenue = _float(F("account__annual_revenue"))
    n = _float(F("n"))
    squared = revenue * revenue / (n * n)  # (account revenue / its answers)²: w_i² of each answer
    return _weighted(
        AccountSummary.objects.filter(accounts_in_scope(accounts), account__annual_revenue__isnull=False)
        .annotate(n=p + pa + d, p=p, d=d)
        .filter(n__gt=0)
        .aggregate(
            accounts=Count("pk"),
            answers=Sum("n"),
            revenue=Sum("account__annual_revenue"),
            weight=Sum(revenue),
            weighted=Sum(revenue * _float(F("p") - F("d")) / n),
            sq_answers=Sum(squared * n),
            sq_net_detractors=Sum(squared * _float(F("d") - F("p"))),
            sq_polar=Sum(squared * _float(F("p") + F("d"))),
        )
    )


@dataclass
class Coverage:
    """Of the active accounts with a known revenue: their revenue, and the part of it
    whose accounts answered lately (see `revenue_coverage`)."""

    revenue: Decimal = Decimal(0)
    heard: Decimal = Decimal(0)
    accounts_with_revenue: int = 0
    accounts_heard: int = 0
    accounts: int = 0  # active accounts, with or without a revenue

    @property
    def share(self) -> float | None:
        return float(self.heard / self.revenue) if self.revenue else None

    @property
    def on_target(self) -> bool:
        return self.share is not None and self.share >= COVERAGE_TARGET

    def add(self, row: dict) -> None:
        self.accounts += row["accounts"]
        self.accounts_with_revenue += row["with_revenue"]
        self.revenue += row["revenue"] or 0
        if row["heard"]:
            self.accounts_heard += row["with_revenue"]
            self.heard += row["revenue"] or 0


@dataclass
class RevenueCoverage:
    total: Coverage
    by_region: list  # [(Region, Coverage)], lowest coverage first
    by_owner: list  # [(User, Coverage)], lowest coverage first
    since: datetime
    target: float = COVERAGE_TARGET


def revenue_coverage(accounts: QuerySet[Account], *, now: datetime | None = None) -> RevenueCoverage:
    """Revenue coverage: the share of the known revenue of the active accounts whose
    account gave a counted (non-suspect) answer in the last COVERAGE_MONTHS calendar
    months, this one included; in all, per region and per account manager (the account's
    owner). Inactive accounts are not asked, so they are left out."""
    first = month_window_first(COVERAGE_MONTHS, now)
    heard = Case(When(heard_month__gte=first, then=Value(True)), default=Value(False))
    rows = list(
        RevenueSummary.objects.filter(pairs_in_scope(accounts))
        .annotate(heard=heard)
        .values("region_id", "owner_id", "heard")
        .annotate(accounts=Sum("accounts"), with_revenue=Sum("with_revenue"), revenue_cents=Sum("revenue_cents"))
        .order_by()
    )
    for row in rows:
        row["revenue"] = money_of_cents(row.pop("revenue_cents"))
    total, regions, owners = Coverage(), {}, {}
    for row in rows:
        total.add(row)
        regions.setdefault(row["region_id"], Coverage()).add(row)
        owners.setdefault(row["owner_id"], Coverage()).add(row)
    known = [(key, c) for key, c in regions.items() if c.accounts_with_revenue]
    region_objects = Region.objects.in_bulk([key for key, _ in known]) if known else {}
    known_owners = [(key, c) for key, c in owners.items() if c.accounts_with_revenue]
    owner_objects = User.objects.in_bulk([key for key, _ in known_owners]) if known_owners else {}

    def weakest_first(pairs, objects):
        rows = [(objects[key], c) for key, c in pairs if key in objects]
        return sorted(rows, key=lambda r: (r[1].share if r[1].share is not None else 2.0, -r[1].revenue, str(r[0])))

    return RevenueCoverage(
        total=total,
        by_region=weakest_first(known, region_objects),
        by_owner=weakest_first(known_owners, owner_objects),
        since=month_begins(first),
    )
