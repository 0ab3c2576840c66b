"""The REST API and the webhooks at scale: the issue's three figures, one part each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench .venv/bin/python bench/api.py --part book
    ... --part webhooks [--deliveries 10000] [--workers 2]
    ... --part answers [--page-size 500]

book      POST /api/v1/book/batches: --batches (100) batches of 1,000 records (4 contacts
          per account: 100,000 contacts, 25,000 accounts, 3 regions, 40 AMs) with a key
          acting as an administrator, one client as a CRM's nightly sync is; then the same
          again, which changes nothing. Per pass: seconds, records/s, p50/p95/max per
          batch, and the server's CPU (gunicorn workers and their PostgreSQL backends, from
          /proc) per batch. Its own scratch database (dropped at the end).
webhooks  --deliveries (10,000) deliveries to one endpoint, written straight into the
          table as webhook_deliveries_create writes them, then made due at once; 2 Celery
          worker processes (--workers, concurrency 1 each, as wave_send.py) and beat of
          their own (beat asks for surveys.tasks.webhooks_deliver_due every 2 s, as in
          production) on a Redis of their own send them to a receiver on loopback
          (ThreadingHTTPServer answering 200, counting distinct webhook-ids and checking
          the signature of every 100th). Times from "due" until every delivery is marked
          delivered: deliveries/s, and CPU per delivery (workers, beat, their PostgreSQL
          backends). Its own scratch database (dropped at the end).
answers   GET /api/v1/answers?page_size=500 with a read-only key, following the cursor's
          `next` link through every page of the bench/_dataset.py 1m data set (loaded
          first if missing, kept): pages, p50/p95/max per page, the p95 of the first and
          of the last 10% of pages (a cursor should not slow down with depth), CPU per page,
          and each page's own CPU (bench/middleware.py's headers) by depth: first, middle
          and last 10% (latency swings with the machine's other work; CPU does not).

Each part serves the app with gunicorn (2 sync workers, DEBUG off, persistent database
connections, bench/http_settings.py; API_RATE_PER_KEY lifted so that the limiter runs
but does not trip) and prints the commit, the data size and the load average before
and after. Exit status 1 when a request fails or a delivery is missing.
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._scratch import (  # noqa: E402
    ROOT,
    CpuMeter,
    children,
    free_port,
    gunicorn_start,
    percentile,
    postgres_backends,
    redis_server,
    run_context,
    scratch_database,
    stop,
    table,
)

SECRET = "bench-secret-key-" + "a" * 40
WORKERS = 2
RECORDS_PER_BATCH, CONTACTS_PER_ACCOUNT, REGIONS, AMS = 1000, 4, 3, 40


def server_env(database_url: str, redis_url: str, tmp: Path) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.http_settings", "DATABASE_URL": database_url,
            "REDIS_URL": redis_url, "SECRET_KEY": SECRET, "DEBUG": "0", "CONN_MAX_AGE": "600",
            "LOG_LEVEL": "WARNING", "VAR_DIR": str(tmp / "var"), "API_RATE_PER_KEY": "1000000/m",
            "WEBHOOKS_ALLOW_PRIVATE": "true", "PULSE_BENCH_ROLE": "bench-web"}


def api_call(port: int, method: str, path: str, key: str, body: dict | None = None,
             timeout: float = 300) -> tuple[int, bytes, float, float | None]:
    """One request (gunicorn's sync workers close the connection after each response):
    (status, body, milliseconds, CPU milliseconds of the worker and its PostgreSQL backend
    while it ran, from bench/middleware.py's headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        content = response.read()
        ms = (time.perf_counter() - started) * 1000
        web, db = response.getheader("X-Bench-Web-Cpu-Us"), response.getheader("X-Bench-Db-Cpu-Us")
        cpu = (int(web) + int(db or 0)) / 1000 if web else None
        return response.status, content, ms, cpu
    finally:
        conn.close()


def ms_summary(values: list[float]) -> tuple[str, str, str]:
    ordered = sorted(values)
    return (f"{percentile(ordered, 0.5):.0f}", f"{percentile(ordered, 0.95):.0f}", f"{ordered[-1]:.0f}")


# --- book: upserting contacts in batches ----------------------------------------------------

def book_batches(batches: int) -> list[list[dict]]:
    """The book as a CRM would send it: records with the customer file's columns."""
    records = []
    for n in range(batches * RECORDS_PER_BATCH):
        account, contact = divmod(n, CONTACTS_PER_ACCOUNT)
        am = account % AMS
        records.append({
            "account_id": f"CRM-{account:06d}", "account_name": f"Customer {account} A/S",
            "region": f"Region {am % REGIONS}", "regional_manager_email": f"rm{am % REGIONS}@bench.test",
            "account_manager_email": f"am{am}@bench.test",
            "contact_email": f"c{contact}.{account}@customer.test", "contact_name": f"Contact {account}-{contact}",
            "contact_phone": "+45 20 30 40 50", "contact_level": ("executive", "manager", "operational",
                                                                   "operational")[contact],
            "language": "da" if contact % 2 else "en",
        })
    return [records[i:i + RECORDS_PER_BATCH] for i in range(0, len(records), RECORDS_PER_BATCH)]


def part_book(args) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="pulse-bench-api-"))
    failures = []
    with scratch_database("api_book") as database_url:
        from django.db import connection, connections

        from surveys.api_keys import api_key_create
        from surveys.models import ApiKey, User

        dbname = connection.settings_dict["NAME"]
        admin = User.objects.create_user("admin@bench.test", role="admin", full_name="Adam Admin")
        _, key = api_key_create(name="CRM sync", scope=ApiKey.Scope.ACT_AS, acts_as=admin, by=admin)
        batches = book_batches(args.batches)
        connections.close_all()
        print(run_context("before"))
        rows = []
        try:
            with redis_server(tmp) as redis_url:
                port = free_port()
                gunicorn = gunicorn_start({**server_env(database_url, redis_url, tmp),
                                           "SITE_URL": f"http://127.0.0.1:{port}"}, port, workers=WORKERS,
                                          timeout=300)
                try:
                    for label in ("first (creates)", "second (unchanged)"):
                        meter = CpuMeter({"web": lambda: children(gunicorn.pid),
                                          "pg": lambda: postgres_backends(dbname)}).start()
                        started = time.perf_counter()
                        times, totals = [], {}
                        for index, batch in enumerate(batches):
                            status, content, ms, _ = api_call(port, "POST", "/api/v1/book/batches", key,
                                                           {"records": batch})
                            times.append(ms)
                            if status != 200:
                                failures.append((label, index, status, content[:300]))
                                continue
                            for kind, counts in json.loads(content).items():
                                if isinstance(counts, dict):
                                    for outcome, n in counts.items():
                                        totals[f"{kind} {outcome}"] = totals.get(f"{kind} {outcome}", 0) + n
                        seconds = time.perf_counter() - started
                        cpu = meter.stop()
                        records = sum(map(len, batches))
                        rows.append((label, len(batches), f"{records:,}", f"{seconds:.1f}", f"{records / seconds:,.0f}",
                                     *ms_summary(times), f"{cpu['web'] / len(batches) * 1000:.0f}",
                                     f"{cpu['pg'] / len(batches) * 1000:.0f}",
                                     f"{cpu['web']:.1f} + {cpu['pg']:.1f}"))
                        changed = ", ".join(f"{name} {n:,}" for name, n in totals.items()
                                            if n and not name.endswith("unchanged"))
                        print(f"  pass {label}: changed {changed or 'nothing'}; unchanged: contacts "
                              f"{totals.get('contacts unchanged', 0):,}, accounts "
                              f"{totals.get('accounts unchanged', 0):,}", flush=True)
                finally:
                    stop(gunicorn)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        with connection.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM surveys_contact), (SELECT count(*) FROM surveys_account)")
            contacts, accounts = cur.fetchone()
        connections.close_all()
    print(f"\nPOST /api/v1/book/batches, {RECORDS_PER_BATCH:,} records a batch, one client; gunicorn ({WORKERS} "
          f"sync workers) on PostgreSQL\n")
    print(table(rows, ("pass", "batches", "records", "seconds", "records/s", "p50 ms/batch", "p95 ms/batch",
                       "max ms", "web cpu ms/batch", "pg cpu ms/batch", "cpu s web + pg")))
    print(f"\ndata: {contacts:,} contacts in {accounts:,} accounts after both passes ({REGIONS} regions, "
          f"{AMS} AMs)")
    return report_failures(failures)


def report_failures(failures: list) -> bool:
    if failures:
        print(f"\n{len(failures)} requests failed:")
        for failure in failures[:10]:
            print("  ", *failure)
    print(run_context("after"))
    return not failures


# --- webhooks: deliveries to a receiver on loopback --------------------------------------------

class Receiver:
    """A fast receiver: answers 200 and keeps the webhook-ids; checks every 100th signature
    with the specification's receiver side (a check is not what is measured)."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from standardwebhooks.webhooks import Webhook, WebhookVerificationError

        self.secret = ""
        self.ids: list[str] = []
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                webhook_id = self.headers.get("webhook-id", "")
                with receiver.lock:
                    receiver.ids.append(webhook_id)
                    check = len(receiver.ids) % 100 == 1
                if check:
                    try:
                        Webhook(receiver.secret).verify(body, {k.lower(): v for k, v in self.headers.items()})
                    except (WebhookVerificationError, ValueError):
                        with receiver.lock:
                            receiver.bad_signatures += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # socketserver's 5 refuses connections under load: failures, retries

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pulse"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.ids), len(set(self.ids))


def deliveries_write(endpoint, count: int) -> list[int]:
    """`count` answer.created deliveries, as webhook_deliveries_create writes them, not yet due."""
    from django.utils import timezone

    from surveys.models import WebhookDelivery
    from surveys.webhooks import webhook_time

    now = timezone.now()
    rows = []
    for n in range(count):
        data = {"answer": {"id": n, "score": n % 11, "category": "passive", "reason": "Bench answer " * 4,
                           "language": "en", "answered_at": webhook_time(now), "changed_at": None},
                "account": {"id": n // 4, "external_id": f"CRM-{n // 4:06d}", "name": f"Customer {n // 4} A/S"},
                "contact": {"id": n, "email": f"c{n}@customer.test"}}
        rows.append(WebhookDelivery(endpoint=endpoint, event_type="answer.created", event_key=f"answer.created:{n}",
                                    payload={"type": "answer.created", "timestamp": webhook_time(now), "data": data},
                                    contact_id=None, created_at=now, next_try_at=None))
    return [d.pk for d in WebhookDelivery.objects.bulk_create(rows, batch_size=2000)]


def part_webhooks(args) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="pulse-bench-webhooks-"))
    os.environ["WEBHOOKS_ALLOW_PRIVATE"] = "true"  # the receiver is on loopback
    receiver = Receiver().start()
    processes, failures = [], []
    with scratch_database("api_webhooks") as database_url:
        from django.db import connection, connections
        from django.utils import timezone

        from surveys.models import User, WebhookDelivery
        from surveys.webhooks import webhook_endpoint_save

        dbname = connection.settings_dict["NAME"]
        admin = User.objects.create_user("admin@bench.test", role="admin", full_name="Adam Admin")
        endpoint = webhook_endpoint_save(url=receiver.url, events=["answer.created"], by=admin)
        receiver.secret = endpoint.secret
        deliveries_write(endpoint, args.deliveries)
        print(run_context("before"))
        try:
            with redis_server(tmp) as redis_url:
                env = {**server_env(database_url, redis_url, tmp), "PULSE_BENCH_ROLE": "bench-worker"}
                logs = tmp / "logs"
                logs.mkdir()
                workers = [subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "--concurrency", "1",
                     "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"bench{i}-{os.getpid()}@%h"],
                    cwd=ROOT, env=env, stdout=open(logs / f"worker-{i}.log", "wb"), stderr=subprocess.STDOUT)
                    for i in range(args.workers)]
                processes += workers
                from celery import Celery

                control = Celery(broker=redis_url)
                deadline = time.monotonic() + 60
                while len(control.control.ping(timeout=0.5) or []) < args.workers and time.monotonic() < deadline:
                    pass
                groups = {"workers": lambda: [p for w in workers for p in (w.pid, *children(w.pid))],
                          "beat": lambda: [beat.pid],
                          "worker pg": lambda: postgres_backends(dbname, "bench-worker")}
                beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "warning",
                                         "-s", str(tmp / "beat-schedule")],
                                        cwd=ROOT, env=env, stdout=open(logs / "beat.log", "wb"),
                                        stderr=subprocess.STDOUT)
                processes.append(beat)
                time.sleep(1)  # beat's first ticks of its other tasks (they find nothing to do)
                meter = CpuMeter(groups).start()
                started, own_cpu = time.perf_counter(), time.process_time()
                WebhookDelivery.objects.update(next_try_at=timezone.now())
                deadline = time.monotonic() + args.timeout
                while time.monotonic() < deadline:
                    if not WebhookDelivery.objects.filter(delivered_at__isnull=True).exists():
                        break
                    time.sleep(0.1)
                elapsed = time.perf_counter() - started
                cpu = meter.stop()
                own_cpu = time.process_time() - own_cpu
                first_seen = receiver.counts()
                for process in reversed(processes):
                    stop(process)
        finally:
            for process in processes:
                if process.poll() is None:
                    stop(process)
            receiver.stop()
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL), count(*) FILTER (WHERE attempts > 1),"
                        " count(*) FILTER (WHERE last_status IS DISTINCT FROM 200) FROM surveys_webhookdelivery")
            delivered, retried, not_ok = cur.fetchone()
        connections.close_all()
    worker_logs = {path.name: path.read_text(errors="replace")[-2000:] for path in (tmp / "logs").glob("*.log")}
    shutil.rmtree(tmp, ignore_errors=True)
    received, distinct = first_seen
    n = args.deliveries
    if delivered != n or distinct != n:
        failures.append(("deliveries", f"{delivered:,} marked delivered, {distinct:,} distinct ids received of {n:,}"))
    if receiver.bad_signatures:
        failures.append(("signatures", f"{receiver.bad_signatures} bad of those checked"))
    if failures:
        for name, text in worker_logs.items():
            print(f"--- {name}\n{text}")
    total_cpu = sum(cpu.values())
    print(f"\n{n:,} webhook deliveries to a receiver on loopback; {args.workers} Celery worker processes "
          f"(concurrency 1 each) and beat (webhooks_deliver_due every 2 s) on PostgreSQL\n")
    print(table([(f"{n:,}", args.workers, f"{received:,}", f"{distinct:,}", f"{delivered:,}", retried,
                  f"{elapsed:.1f}", f"{n / elapsed:,.0f}", f"{cpu['workers'] / n * 1000:.2f}",
                  f"{cpu['worker pg'] / n * 1000:.2f}", f"{cpu['beat'] / n * 1000:.2f}", f"{total_cpu / n * 1000:.2f}",
                  f"{own_cpu / n * 1000:.2f}")],
                ("deliveries", "workers", "requests received", "distinct ids", "marked delivered",
                 "attempted twice or more",
                 "seconds", "deliveries/s", "worker cpu ms/delivery", "pg cpu ms/delivery",
                 "beat cpu ms/delivery", "all cpu ms/delivery", "receiver cpu ms/delivery")))
    print(f"\ndata: {n:,} deliveries to one endpoint, {not_ok} with a last status other than 200")
    return report_failures(failures)


# --- answers: every page of the 1m data set -----------------------------------------------------

def part_answers(args) -> bool:
    from urllib.parse import urlsplit

    from bench._dataset import dataset_database, dataset_ensure

    database_url = dataset_database(args.dataset)
    import django

    django.setup()
    dataset_ensure(args.dataset)
    from django.db import connection, connections

    from surveys.api_keys import api_key_create
    from surveys.models import ApiKey, User

    dbname = connection.settings_dict["NAME"]
    admin = User.objects.get(email="admin@bench.test")
    _, key = api_key_create(name="bench read-only", scope=ApiKey.Scope.READ_ONLY, acts_as=None, by=admin)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), pg_size_pretty(pg_database_size(current_database())) FROM feedback_response")
        answers, size = cur.fetchone()
    connections.close_all()
    tmp = Path(tempfile.mkdtemp(prefix="pulse-bench-answers-"))
    print(run_context("before"))
    times, cpus, failures, listed = [], [], [], 0
    try:
        with redis_server(tmp) as redis_url:
            port = free_port()
            gunicorn = gunicorn_start({**server_env(database_url, redis_url, tmp),
                                       "SITE_URL": f"http://127.0.0.1:{port}"}, port, workers=WORKERS, timeout=120)
            try:
                first = f"/api/v1/answers?page_size={args.page_size}"
                for _ in range(3):  # warm the workers and the cache of the first pages
                    api_call(port, "GET", first, key)
                meter = CpuMeter({"web": lambda: children(gunicorn.pid),
                                  "pg": lambda: postgres_backends(dbname)}).start()
                started = time.perf_counter()
                path = first
                while path:
                    status, content, ms, cpu_ms = api_call(port, "GET", path, key)
                    times.append(ms)
                    cpus.append(cpu_ms or 0.0)
                    if status != 200:
                        failures.append((path, status, content[:300]))
                        break
                    page = json.loads(content)
                    listed += len(page["results"])
                    following = page.get("next")
                    path = None
                    if following:
                        parts = urlsplit(following)
                        path = f"{parts.path}?{parts.query}"
                    if len(times) % 200 == 0:
                        print(f"  {len(times):,} pages, {listed:,} answers, {time.perf_counter() - started:.0f} s",
                              flush=True)
                wall = time.perf_counter() - started
                cpu = meter.stop()
            finally:
                stop(gunicorn)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    pages = len(times)
    tenth = max(1, pages // 10)
    p95 = lambda values: f"{percentile(sorted(values), 0.95):.0f}"  # noqa: E731
    p50 = lambda values: f"{percentile(sorted(values), 0.5):.1f}"  # noqa: E731
    print(f"\nGET /api/v1/answers?page_size={args.page_size}, following `next` to the end, one client, a "
          f"read-only key; gunicorn ({WORKERS} sync workers) on PostgreSQL\n")
    print(table([(f"{pages:,}", f"{listed:,}", f"{wall:.0f}", *ms_summary(times), p95(times[:tenth]),
                  p95(times[-tenth:]), f"{cpu['web'] / pages * 1000:.1f}", f"{cpu['pg'] / pages * 1000:.1f}")],
                ("pages", "answers", "seconds", "p50 ms/page", "p95 ms/page", "max ms", "p95 first 10%",
                 "p95 last 10%", "web cpu ms/page", "pg cpu ms/page")))
    # Latency swings with whatever else the machine runs; the CPU a page costs does not.
    print("\nby depth, the CPU of each page (its gunicorn worker and PostgreSQL backend, from the response's "
          "headers; median and p95, ms):\n")
    rows = []
    for name, share in (("first 10%", cpus[:tenth]), ("middle 10%", cpus[pages // 2 - tenth // 2:][:tenth]),
                        ("last 10%", cpus[-tenth:])):
        rows.append((name, len(share), p50(share), p95(share)))
    print(table(rows, ("pages", "count", "cpu ms p50", "cpu ms p95")))
    print(f"\ndata: {args.dataset} data set, {answers:,} answers ({listed:,} listed: the list's own rules, e.g. "
          f"suspect answers, decide the rest), database {size}")
    return report_failures(failures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("book", "webhooks", "answers"), required=True)
    parser.add_argument("--batches", type=int, default=100, help="book: batches of 1,000 records")
    parser.add_argument("--deliveries", type=int, default=10_000, help="webhooks: deliveries")
    parser.add_argument("--workers", type=int, default=2, help="webhooks: Celery worker processes")
    parser.add_argument("--timeout", type=float, default=900, help="webhooks: give up waiting after this many s")
    parser.add_argument("--dataset", default="1m", help="answers: the bench/_dataset.py data set")
    parser.add_argument("--page-size", type=int, default=500, help="answers: page_size")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/pulse_bench")
    ok = {"book": part_book, "webhooks": part_webhooks, "answers": part_answers}[args.part](args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
