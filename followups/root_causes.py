"""The root cause an AM logged on a reached call beside the themes the customer's reason
mentions: where the two disagree (a customer who wrote about price and a call that found
the account manager) is worth seeing. Read from the call summaries (followups.tallies:
RootCauseSummary, RootCauseThemeSummary), a few rows per owner, region and month."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from feedback.models import Theme
from surveys.models import Account

from .models import RootCause, RootCauseSummary, RootCauseThemeSummary
from .selectors import _in_period, _scoped


@dataclass(frozen=True)
class RootCauseRow:
    root_cause: RootCause
    reached: int  # reached calls with this root cause
    cells: list  # [(Theme, count)] in the order of the table's themes: of those, whose reason mentions it


@dataclass(frozen=True)
class RootCausesByTheme:
    themes: list  # [Theme] the columns: active themes, in the taxonomy's order
    rows: list  # [RootCauseRow] most reached first

    @property
    def reached(self) -> int:
        return sum(row.reached for row in self.rows)


def root_causes_by_theme(accounts_qs: QuerySet[Account], *, since=None, until=None,
                         category: str | None = None) -> RootCausesByTheme:
    """Reached calls of the answers of `accounts_qs` (already scoped by the caller) given in
    [since, until), by root cause and by the themes of their answer's reason (a reason
    with two themes counts in both columns, one without themes in none): four small reads."""
    by_theme_rows = _in_period(_scoped(RootCauseThemeSummary, accounts_qs), since, until)
    totals_rows = _in_period(_scoped(RootCauseSummary, accounts_qs), since, until)
    if category:
        by_theme_rows, totals_rows = by_theme_rows.filter(category=category), totals_rows.filter(category=category)
    counts: dict = defaultdict(dict)
    for root_cause_id, theme_id, n in (
        by_theme_rows.values_list("root_cause_id", "theme_id").annotate(n=Sum("reached")).order_by()
    ):
        counts[root_cause_id][theme_id] = n
    totals = {pk: n for pk, n in totals_rows.values_list("root_cause_id").annotate(n=Sum("reached")).order_by() if n}
    themes = list(Theme.objects.filter(active=True))
    causes = RootCause.objects.in_bulk(list(totals))
    rows = [
        RootCauseRow(root_cause=causes[pk], reached=n, cells=[(t, counts[pk].get(t.pk, 0)) for t in themes])
        for pk, n in totals.items() if pk in causes
    ]
    rows.sort(key=lambda row: (-row.reached, row.root_cause.position, row.root_cause.name))
    return RootCausesByTheme(themes=themes, rows=rows)
