"""The AM's call list and the RM's overdue view (the RM home's "overdue calls") at scale:
200,000 open calls in PostgreSQL, 10 regions, 200 AMs (1,000 open calls each).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench6 python bench/calls_dashboards.py [--reload]

Creates the database if needed, migrates, loads the data with set-based SQL
(generate_series / INSERT ... SELECT), then times each page with Django's test Client
in-process (middleware, scope, queries, templates) and prints p50/p95 of 20 requests.
Target: p95 under 150 ms.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench6")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench._scratch import database_ensure  # noqa: E402

REGIONS, AMS, ACCOUNTS_PER_AM, CONTACTS_PER_ACCOUNT = 10, 200, 20, 50
CALLS = AMS * ACCOUNTS_PER_AM * CONTACTS_PER_ACCOUNT  # 200,000: one open call per contact
REQUESTS = 20




SQL = [
    # Regions with their RMs, AMs spread over regions, accounts, contacts.
    """INSERT INTO surveys_user (password, is_superuser, email, full_name, role, phone, is_active, is_staff,
                                date_joined)
       SELECT '!', false, 'rm' || r || '@bench.test', 'Regional Manager ' || r, 'rm', '', true, false, now()
       FROM generate_series(1, %(regions)s) r""",
    """INSERT INTO surveys_region (name, manager_id)
       SELECT 'Region ' || r, (SELECT id FROM surveys_user WHERE email = 'rm' || r || '@bench.test')
       FROM generate_series(1, %(regions)s) r""",
    """INSERT INTO surveys_user (password, is_superuser, email, full_name, role, phone, is_active, is_staff,
                                date_joined)
       SELECT '!', false, 'am' || a || '@bench.test', 'Account Manager ' || a, 'am', '', true, false, now()
       FROM generate_series(1, %(ams)s) a""",
    """INSERT INTO surveys_account (external_id, name, region_id, owner_id, active, created_at, updated_at)
       SELECT 'B-' || u.id || '-' || k, 'Customer ' || u.id || '-' || k,
              (SELECT id FROM surveys_region ORDER BY id OFFSET (u.id %% %(regions)s) LIMIT 1), u.id, true, now(), now()
       FROM surveys_user u CROSS JOIN generate_series(1, %(accounts_per_am)s) k WHERE u.role = 'am'""",
    """INSERT INTO surveys_contact (account_id, email, name, phone, level, language, created_at, updated_at)
       SELECT a.id, 'c' || a.id || '-' || k || '@customer.test', 'Contact ' || a.id || '-' || k, '+45 20 30 40 50',
              (ARRAY['executive','manager','operational'])[1 + k %% 3], CASE WHEN k %% 4 = 0 THEN 'da' ELSE 'en' END,
              now(), now()
       FROM surveys_account a CROSS JOIN generate_series(1, %(contacts)s) k""",
    """INSERT INTO surveys_wave (month, status, planned_at) VALUES (date_trunc('month', now())::date, 'sent', now())""",
    """INSERT INTO surveys_invitation (wave_id, contact_id, account_id, status, token_nonce, token_hash, hold_reason,
              sent_at, expires_at, attempts, last_error, created_at)
       SELECT (SELECT id FROM surveys_wave LIMIT 1), c.id, c.account_id, 'sent', md5(c.id::text),
              md5(c.id::text) || md5('x' || c.id::text), '', now() - interval '20 days', now() + interval '10 days',
              1, '', now() - interval '20 days'
       FROM surveys_contact c""",
    """INSERT INTO feedback_response (invitation_id, contact_id, account_id, score, reason, category, language,
              answered_at, changed_at, suspect, suspect_reason, triage)
       SELECT i.id, i.contact_id, i.account_id, i.id %% 11, 'Reason number ' || i.id || ': deliveries and service.',
              CASE WHEN i.id %% 11 >= 9 THEN 'promoter' WHEN i.id %% 11 >= 7 THEN 'passive' ELSE 'detractor' END,
              'en', now() - (i.id %% 30) * interval '1 day', now() - (i.id %% 30) * interval '1 day', false, '', 'new'
       FROM surveys_invitation i""",
    # One open call per answer, due between 30 days ago and 20 days ahead (about 60%% overdue).
    """INSERT INTO followups_call (response_id, account_id, contact_id, category, answered_at, assignee_id, due_on,
              state, created_at, unanswered_attempts, agreed, action_owner, updated_at)
       SELECT r.id, r.account_id, r.contact_id, r.category, r.answered_at, a.owner_id,
              current_date + ((r.id * 7) %% 50 - 30)::int, 'open', r.answered_at, 0, '', '', now()
       FROM feedback_response r JOIN surveys_account a ON a.id = r.account_id""",
]


def load(reload: bool) -> bool:
    from django.core.management import call_command
    from django.db import connection

    from followups.models import Call

    call_command("migrate", verbosity=0)
    if Call.objects.filter(state="open").count() >= CALLS and not reload:
        return False
    started = time.perf_counter()
    params = {"regions": REGIONS, "ams": AMS, "accounts_per_am": ACCOUNTS_PER_AM, "contacts": CONTACTS_PER_ACCOUNT}
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE followups_attempt, followups_closeloopemail, followups_recoveryrequest, followups_call,"
            " followups_absence, followups_escalationsent, outbox_message, feedback_response,"
            " surveys_invitation, surveys_wave, surveys_contact, surveys_account, surveys_region, surveys_user,"
            " django_session CASCADE"
        )
        for statement in SQL:
            cur.execute(statement, params)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps: visibility map set, stats fresh
    print(f"loaded {Call.objects.count():,} open calls in {time.perf_counter() - started:.1f} s")
    return True


def timed(fn, n=REQUESTS) -> tuple[float, float]:
    fn()  # warm: connection, templates, settings row
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(round(0.95 * (len(samples) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    database_ensure()
    load(args.reload)

    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import Client

    from followups.models import Call
    from followups.selectors import overdue_for_rm_context
    from surveys.models import User

    am = User.objects.filter(role="am").order_by("pk").first()
    rm = User.objects.filter(role="rm").order_by("pk").first()
    director = User.objects.filter(email="director@bench.test").first() or User.objects.create_user(
        "director@bench.test", role="director", full_name="Bench Director")
    open_total = Call.objects.filter(state="open").count()
    am_open = Call.objects.filter(assignee=am, state="open").count()
    rm_overdue = Call.objects.filter(state="open", due_on__lt=django.utils.timezone.localdate(),
                                     account__region__manager=rm).count()

    def page(user, url):
        client = Client()
        client.force_login(user)

        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return get

    def rm_home_partial():
        render_to_string("followups/_overdue_for_rm.html", overdue_for_rm_context(rm))

    rows = [
        (f"AM call list, page 1 ({am_open:,} open calls)", page(am, "/calls/")),
        ("AM call list, page 10", page(am, "/calls/?page=10")),
        (f"RM overdue view, page 1 ({rm_overdue:,} overdue in region)", page(rm, "/calls/overdue/")),
        ("RM overdue view, page 50", page(rm, "/calls/overdue/?page=50")),
        ("RM home partial: overdue calls", rm_home_partial),
        ("Director overdue view (all regions)", page(director, "/calls/overdue/")),
        ("RM discipline page (region)", page(rm, "/calls/discipline/")),
    ]
    load1, load5, _ = os.getloadavg()
    print(f"\nPostgreSQL {connection.pg_version // 10000}, {open_total:,} open calls, "
          f"{REGIONS} regions, {AMS} AMs; {REQUESTS} requests each, Django test Client in-process; "
          f"{os.cpu_count()} CPUs, load average {load1:.1f} / {load5:.1f}\n")
    print(f"{'page':<58} {'p50 ms':>8} {'p95 ms':>8}  target p95 < 150 ms")
    for name, fn in rows:
        p50, p95 = timed(fn)
        flag = "ok" if p95 < 150 else "OVER"
        print(f"{name:<58} {p50:>8.1f} {p95:>8.1f}  {flag}")


if __name__ == "__main__":
    main()
