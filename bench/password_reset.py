"""Does "Forgot your password?" take the same time for an address with an account and one
without? (issue 14: medians within 2 ms.)

    .venv/bin/python bench/password_reset.py [--requests 300] [--staff 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse .venv/bin/python bench/password_reset.py

Runs the app in this process with Django's test client (every middleware, the request's
transaction, DEBUG off) on a database of its own: SQLite in a temporary folder, or with
DATABASE_URL a scratch PostgreSQL database (DATABASE_URL's name + _bench_password_reset,
dropped at the end). --staff users are made; then --requests POSTs of the form,
alternating a staff user's email and an email nobody has, after a warm-up, the rate
limits raised out of the way (they are still counted, in the local-memory cache).

Two ways of answering, each timed apart, p50 and p95 per kind of email:
  now      the page (surveys.views.PasswordResetView) publishes the ask to the outbox;
           the outbox is then delivered as the worker would, and the emails counted
  before   Django's PasswordResetView with the form that sends the email in the request
           (as config/urls.py had it), to a local SMTP server in this process
Prints the commit, the data size and the load average before and after; the exit status
is 1 when the medians of "now" are more than 2 ms apart.
"""

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._scratch import percentile, run_context, scratch_database, table  # noqa: E402
from bench.wave_send import RawSink  # noqa: E402

TARGET_MS = 2.0
WARM_UP = 30
UNKNOWN = "nobody-{n}@elsewhere.example"


def before_urlconf():
    """The site's URLs with the reset page as it was: the form sends in the request."""
    from django.contrib.auth import views as auth_views
    from django.urls import include, path

    from surveys.staff import StaffPasswordResetForm

    urls = types.ModuleType("password_reset_before_urls")
    urls.urlpatterns = [
        path("password/reset/", auth_views.PasswordResetView.as_view(form_class=StaffPasswordResetForm),
             name="password_reset"),
        path("", include("config.urls")),
    ]
    return urls


def timed_asks(client, known: list[str], requests: int) -> dict[str, list[float]]:
    """POST the form `requests` times, alternating a known and an unknown email; ms each."""
    times = {"known": [], "unknown": []}
    for n in range(WARM_UP + requests):
        kind = "known" if n % 2 == 0 else "unknown"
        email = known[n % len(known)] if kind == "known" else UNKNOWN.format(n=n)
        started = time.perf_counter()
        response = client.post("/password/reset/", {"email": email})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 302 or response["Location"] != "/password/reset/sent/":
            sys.exit(f"unexpected answer {response.status_code} for {email}")
        if n >= WARM_UP:
            times[kind].append(elapsed)
    return times


def rows_of(way: str, times: dict[str, list[float]]) -> list[tuple]:
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    return [
        (way, kind, len(values), f"{medians[kind]:.2f}", f"{percentile(sorted(values), 0.95):.2f}",
         f"{medians['unknown'] - medians['known']:+.2f}" if kind == "unknown" else "")
        for kind, values in times.items()
    ]


def run(args, sink: RawSink) -> tuple[list[tuple], float, str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from outbox.services import outbox_deliver_due
    from surveys.models import User

    User.objects.bulk_create([User(email=f"staff{i}@pulse.example", full_name=f"Staff {i}", role="am")
                              for i in range(args.staff)])
    known = list(User.objects.order_by("?").values_list("email", flat=True)[:50])
    client = Client()
    gc.collect()

    now = timed_asks(client, known, args.requests)
    delivered = outbox_deliver_due()
    emails_now = sink.count()
    with override_settings(ROOT_URLCONF=before_urlconf()):
        before = timed_asks(client, known, args.requests)
    emails_before = sink.count() - emails_now

    asks = WARM_UP + args.requests
    data = (f"{args.staff:,} staff users, {connection.vendor} {connection.Database.sqlite_version}"
            if connection.vendor == "sqlite" else f"{args.staff:,} staff users, {connection.vendor}")
    data += (f"; now: {delivered} outbox rows delivered, {emails_now} emails sent for {(asks + 1) // 2} asks of"
             f" a known email; before: {emails_before} sent in the requests")
    difference = abs(statistics.median(now["unknown"]) - statistics.median(now["known"]))
    return rows_of("now (outbox)", now) + rows_of("before (sent in the request)", before), difference, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed POSTs, half known, half unknown")
    parser.add_argument("--staff", type=int, default=1000)
    args = parser.parse_args()

    sink = RawSink()
    sink.start()
    os.environ.update(
        EMAIL_URL="", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port), DEBUG="0", LOG_LEVEL="ERROR",
        PASSWORD_RESET_RATE_PER_EMAIL="100000000/h", PASSWORD_RESET_RATE_PER_ADDRESS="100000000/h",
    )
    os.environ.pop("REDIS_URL", None)  # the local-memory cache: nothing shared is counted
    print(run_context("before"))
    try:
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            with scratch_database("password_reset"):
                rows, difference, data = run(args, sink)
        else:
            with tempfile.TemporaryDirectory() as folder:
                os.environ["VAR_DIR"] = folder
                os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
                import django

                django.setup()
                from django.core.management import call_command
                from django.db import connections

                call_command("migrate", verbosity=0)
                rows, difference, data = run(args, sink)
                connections.close_all()
    finally:
        sink.stop()

    print(f"\nPOST /password/reset/, ms per request (after {WARM_UP} not counted); data: {data}")
    print(table(rows, ("way", "email", "requests", "p50 ms", "p95 ms", "p50 unknown - known")))
    within = difference <= TARGET_MS
    print(f"\nnow: medians {difference:.2f} ms apart ({'within' if within else 'NOT within'} {TARGET_MS:g} ms)")
    print(run_context("after"))
    sys.exit(0 if within else 1)


if __name__ == "__main__":
    main()
