"""Every staff page that adds up answers or calls, and the CSV export, over HTTP at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench .venv/bin/python bench/dashboards.py \
        [--answers 100k|1m] [--requests 200] [--reload] [--rebuild] [--no-export]
    ... --answers 10m --yes-10m      # 10,000,000 answers: hours to load, about 20 GB

Loads the data set of that many answers into a database of its own (DATABASE_URL's name
+ _100k, _1m or _10m; see bench/_dataset.py) unless it is there already, then serves the
app with gunicorn (2 sync workers, DEBUG off, persistent database connections, a Redis
of its own; bench/http_settings.py) on 127.0.0.1 and drives it with 2 concurrent
clients, each its own process, that sign in through the sign-in form and request the
pages in a shuffled mix, --requests of each page in all. Per page it prints requests,
failures (any status but 200: counted, listed, and the exit status is 1), p50 and p95
latency as the client saw it, and the server's CPU per request: the gunicorn worker's
and its PostgreSQL backend's while the request ran (response headers from
bench/middleware.py; parallel query workers not included) and the SQL statements. A
line under the table checks those against the gunicorn workers' and all PostgreSQL
backends' CPU over the whole run, read from /proc before and after.

The export then runs on a gunicorn of one worker, started fresh for each export, so
that its peak RSS (VmHWM) is the export's: time, rows, size, peak RSS and CPU.
Prints the commit, the data size and the load average before and after.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._dataset import PASSWORD, SIZES, dataset_database, dataset_drop, dataset_ensure  # noqa: E402
from bench._scratch import (  # noqa: E402
    CpuMeter,
    children,
    free_port,
    gunicorn_start,
    http_request,
    percentile,
    postgres_backends,
    redis_server,
    run_context,
    sign_in,
    status_kb,
    stop,
    table,
)

SECRET = "bench-secret-key-" + "d" * 40
CLIENTS, WORKERS = 2, 2


def pages(people: dict) -> list[tuple[str, str, str]]:
    """(role, page, URL) for every page measured; the ids are the data set's."""
    region, am, account, answer = people["region"], people["am_id"], people["account"], people["answer"]
    return [
        ("am", "inbox", "/inbox/"),
        ("am", "inbox, detractors 90 days", "/inbox/?category=detractor&period=90d"),
        ("am", "an answer's page", f"/answers/{answer}/"),
        ("am", "answers list", "/answers/"),
        ("am", "an account's page", f"/accounts/{account}/"),
        ("am", "call list", "/calls/"),
        ("rm", "region home", "/region/"),
        ("rm", "answers, drilled to an AM", f"/answers/?region={region}&owner={am}&suspect=no&period=12m"),
        ("rm", "why, drilled to an AM", f"/drivers/?region={region}&owner={am}&period=12m"),
        ("rm", "overdue calls", "/calls/overdue/"),
        ("rm", "follow-up discipline", "/calls/discipline/"),
        ("director", "organisation home (12m)", "/organisation/"),
        ("director", "organisation, all time", "/organisation/?period=all"),
        ("director", "region drill", f"/regions/{region}/"),
        ("director", "why, all time", "/drivers/?period=all"),
        ("director", "answers list", "/answers/"),
        ("director", "overdue calls, all regions", "/calls/overdue/"),
        ("director", "follow-up discipline", "/calls/discipline/"),
    ]


EXPORTS = [
    ("am", "own answers, all time", "/answers/export.csv"),
    ("rm", "region, all time", "/answers/export.csv?region={region}"),
    ("director", "every answer", "/answers/export.csv"),
]
ACCOUNTS = {"am": "am0@bench.test", "rm": "rm0@bench.test", "director": "director@bench.test"}


def bench_people() -> dict:
    """The ids the pages need: RM 0's region, AM 0 (in it), one of their accounts and answers."""
    from feedback.models import Response
    from surveys.models import Account, User

    am = User.objects.get(email=ACCOUNTS["am"])
    rm = User.objects.get(email=ACCOUNTS["rm"])
    region = rm.managed_regions.get()
    account = Account.objects.filter(owner=am).order_by("pk").first()
    answer = Response.objects.filter(account__owner=am).order_by("-answered_at").first()
    if account.region_id != region.pk:
        sys.exit("the data set's AM 0 is not in RM 0's region")
    return {"region": region.pk, "am_id": am.pk, "account": account.pk, "answer": answer.pk}


def data_size() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM feedback_response), (SELECT count(*) FROM surveys_invitation),"
                    " (SELECT count(*) FROM followups_call), (SELECT count(*) FROM followups_call"
                    "  WHERE state = 'open'), (SELECT count(*) FROM surveys_account),"
                    " pg_size_pretty(pg_database_size(current_database()))")
        answers, invitations, calls, open_calls, accounts, size = cur.fetchone()
    return (f"{answers:,} answers, {invitations:,} invitations, {calls:,} calls ({open_calls:,} open), "
            f"{accounts:,} accounts; database {size}")


def client(port: int, jobs: list[tuple[str, str, str]]) -> list[tuple]:
    """One client: GET each (page, URL, cookie) in turn; (page, status, ms, web us, db us, queries) each."""
    results = []
    for page, url, cookie in jobs:
        started = time.perf_counter()
        try:
            status, headers, _ = http_request(port, "GET", url, cookie=cookie, timeout=120)
        except OSError as error:
            results.append((page, f"error: {error}", (time.perf_counter() - started) * 1000, None, None, None))
            continue
        ms = (time.perf_counter() - started) * 1000
        results.append((page, status, ms, headers.get("X-Bench-Web-Cpu-Us"), headers.get("X-Bench-Db-Cpu-Us"),
                        headers.get("X-Bench-Queries")))
    return results


def measure_pages(port: int, gunicorn_pid: int, dbname: str, cookies: dict, people: dict, requests: int):
    page_list = pages(people)
    print("warming up (each page 4 times)...", flush=True)
    for role, page, url in page_list:
        for _ in range(4):
            try:
                status, _, body = http_request(port, "GET", url, cookie=cookies[role], timeout=120)
            except OSError as error:  # e.g. the worker killed at gunicorn's timeout
                status, body = f"error: {error}", b""
            if status != 200:
                print(f"  warm-up: {role} {page} {url} answered {status}: {body[:200]!r}")
    jobs = [(f"{role}|{page}", url, cookies[role]) for role, page, url in page_list for _ in range(requests)]
    random.Random(11).shuffle(jobs)
    meter = CpuMeter({"web": lambda: children(gunicorn_pid), "pg": lambda: postgres_backends(dbname)}).start()
    started = time.perf_counter()
    with ProcessPoolExecutor(CLIENTS) as pool:
        results = [r for part in pool.map(client, [port] * CLIENTS, [jobs[i::CLIENTS] for i in range(CLIENTS)])
                   for r in part]
    wall = time.perf_counter() - started
    outside = meter.stop()

    rows, failures = [], []
    for role, page, url in page_list:
        mine = [r for r in results if r[0] == f"{role}|{page}"]
        ok = [r for r in mine if r[1] == 200]
        failures += [(role, page, url, r[1]) for r in mine if r[1] != 200]
        ms = sorted(r[2] for r in ok)
        web = [int(r[3]) for r in ok if r[3] is not None]
        db = [int(r[4]) for r in ok if r[4] is not None]
        queries = sorted({int(r[5]) for r in ok if r[5] is not None})
        rows.append((
            role, page, len(mine), len(mine) - len(ok),
            f"{percentile(ms, 0.5):.0f}" if ms else "-", f"{percentile(ms, 0.95):.0f}" if ms else "-",
            f"{sum(web) / len(web) / 1000:.1f}" if web else "-", f"{sum(db) / len(db) / 1000:.1f}" if db else "n/a",
            "-".join(map(str, (queries[0], queries[-1]) if len(queries) > 1 else queries)) or "-",
        ))
    print(f"\n{len(results):,} requests in {wall:.0f} s by {CLIENTS} clients against gunicorn "
          f"({WORKERS} sync workers), pages mixed\n")
    print(table(rows, ("role", "page", "requests", "failed", "p50 ms", "p95 ms", "web cpu ms/req",
                       "pg cpu ms/req", "queries")))
    in_requests = sum(int(r[3]) for r in results if r[3] is not None) / 1e6
    in_db = sum(int(r[4]) for r in results if r[4] is not None) / 1e6
    print(f"\nfrom /proc over the run: gunicorn {outside['web']:.1f} s CPU "
          f"({outside['web'] / len(results) * 1000:.1f} ms/request; {in_requests:.1f} s of it inside Django), "
          f"PostgreSQL backends {outside['pg']:.1f} s ({outside['pg'] / len(results) * 1000:.1f} ms/request; "
          f"{in_db:.1f} s reported per request)")
    return failures


def download(port: int, url: str, cookie: str) -> tuple[int, int, int]:
    """GET a streamed response, keeping none of it (10,000,000 rows are gigabytes):
    (status, lines, bytes)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        conn.request("GET", url, headers={"Cookie": cookie})
        response = conn.getresponse()
        lines = size = 0
        while chunk := response.read(1 << 20):
            lines += chunk.count(b"\n")
            size += len(chunk)
        return response.status, lines, size
    finally:
        conn.close()


def measure_exports(env: dict, dbname: str, cookies: dict, people: dict) -> list[tuple]:
    rows = []
    for role, label, url in EXPORTS:
        url = url.format(**people)
        port = free_port()
        gunicorn = gunicorn_start({**env, "SITE_URL": f"http://127.0.0.1:{port}"}, port, workers=1, timeout=3600)
        try:
            status, _, _ = http_request(port, "GET", "/answers/?period=30d", cookie=cookies[role])  # warm
            [worker] = children(gunicorn.pid)
            rss_before = status_kb(worker, "VmRSS") / 1024
            meter = CpuMeter({"web": lambda worker=worker: [worker], "pg": lambda: postgres_backends(dbname)}).start()
            started = time.perf_counter()
            status, lines, size = download(port, url, cookies[role])
            seconds = time.perf_counter() - started
            cpu = meter.stop()
            peak = status_kb(worker, "VmHWM") / 1024
        finally:
            stop(gunicorn)
        rows.append((role, label, status, f"{lines - 1:,}", f"{size / 1e6:.0f}", f"{seconds:.1f}",
                     f"{rss_before:.0f}", f"{peak:.0f}", f"{cpu['web']:.1f}", f"{cpu['pg']:.1f}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", choices=list(SIZES), default="100k")
    parser.add_argument("--yes-10m", action="store_true", help="needed with --answers 10m")
    parser.add_argument("--requests", type=int, default=200, help="requests of each page (all clients together)")
    parser.add_argument("--reload", action="store_true", help="drop the data set's database and load it again")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the summaries of a kept data set")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="migrations added since the load count their own rows: migrate, do not rebuild")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--load-only", action="store_true", help="load (or check) the data set and stop")
    args = parser.parse_args()
    if args.answers == "10m" and not args.yes_10m:
        sys.exit("10,000,000 answers take hours to load and about 20 GB: add --yes-10m to mean it")

    if args.reload:
        dataset_drop(args.answers)
    database_url = dataset_database(args.answers)
    import django

    django.setup()
    loaded = dataset_ensure(args.answers, rebuild=args.rebuild, no_rebuild=args.no_rebuild)
    from django.db import connection, connections

    dbname = connection.settings_dict["NAME"]
    size = data_size()
    if not loaded["reused"] or args.load_only:
        print(f"data set {args.answers}: {size}; loaded in {loaded['load_seconds']:.0f} s, "
              f"summaries rebuilt in {loaded['rebuild_seconds']:.0f} s")
    if args.load_only:
        return
    people = bench_people()
    connections.close_all()  # the clients are forked below; they use none of it

    tmp = Path(tempfile.mkdtemp(prefix="pulse-dashboards-"))
    print(run_context("before"))
    print(f"data: {size}")
    failures, exports = [], []
    try:
        with redis_server(tmp) as redis_url:
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.http_settings", "DATABASE_URL": database_url,
                   "REDIS_URL": redis_url, "SECRET_KEY": SECRET, "DEBUG": "0", "CONN_MAX_AGE": "600",
                   "LOG_LEVEL": "WARNING", "VAR_DIR": str(tmp / "var")}
            port = free_port()
            gunicorn = gunicorn_start({**env, "SITE_URL": f"http://127.0.0.1:{port}"}, port, workers=WORKERS)
            try:
                cookies = {role: sign_in(port, email, PASSWORD) for role, email in ACCOUNTS.items()}
                failures = measure_pages(port, gunicorn.pid, dbname, cookies, people, args.requests)
            finally:
                stop(gunicorn)
            if not args.no_export:
                exports = measure_exports(env, dbname, cookies, people)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if exports:
        print("\nCSV export, each on a fresh gunicorn of one worker (peak RSS: that worker's VmHWM)\n")
        print(table(exports, ("role", "export", "status", "rows", "MB", "seconds", "RSS before MB",
                              "peak RSS MB", "web cpu s", "pg cpu s")))
    if failures:
        print(f"\n{len(failures)} requests failed:")
        for role, page, url, status in failures[:20]:
            print(f"  {role} {page} {url}: {status}")
    print(f"\ndata: {args.answers} data set, {size}")
    print(run_context("after"))
    if failures or any(row[2] != 200 for row in exports):
        sys.exit(1)


if __name__ == "__main__":
    main()
