"""Shared fixtures and helpers: the bundled dataset, throw-away copies of it to break on purpose,
and the app served by gunicorn as in production."""

from __future__ import annotations

import contextlib
import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import metrics
from benchmarks.common import serve
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


@contextlib.contextmanager
def start_gunicorn() -> Iterator[str]:
    """Serve ``app:server`` as production does (its gunicorn.conf.py, two workers) on a free
    local port, on the bundled data whatever the caller's shell sets; yield its URL. The HTTP
    tests and the browser tests share it, so both test the same server."""
    with serve(workers=2) as server:
        yield server.url
