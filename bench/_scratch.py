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


# --- Servers and processes: ports, our own redis-server and gunicorn, CPU from /proc ----------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    import socket
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


@contextlib.contextmanager
def redis_server(folder: Path):
    """A redis-server of our own on a free port (nothing shared is touched); yields its URL."""
    import shutil
    import subprocess

    if not shutil.which("redis-server"):
        sys.exit("redis-server not found (apt-get install -y redis-server)")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)], stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


def stop(process, timeout: float = 15) -> None:
    import subprocess

    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def children(pid: int) -> list[int]:
    """The process's children and their children (Linux /proc)."""
    found = []
    try:
        direct = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, direct):
        found += [child, *children(child)]
    return found


def cpu_seconds(pid: int) -> float | None:
    """CPU time the process has run, user and system (/proc/PID/schedstat: nanoseconds,
    unlike stat's 10 ms ticks); None when it is gone or not readable."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


_monitor = None  # one connection for postgres_backends, not one per sample


def postgres_backends(dbname: str, application_name: str | None = None) -> list[int]:
    """The PostgreSQL backends (and parallel workers) serving `dbname` right now; only those
    of one application_name if given (bench/http_settings.py sets it per process kind)."""
    global _monitor
    import psycopg2

    if _monitor is None or _monitor.closed:
        url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
        _monitor = psycopg2.connect(host=url.hostname or "127.0.0.1", port=url.port or 5432,
                                    user=url.username or "postgres", password=url.password, dbname="postgres")
        _monitor.autocommit = True
    with _monitor.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
                    " AND (%s IS NULL OR application_name = %s)", [dbname, application_name, application_name])
        return [row[0] for row in cur.fetchall()]


class CpuMeter:
    """CPU spent by groups of processes between start() and stop(), sampled in a thread
    every `interval` seconds so that a process that appears during the run counts in full
    and one that exits loses at most its last interval.

        meter = CpuMeter({"web": lambda: children(gunicorn.pid), "pg": lambda: postgres_backends(db)})
        meter.start(); ...; seconds = meter.stop()   # {"web": 1.23, "pg": 0.45}
    """

    def __init__(self, groups: dict, interval: float = 0.5):
        import threading

        self.groups, self.interval = groups, interval
        self._first: dict = {}  # (group, pid) -> CPU seconds when first seen (0 if born during the run)
        self._last: dict = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, *, born_now: bool) -> None:
        for group, pids_of in self.groups.items():
            for pid in pids_of():
                seconds = cpu_seconds(pid)
                if seconds is None:
                    continue
                key = (group, pid)
                if key not in self._first:
                    self._first[key] = 0.0 if born_now else seconds
                self._last[key] = seconds

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self._sample(born_now=True)

    def start(self) -> "CpuMeter":
        self._sample(born_now=False)
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._stopping.set()
        self._thread.join()
        self._sample(born_now=True)
        totals = dict.fromkeys(self.groups, 0.0)
        for (group, pid), last in self._last.items():
            totals[group] += last - self._first[(group, pid)]
        return totals


def gunicorn_start(env: dict, port: int, *, workers: int = 2, timeout: int = 30, output=None):
    """gunicorn with sync workers on 127.0.0.1:port, as the Dockerfile runs it (access log off).
    `output`: a file for its stdout and stderr (else this process's)."""
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--timeout", str(timeout), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None)
    wait_port(port)
    return process


def status_kb(pid: int, field: str) -> int:
    """A /proc/PID/status field in kB, e.g. VmHWM (peak RSS) or VmRSS."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


# --- HTTP on loopback: signing in as a person would, and timed GETs --------------------------

def http_request(port: int, method: str, path: str, *, cookie: str = "", body: str = "",
                 timeout: float = 600):
    """One request on a new connection (gunicorn's sync workers close it after each response).
    Returns (status, headers, body bytes)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Cookie": cookie} if cookie else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the sign-in form, CSRF token and all; returns the Cookie header to send."""
    import re
    from urllib.parse import urlencode

    status, headers, page = http_request(port, "GET", "/signin/")
    if status != 200:
        raise RuntimeError(f"GET /signin/ answered {status}")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urlencode({"csrfmiddlewaretoken": token, "username": email, "password": password})
    status, headers, _ = http_request(port, "POST", "/signin/", cookie=f"csrftoken={csrf_cookie}", body=form)
    session = re.search(r"sessionid=([^;]+)", ", ".join(headers.get_all("Set-Cookie") or []))
    if status != 302 or not session:
        raise RuntimeError(f"signing in as {email} failed ({status})")
    return f"csrftoken={csrf_cookie}; sessionid={session.group(1)}"


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values (p95: the value 95% of them do not exceed)."""
    import math

    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]
