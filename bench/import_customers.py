"""Customer import speed: 100,000 rows on PostgreSQL (issue 2: under 60 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench2 \
        /tmp/v/bin/python bench/import_customers.py [--rows 100000]

The database named in DATABASE_URL is dropped and created afresh (its name must
contain "bench"). Three runs of the same service the command and the upload page use:
a first import into an empty book, a re-import of the same file (nothing changes),
and a re-import where every contact's name and phone and a tenth of the accounts'
owners changed. Prints one table: rows, seconds (checking + writing), rows/s, and
the process's peak memory (max RSS) after each run.
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def fresh_database(url: str) -> None:
    import psycopg2
    from environ import Env
    from psycopg2 import sql

    config = Env.db_url_config(url)
    name = config["NAME"]
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin = psycopg2.connect(dbname="postgres", user=config["USER"] or "postgres", host=config["HOST"] or "127.0.0.1",
                             port=config["PORT"] or 5432, password=config.get("PASSWORD") or None)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def book_rows(n: int, rng: random.Random, changed: bool = False) -> list[dict]:
    """n contact rows: 4 per account, 8 regions, 200 account managers."""
    regions = [f"Region {i}" for i in range(8)]
    rows = []
    for i in range(n):
        account = i // 4
        region = regions[account % len(regions)]
        owner = account % 200
        if changed and account % 10 == 0:
            owner = (owner + 1) % 200
        rows.append({
            "account_id": f"ACC-{account:06d}",
            "account_name": f"Customer {account:06d} ApS",
            "region": region,
            "regional_manager_email": f"rm{account % len(regions)}@bench.example" if i % 4 == 0 else "",
            "account_manager_email": f"am{owner}@bench.example",
            "contact_email": f"Person.{i}@customer{account}.example",
            "contact_name": (f"Person {i} Changed" if changed else f"Person {i}"),
            "contact_phone": f"+45 {rng.randrange(10**7, 10**8)}",
            "contact_level": ("executive", "manager", "operational")[i % 3],
            "language": ("en", "da")[i % 2],
        })
    return rows


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--write-files", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = ROOT / "var" / "bench"
    first_file = work / "customers-100k.csv"
    changed_file = work / "customers-100k-changed.csv"
    if args.write_files:
        import django

        django.setup()
        from surveys.book_import import book_csv

        first_file.write_bytes(book_csv(book_rows(args.rows, random.Random(1))))
        changed_file.write_bytes(book_csv(book_rows(args.rows, random.Random(2), changed=True)))
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point to PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/pulse_bench2")
    fresh_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from surveys.book_import import book_file_parse, book_rows_write
    from surveys.models import Account, Contact

    call_command("migrate", verbosity=0)
    work.mkdir(parents=True, exist_ok=True)
    # The files are made by a child process, so the peak memory below is the import's.
    subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--write-files", str(work)], check=True)

    results = []
    for label, path in [("first import", first_file), ("re-import, unchanged", first_file),
                        ("re-import, all contacts changed", changed_file)]:
        data = path.read_bytes()
        started = time.perf_counter()
        rows = book_file_parse(data)
        checked = time.perf_counter()
        summary = book_rows_write(rows)
        done = time.perf_counter()
        results.append((label, len(rows), checked - started, done - checked, done - started, max_rss_mb(), summary))

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    print(f"\nCustomer import, {args.rows:,} rows ({first_file.stat().st_size / 2**20:.1f} MB), {version}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'run':<34}{'rows':>9}{'check s':>9}{'write s':>9}{'total s':>9}{'rows/s':>9}{'peak MB':>9}")
    for label, n, check, write, total, rss, _summary in results:
        print(f"{label:<34}{n:>9,}{check:>9.1f}{write:>9.1f}{total:>9.1f}{n / total:>9,.0f}{rss:>9.0f}")
    print()
    for label, *_rest, summary in results:
        print(f"{label}: " + "; ".join(summary.lines()[1:3]))
    print(f"book now: {Account.objects.count():,} accounts, {Contact.objects.count():,} contacts")


if __name__ == "__main__":
    main()
