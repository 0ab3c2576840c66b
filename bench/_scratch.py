"""A scratch PostgreSQL database for a benchmark: created fresh, migrated, dropped at the end.

    from bench._scratch import scratch_database
    with scratch_database("wave_plan") as url:  # before django.setup()
        ...
"""

import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _admin_connect(url):
    import psycopg2

    parsed = urlparse(url)
    conn = psycopg2.connect(
        host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432, user=parsed.username or "postgres",
        password=parsed.password, dbname="postgres",
    )
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def scratch_database(suffix: str):
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/pulse")
    parsed = urlparse(base)
    name = f"{parsed.path.lstrip('/') or 'pulse'}_bench_{suffix}"
    url = urlunparse(parsed._replace(path=f"/{name}"))
    conn = _admin_connect(base)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def table(rows: list[tuple], headers: tuple) -> str:
    cells = [tuple(str(c) for c in headers)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def database_ensure() -> None:
    """Create the configured PostgreSQL database if it does not exist yet (kept between
    runs, unlike scratch_database). Call after django.setup()."""
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/pulse_bench.")
    conn = psycopg2.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{db["NAME"]}"')
    conn.close()


def run_context(label: str) -> str:
    """One line naming what was measured where: the commit, the cores and the load average
    now (print it before and after a run; a busy machine skews every figure)."""
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    load1, load5, _ = os.getloadavg()
    return (f"{label}: commit {commit}{' (with uncommitted changes)' if dirty else ''}, {os.cpu_count()} cores, "
            f"load average {load1:.2f} (1 min) {load5:.2f} (5 min)")
