"""Accounts at risk, and the revenue at risk, of a rollup page. The accounts at risk: what
is known about each account, from per-account rows (AccountSummary, Account and the
account's call state kept by followups.call_states), so a page reads one row per account
in view, however many answers and calls lie behind it. The revenue at risk: the sums per
owner and region that followups.revenue_at_risk keeps.

An active account is at risk when at least one of these holds:
- its detractor share in the period is above the page's (the scope's) detractor share
  beyond doubt: the lower end of its 95% interval lies above it;
- a detractor of the period has not been called yet (an open call, no attempt logged);
- its latest answer is a detractor not called yet (that is also its revenue at risk);
- its executives left SILENT_WAVES or more waves unanswered since one last answered.

Accounts with a sign of an unhappy customer (one of the first three) come before those
whose executives are only silent: what is known of a customer outranks what is not. In
each group, by annual revenue, largest first, accounts without a known revenue last; then
by the lower end of the detractor share's interval (the most certain first), the waves
the executives left unanswered, and the order the accounts were added in.

The ranking reads what followups.risk_states keeps per account and period, so a page's
work grows with the rows it shows, not with its accounts. In the days between a month's
first moment and the windows' roll those rows are last month's: the page then works the
ranking out from every account's summary, as exact and slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from feedback.figures import Z95, share_interval
from feedback.models import AccountSummary
from followups.models import NOT_CALLED_DETRACTOR, AccountRisk, AtRiskCount, Call, RevenueAtRiskSummary
from followups.risk_states import PERIODS, SILENT_WAVES
from surveys.models import Account
from surveys.revenue_tallies import money_of_cents
from surveys.selectors import accounts_in_scope, pairs_in_scope
from surveys.tallies import account_window_counts, account_windows_current

ROWS_SHOWN = 15


def _not_called(**filters) -> QuerySet[Call]:
    """Detractor calls nobody has tried yet: the same rule as the "Detractors not called
    yet" list (followups.selectors.uncalled_detractor_calls), read from its own index."""
    return Call.objects.filter(NOT_CALLED_DETRACTOR, **filters)


# Each account's call state (followups.call_states keeps it with every call and answer
# event): a column per flag, so a page reads them instead of probing every account's
# answers and calls. An account without a state row has neither.
STATE = "account__call_state__"


def _not_called_since(since: datetime | None = None):
    """The account has a detractor answered since `since` (None: ever) not called yet."""
    found = Q(**{f"{STATE}last_not_called_at__isnull": False})
    if since is not None:
        found = Q(**{f"{STATE}last_not_called_at__gte": since})
    return Coalesce(ExpressionWrapper(found, output_field=BooleanField()), Value(False))


def _latest_not_called():
    """The account's latest counted answer is a detractor not called yet."""
    return Coalesce(F(f"{STATE}latest_not_called"), Value(False))


@dataclass(frozen=True)
class RevenueAtRisk:
    revenue: Decimal  # annual revenue of the accounts below
    accounts: int  # active accounts with a known revenue whose latest answer is a detractor not called yet


def revenue_at_risk(accounts: QuerySet[Account]) -> RevenueAtRisk:
    """The revenue of the active accounts (known revenue) whose latest counted answer is a
    detractor whose follow-up call has not been made yet (open, no attempt): the sums kept
    per owner and region (followups.revenue_at_risk) of the scope's pairs."""
    row = RevenueAtRiskSummary.objects.filter(pairs_in_scope(accounts)).aggregate(
        cents=Sum("revenue_cents"), accounts=Sum("accounts"))
    return RevenueAtRisk(revenue=money_of_cents(row["cents"]), accounts=row["accounts"] or 0)


@dataclass(frozen=True)
class AtRiskRow:
    account: Account  # with its owner
    answers: int  # counted answers in the period
    detractors: int
    interval: tuple[float, float] | None  # 95% interval of the detractor share
    above_baseline: bool  # the interval lies above the page's detractor share
    not_called: int  # detractors of the period not called yet
    latest_not_called: bool  # the latest answer is a detractor not called yet: revenue at risk
    executive_waves_unanswered: int
    contacts: int
    answering_contacts: int

    @property
    def detractor_share(self) -> float | None:
        return self.detractors / self.answers if self.answers else None

    @property
    def executives_silent(self) -> bool:
        return self.executive_waves_unanswered >= SILENT_WAVES


@dataclass(frozen=True)
class AccountsAtRisk:
    rows: list[AtRiskRow]  # the first ROWS_SHOWN
    total: int  # every account at risk in scope
    baseline: float | None  # the page's detractor share the accounts are compared with
    silent_waves: int = SILENT_WAVES


# The ranking's arithmetic, in SQL over the counted columns (n, d) of each account, so
# that each account's window counts are worked out once (they are subqueries when a month
# turned since the windows' roll). Floats as "double precision" (REAL in SQLite).
_FLOAT = "CAST({} AS double precision)"


def _above_sql(baseline: float | None) -> tuple[str, list]:
    """d of n is above `baseline` beyond doubt: the lower end of the 95% Wilson interval
    lies above it, which is the score test d − n·b > z·√(n·b·(1−b)); squared, so that SQL
    needs no square root to decide. Without a usable baseline, never."""
    if baseline is None or not 0 < baseline < 1:
        return "FALSE", []
    excess = f"({_FLOAT.format('d')} - {_FLOAT.format('n')} * %s)"
    return f"({excess} > 0 AND {excess} * {excess} > %s * {_FLOAT.format('n')})", [
        baseline, baseline, baseline, Z95 * Z95 * baseline * (1 - baseline)]


def _wilson_low_sql() -> tuple[str, list]:
    """The lower end of the detractor share's 95% interval (feedback.figures.share_interval),
    for the order; 0 without answers."""
    n, share = _FLOAT.format("n"), f"({_FLOAT.format('d')} / {_FLOAT.format('n')})"
    low = (f"(({share} + %s / (2 * {n}) - %s * SQRT({share} * (1 - {share}) / {n} + %s / (4 * {n} * {n})))"
           f" / (1 + %s / {n}))")
    z2 = Z95 * Z95
    return f"CASE WHEN n > 0 THEN {low} ELSE 0 END", [z2, Z95, z2, z2]


def _ranked(flags: QuerySet, baseline: float | None, limit: int) -> list[tuple[int, int]]:
    """[(account id, accounts at risk in all)] of the first
    `limit` accounts at risk, in the module's order. Each account's counts and flags are
    worked out once, in a materialized CTE: written as one ORM query, the database repeated
    the subqueries for the filter, the order and the count, and the ORM compiled them for
    every use (2 s of a page at 1,000,000 answers)."""
    inner, params = flags.query.sql_with_params()
    above, above_params = _above_sql(baseline)
    low, low_params = _wilson_low_sql()
    sql = f"""
        WITH flags AS MATERIALIZED ({inner}),
        counted AS (SELECT *, (promoters + passives + d) AS n FROM flags),
        ranked AS (SELECT *, (not_called_since OR latest_not_called OR {above}) AS unhappy, {low} AS low
                   FROM counted)
        SELECT account_id, count(*) OVER ()
        FROM ranked
        WHERE unhappy OR executive_waves_unanswered >= %s
        ORDER BY unhappy DESC, revenue DESC NULLS LAST, low DESC, executive_waves_unanswered DESC, account_id
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *above_params, *low_params, SILENT_WAVES, limit])
        return cursor.fetchall()


_ORDER = ("-revenue_known", "-revenue", "-low", "-executive_waves_unanswered", "account_id")


def _stored_key(row: dict, unhappy: bool) -> tuple:
    """The module's order of a row of followups.models.AccountRisk."""
    return (not unhappy, not row["revenue_known"], -row["revenue"], -row["low"], -row["executive_waves_unanswered"],
            row["account_id"])


def _ranked_stored(accounts: QuerySet[Account], period: str, baseline: float | None,
                   limit: int) -> tuple[list[int], int]:
    """([account id, ...] of the first `limit` accounts at risk, how many in all), from the
    rows followups.risk_states keeps, in two statements: the first rows of three index
    ranges (the unhappy; the others above the baseline; the silent ones not above it), then
    the counts kept per owner and region plus the accounts above the baseline and nothing
    else, counted on the index."""
    Group = AccountRisk.Group
    # Without a usable baseline no account is above it: nor is any above 1.
    above = Q(low__gt=baseline if baseline is not None and 0 < baseline < 1 else 1.0)
    rows = AccountRisk.objects.filter(pairs_in_scope(accounts), period=period)
    fields = ("account_id", "revenue_known", "revenue", "low", "executive_waves_unanswered")
    ranges = [(rows.filter(group=Group.UNHAPPY), True),
              (rows.filter(above, group__in=[Group.NEITHER, Group.SILENT]), True),
              (rows.filter(~above, group=Group.SILENT), False)]
    parts, params = [], []
    for queryset, unhappy in ranges:
        sql, part_params = queryset.order_by(*_ORDER).values(*fields)[:limit].query.sql_with_params()
        parts.append(f"SELECT *, {int(unhappy)} FROM ({sql}) AS part{len(parts)}")
        params += part_params
    flagged, flagged_params = (AtRiskCount.objects.filter(pairs_in_scope(accounts), period=period)
                               .values("period").annotate(n=Sum("accounts")).values("n").query.sql_with_params())
    alone, alone_params = (rows.filter(above, group=Group.NEITHER).values("period").annotate(n=Count("pk"))
                           .values("n").query.sql_with_params())
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        candidates = [(dict(zip(fields, row[:-1], strict=True)), bool(row[-1])) for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(({flagged}), 0) + COALESCE(({alone}), 0)", [*flagged_params, *alone_params])
        total = cursor.fetchone()[0]
    candidates.sort(key=lambda candidate: _stored_key(*candidate))
    return [row["account_id"] for row, _unhappy in candidates[:limit]], total


def accounts_at_risk(accounts: QuerySet[Account], *, period: str, baseline: float | None,
                     since: datetime | None, limit: int = ROWS_SHOWN, now: datetime | None = None) -> AccountsAtRisk:
    """The active accounts at risk among `accounts` (see the module's docstring), the first
    `limit` of them with their numbers. `baseline` is the page's detractor share of the
    period; `since` the period's first moment (None: all time)."""
    if period in ("3m", "12m"):  # the stored windows, set right when a month turned since their roll
        counts = account_window_counts(period, now)
        p, pa, d = counts["promoters"], counts["passives"], counts["detractors"]
    else:
        p, pa, d = (F(f"{kind}_all") for kind in ("promoters", "passives", "detractors"))
    summaries = AccountSummary.objects.filter(accounts_in_scope(accounts), account__active=True)
    if period in PERIODS and (period == "all" or account_windows_current(now)):
        try:
            ids, total = _ranked_stored(accounts, period, baseline, limit)
        except EmptyResultSet:  # a scope without accounts
            ids, total = [], 0
    else:  # a month turned since the windows' roll: the accounts' rows are last month's
        flags = summaries.annotate(
            promoters=p, passives=pa, d=d, latest_not_called=_latest_not_called(),
            not_called_since=_not_called_since(since), revenue=F("account__annual_revenue"),
        ).values("account_id", "promoters", "passives", "d", "latest_not_called", "not_called_since", "revenue",
                 "executive_waves_unanswered")
        ranked = _ranked(flags, baseline, limit)
        ids, total = [account_id for account_id, _total in ranked], (ranked[0][1] if ranked else 0)
    summaries = summaries.annotate(n=p + pa + d, d=d, latest_not_called=_latest_not_called())
    by_id = {s.account_id: s for s in summaries.filter(account_id__in=ids).select_related("account__owner")}
    shown = [by_id[account_id] for account_id in ids]
    latest = {s.account_id: bool(s.latest_not_called) for s in shown}
    counts = {}
    if shown:
        calls = _not_called(account_id__in=[s.account_id for s in shown])
        if since is not None:
            calls = calls.filter(answered_at__gte=since)
        counts = dict(calls.values("account_id").annotate(c=Count("pk")).order_by().values_list("account_id", "c"))
    rows = []
    for s in shown:
        interval = share_interval(s.d, s.n)
        rows.append(AtRiskRow(
            account=s.account, answers=s.n, detractors=s.d, interval=interval,
            above_baseline=bool(interval and baseline is not None and interval[0] > baseline),
            not_called=counts.get(s.account_id, 0), latest_not_called=latest[s.account_id],
            executive_waves_unanswered=s.executive_waves_unanswered, contacts=s.contacts,
            answering_contacts=s.answering_contacts,
        ))
    return AccountsAtRisk(rows=rows, total=total, baseline=baseline)
