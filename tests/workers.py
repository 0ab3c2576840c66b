"""A real `celery worker` process for the services configuration.

The worker talks to the test database (the one pytest-django created), so tests that
use it need `transactional_db`: the worker only sees committed rows.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_other_processes() -> str:
    """The database this test run made, as DATABASE_URL for another process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":  # a file (settings: TEST NAME), so other processes can open it
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


class WorkerProcess:
    def __init__(self, concurrency: int = 1, extra_env: dict | None = None, beat: bool = False):
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.beat = beat  # run beat inside the worker (-B): the schedule's tasks too
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / "var" / f"test-worker-{os.getpid()}.log"

    def env(self) -> dict:
        env = dict(os.environ)
        env["DATABASE_URL"] = database_url_for_other_processes()
        env["SECRET_KEY"] = settings.SECRET_KEY
        env["SITE_URL"] = settings.SITE_URL
        if getattr(settings, "EMAIL_BACKEND", "").endswith("smtp.EmailBackend"):
            env["EMAIL_HOST"] = settings.EMAIL_HOST
            env["EMAIL_PORT"] = str(settings.EMAIL_PORT)
        env.update(self.extra_env)
        return env

    def start(self, purge: bool = True):
        from config.celery import app

        if purge:
            app.control.purge()
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "ab")
        beat = ["-B", "-s", str(self.log_path.with_suffix(".beat-schedule"))] if self.beat else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info",
             "--concurrency", str(self.concurrency), "--without-gossip", "--without-mingle",
             "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h", *beat],
            cwd=ROOT, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0):
        from config.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early; see {self.log_path}")
            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError(f"celery worker did not answer within {timeout}s; see {self.log_path}")

    def kill(self):
        """SIGKILL the whole worker process group: no goodbye, no ack."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()
