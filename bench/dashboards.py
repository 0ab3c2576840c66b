"""Rollup pages and the CSV export at scale: 1,000,000 answers, 24 months, 3 regions, 40 AMs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench5 python bench/dashboards.py [--reload]

Creates the database if needed, migrates, loads the data set with set-based SQL
(generate_series / INSERT ... SELECT: about a minute), then times each role's home
page, the answers list and the export with Django's test Client in-process, and
prints p50/p95 of 20 requests per page. The export of every answer (1,000,000 rows
for the director) runs in a child process whose peak RSS (VmHWM) is reported.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench5")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench._scratch import database_ensure  # noqa: E402

REGIONS, AMS, ACCOUNTS_PER_AM, CONTACTS_PER_ACCOUNT, MONTHS = 3, 40, 100, 21, 24
# 40 AMs x 100 accounts x 21 contacts = 84,000 contacts; asked every month for 24 months
# = 2,016,000 invitations; 52% of the delivered ones answered = about 1,020,000 answers.
PASSWORD = "bench-pass-1"




def load(reload: bool):
    from django.core.management import call_command
    from django.db import connection

    from feedback.models import Response
    from surveys.models import Account, Region, User

    call_command("migrate", verbosity=0)
    if Response.objects.exists() and not reload:
        from feedback.models import MonthSummary
        from feedback.summaries import summary_rebuild

        if not MonthSummary.objects.exists():
            started = time.perf_counter()
            summary_rebuild()
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
            print(f"summary rebuilt in {time.perf_counter() - started:.0f} s")
        return False
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE feedback_note, feedback_ownershipchange, feedback_notificationsettings, outbox_message,"
            " feedback_response, surveys_invitation, surveys_wave, surveys_contact, surveys_account, surveys_region,"
            " surveys_user CASCADE"
        )
    User.objects.create_user("director@bench.test", PASSWORD, role="director", full_name="Dina Director")
    User.objects.create_user("admin@bench.test", PASSWORD, role="admin", full_name="Adam Admin", is_staff=True,
                             is_superuser=True)
    regions = []
    for i in range(REGIONS):
        rm = User.objects.create_user(f"rm{i}@bench.test", PASSWORD, role="rm", full_name=f"Regional Manager {i}")
        regions.append(Region.objects.create(name=f"Region {i}", manager=rm))
    ams = [User.objects.create_user(f"am{i}@bench.test", PASSWORD, role="am", full_name=f"Account Manager {i:02d}")
           for i in range(AMS)]
    Account.objects.bulk_create(
        Account(external_id=f"B{i:02d}-{j:03d}", name=f"Customer {i:02d}-{j:03d}", owner=am,
                region=regions[i % REGIONS])
        for i, am in enumerate(ams) for j in range(ACCOUNTS_PER_AM)
    )
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            """
            INSERT INTO surveys_contact (account_id, email, name, phone, level, language, created_at, updated_at)
            SELECT a.id, 'c' || a.id || '-' || g || '@customer.test', 'Contact ' || a.id || '-' || g, '+45 1234',
                   CASE WHEN g <= 3 THEN 'executive' WHEN g <= 9 THEN 'manager' ELSE 'operational' END,
                   'en', now(), now()
            FROM surveys_account a CROSS JOIN generate_series(1, %s) g
            """,
            [CONTACTS_PER_ACCOUNT],
        )
        cur.execute(
            """
            INSERT INTO surveys_wave (month, status, planned_at, sent_at)
            SELECT (date_trunc('month', now()) - (m || ' months')::interval)::date, 'sent', now(), now()
            FROM generate_series(0, %s) m
            """,
            [MONTHS - 1],
        )
        cur.execute(
            """
            INSERT INTO surveys_invitation (wave_id, contact_id, account_id, status, token_nonce, token_hash,
                hold_reason, sent_at, expires_at, attempts, last_error, created_at)
            SELECT w.id, c.id, c.account_id,
                   CASE WHEN random() < 0.02 THEN 'bounced' WHEN random() < 0.01 THEN 'failed' ELSE 'sent' END,
                   '', md5(w.id || '-' || c.id) || md5(c.id || '+' || w.id), '',
                   least(now() - interval '1 hour', w.month + ((c.id % 5) || ' days')::interval + interval '8 hours'),
                   w.month + interval '35 days', 1, '', now()
            FROM surveys_wave w CROSS JOIN surveys_contact c
            """
        )
        cur.execute(
            """
            INSERT INTO feedback_response (invitation_id, contact_id, account_id, score, reason, category, language,
                answered_at, changed_at, suspect, suspect_reason, triage, triaged_at)
            SELECT i.id, i.contact_id, i.account_id, s.score,
                   CASE WHEN i.id %% 3 = 0 THEN 'Because of delivery times and the service desk' ELSE '' END,
                   CASE WHEN s.score >= 9 THEN 'promoter' WHEN s.score >= 7 THEN 'passive' ELSE 'detractor' END,
                   'en', s.at, s.at, i.id %% 250 = 0, CASE WHEN i.id %% 250 = 0 THEN 'honeypot' ELSE '' END,
                   CASE WHEN s.at > now() - interval '10 days' THEN 'new'
                        WHEN s.at > now() - interval '30 days' THEN 'seen' ELSE 'handled' END,
                   CASE WHEN s.at > now() - interval '10 days' THEN NULL ELSE s.at + interval '1 day' END
            FROM surveys_invitation i
            JOIN surveys_account a ON a.id = i.account_id
            CROSS JOIN LATERAL (
                SELECT least(10, greatest(0, round(7.2 + (a.owner_id %% 7 - 3) * 0.5 + random() * 4 - 2
                                                   + (random() - 0.5) * 3)))::int AS score,
                       least(now() - interval '1 minute', i.sent_at + ((i.id %% 96) || ' hours')::interval) AS at
            ) s
            WHERE i.status = 'sent' AND i.id %% 100 < 52
            """,
            [],
        )
        # Each invitation mirrors its counted answer, as the answer's transaction writes it
        # (surveys.tallies), so the rebuild below finds nothing to set right.
        cur.execute(
            """
            UPDATE surveys_invitation i SET answer_category = r.category, answered_at = r.answered_at
            FROM feedback_response r WHERE r.invitation_id = i.id AND NOT r.suspect
            """
        )
        cur.execute("ANALYZE")
    loaded = time.perf_counter()
    from feedback.summaries import summary_rebuild

    summary_rebuild()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"summary rebuilt in {time.perf_counter() - loaded:.0f} s")
    print(f"loaded {Response.objects.count():,} answers in {time.perf_counter() - started:.0f} s")
    return True


def users():
    from surveys.models import User

    return {
        "am": User.objects.get(email="am7@bench.test"),
        "rm": User.objects.get(email="rm1@bench.test"),
        "director": User.objects.get(email="director@bench.test"),
        "admin": User.objects.get(email="admin@bench.test"),
    }


class QueryCounter:
    count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(client, url, n=20):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        else:
            assert response.status_code == 200, (url, response.status_code)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(round(0.95 * len(times))) - 1]


def export_child(role: str, query: str) -> None:
    """Run in a child process: stream one export, print rows, seconds and peak RSS."""
    import django

    django.setup()
    from django.test import Client

    client = Client()
    client.force_login(users()[role])
    start = time.perf_counter()
    response = client.get("/answers/export.csv" + query)
    lines = 0
    size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - start
    hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print(json.dumps({"rows": lines - 1, "seconds": seconds, "peak_rss_mb": hwm / 1024, "mb": size / 1e6}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--export-child", nargs=2, metavar=("ROLE", "QUERY"))
    parser.add_argument("--skip-big-export", action="store_true")
    args = parser.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return
    import django

    database_ensure()
    django.setup()
    load(args.reload)
    from django.db import connection
    from django.test import Client

    from feedback.models import Response

    print(f"answers: {Response.objects.count():,}  db: {connection.settings_dict['NAME']}")
    people = users()
    region_id = people["rm"].managed_regions.first().pk
    pages = [
        ("am", "inbox", "/inbox/"),
        ("am", "inbox filtered", "/inbox/?category=detractor&period=90d"),
        ("am", "answer page", None),
        ("am", "answers list", "/answers/"),
        ("rm", "region home", f"/regions/{region_id}/"),
        ("rm", "answers (drill)", f"/answers/?region={region_id}&owner={people['am'].pk}&suspect=no&period=12m"),
        ("director", "organisation home", "/organisation/"),
        ("director", "organisation, all time", "/organisation/?period=all"),
        ("director", "region drill", f"/regions/{region_id}/"),
        ("director", "answers list", "/answers/"),
        ("admin", "organisation home", "/organisation/"),
        ("am", "export (own, 12m)", "/answers/export.csv?period=12m"),
        ("rm", "export (region, 30d)", f"/answers/export.csv?region={region_id}&period=30d"),
    ]
    answer = Response.objects.filter(account__owner=people["am"]).order_by("-answered_at").first()
    print(f"\n{'role':<9} {'page':<26} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for role, label, url in pages:
        url = url or f"/answers/{answer.pk}/"
        client = Client()
        client.force_login(people[role])
        client.get(url)  # warm the connection and template cache
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            r = client.get(url)
            if r.streaming:
                for _chunk in r.streaming_content:
                    pass
        p50, p95 = timed(client, url, args.requests)
        print(f"{role:<9} {label:<26} {p50:8.1f} {p95:8.1f} {counter.count:8d}")
    if not args.skip_big_export:
        print("\nexport of every answer in scope, in a child process (3 runs):")
        for role in ("director", "rm", "am"):
            runs = []
            for _ in range(3):
                out = subprocess.run([sys.executable, __file__, "--export-child", role, ""], check=True,
                                     capture_output=True, text=True, env=os.environ).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
            best = min(r["seconds"] for r in runs)
            worst = max(r["seconds"] for r in runs)
            print(f"  {role:<9} rows {runs[0]['rows']:>9,}  {runs[0]['mb']:.0f} MB CSV  "
                  f"time {best:.1f}-{worst:.1f} s  peak RSS {max(r['peak_rss_mb'] for r in runs):.0f} MB")


if __name__ == "__main__":
    main()
