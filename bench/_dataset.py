"""The rollup benchmarks' data set: a book with two years of answers and their follow-up
calls, loaded with set-based SQL into a PostgreSQL database of its own per size, and
kept there for the next run (bench/dashboards.py, bench/answer_load.py --worker).

    url = dataset_database("1m")      # before django.setup(): sets DATABASE_URL
    django.setup()
    dataset_ensure("1m")              # loads it unless it is there already

The shape stays the same at every size, only the number of accounts grows: 3 regions
with their regional manager, 40 account managers (each in one region), 18 contacts per
account (3 executives, 5 managers, 10 operational), a wave every month for 24 months,
each contact asked every 6 months (the program's default frequency, 3 per account and
wave: its default cap). Of the invitations 2% bounce and 1% fail; 52% of the delivered
ones are answered (0.4% of those suspect), scores around 7 with each AM a little
different. Every answer that is not suspect has the follow-up call the app would have
queued (owner, due date by the app's own business-day rule), most of the older ones
worked and closed, 8% never tried. About 36 answers per account: 100,000 answers are
2,755 accounts; 10,000,000 are 275,500 accounts and 5 million contacts. Four accounts in
five have an annual revenue.

SQL writes only the base tables (users, regions, accounts, contacts, waves,
invitations, responses, calls); the summaries are rebuilt by the app's own nightly
rebuilds, found in the beat schedule, so the loader follows the app where the summaries
live. Invitations, answers and calls go in one wave at a time, each wave its own
transaction, so memory and WAL stay bounded at any size. The database records what was
loaded (table bench_dataset); when migrations were added since, the next run migrates
and rebuilds the summaries.
"""

import math
import os
import sys
import time
from datetime import timedelta
from urllib.parse import urlparse, urlunparse

SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
REGIONS, AMS, MONTHS = 3, 40, 24
CONTACTS_PER_ACCOUNT, ASKED_EVERY_MONTHS = 18, 6
ANSWERS_PER_ACCOUNT = CONTACTS_PER_ACCOUNT * (MONTHS // ASKED_EVERY_MONTHS) * 0.97 * 0.52
PASSWORD = "bench-pass-1"
TIME_ZONE = "Europe/Copenhagen"
BASE_TABLES = ("followups_call", "feedback_response", "surveys_invitation", "surveys_wave", "surveys_contact",
               "surveys_account", "surveys_region", "surveys_user")


def dataset_database(size: str) -> str:
    """The database URL of this size's data set (DATABASE_URL's name + _100k, _1m, _10m;
    pulse_bench_... when unset), set as DATABASE_URL for django.setup(). Creates the
    database when it is missing; --reload drops it first (dataset_drop)."""
    if size not in SIZES:
        sys.exit(f"unknown size {size!r}: one of {', '.join(SIZES)}")
    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench"))
    if not base.scheme.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/pulse_bench")
    name = f"{base.path.lstrip('/') or 'pulse_bench'}_{size}"
    url = urlunparse(base._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    with _admin() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    return url


def dataset_drop(size: str) -> None:
    """Drop this size's database (before dataset_database and django.setup())."""
    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench"))
    name = f"{base.path.lstrip('/') or 'pulse_bench'}_{size}"
    with _admin() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _admin:
    """A cursor on the server's postgres database, autocommit (CREATE/DROP DATABASE)."""

    def __enter__(self):
        import psycopg2

        url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
        self.conn = psycopg2.connect(host=url.hostname or "127.0.0.1", port=url.port or 5432,
                                     user=url.username or "postgres", password=url.password, dbname="postgres")
        self.conn.autocommit = True
        return self.conn.cursor()

    def __exit__(self, *exc):
        self.conn.close()


def dataset_ensure(size: str, *, rebuild: bool = False, no_rebuild: bool = False) -> dict:
    """Migrate; load the data set unless this database holds it already; rebuild the
    summaries when migrations were added since (or `rebuild`), unless `no_rebuild` says
    the new migrations count their own rows afresh (as followups 0012 does): at 10M a
    rebuild of every summary takes most of an hour. Returns what was loaded."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_dataset (answers_target bigint, answers bigint, accounts bigint,"
                    " load_seconds float, rebuild_seconds float, migrations text, loaded_at timestamptz)")
        cur.execute("SELECT answers_target, answers, accounts, load_seconds, rebuild_seconds, migrations, loaded_at"
                    " FROM bench_dataset")
        row = cur.fetchone()
    if row is None or row[0] != SIZES[size]:
        return _load(size)
    _revenues()  # a data set loaded before accounts had a revenue
    rebuild = _themes() or rebuild  # one loaded before the themes: their summaries are rebuilt below
    loaded = dict(zip(("answers_target", "answers", "accounts", "load_seconds", "rebuild_seconds", "migrations",
                       "loaded_at"), row, strict=True))
    if no_rebuild and not rebuild and loaded["migrations"] != _migrations():
        print("migrations added since the load; their own data migrations counted what they changed: not rebuilt",
              flush=True)
        with connection.cursor() as cur:
            cur.execute("UPDATE bench_dataset SET migrations = %s", [_migrations()])
    elif rebuild or loaded["migrations"] != _migrations():
        why = "asked to" if rebuild else "migrations added since the load"
        print(f"rebuilding the summaries ({why})...", flush=True)
        loaded["rebuild_seconds"] = summaries_rebuild()
        with connection.cursor() as cur:
            cur.execute("UPDATE bench_dataset SET rebuild_seconds = %s, migrations = %s",
                        [loaded["rebuild_seconds"], _migrations()])
    loaded["reused"] = True
    return loaded


def _migrations() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT string_agg(app || '.' || name, ',' ORDER BY app, name) FROM django_migrations")
        return cur.fetchone()[0]


def summaries_rebuild() -> float:
    """Run the app's nightly summary rebuilds in-process (every beat entry whose task ends
    in "rebuild": the answers' summaries, the calls'), then VACUUM ANALYZE; returns the
    seconds it took."""
    from django.db import connection

    from config.celery import app

    app.loader.import_default_modules()
    tasks = sorted({e["task"] for e in app.conf.beat_schedule.values() if e["task"].endswith("rebuild")})
    if not tasks:
        sys.exit("expected a nightly rebuild in the beat schedule, found none")
    started = time.perf_counter()
    for task in tasks:
        app.tasks[task]()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _load(size: str) -> dict:
    from django.db import connection

    target = SIZES[size]
    accounts_per_am = math.ceil(target / ANSWERS_PER_ACCOUNT / AMS)
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(BASE_TABLES)}, bench_dataset CASCADE")  # a load that broke off
    am_ids = _people()
    print(f"loading {size}: {AMS} AMs x {accounts_per_am:,} accounts x {CONTACTS_PER_ACCOUNT} contacts, "
          f"{MONTHS} waves", flush=True)
    with connection.cursor() as cur:
        for am_id in am_ids:  # one AM's accounts and contacts at a time
            cur.execute(
                """INSERT INTO surveys_account (external_id, name, region_id, owner_id, active, created_at, updated_at)
                   SELECT 'B' || %(am)s || '-' || n, 'Customer ' || %(am)s || '-' || n,
                          (SELECT id FROM surveys_region ORDER BY id OFFSET %(am)s %% %(regions)s LIMIT 1),
                          %(am)s, true, now() - interval '3 years', now() - interval '3 years'
                   FROM generate_series(1, %(accounts)s) n""",
                {"am": am_id, "regions": REGIONS, "accounts": accounts_per_am})
            cur.execute(
                """INSERT INTO surveys_contact (account_id, email, name, phone, level, language, created_at, updated_at)
                   SELECT a.id, 'c' || a.id || '-' || g || '@customer.test', 'Contact ' || a.id || '-' || g,
                          '+45 20 30 40 50',
                          CASE WHEN g <= 3 THEN 'executive' WHEN g <= 8 THEN 'manager' ELSE 'operational' END,
                          CASE WHEN g %% 4 = 0 THEN 'da' ELSE 'en' END, a.created_at, a.created_at
                   FROM surveys_account a CROSS JOIN generate_series(1, %(contacts)s) g
                   WHERE a.owner_id = %(am)s ORDER BY a.id, g""",
                {"am": am_id, "contacts": CONTACTS_PER_ACCOUNT})
        cur.execute(
            """INSERT INTO surveys_wave (month, status, planned_at, send_started_at, sent_at)
               SELECT m, 'sent', m - interval '3 days', m + interval '8 hours', m + interval '9 hours'
               FROM (SELECT (date_trunc('month', now() AT TIME ZONE %s) - (k || ' months')::interval)::date AS m
                     FROM generate_series(0, %s) k) months""",
            [TIME_ZONE, MONTHS - 1])
        cur.execute("SELECT id, month FROM surveys_wave ORDER BY month")
        waves = cur.fetchall()
    _revenues()
    _due_dates_table(first=waves[0][1])
    answers = 0
    for index, (wave_id, month) in enumerate(waves):
        answers += _wave(wave_id, index)
        print(f"  wave {month:%Y-%m}: {answers:,} answers so far, {time.perf_counter() - started:.0f} s", flush=True)
    _themes()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    load_seconds = time.perf_counter() - started
    print(f"loaded {answers:,} answers in {load_seconds:.0f} s; rebuilding the summaries...", flush=True)
    rebuild_seconds = summaries_rebuild()
    loaded = {"answers_target": target, "answers": answers, "accounts": accounts_per_am * AMS,
              "load_seconds": load_seconds, "rebuild_seconds": rebuild_seconds, "migrations": _migrations()}
    with connection.cursor() as cur:
        cur.execute("INSERT INTO bench_dataset VALUES (%(answers_target)s, %(answers)s, %(accounts)s,"
                    " %(load_seconds)s, %(rebuild_seconds)s, %(migrations)s, now())", loaded)
    print(f"summaries rebuilt in {rebuild_seconds:.0f} s", flush=True)
    return {**loaded, "reused": False}


def _themes() -> bool:
    """The themes of the reasons, as the tagger would have left them: one or two of the
    eight default themes on each answer with a reason, detractors leaning to other themes
    than promoters; and a root cause on every reached call (so the drivers and the root
    causes by theme are measured too). Set-based; only when no answer has a theme yet (a
    data set loaded before the themes). Returns whether it wrote any."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM feedback_responsetheme)")
        if cur.fetchone()[0]:
            return False
        cur.execute(
            """INSERT INTO feedback_responsetheme (response_id, theme_id, source, at)
               SELECT r.id, t.id, 'rules', r.answered_at
               FROM feedback_response r
               CROSS JOIN LATERAL (SELECT CASE r.category WHEN 'detractor' THEN 3 WHEN 'passive' THEN 1
                                          ELSE 0 END AS lean) c
               JOIN feedback_theme t ON t.built_in AND (t.position = (r.id * 7 + c.lean) % 8
                                                        OR (r.id % 3 = 0 AND t.position = (r.id * 13) % 8))
               WHERE r.reason <> ''""")
        cur.execute(
            """UPDATE followups_call SET root_cause_id = (ARRAY(SELECT id FROM followups_rootcause ORDER BY id))[
                   1 + id % greatest((SELECT count(*) FROM followups_rootcause), 1)]
               WHERE state = 'reached' AND root_cause_id IS NULL""")
        cur.execute("ANALYZE feedback_responsetheme")
    return True


def _revenues() -> None:
    """Four accounts in five have an annual revenue, spread evenly on a log scale from
    20,000 to 5,000,000 (so the revenue figures of the rollups are measured too)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM surveys_account WHERE annual_revenue IS NOT NULL)")
        if cur.fetchone()[0]:
            return
        cur.execute("UPDATE surveys_account SET annual_revenue = round((20000 * power(250, ((id * 7919) % 1000)"
                    " / 1000.0))::numeric, -3) WHERE id % 5 <> 0")
        cur.execute("ANALYZE surveys_account")


def _people() -> list[int]:
    """The director, an administrator, an RM per region and the AMs (a few with a password
    to sign in with: PBKDF2 makes each one slow). Returns the AMs' ids."""
    from surveys.models import Region, User

    User.objects.create_user("director@bench.test", PASSWORD, role="director", full_name="Dina Director")
    User.objects.create_user("admin@bench.test", PASSWORD, role="admin", full_name="Adam Admin", is_staff=True,
                             is_superuser=True)
    for i in range(REGIONS):
        rm = User.objects.create_user(f"rm{i}@bench.test", PASSWORD, role="rm", full_name=f"Regional Manager {i}")
        Region.objects.create(name=f"Region {i}", manager=rm)
    return [
        User.objects.create_user(f"am{i}@bench.test", PASSWORD if i < 3 else None, role="am",
                                 full_name=f"Account Manager {i:02d}").pk
        for i in range(AMS)
    ]


def _due_dates_table(*, first) -> None:
    """bench_due_on(answered_on, category, due_on): the app's own due date rule
    (followups.services.due_on_for) for every day a wave may be answered on."""
    from django.db import connection
    from django.utils import timezone

    from feedback.models import Category
    from followups.models import FollowupSettings
    from followups.services import due_on_for

    followup_settings = FollowupSettings.current()
    days = (timezone.localdate() - first).days + 1
    rows = [
        (first + timedelta(days=d), category, due_on_for(category=category, from_date=first + timedelta(days=d),
                                                          followup_settings=followup_settings))
        for d in range(days) for category in Category.values
    ]
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_due_on")
        cur.execute("CREATE TABLE bench_due_on (answered_on date, category text, due_on date,"
                    " PRIMARY KEY (answered_on, category))")
        cur.executemany("INSERT INTO bench_due_on VALUES (%s, %s, %s)", rows)


def _wave(wave_id: int, index: int) -> int:
    """One wave's invitations, answers and calls, each wave one transaction. Returns its answers."""
    from django.db import connection, transaction

    params = {"wave": wave_id, "slot": index % ASKED_EVERY_MONTHS, "slots": ASKED_EVERY_MONTHS, "tz": TIME_ZONE}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [((index * 7919) % 1000) / 1000])
        cur.execute("SELECT coalesce(max(id), 0) FROM feedback_response")
        [previous_answer] = cur.fetchone()
        # Sent between the 1st and the 5th at 08:00, never later than an hour ago.
        cur.execute(
            """INSERT INTO surveys_invitation (wave_id, contact_id, account_id, status, token_nonce, token_hash,
                   hold_reason, sent_at, expires_at, attempts, last_error, created_at)
               SELECT w.id, c.id, c.account_id,
                      CASE WHEN h.v < 20 THEN 'bounced' WHEN h.v < 30 THEN 'failed' ELSE 'sent' END,
                      '', md5(w.id || '-' || c.id) || md5(c.id || '+' || w.id), '', s.at, s.at + interval '30 days',
                      1, CASE WHEN h.v BETWEEN 20 AND 29 THEN 'SMTP 451 temporary failure' ELSE '' END,
                      w.planned_at
               FROM surveys_wave w CROSS JOIN surveys_contact c
               CROSS JOIN LATERAL (SELECT (c.id * 7919 + w.id * 104729) %% 1000 AS v) h
               CROSS JOIN LATERAL (SELECT least(now() - interval '1 hour',
                   (w.month + ((c.id %% 5) || ' days')::interval + interval '8 hours') AT TIME ZONE %(tz)s) AS at) s
               WHERE w.id = %(wave)s AND c.id %% %(slots)s = %(slot)s""",
            params)
        # Answered within four days of the send; an answer that would lie in the future (this
        # month's wave) has not come yet.
        cur.execute(
            """INSERT INTO feedback_response (invitation_id, contact_id, account_id, owner_id, score, reason, category,
                   language, answered_at, changed_at, suspect, suspect_reason, triage, triaged_at, alerted_at)
               SELECT i.id, i.contact_id, i.account_id, a.owner_id, s.score,
                      CASE WHEN i.id %% 3 = 0 THEN 'Because of delivery times and the service desk' ELSE '' END,
                      s.category, 'en', s.at, s.at, i.id %% 250 = 0,
                      CASE WHEN i.id %% 250 = 0 THEN 'honeypot' ELSE '' END,
                      CASE WHEN s.at > now() - interval '10 days' THEN 'new'
                           WHEN s.at > now() - interval '30 days' THEN 'seen' ELSE 'handled' END,
                      CASE WHEN s.at > now() - interval '10 days' THEN NULL ELSE s.at + interval '1 day' END,
                      CASE WHEN s.category = 'detractor' AND i.id %% 250 <> 0 THEN s.at END
               FROM surveys_invitation i
               JOIN surveys_account a ON a.id = i.account_id
               CROSS JOIN LATERAL (
                   SELECT least(10, greatest(0, round(7.2 + (a.owner_id %% 7 - 3) * 0.5 + random() * 4 - 2
                                                      + (random() - 0.5) * 3)))::int AS score,
                          i.sent_at + ((i.id %% 96) || ' hours')::interval AS at
               ) r
               CROSS JOIN LATERAL (SELECT r.score, r.at, CASE WHEN r.score >= 9 THEN 'promoter'
                   WHEN r.score >= 7 THEN 'passive' ELSE 'detractor' END AS category) s
               WHERE i.wave_id = %(wave)s AND i.status = 'sent' AND (i.contact_id * 31 + i.wave_id * 17) %% 100 < 52
                 AND s.at < now() - interval '1 minute'""",
            params)
        answers = cur.rowcount
        # Each invitation mirrors its counted answer, as the answer's own transaction writes it
        # (surveys.tallies), so the rebuild finds nothing to set right row by row.
        cur.execute(
            """UPDATE surveys_invitation i SET answer_category = r.category, answered_at = r.answered_at
               FROM feedback_response r
               WHERE r.invitation_id = i.id AND NOT r.suspect AND i.wave_id = %(wave)s""",
            params)
        # The calls: tried 2 to 122 hours after the answer (8% never); of the tried, 78 in 92
        # reach the customer a day or two later, 8 give up as unreachable after 3 days, 6 decline.
        cur.execute(
            """INSERT INTO followups_call (response_id, account_id, contact_id, category, answered_at, assignee_id,
                   assigned_for_id, due_on, state, created_at, first_attempt_at, first_attempt_on, reached_at,
                   closed_at, seconds_to_first_attempt, seconds_to_reached, unanswered_attempts, agreed,
                   action_owner, updated_at)
               SELECT r.id, r.account_id, r.contact_id, r.category, r.answered_at, a.owner_id, a.owner_id, d.due_on,
                      o.state, r.answered_at, t.first_at, (t.first_at AT TIME ZONE %(tz)s)::date,
                      CASE WHEN o.state = 'reached' THEN t.reach_at END,
                      CASE o.state WHEN 'reached' THEN t.reach_at WHEN 'unreachable' THEN t.give_up_at
                                   WHEN 'declined' THEN t.first_at END,
                      extract(epoch FROM t.first_at - r.answered_at)::int,
                      CASE WHEN o.state = 'reached' THEN extract(epoch FROM t.reach_at - r.answered_at)::int END,
                      CASE WHEN o.state = 'unreachable' THEN 3 WHEN o.state = 'open' AND t.first_at IS NOT NULL
                           THEN 1 ELSE 0 END,
                      CASE WHEN o.state = 'reached' THEN 'Agreed the next delivery with the customer' ELSE '' END,
                      '', now()
               FROM feedback_response r
               JOIN surveys_account a ON a.id = r.account_id
               JOIN bench_due_on d ON d.answered_on = (r.answered_at AT TIME ZONE %(tz)s)::date
                                  AND d.category = r.category
               CROSS JOIN LATERAL (SELECT (r.id * 37) %% 100 AS h,
                                          r.answered_at + ((2 + r.id %% 120) || ' hours')::interval AS try_at) k
               CROSS JOIN LATERAL (
                   SELECT CASE WHEN k.h < 92 AND k.try_at < now() THEN k.try_at END AS first_at,
                          k.try_at + ((1 + r.id %% 48) || ' hours')::interval AS reach_at,
                          k.try_at + interval '3 days' AS give_up_at) t
               CROSS JOIN LATERAL (
                   SELECT CASE WHEN t.first_at IS NULL THEN 'open'
                               WHEN k.h < 78 THEN CASE WHEN t.reach_at < now() THEN 'reached' ELSE 'open' END
                               WHEN k.h < 86 THEN CASE WHEN t.give_up_at < now() THEN 'unreachable' ELSE 'open' END
                               ELSE 'declined' END AS state) o
               WHERE r.id > %(previous)s AND NOT r.suspect""",
            {**params, "previous": previous_answer})
    return answers
