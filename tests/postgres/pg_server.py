"""A throwaway PostgreSQL server from Debian's package, for the tests that run dccflow on PostgreSQL.

``initdb`` into a fresh temporary data directory, ``pg_ctl start`` listening on a Unix socket in that directory
only (no TCP port, so any number of servers run side by side, e.g. one per pytest-xdist worker), trust
authentication, a database per test (``create_database``), and ``stop`` removes the lot. PostgreSQL refuses to run
as root: as root the server runs as Debian's ``postgres`` user (``runuser``), which owns the data directory.

Where PostgreSQL or psycopg is missing, :func:`unavailable` says why: the tests are then skipped on a developer's
machine, and fail in CI (``CI=true``), where ``.ci/run`` installs Debian's ``postgresql`` first.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

#: the server's user and the user every test connects as (trust authentication on the socket)
SUPERUSER = "postgres"


def binaries() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian keeps each major version under /usr/lib/postgresql)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def unavailable() -> str | None:
    """Why a PostgreSQL server cannot be started here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]' or '.[postgres]')"
    if binaries() is None:
        return "PostgreSQL's server binaries are not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL will not run as root"
    return None


class PostgresServer:
    """One server: :meth:`start`, :meth:`create_database` per test, :meth:`stop` (which deletes its files)."""

    def __init__(self, *, durable: bool = False) -> None:
        """``durable``: PostgreSQL's defaults (fsync on; for a benchmark); else no fsync (tests)."""
        self.durable = durable
        self.bin = binaries()
        self.root = Path(tempfile.mkdtemp(prefix="dccflow-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root  # short path: a Unix socket's path is limited to ~107 bytes
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120,
                              stdin=subprocess.DEVNULL, cwd=self.root)

    def start(self) -> None:
        if self._as_root:
            shutil.chown(self.root, user=SUPERUSER)
        self.root.chmod(0o755)  # the tests' processes (any user) reach the socket in it
        try:
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                      "--locale=C", *(() if self.durable else ("--no-sync",)))
            options = (f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' -c max_connections=200"
                       + ("" if self.durable else " -c fsync=off -c full_page_writes=off"))
            self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.root / "log"),
                      "-o", options)
        except subprocess.CalledProcessError as exc:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr or exc.stdout}\n{log}") from None

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), user=SUPERUSER, dbname="postgres", autocommit=True) as c:
            c.execute(sql)

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data), check=False)
        shutil.rmtree(self.root, ignore_errors=True)
