"""PostgreSQL restarted under load (pg_ctl restart -m fast) while customers answer over
HTTP and a wave sends through the worker: Pulse recovers by itself.

No process is restarted and no one steps in; every answer a customer was thanked for
is in the database once, as last thanked for; an answer that got an error page lands
when sent again (as a person presses Send again); every invitation of the wave is sent
(or failed, with the reason) and its email went out at most twice: the second only
for a message the SMTP server took just before the database went away, before the
worker could commit it as sent. The same holds for the detractor alerts the answers
cause, which the worker sends through the outbox.

Services configuration only, and everything of the test's own: a PostgreSQL cluster
(initdb in a temporary folder on a free port; never the shared 127.0.0.1:5432, which
is never stopped), a redis-server, an SMTP server that keeps every message, gunicorn
and a Celery worker with beat, as production runs them (tests/restart_settings.py only
shortens the crash rules' waits). It prints the figures: how long the restart took,
the requests that failed meanwhile, how soon answers were saved again, how long the
wave took and how many emails went out twice.
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from bench._scratch import gunicorn_start, redis_server
from feedback.answering import answer_form_stamp
from tests.conftest import needs
from tests.polling import wait_for
from tests.postgres_cluster import PostgresCluster
from tests.smtp import SmtpSink, free_port
from tests.workers import ROOT

pytestmark = pytest.mark.slow

CLIENTS = 4
LINKS_PER_CLIENT = 5  # each answered a few times: first answers and changed ones
WAVE_SIZE = 200
WORKER_CONCURRENCY = 2
# A person who got an error page presses Send again after a moment.
RETRY_PAUSE = 0.1

# Run by `manage.py shell` on the test's database: the owner, a book, last month's sent
# invitations whose links the clients answer, and this month's wave, sending.
SEED = """
import json
from datetime import timedelta
from django.utils import timezone
from surveys.models import Contact, Invitation, Region, User, Wave
from surveys.tokens import token_for_nonce
from tests.surveys.book import book_create, invitations_create

links, wave_size = {links}, {wave_size}
owner = User.objects.create_user("anna@pulse.test", full_name="Anna Andersen", role="am")
region = Region.objects.create(name="North")
book_create(sizes=[4] * ((links + wave_size) // 4), owner=owner, region=region)
contacts = list(Contact.objects.order_by("id"))
now = timezone.now()
this_month = timezone.localdate().replace(day=1)
last_month = (this_month - timedelta(days=1)).replace(day=1)
answered = Wave.objects.create(month=last_month, status=Wave.Status.SENT, sent_at=now)
sent = invitations_create(wave=answered, contacts=contacts[:links], status=Invitation.Status.SENT)
Invitation.objects.filter(wave=answered).update(sent_at=now, expires_at=now + timedelta(days=30))
wave = Wave.objects.create(month=this_month, status=Wave.Status.SENDING, send_started_at=now)
invitations_create(wave=wave, contacts=contacts[links:])
print(json.dumps({{"links": [[i.pk, token_for_nonce(i.token_nonce)] for i in sent], "wave": wave.pk}}))
"""




class AnswerClient(threading.Thread):
    """A customer answering their links in turn, over and over, each time a new score and
    reason: opens the link (GET), sends the form (POST). An error page or a dropped
    connection: open the link and send again, until thanked."""

    def __init__(self, number: int, port: int, links: list, stopping: threading.Event, give_up_at: float):
        super().__init__(name=f"client-{number}", daemon=True)
        self.port, self.links, self.stopping, self.give_up_at = port, links, stopping, give_up_at
        self.thanked: dict[int, tuple[int, str]] = {}  # invitation id -> (score, reason) last thanked for
        self.thanked_at: list[float] = []
        self.requests = 0
        self.sent_again = 0  # answers thanked for only after an error and another try
        self.failed: list[tuple[float, str]] = []  # (when, what) of each request that failed
        self.gave_up = ""

    def run(self):
        n = 0
        while not self.stopping.is_set():
            invitation_id, token = self.links[n % len(self.links)]
            score, reason = (n * 7 + len(self.name)) % 11, f"Answer {n} from {self.name}"
            tries = 1
            while not self._answer(invitation_id, token, score, reason):
                if time.monotonic() > self.give_up_at:
                    self.gave_up = f"never thanked for invitation {invitation_id}: {self.failed[-1]}"
                    return
                time.sleep(RETRY_PAUSE)
                tries += 1
            self.sent_again += tries > 1
            n += 1

    def _answer(self, invitation_id: int, token: str, score: int, reason: str) -> bool:
        path = reverse("answer:answer", args=[token])
        status, headers, page = self._request("GET", path)
        if status != 200:
            return False
        cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        # A person took their time over the form (else the answer would be marked suspect).
        stamp = answer_form_stamp(invitation_id, now=timezone.now() - timedelta(seconds=30))
        body = urlencode({"csrfmiddlewaretoken": csrf, "served": stamp, "notes_extra": "",
                          "score": score, "reason": reason})
        status, _, _ = self._request("POST", path, body=body, cookie=f"csrftoken={cookie}")
        if status != 200:
            return False
        self.thanked[invitation_id] = (score, reason)
        self.thanked_at.append(time.monotonic())
        return True

    def _request(self, method: str, path: str, *, body: str = "", cookie: str = ""):
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"} if body else {}
        self.requests += 1
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            page = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.failed.append((time.monotonic(), f"{method} {type(error).__name__}"))
            return None, {}, b""
        finally:
            conn.close()
        if response.status != 200:
            self.failed.append((time.monotonic(), f"{method} {response.status}"))
        return response.status, response.headers, page


class Rig:
    """Pulse on a PostgreSQL of its own: gunicorn, a worker with beat, Redis, SMTP."""

    def __init__(self, cluster: PostgresCluster):
        self.cluster = cluster
        self.folder = cluster.folder
        self.processes: list[subprocess.Popen] = []

    def env(self, redis_url: str, web_port: int, smtp_port: int) -> dict:
        env = dict(os.environ)
        for name in ("EMAIL_URL", "DATABASE_POOLER", "CONN_MAX_AGE", "BEAT_EVERY_SECONDS"):
            env.pop(name, None)
        env.update(
            DJANGO_SETTINGS_MODULE="tests.restart_settings", DATABASE_URL=self.cluster.url("pulse"),
            REDIS_URL=redis_url, SECRET_KEY=settings.SECRET_KEY, SITE_URL=f"http://127.0.0.1:{web_port}",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port), VAR_DIR=str(self.folder / "var"), DEBUG="0",
            # Every client comes from 127.0.0.1: the answer page's limits must not trip here.
            ANSWER_RATE_PER_ADDRESS="1000000/m", ANSWER_RATE_PER_TOKEN="1000000/m",
            LOG_LEVEL="CRITICAL", PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, env: dict, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def worker_start(self, env: dict, app):
        """As the Procfile starts it, with beat inside (-B): the outbox's half-second poll."""
        self.worker_log = open(self.folder / "worker.log", "wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "-s", str(self.folder / "beat-schedule"),
             "--loglevel", "WARNING", "--concurrency", str(WORKER_CONCURRENCY),
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self.worker_log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes.append(worker)
        wait_for("the worker answering a ping", lambda: worker.poll() is None and app.control.ping(timeout=0.5),
                 timeout=30)
        return worker

    def stop(self):
        """SIGTERM to each main process (gunicorn's master and the worker's stop their
        children); what is left after 20 s is killed, the worker's whole session with it."""
        for process in reversed(self.processes):
            if process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                if os.getpgid(process.pid) == process.pid:  # the worker: a session of its own
                    os.killpg(process.pid, signal.SIGKILL)
                process.kill()
                process.wait()
        if getattr(self, "worker_log", None):
            self.worker_log.close()


def database_state(cluster: PostgresCluster, wave_id: int) -> dict:
    """What the test checks, read with a connection of its own (the app's are not ours)."""
    conn = cluster.connect("pulse")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT status FROM surveys_wave WHERE id = %s", [wave_id])
            wave_status = cursor.fetchone()[0]
            cursor.execute("SELECT i.status, i.last_error, c.email, i.attempts FROM surveys_invitation i"
                           " JOIN surveys_contact c ON c.id = i.contact_id WHERE i.wave_id = %s", [wave_id])
            invitations = cursor.fetchall()
            cursor.execute("SELECT count(*) FILTER (WHERE done_at IS NULL AND failed_at IS NULL),"
                           " count(*) FILTER (WHERE failed_at IS NOT NULL), count(*) FROM outbox_message")
            outbox_waiting, outbox_failed, outbox_rows = cursor.fetchone()
            cursor.execute("SELECT invitation_id, score, reason, category, alerted_at IS NOT NULL, id"
                           " FROM feedback_response")
            responses = cursor.fetchall()
    finally:
        conn.close()
    return {"wave": wave_status, "invitations": invitations, "outbox_waiting": outbox_waiting,
            "outbox_failed": outbox_failed, "outbox_rows": outbox_rows, "responses": responses}


def _logs_printed_on_failure(cluster: PostgresCluster):
    def _exit(exc_type, exc, traceback):
        if exc_type is not None:
            print("PostgreSQL log:\n" + cluster.log_tail())
            for name in ("web", "worker"):
                log = cluster.folder / f"{name}.log"
                if log.exists():
                    print(f"{name} log (its end):\n" + log.read_text(errors="replace")[-4000:])

    return _exit


def test_postgres_restarted_under_load_pulse_recovers_by_itself():
    needs("PostgreSQL (DATABASE_URL)", bool(os.environ.get("DATABASE_URL")))  # the services configuration
    needs("redis-server", bool(shutil.which("redis-server")))
    cluster = PostgresCluster.find()
    needs("PostgreSQL server binaries (initdb, pg_ctl)", cluster is not None)
    from celery import Celery

    rig = Rig(cluster)
    smtp = SmtpSink()
    stopping = threading.Event()
    clients: list[AnswerClient] = []
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(cluster.destroy)
        cleanup.push(_logs_printed_on_failure(cluster))
        cluster.start()
        cluster.database_create("pulse")
        smtp.start()
        cleanup.callback(smtp.stop)
        redis_url = cleanup.enter_context(redis_server(cluster.folder))
        cleanup.callback(rig.stop)
        cleanup.callback(stopping.set)
        app = Celery("pg-restart-test", broker=redis_url)  # the test's line to the worker, as beat's
        web_port = free_port()
        env = rig.env(redis_url, web_port, smtp.port)
        rig.manage(env, "migrate", "--noinput", "-v", "0")
        seeded = json.loads(rig.manage(env, "shell", "-c", SEED.format(
            links=CLIENTS * LINKS_PER_CLIENT, wave_size=WAVE_SIZE)).strip().splitlines()[-1])
        web_log = cleanup.enter_context(open(cluster.folder / "web.log", "wb"))
        web = gunicorn_start(env, web_port, workers=2, output=web_log)
        rig.processes.append(web)
        worker = rig.worker_start(env, app)
        pids = (web.pid, worker.pid)

        # Load: the clients answer; the wave starts sending (the dispatcher, as beat runs it).
        give_up_at = time.monotonic() + 75
        links = seeded["links"]
        clients = [AnswerClient(n, web_port, links[n::CLIENTS], stopping, give_up_at) for n in range(CLIENTS)]
        for client in clients:
            client.start()
        wait_for("every client thanked once", lambda: all(c.thanked_at for c in clients), timeout=30)
        wave_started = time.monotonic()
        app.send_task("surveys.tasks.invitations_dispatch")
        wait_for("a quarter of the wave sent", lambda: smtp.count() >= WAVE_SIZE // 4, timeout=30, every=0.02)

        # Mid-load: the database restarts.
        restart_began = time.monotonic()
        sent_before_restart = smtp.count()
        restart_seconds = cluster.restart()
        restart_ended = time.monotonic()
        assert sent_before_restart < WAVE_SIZE, "the wave was sent before the restart; make it bigger"

        def thanked_since_restart(client, n=3):
            return sum(t > restart_ended for t in client.thanked_at) >= n

        wait_for("every client thanked again after the restart",
                 lambda: all(thanked_since_restart(c) for c in clients), timeout=30)
        stopping.set()
        for client in clients:
            client.join(timeout=40)
        assert not [c.gave_up for c in clients if c.gave_up], [c.gave_up for c in clients]

        # Then the wave finishes and the outbox empties, by themselves (the dispatcher
        # runs every second here, as beat runs it every minute).
        last = {}

        def finished():
            app.send_task("surveys.tasks.invitations_dispatch")
            last.update(database_state(cluster, seeded["wave"]))
            busy = [row for row in last["invitations"] if row[0] in ("planned", "sending")]
            return dict(last) if last["wave"] == "sent" and not busy and not last["outbox_waiting"] else None

        def how_it_stands():
            return (f"wave {last.get('wave')}, invitations {Counter(row[0] for row in last.get('invitations', []))},"
                    f" outbox rows waiting {last.get('outbox_waiting')}")

        state = wait_for("the wave sent and the outbox empty", finished, timeout=60, every=1.0,
                         describe=how_it_stands)
        wave_finished = time.monotonic()
        # No step by anyone: the processes started at the beginning are the ones running.
        assert [p.poll() for p in (web, worker)] == [None, None]
        assert (web.pid, worker.pid) == pids

    # Answers: each one a client was thanked for is there, once, as last thanked for.
    thanked = {invitation: answer for client in clients for invitation, answer in client.thanked.items()}
    stored = Counter(row[0] for row in state["responses"])
    assert all(n == 1 for n in stored.values())
    assert {row[0]: (row[1], row[2]) for row in state["responses"]} == thanked
    assert state["outbox_failed"] == 0

    # The wave: every invitation sent, or failed with the reason; each email at most twice.
    statuses = Counter(row[0] for row in state["invitations"])
    assert set(statuses) <= {"sent", "failed", "bounced"}, statuses
    assert all(row[1] for row in state["invitations"] if row[0] != "sent")
    received = Counter(str(m["To"].addresses[0].addr_spec) for m in smtp.messages if m["X-Pulse-Response"] is None)
    sent_to = {row[2] for row in state["invitations"] if row[0] == "sent"}
    assert sent_to <= set(received), "an invitation marked sent never reached the SMTP server"
    assert set(received) <= {row[2] for row in state["invitations"]}
    assert max(received.values()) <= 2, received.most_common(3)
    duplicates = sum(n - 1 for n in received.values())
    # Only a message in flight when the database went away, one per worker child at most;
    # its row was then put back by the crash rule and sent again (a second attempt).
    assert duplicates <= WORKER_CONCURRENCY
    attempts = {row[2]: row[3] for row in state["invitations"]}
    assert all(attempts[email] >= 2 for email, n in received.items() if n > 1)

    # The detractor alerts the answers caused: once per detractor answer, at most twice.
    alerts = Counter(int(m["X-Pulse-Response"]) for m in smtp.messages if m["X-Pulse-Response"] is not None)
    detractors = {row[5] for row in state["responses"] if row[3] == "detractor"}
    alerted = {row[5] for row in state["responses"] if row[4]}
    assert detractors <= alerted
    assert alerted <= set(alerts)
    assert max(alerts.values(), default=1) <= 2

    failed = [when for client in clients for when, _ in client.failed]
    after_restart = sorted(t for client in clients for t in client.thanked_at if t > restart_ended)
    print(
        f"\nPostgreSQL restart under load ({CLIENTS} answering clients, gunicorn 2 sync workers, a worker of"
        f" {WORKER_CONCURRENCY} with beat, a wave of {WAVE_SIZE} at the default send rate):"
        f"\n  pg_ctl restart -m fast took {restart_seconds:.2f} s"
        f" (after {sent_before_restart} of the wave's emails had gone)"
        f"\n  requests failed meanwhile: {len(failed)} of {sum(c.requests for c in clients)}"
        + (f", from {min(failed) - restart_began:.2f} s to {max(failed) - restart_began:.2f} s after it began"
           if failed else "")
        + f"\n  first answer saved after the restart: {after_restart[0] - restart_ended:.2f} s after it ended"
        f" ({after_restart[0] - restart_began:.2f} s after it began)"
        f"\n  answers thanked for: {sum(len(c.thanked_at) for c in clients)} ({len(thanked)} links;"
        f" {sum(c.sent_again for c in clients)} of them after an error and another try),"
        f" outbox rows {state['outbox_rows']}, all done"
        f"\n  wave sent {wave_finished - wave_started:.1f} s after it started"
        f" ({wave_finished - restart_ended:.1f} s after the restart): {dict(statuses)}"
        f"\n  emails twice: {duplicates} invitation(s), {sum(n - 1 for n in alerts.values())} detractor alert(s)"
        f" ({sum(received.values())} invitation emails, {sum(alerts.values())} alerts received)"
    )
