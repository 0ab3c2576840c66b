"""`make run`'s processes (the Procfile under honcho: web, a worker, beat) do the
scheduled work by themselves, and Ctrl-C stops all three.

They run on this test's database (a file when SQLite, so another process can open it)
with a scratch var/ (the folder broker, beat's schedule file, the mail) and a free port;
with REDIS_URL set they use Redis, as `make run` would. BEAT_EVERY_SECONDS makes every
beat entry due every two seconds instead of at 07:00 or 09:00.
"""

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from surveys.models import Program, Wave
from surveys.planning import wave_plan
from tests.factories import ContactFactory
from tests.polling import wait_for
from tests.smtp import free_port
from tests.workers import ROOT, database_url_for_other_processes

pytestmark = pytest.mark.slow

VENV_BIN = Path(sys.executable).parent




class MakeRun:
    """`honcho start` with the Procfile, as `make run` calls it, in a session of its own."""

    def __init__(self, var_dir: Path, port: int):
        self.var_dir = var_dir
        self.port = port
        self.log_path = var_dir / "honcho.log"
        self.process: subprocess.Popen | None = None

    def start(self):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url_for_other_processes(),
            VAR_DIR=str(self.var_dir),
            MAIL_DIR=str(self.var_dir / "mail"),
            SITE_URL=f"http://127.0.0.1:{self.port}",
            BEAT_EVERY_SECONDS="2",
            PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
        )
        for name in ("EMAIL_URL", "EMAIL_HOST"):  # the mail goes to var/mail/, as embedded
            env.pop(name, None)
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "honcho"), "start", "--no-colour", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def started_pids(self) -> dict[str, int]:
        """What honcho started: {"web.1": pid, ...}; each leads a process group of its own."""
        return {name: int(pid) for name, pid in re.findall(r"\| (\S+) started \(pid=(\d+)\)", self.log())}

    def healthz(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            return None

    def ctrl_c(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def kill_everything(self):
        """Whatever is left, honcho's group and each of its processes' groups: SIGKILL."""
        for pgid in [self.process.pid, *self.started_pids().values()]:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)
        self._log.close()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def make_run(transactional_db, tmp_path):
    runs = []

    def _start():
        run = MakeRun(tmp_path / "var", free_port()).start()
        runs.append(run)
        return run

    yield _start
    for run in runs:
        run.kill_everything()


def test_beat_and_the_worker_send_this_months_wave_and_ctrl_c_stops_all_three(make_run, account):
    program = Program.current()
    program.frequency, program.quiet_days = 12, 20  # monthly: every contact is due this month
    program.save()
    for name in ("erik", "mette", "lis"):
        ContactFactory(account=account, email=f"{name}@customer.test")
    month = timezone.localdate().replace(day=1)
    assert wave_plan(month=month).total == 3
    wave = Wave.objects.get(month=month)

    run = make_run()
    wait_for("web, worker and beat started", lambda: len(run.started_pids()) == 3 or run.process.poll() is not None)
    assert set(run.started_pids()) == {"web.1", "worker.1", "beat.1"}, run.log()

    # Nobody sends it by hand: beat's waves-send finds the planned wave of a month that has
    # begun, the worker sends it, and invitations-dispatch closes it when all are out.
    def sent():
        wave.refresh_from_db()
        return wave.status == Wave.Status.SENT

    wait_for(f"the wave sent by the worker (log: {run.log_path})", sent)
    mails = sorted((run.var_dir / "mail").glob("*.eml"))
    assert len(mails) == 3, mails
    assert (run.var_dir / "celerybeat-schedule").exists() or list(run.var_dir.glob("celerybeat-schedule*"))

    # /healthz from the web process sees the broker and the worker.
    health = wait_for("/healthz says the worker is up", lambda: (h := run.healthz()) and h["worker"] == "ok" and h)
    assert health == {"database": "ok", "broker": "ok", "worker": "ok", "outbox": {"failed": 0, "stuck": 0}}

    # Ctrl-C (SIGINT to honcho) stops web, worker and beat, and everything they started.
    pids = run.started_pids()
    run.ctrl_c()
    wait_for("all three stopped after Ctrl-C", lambda: not any(group_alive(pid) for pid in pids.values()), timeout=30)
    assert run.process.wait(10) is not None
