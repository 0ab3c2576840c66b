"""A PostgreSQL cluster of a test's own: initdb in a temporary folder, pg_ctl on a free
port (TCP on 127.0.0.1, its unix socket in that folder), so a test may stop and restart
it. The machine's shared server (127.0.0.1:5432) is never touched.

    cluster = PostgresCluster.find()   # None when the server binaries are not installed
    cluster.start(); cluster.database_create("pulse"); cluster.url("pulse")
    cluster.restart()                  # pg_ctl restart -m fast
    cluster.destroy()
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.smtp import free_port


def _server_bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


class PostgresCluster:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.port = free_port()
        # PostgreSQL refuses to run as root: then its files and processes belong to `postgres`.
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.folder = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.folder, user.pw_uid, user.pw_gid)

    @classmethod
    def find(cls) -> "PostgresCluster | None":
        bin_dir = _server_bin_dir()
        return cls(bin_dir) if bin_dir else None

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [str(self.bin_dir / program), *args], user=self.run_as, cwd=self.folder, check=True, timeout=timeout,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def start(self) -> "PostgresCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "--encoding=UTF8", "--locale=C")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start")
        return self

    def restart(self) -> float:
        """pg_ctl restart -m fast (every session ended, a clean shutdown, started again with
        the same options); returns the seconds until it accepts connections again."""
        started = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "-t", "30", "restart")
        return time.monotonic() - started

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database,
                                connect_timeout=5)
        conn.autocommit = True
        return conn

    def database_create(self, name: str) -> None:
        conn = self.connect()
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                           user=self.run_as, cwd=self.folder, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.folder, ignore_errors=True)
