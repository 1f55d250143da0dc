"""A throw-away PostgreSQL cluster for the tests and benchmarks: Debian's server binaries,
a temporary directory, a free port, started and stopped by the caller; no system service.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then belongs to the
``postgres`` user that Debian's package creates, and its commands run through ``runuser``.
Run as anyone else, the cluster is theirs. Local connections are trusted (the socket
directory and port exist only for the life of the cluster), so URLs carry no password.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import free_port


def server_binaries() -> Path:
    """Debian's PostgreSQL server programs (initdb, pg_ctl), newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not found:
        raise RuntimeError(
            "PostgreSQL's server is not installed: run `make test` (or `make system-deps`), "
            "which installs Debian's postgresql package"
        )
    return Path(found[0]).parent


@dataclass
class Cluster:
    directory: Path
    port: int
    socket_dir: Path
    user: str  # the database superuser: the OS user that owns the cluster

    def url(self, database: str = "postgres") -> str:
        """A libpq URL over TCP on loopback (what a second machine would use)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with psql as the superuser; its output."""
        return subprocess.run(
            ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", self.url(database)],
            input=sql,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given); its URL."""
        clause = f" TEMPLATE {template}" if template else ""
        self.psql(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_cluster(directory: Path | None = None) -> Iterator[Cluster]:
    """Create (or reuse, when ``directory`` already holds one) a cluster and run it until the
    block ends; a new one in a temporary directory is deleted afterwards."""
    binaries = server_binaries()
    temporary = directory is None
    root = Path(tempfile.mkdtemp(prefix="metrics-pg-")) if temporary else directory
    assert root is not None
    data, sockets = root / "data", root / "sockets"
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    sockets.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            _as_owner(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    user,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
        )
    port = free_port()
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=on "
        "-c max_connections=200 -c shared_buffers=256MB"
    )
    log = root / "server.log"
    subprocess.run(
        _as_owner(
            [
                str(binaries / "pg_ctl"),
                "start",
                "-w",
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(log),
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield Cluster(data, port, sockets, user)
    finally:
        subprocess.run(
            _as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
