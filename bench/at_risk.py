"""The accounts at risk of a rollup page, read from the rows kept per account and period
(followups.risk_states) against the same ranking worked out from every account's summary
(what a page does between a month's first moment and the windows' roll), on a data set
of bench/dashboards.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench .venv/bin/python bench/at_risk.py \
        [--answers 100k|1m|10m] [--runs 15]

In-process, one call at a time, for the director (every account) and the first region's
RM, over 12 months and all time: per row the accounts at risk found, the median wall time
of a call and the median time its SQL statements took (as the database driver saw them).
Both ways must find the same accounts in the same order and the same total; the script
stops if they do not. Prints the commit, the data size and the load average before and
after. The data set must be loaded (bench/dashboards.py --load-only).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._dataset import SIZES, dataset_database  # noqa: E402
from bench._scratch import run_context, table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", choices=SIZES, default="1m")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    dataset_database(args.answers)
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "r" * 40)
    os.environ["DEBUG"] = "1"  # the database driver's statement times

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feedback.periods import rollup_since
    from reports import at_risk
    from surveys.models import AccountSummary, Region, User
    from surveys.selectors import accounts_visible_to

    print(run_context("before"))
    print(f"data: {args.answers} data set, {AccountSummary.objects.count():,} accounts with a summary")
    director = User.objects.filter(role="director").order_by("pk").first()
    rm = Region.objects.exclude(manager=None).order_by("pk").first().manager
    stored_periods = at_risk.PERIODS
    rows = []
    for who in (director, rm):
        accounts = accounts_visible_to(who)
        for period in ("12m", "all"):
            since = rollup_since(period)
            found = {}
            for way, periods in (("stored rows", stored_periods), ("every account", ())):
                at_risk.PERIODS = periods  # none stored: the page works the ranking out

                def call(accounts=accounts, period=period, since=since):
                    return at_risk.accounts_at_risk(accounts, period=period, baseline=0.2, since=since)

                call()
                walls, sqls = [], []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    with CaptureQueriesContext(connection) as captured:
                        result = call()
                    walls.append((time.perf_counter() - started) * 1000)
                    sqls.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
                found[way] = ([row.account.pk for row in result.rows], result.total)
                rows.append([who.role, period, way, f"{result.total:,}", f"{statistics.median(walls):.1f}",
                             f"{statistics.median(sqls):.1f}"])
            if found["stored rows"] != found["every account"]:
                sys.exit(f"the two ways disagree for {who.role}, {period}: {found}")
    at_risk.PERIODS = stored_periods
    print(table(rows, ("role", "period", "read from", "at risk", "ms a call (median)", "SQL ms (median)")))
    print(run_context("after"))


if __name__ == "__main__":
    main()
