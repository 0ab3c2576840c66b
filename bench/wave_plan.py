"""Benchmark: plan one monthly wave over a book of 1,000,000 contacts in PostgreSQL.

Prints wall time, the CPU seconds spent by the planning process (user + system, from
getrusage) and by its PostgreSQL backend (from /proc, when the server runs on this machine;
the leader only, parallel workers are not counted), peak memory (the process's peak RSS,
Django included) and the number of queries, for a first plan (every contact gets its
slot) and a steady-state plan (the month after, with the first wave sent), at two book
sizes so that one can see the query count does not grow with the number of contacts
beyond the insert batches.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse python bench/wave_plan.py [--sizes 100000,1000000]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._scratch import run_context, scratch_database, table  # noqa: E402


def _book(contacts: int) -> None:
    """~4 contacts per account (1..7), 40 account managers, 4 regions; in SQL, fast."""
    from django.db import connection

    from surveys.models import Region, User

    owners = [User.objects.create_user(f"am{i}@bench.test", full_name=f"Manager {i}").pk for i in range(40)]
    regions = [Region.objects.create(name=f"Region {i}").pk for i in range(4)]
    accounts = contacts // 4
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO surveys_account (external_id, name, region_id, owner_id, active, created_at, updated_at)
            SELECT 'A' || g, 'Customer ' || g, (%s::bigint[])[1 + g %% 4], (%s::bigint[])[1 + g %% 40],
                   g %% 50 <> 0, now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [regions, owners, accounts],
        )
        # Contacts spread 1..7 per account, in id order; opted out / bounced sprinkled in.
        cursor.execute(
            """
            INSERT INTO surveys_contact (account_id, email, name, phone, level, language, opted_out_at,
                                         bounced_at, created_at, updated_at)
            SELECT a.id, 'c' || g || '@customer.test', 'Contact ' || g, '', 'manager',
                   CASE WHEN g %% 3 = 0 THEN 'da' ELSE 'en' END,
                   CASE WHEN g %% 97 = 0 THEN now() END, CASE WHEN g %% 89 = 0 THEN now() END, now(), now()
            FROM generate_series(1, %s) AS g
            JOIN surveys_account a ON a.external_id = 'A' || (1 + (g::bigint * 7919) %% %s)
            """,
            [contacts, accounts],
        )
        cursor.execute("ANALYZE")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu_seconds() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend so far, or None when its
    process is not readable here (a server on another machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of stat(5), counted after the ")" from field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _one(contacts: int) -> dict:
    with scratch_database(f"wave_plan_{contacts}"):
        from datetime import date, timedelta

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from surveys.models import Contact, Invitation
        from surveys.planning import wave_plan

        _book(contacts)
        book = Contact.objects.count()
        rows = []
        for label, month in (("first wave", date(2031, 1, 1)), ("next month", date(2031, 2, 1))):
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            backend_before = _backend_cpu_seconds()
            with CaptureQueriesContext(connection) as queries:
                cpu_before = _cpu_seconds()
                started = time.perf_counter()
                result = wave_plan(month=month, today=month - timedelta(days=3))
                elapsed = time.perf_counter() - started
                cpu = _cpu_seconds() - cpu_before
            backend_after = _backend_cpu_seconds()
            backend = "n/a" if backend_before is None or backend_after is None else round(
                backend_after - backend_before, 1)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rows.append({"contacts": book, "run": label, "planned": result.added, "seconds": round(elapsed, 1),
                         "cpu_s": round(cpu, 1), "backend_cpu_s": backend,
                         "peak_rss_mb": round(rss / 1024), "rss_growth_mb": round((rss - rss_before) / 1024),
                         "queries": len(queries.captured_queries)})
            Invitation.objects.filter(wave=result.wave).update(status="sent", sent_at=f"{month}T09:00:00+01:00")
            result.wave.status = "sent"
            result.wave.save(update_fields=["status"])
        return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one)))
        return
    print(run_context("before"))
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        # A fresh process per size, so the peak memory is that run's.
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], check=True, capture_output=True,
                             text=True, env=os.environ).stdout
        rows.extend(json.loads(out.strip().splitlines()[-1]))
    print(table([tuple(r.values()) for r in rows],
                ("contacts", "run", "planned", "seconds", "CPU s", "DB CPU s", "peak RSS MB", "RSS growth MB",
                 "queries")))
    print(run_context("after"))


if __name__ == "__main__":
    main()
