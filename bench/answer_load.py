"""Load on the customer's answer page, against two reference points.

    .venv/bin/python bench/answer_load.py [--tokens 2000] [--duration 10] [--conns 16,64] [--pgbouncer]

Under gunicorn on PostgreSQL (the same workers and settings for all three; persistent
database connections), wrk drives, for each connection count:

  (a) bare     a Django view returning a constant page          /bench/constant/
  (b) floor    a view reading one row by a unique key, updating  /bench/floor/<token>/
  (c) answer   the answer flow: GETs of real links and POSTed answers, half and half
               (each POST changes the answer: new score and reason, outbox rows written;
               no worker runs, so the rows' handlers are not part of the figures)

and prints requests/s, p50 and p99 latency, non-2xx counts, the server CPU spent per
request (gunicorn processes, and the PostgreSQL backends serving the bench database,
from /proc), and the ratios c/b and c/a by throughput and by CPU per request (the CPU
ratio holds up when other work shares the machine; throughput and latency do not).
The three run --rounds times in turn (a, b, c, a, b, c, ...), and the table shows each
one's median round: this machine's speed drifts by a third from minute to minute, and
a ratio of two runs minutes apart measures the drift as much as the code.
--split adds the answer flow's GETs alone and POSTs alone. --pgbouncer runs it all a
second time with the app behind a PgBouncer of its own in transaction pooling mode
(scripts/pgbouncer; its CPU counted with PostgreSQL's) and prints both sets of ratios.
It prints the commit, the data's size and the load average before and after.
Everything runs on its own database (--db, pulse_bench_answer; dropped at the end), its
own redis-server on a free port (broker and cache) and its own gunicorn; nothing shared
is touched. Needs wrk, redis-server and PostgreSQL on 127.0.0.1:5432.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench \
        .venv/bin/python bench/answer_load.py --worker [--dataset 100k|1m|10m] [--answers 1000]

--worker measures instead the work behind each answer, at scale: it answers open links
of a bench/dashboards.py data set (loaded first if missing; unanswered links first,
then changed answers; the answers stay in the data set) with gunicorn, a Celery worker
and beat of its own running as the Procfile starts them (beat hands out the outbox's
half-second poll), 2 clients POSTing. It waits, polling for at most --drain-timeout
seconds, until the worker has done every outbox row, and prints the CPU per answer of
gunicorn and of its PostgreSQL backends while the answers were POSTed, and of the
worker, beat and the worker's PostgreSQL backends until the outbox was drained, less
what they spend idle (measured for --idle-seconds first). Non-200 answers, failed and
still pending outbox rows are printed and make the exit status 1.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._scratch import cpu_seconds, free_port, wait_port  # noqa: E402

DB_NAME = "pulse_bench_answer"
SECRET = "bench-secret-key-" + "b" * 40

LUA = r"""
local lines = {}
local counter = 0
local thread_id = 0
function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end
function init(args)
  for line in io.lines(args[1]) do
    local fields = {}
    for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
    table.insert(lines, fields)
  end
  counter = (tonumber(wrk.thread:get("id")) or 0) * 7919
end
function request()
  counter = counter + 1
  local f = lines[(counter % #lines) + 1]
  if f[1] == "P" then
    local body = "csrfmiddlewaretoken=" .. f[4] .. "&served=" .. f[5] .. "&notes_extra=" ..
      "&score=" .. (counter % 11) .. "&reason=Bench+answer+" .. counter
    return wrk.format("POST", f[2], {["Cookie"] = "csrftoken=" .. f[3],
      ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
  end
  return wrk.format("GET", f[2])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, ' ..
    '"socket_errors": %d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def recreate_database() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()


def drop_database() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    conn.close()


def seed(count: int) -> list[str]:
    """Sent invitations with live links; returns their tokens."""
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from surveys.models import Account, Contact, Invitation, Program, Region, User, Wave
    from surveys.tokens import token_fields_new, token_for_nonce

    call_command("migrate", verbosity=0)
    Program.current().save()
    owner = User.objects.create_user("bench.am@pulse.test", full_name="Bea Bench", role="am")
    region = Region.objects.create(name="Bench")
    accounts = Account.objects.bulk_create(
        Account(external_id=f"B{i:05d}", name=f"Account {i}", region=region, owner=owner) for i in range(count // 4)
    )
    contacts = Contact.objects.bulk_create(
        Contact(account=accounts[i % len(accounts)], email=f"c{i}@bench.test", name=f"Contact {i}",
                level="manager", language="da" if i % 3 == 0 else "en")
        for i in range(count)
    )
    wave = Wave.objects.create(month=timezone.localdate().replace(day=1), status="sent")
    now = timezone.now()
    invitations = Invitation.objects.bulk_create(
        Invitation(wave=wave, contact=c, account_id=c.account_id, status="sent", sent_at=now,
                   expires_at=now + timedelta(days=30), **token_fields_new())
        for c in contacts
    )
    return [token_for_nonce(i.token_nonce) for i in invitations]


def form_fields(port: int, token: str) -> tuple[str, str, str]:
    """GET the page as a browser would: the CSRF cookie, the form's token and stamp."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", f"/r/{token}/")
    response = conn.getresponse()
    html = response.read().decode()
    conn.close()
    assert response.status == 200, (response.status, html[:200])
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    stamp = re.search(r'name="served" value="([^"]+)"', html).group(1)
    return cookie, csrf, stamp


def _cpu_seconds(pids) -> float:
    """user+system CPU of these processes so far (Linux /proc)."""
    return sum(cpu_seconds(pid) or 0.0 for pid in pids)


def _server_pids(gunicorn_pid: int) -> tuple[list[int], list[int]]:
    """The gunicorn master and workers; the PostgreSQL backends serving the bench database."""
    children = Path(f"/proc/{gunicorn_pid}/task/{gunicorn_pid}/children").read_text().split()
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    with conn.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
        backends = [row[0] for row in cur.fetchall()]
    conn.close()
    return [gunicorn_pid, *map(int, children)], backends


def run_wrk(port: int, lua: Path, data: Path, conns: int, duration: int, threads: int,
            gunicorn_pid: int | None = None, bouncer_pid: int | None = None) -> dict:
    if gunicorn_pid:
        web, db = _server_pids(gunicorn_pid)
        db += [bouncer_pid] if bouncer_pid else []
        web_before, db_before = _cpu_seconds(web), _cpu_seconds(db)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "5s", "-s", str(lua),
         f"http://127.0.0.1:{port}", "--", str(data)],
        capture_output=True, text=True, check=True,
    ).stdout
    result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    if gunicorn_pid:
        # CPU per request: what the figures would be on a machine of our own.
        result["web_ms"] = (_cpu_seconds(web) - web_before) / result["requests"] * 1000
        result["db_ms"] = (_cpu_seconds(db) - db_before) / result["requests"] * 1000
    return result


def median_by_rps(runs: list[dict]) -> dict:
    """The run with the median throughput (the lower middle one of an even count)."""
    return sorted(runs, key=lambda run: run["rps"])[(len(runs) - 1) // 2]


def start_pgbouncer(tmp: Path) -> tuple[subprocess.Popen, int]:
    """Our own PgBouncer (scripts/pgbouncer: transaction pooling) in front of 127.0.0.1:5432."""
    subprocess.run([ROOT / "scripts" / "ensure_pgbouncer"], check=True)
    port = free_port()
    process = subprocess.Popen([ROOT / "scripts" / "pgbouncer", str(port), str(tmp / "pgbouncer")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return process, port


def commit_described() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def data_size() -> str:
    from django.db import connection

    from surveys.models import Invitation

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    return f"{Invitation.objects.count()} invitations, database {size}"


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    global DB_NAME
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--conns", default="16,64")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--gthreads", type=int, default=0, help="gunicorn gthread threads per worker (0: sync)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--split", action="store_true", help="also run the answer flow's GETs and POSTs alone")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each scenario, in turn; the median is shown")
    parser.add_argument("--pgbouncer", action="store_true",
                        help="also run everything with the app behind PgBouncer (transaction pooling)")
    parser.add_argument("--db", default=DB_NAME, help=f"the bench's own database (default {DB_NAME})")
    parser.add_argument("--worker", action="store_true",
                        help="instead: answers into a dashboards data set, with a Celery worker (see above)")
    parser.add_argument("--dataset", default="100k", help="--worker: the data set (bench/_dataset.py sizes)")
    parser.add_argument("--yes-10m", action="store_true", help="--worker: needed with --dataset 10m")
    parser.add_argument("--answers", type=int, default=1000, help="--worker: answers to POST")
    parser.add_argument("--idle-seconds", type=float, default=5.0,
                        help="--worker: how long to measure the idle worker and beat first")
    parser.add_argument("--drain-timeout", type=float, default=900.0,
                        help="--worker: give up waiting for the outbox after this many seconds")
    args = parser.parse_args()
    if args.worker:
        if args.dataset == "10m" and not args.yes_10m:
            sys.exit("the 10m data set takes hours to load: add --yes-10m to mean it")
        worker_main(args)
        return
    DB_NAME = args.db
    for tool in ("wrk", "redis-server"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (apt-get install -y {tool})")

    tmp = Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    redis_port = free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET,
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "PULSE_BENCH_VIEWS": "1",
        # The limiter still runs on every request; one address must not trip it here.
        "ANSWER_RATE_PER_ADDRESS": "100000000/m",
        "ANSWER_RATE_PER_TOKEN": "100000000/m",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    processes = []
    try:
        processes.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(tmp)], stdout=subprocess.DEVNULL))
        wait_port(redis_port)
        recreate_database()
        tokens = seed(args.tokens)
        print(f"commit {commit_described()}; {data_size()}; load average before: {load_average()}")
        setups = {"direct": (env, None)}
        if args.pgbouncer:
            bouncer, bouncer_port = start_pgbouncer(tmp)
            processes.append(bouncer)
            setups["pgbouncer"] = ({
                **env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{bouncer_port}/{DB_NAME}",
                "DATABASE_POOLER": "pgbouncer",
            }, bouncer.pid)
        lua = tmp / "mix.lua"
        lua.write_text(LUA)
        data = {}
        ratios = {}
        for setup, (setup_env, bouncer_pid) in setups.items():
            web_port = free_port()
            gunicorn = subprocess.Popen(gunicorn_command(args, web_port), cwd=ROOT, env=setup_env)
            try:
                wait_port(web_port)
                if not data:
                    data = write_scenarios(tmp, tokens, web_port, split=args.split)
                ratios[setup] = run_setup(setup, args, web_port, lua, data, gunicorn.pid, bouncer_pid)
            finally:
                gunicorn.terminate()
                gunicorn.wait(15)
        if len(ratios) > 1:
            print("\nc/b by throughput (and by server CPU per request):")
            for setup, by_conns in ratios.items():
                print(f"  {setup:<10} " + "   ".join(
                    f"{conns} conns: {rps:.0%} ({cpu:.0%})" for conns, (rps, cpu) in by_conns.items()))
        print(f"load average after: {load_average()} (other work on this machine skews latency)")
        _check_database()
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database()


def gunicorn_command(args, port: int) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(args.workers),
               "-b", f"127.0.0.1:{port}", "--log-level", "error"]
    if args.gthreads:
        command += ["-k", "gthread", "--threads", str(args.gthreads)]
    return command


def write_scenarios(tmp: Path, tokens: list[str], web_port: int, *, split: bool) -> dict[str, Path]:
    """wrk's input per scenario; the POSTs carry a real form's CSRF token and stamp."""
    half = len(tokens) // 2
    answer_lines, floor_lines = [], []
    for token in tokens:
        floor_lines.append(f"G\t/bench/floor/{token}/")
    for i in range(half):
        get_token, post_token = tokens[2 * i], tokens[2 * i + 1]
        cookie, csrf, stamp = form_fields(web_port, post_token)
        answer_lines.append(f"G\t/r/{get_token}/?score={i % 11}")
        answer_lines.append(f"P\t/r/{post_token}/\t{cookie}\t{csrf}\t{stamp}")
    data = {"a bare": tmp / "bare.txt", "b floor": tmp / "floor.txt", "c answer": tmp / "answer.txt"}
    data["a bare"].write_text("G\t/bench/constant/\n")
    data["b floor"].write_text("\n".join(floor_lines) + "\n")
    data["c answer"].write_text("\n".join(answer_lines) + "\n")
    if split:
        data["c GETs"], data["c POSTs"] = tmp / "gets.txt", tmp / "posts.txt"
        data["c GETs"].write_text("\n".join(line for line in answer_lines if line[0] == "G") + "\n")
        data["c POSTs"].write_text("\n".join(line for line in answer_lines if line[0] == "P") + "\n")
    # Stamps older than ANSWER_MIN_SECONDS: the POSTs are a person's, not suspect.
    time.sleep(2.5)
    return data


def run_setup(setup: str, args, web_port: int, lua: Path, data: dict[str, Path], gunicorn_pid: int,
              bouncer_pid: int | None) -> dict[int, tuple[float, float]]:
    """Every scenario, --rounds times in turn, against one gunicorn; prints the table and
    returns {conns: (c/b by throughput, c/b by CPU per request)}."""
    for path in data.values():  # warm every worker's connections and caches
        run_wrk(web_port, lua, path, 8, 2, args.threads)
    rounds = {}  # (scenario, conns) -> one result per round
    conn_counts = [int(c) for c in args.conns.split(",")]
    for conns in conn_counts:
        for _ in range(args.rounds):
            for name, path in data.items():
                rounds.setdefault((name, conns), []).append(run_wrk(
                    web_port, lua, path, conns, args.duration, args.threads,
                    gunicorn_pid=gunicorn_pid, bouncer_pid=bouncer_pid))
    results = {key: median_by_rps(runs) for key, runs in rounds.items()}

    kind = f"gthread x{args.gthreads}" if args.gthreads else "sync"
    database = "PostgreSQL behind PgBouncer (transaction pooling)" if bouncer_pid else "PostgreSQL"
    print(f"\n[{setup}] answer page load: gunicorn {args.workers} {kind} workers, {database} (CONN_MAX_AGE=600), "
          f"Redis broker+cache, wrk -t{args.threads} {args.duration}s, {args.tokens} links, "
          f"{os.cpu_count()} CPUs shared with wrk; median of {args.rounds} rounds\n")
    db_label = "pg+bouncer ms/req" if bouncer_pid else "pg cpu ms/req"
    print(f"{'scenario':<10} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
          f"{'sock err':>8} {'web cpu ms/req':>15} {db_label:>18}")
    for (name, conns), r in results.items():
        print(f"{name:<10} {conns:>5} {r['rps']:>9.0f} {r['p50_us'] / 1000:>8.2f} {r['p99_us'] / 1000:>8.2f} "
              f"{r['non2xx']:>8} {r['socket_errors']:>8} {r['web_ms']:>15.2f} {r['db_ms']:>18.2f}")
    print()
    ratios = {}
    for conns in conn_counts:
        a, b, c = (results[(n, conns)] for n in ("a bare", "b floor", "c answer"))
        cpu = {k: r["web_ms"] + r["db_ms"] for k, r in (("a", a), ("b", b), ("c", c))}
        ratios[conns] = (c["rps"] / b["rps"], cpu["b"] / cpu["c"])
        print(f"{conns:>3} connections: c/b = {c['rps'] / b['rps']:.0%}   c/a = {c['rps'] / a['rps']:.0%}   "
              f"(by server CPU per request: c/b = {cpu['b'] / cpu['c']:.0%}, c/a = {cpu['a'] / cpu['c']:.0%})")
        each = [f"{c_run['rps'] / b_run['rps']:.0%}" for b_run, c_run in
                zip(rounds[("b floor", conns)], rounds[("c answer", conns)], strict=True)]
        print(f"    c/b round by round: {', '.join(each)}")
    print(f"load average now: {load_average()}")
    return ratios


def _check_database() -> None:
    from django.db import connections

    from feedback.models import Response
    from outbox.models import Message

    connections.close_all()
    answers = Response.objects.count()
    suspect = Response.objects.filter(suspect=True).count()
    print(f"\nafter the runs: {answers} responses ({suspect} suspect), {Message.objects.count()} outbox rows")



# --- --worker: the work behind each answer, with a real Celery worker -------------------------

def worker_main(args) -> None:
    """POST --answers answers into a bench/_dataset.py data set, with gunicorn, a Celery worker
    and beat of our own running (beat hands out the outbox's poll), wait until the worker has
    done every outbox row, and print the CPU per answer of web, worker and PostgreSQL."""
    from bench._dataset import dataset_database, dataset_ensure
    from bench._scratch import CpuMeter, children, postgres_backends, redis_server, run_context, stop, table

    database_url = dataset_database(args.dataset)
    import django

    django.setup()
    dataset_ensure(args.dataset)
    from django.db import connection, connections

    dbname = connection.settings_dict["NAME"]
    tokens = _worker_links(args.answers)
    answers_before, outbox_before = _answer_and_outbox_counts()
    size = f"{args.dataset} data set, {answers_before:,} answers"
    connections.close_all()
    print(run_context("before"))
    tmp = Path(tempfile.mkdtemp(prefix="pulse-answer-worker-"))
    processes = []
    try:
        with redis_server(tmp) as redis_url:
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.http_settings", "DATABASE_URL": database_url,
                   "REDIS_URL": redis_url, "SECRET_KEY": SECRET, "DEBUG": "0", "CONN_MAX_AGE": "600",
                   "LOG_LEVEL": "WARNING", "VAR_DIR": str(tmp / "var"),
                   # The limiter still runs on every request; one address must not trip it here.
                   "ANSWER_RATE_PER_ADDRESS": "100000000/m", "ANSWER_RATE_PER_TOKEN": "100000000/m"}
            web_port = free_port()
            web_env = {**env, "SITE_URL": f"http://127.0.0.1:{web_port}", "PULSE_BENCH_ROLE": "bench-web"}
            gunicorn = subprocess.Popen(gunicorn_command(args, web_port), cwd=ROOT, env=web_env)
            processes.append(gunicorn)
            celery_env = {**env, "PULSE_BENCH_ROLE": "bench-worker"}
            # As the Procfile starts them (concurrency from settings: one per core on PostgreSQL).
            worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel",
                                       "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                                      cwd=ROOT, env=celery_env)
            beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING"],
                                    cwd=ROOT, env=celery_env)
            processes += [worker, beat]
            wait_port(web_port)
            forms = [(token, *form_fields(web_port, token)) for token in tokens]
            time.sleep(ANSWER_MIN_SECONDS_PASSED)  # the stamps say a person took their time
            groups = {
                "worker": lambda: [worker.pid, *children(worker.pid)],
                "beat": lambda: [beat.pid, *children(beat.pid)],
                "worker pg": lambda: postgres_backends(dbname, "bench-worker"),
            }
            idle = CpuMeter(groups).start()
            time.sleep(args.idle_seconds)
            idle_cpu = idle.stop()
            web_meter = CpuMeter({"web": lambda: [gunicorn.pid, *children(gunicorn.pid)],
                                  "web pg": lambda: postgres_backends(dbname, "bench-web")}).start()
            work_meter = CpuMeter(groups).start()
            started = time.perf_counter()
            statuses = _post_answers(web_port, forms)
            posted = time.perf_counter() - started
            web_cpu = web_meter.stop()
            pending, failed = _outbox_drain(timeout=args.drain_timeout)
            drained = time.perf_counter() - started
            work_cpu = work_meter.stop()
            for process in reversed(processes):
                stop(process)
    finally:
        for process in processes:  # stopped above unless something broke; before their Redis goes
            if process.poll() is None:
                stop(process)
        shutil.rmtree(tmp, ignore_errors=True)

    answers_after, outbox_after = _answer_and_outbox_counts()
    n = len(forms)
    bad = {status: count for status, count in statuses.items() if status != 200}
    print(f"\n{n:,} answers POSTed by 2 clients in {posted:.1f} s to gunicorn ({args.workers} sync workers); "
          f"the worker had done their outbox rows {drained:.1f} s after the first POST. "
          f"New answers {answers_after - answers_before:,}, outbox rows {outbox_after - outbox_before:,}, "
          f"non-200 {sum(bad.values())} {bad or ''}, outbox rows failed {failed}, still pending {pending}\n")
    rows = []
    for name in ("web", "web pg"):
        rows.append((name, f"{web_cpu[name]:.2f}", "", f"{web_cpu[name] / n * 1000:.2f}"))
    for name in groups:
        idle_rate = idle_cpu[name] / args.idle_seconds
        net = work_cpu[name] - idle_rate * drained
        rows.append((name, f"{work_cpu[name]:.2f}", f"{idle_rate * 1000:.1f}", f"{net / n * 1000:.2f}"))
    print(table(rows, ("processes", "cpu s", "idle cpu ms/s", "cpu ms per answer (less idle)")))
    total = (web_cpu["web"] + web_cpu["web pg"]
             + sum(work_cpu[name] - idle_cpu[name] / args.idle_seconds * drained for name in groups))
    print(f"\nall together: {total / n * 1000:.1f} ms of CPU per answer; worker and its PostgreSQL: "
          f"{(work_cpu['worker'] + work_cpu['worker pg'] - (idle_cpu['worker'] + idle_cpu['worker pg']) / args.idle_seconds * drained) / n * 1000:.1f} ms")  # noqa: E501
    print(f"data: {size} before the run (the answers posted stay in it)")
    print(run_context("after"))
    if bad or failed or pending:
        sys.exit(1)


ANSWER_MIN_SECONDS_PASSED = 2.5


def _worker_links(count: int) -> list[str]:
    """Links of `count` invitations whose link is open, unanswered ones first, given fresh
    tokens (the loader's are not real); an answered one gets its answer changed."""
    from django.db import transaction
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from feedback.models import Response
    from surveys.models import Invitation
    from surveys.tokens import token_for_nonce, token_pairs_new

    with transaction.atomic():
        invitations = list(
            Invitation.objects.filter(status=Invitation.Status.SENT, expires_at__gt=timezone.now() + timedelta(hours=1))
            .annotate(answered=Exists(Response.objects.filter(invitation=OuterRef("pk"))))
            .order_by("answered", "?")[:count]
        )
        if len(invitations) < count:
            sys.exit(f"only {len(invitations)} open links in the data set; ask for fewer --answers")
        for invitation, (nonce, digest) in zip(invitations, token_pairs_new(count), strict=True):
            invitation.token_nonce, invitation.token_hash = nonce, digest
        Invitation.objects.bulk_update(invitations, ["token_nonce", "token_hash"], batch_size=1000)
    unanswered = sum(not i.answered for i in invitations)
    print(f"{unanswered:,} new answers and {count - unanswered:,} changed ones")
    return [token_for_nonce(i.token_nonce) for i in invitations]


def _answer_and_outbox_counts() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM feedback_response), (SELECT count(*) FROM outbox_message)")
        return cur.fetchone()


def _post_one(port: int, form: tuple) -> int:
    from urllib.parse import urlencode

    from bench._scratch import http_request

    token, cookie, csrf, stamp, score = form
    body = urlencode({"csrfmiddlewaretoken": csrf, "served": stamp, "notes_extra": "", "score": score,
                      "reason": f"Bench answer {score}"})
    status, _, _ = http_request(port, "POST", f"/r/{token}/", cookie=f"csrftoken={cookie}", body=body)
    return status


def _post_answers(port: int, forms: list[tuple]) -> dict[int, int]:
    """POST every form, 2 at a time; {status: count}."""
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(*form, i % 11) for i, form in enumerate(forms)]
    with ThreadPoolExecutor(2) as pool:
        return dict(Counter(pool.map(lambda form: _post_one(port, form), jobs)))


def _outbox_drain(*, timeout: float) -> tuple[int, int]:
    """Wait (polling, at most `timeout` seconds) until no outbox row is waiting; returns
    (rows still waiting, rows failed for good)."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FILTER (WHERE done_at IS NULL AND failed_at IS NULL),"
                        " count(*) FILTER (WHERE failed_at IS NOT NULL) FROM outbox_message")
            pending, failed = cur.fetchone()
        if not pending or time.monotonic() > deadline:
            return pending, failed
        time.sleep(0.2)


if __name__ == "__main__":
    main()
