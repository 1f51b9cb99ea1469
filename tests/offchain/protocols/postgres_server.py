"""A throw-away PostgreSQL server for the state tests: Debian's binaries (``make setup`` installs
the ``postgresql`` package), a cluster in a temporary folder, listening on a free loopback port
and a socket in that folder; stopped and removed after the session.

Absent binaries skip the tests that need it, except under ``CI=true``, where they fail.
As root (CI), the server runs as the ``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from offchain.services.local import free_port

POSTGRES_ENV = "DATASHARE_PG_BIN"


def postgres_bin_dir() -> Path | None:
    """``$DATASHARE_PG_BIN``, else the newest ``/usr/lib/postgresql/<version>/bin`` with initdb."""
    configured = os.environ.get(POSTGRES_ENV)
    candidates = [Path(configured)] if configured else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
    )[::-1]
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


@dataclass
class PostgresServer:
    """A running server; :meth:`new_database` gives each test a database of its own."""

    port: int
    user: str
    _counter: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str) -> str:
        name = f"{prefix}_{next(self._counter)}"
        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)


def start_postgres() -> Iterator[PostgresServer]:
    """Generator behind the ``postgres`` fixture (see the module docstring)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        reason = f"PostgreSQL not found (Debian: apt-get install postgresql, or set {POSTGRES_ENV})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI installs it with `make setup`, so its absence is a failure there")
        pytest.skip(reason)
    as_root = os.geteuid() == 0
    prefix: list[str] = ["runuser", "-u", "postgres", "--"] if as_root else []
    user = "postgres" if as_root else pwd.getpwuid(os.geteuid()).pw_name
    root = Path(tempfile.mkdtemp(prefix="datashare-pg-"))
    data = root / "data"
    if as_root:
        shutil.chown(root, user="postgres")
        root.chmod(0o700)
    port = free_port()
    log = root / "server.log"
    run = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
    try:
        subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync"], **run
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], **run
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL from {bin_dir}: {exc.stderr.decode(errors='replace')}")
    try:
        yield PostgresServer(port=port, user=user)
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
