"""`make run PORT=...`: honcho is started on that port (it hands it to web as $PORT), and
the links in emails follow unless SITE_URL is set. `make -n` only prints the commands."""

import os
import subprocess

from tests.workers import ROOT


def _honcho_line(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "MAKEFLAGS")}
    out = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    # The honcho command is one logical line split with a backslash.
    joined = out.replace("\\\n", " ")
    return next(line for line in joined.splitlines() if "honcho start" in line)


def test_make_run_serves_on_the_port_given():
    line = _honcho_line("PORT=8123")
    assert line.split()[-2:] == ["--port", "8123"]
    assert 'SITE_URL="${SITE_URL:-http://127.0.0.1:8123}"' in line


def test_make_run_serves_on_8000_by_default():
    line = _honcho_line()
    assert line.split()[-2:] == ["--port", "8000"]
