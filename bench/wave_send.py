"""Benchmark: send a wave of 10,000 invitations to a local aiosmtpd with two Celery
worker processes on Redis, rate limit off. Prints emails per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse REDIS_URL=redis://127.0.0.1:6379/1 \\
        python bench/wave_send.py [--invitations 10000] [--workers 2] [--concurrency 1]
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._scratch import ROOT, scratch_database, table  # noqa: E402


class RawSink:
    """aiosmtpd on a free loopback port that keeps each message's Message-ID (no MIME parsing,
    so the sink is not what is measured)."""

    def __init__(self):
        import re
        import threading

        from aiosmtpd.controller import Controller

        from tests.smtp import free_port

        self.port = free_port()
        self.ids: list[bytes] = []
        self.lock = threading.Lock()
        pattern = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                match = pattern.search(envelope.original_content)
                with sink.lock:
                    sink.ids.append(match.group(1) if match else b"")
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def count(self) -> int:
        return len(self.ids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL (the broker the workers use).")

    sink = RawSink()
    sink.start()
    os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port), SITE_URL="https://pulse.example.com")
    with scratch_database("wave_send") as url:
        from django.utils import timezone

        from config.celery import app
        from surveys import dispatch
        from surveys.models import Account, Contact, Invitation, Program, Region, User, Wave
        from surveys.tokens import token_fields_new

        owner = User.objects.create_user("am@bench.test", full_name="Bench Manager")
        region = Region.objects.create(name="Bench")
        accounts = Account.objects.bulk_create(
            [Account(external_id=f"A{i}", name=f"Customer {i}", owner=owner, region=region)
             for i in range(args.invitations // 4)])
        contacts = Contact.objects.bulk_create(
            [Contact(account=a, email=f"c{a.pk}-{n}@customer.test", name=f"Contact {a.pk} {n}", level="manager",
                     language="da" if n % 3 == 0 else "en") for a in accounts for n in range(4)],
            batch_size=5000)
        program = Program.current()
        program.send_rate = 0
        program.save()
        wave = Wave.objects.create(month=timezone.localdate().replace(day=1), status=Wave.Status.PLANNED)
        Invitation.objects.bulk_create(
            [Invitation(wave=wave, contact=c, account_id=c.account_id, **token_fields_new()) for c in contacts],
            batch_size=5000)
        total = wave.invitations.count()

        app.control.purge()
        env = dict(os.environ, DATABASE_URL=url)
        logs = ROOT / "var"
        logs.mkdir(exist_ok=True)
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "--concurrency",
                 str(args.concurrency), "--without-gossip", "--without-mingle", "-n", f"bench{i}-{os.getpid()}@%h"],
                cwd=ROOT, env=env, stdout=open(logs / f"bench-worker-{i}.log", "wb"), stderr=subprocess.STDOUT,
                start_new_session=True)
            for i in range(args.workers)
        ]
        try:
            deadline = time.monotonic() + 60
            while len(app.control.ping(timeout=0.5) or []) < args.workers and time.monotonic() < deadline:
                pass
            started = time.monotonic()
            dispatch.wave_send(month=wave.month)
            deadline = started + 900
            while sink.count() < total and time.monotonic() < deadline:
                time.sleep(0.05)
            elapsed = time.monotonic() - started
            received = sink.count()
            sent = Invitation.objects.filter(status=Invitation.Status.SENT).count()
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
        sink.stop()
        unique = len(set(sink.ids))
        print(table(
            [(total, args.workers, args.concurrency, received, unique, sent, f"{elapsed:.1f}",
              f"{received / elapsed:.0f}")],
            ("invitations", "worker processes", "concurrency each", "received", "unique Message-IDs",
             "marked sent", "seconds", "emails/s"),
        ))


if __name__ == "__main__":
    main()
