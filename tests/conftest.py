"""Shared fixtures and helpers: the bundled dataset, throw-away copies of it to break on purpose,
and the app served by gunicorn as in production."""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import metrics
from metrics.synth import synthesize

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def dataset() -> metrics.Dataset:
    return metrics.load(DATA)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory) -> Path:
    """A small national dataset from ``metrics synth``: 338 cities, 30 industries, 10 years."""
    return synthesize(3000, tmp_path_factory.mktemp("synth") / "data", seed=7)


@pytest.fixture(scope="session")
def synthetic_dataset(synthetic: Path) -> metrics.Dataset:
    return metrics.load(synthetic)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled data directory."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> None:
    header = header or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


Edit = Callable[[Path], None]


def set_cell(table: str, row: int, **values: str) -> Edit:
    """An edit that sets fields of data row ``row`` (1-based, as problems report rows)."""

    def edit(data_dir: Path) -> None:
        path = data_dir / table
        rows = read_rows(path)
        rows[row - 1].update(values)
        write_rows(path, rows)

    return edit


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def start_gunicorn() -> Iterator[str]:
    """Serve ``app:server`` as production does (two workers) on a free local port; yield its URL.

    The HTTP tests and the browser tests share it, so both test the same server, on the bundled
    data whatever the caller's shell sets. Its output goes to a file, not a pipe: nobody would
    drain a pipe during a long session, and a full one would block the server.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:server"],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "METRICS_DATA_DIR": ""},
        )

        def server_output() -> str:
            output.seek(0)
            return output.read().decode(errors="replace")

        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/", timeout=2):
                        break
                except OSError as exc:
                    if proc.poll() is not None:
                        raise RuntimeError(f"gunicorn exited:\n{server_output()}") from None
                    if time.monotonic() > deadline:
                        message = f"gunicorn did not answer in 60 s:\n{server_output()}"
                        raise TimeoutError(message) from exc
                    time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
