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
from benchmarks.postgres import Cluster, postgres_cluster
from metrics.store import FolderStore, Store
from metrics.store.postgres import PostgresStore
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


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of the test session's own (Debian's server, a temporary
    directory, a free port), stopped at the end; a missing server is an error, not a skip."""
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_bundled(pg_cluster: Cluster) -> str:
    """The name of a database holding the bundled data, made once with the real commands
    (``db init``, ``db import``): the template of every test's own database."""
    url = pg_cluster.create_database("bundled")
    store = PostgresStore(url)
    store.migrate()
    store.import_package(DATA)
    return "bundled"


_databases = iter(range(1, 10**6))


@pytest.fixture
def pg_url(pg_cluster: Cluster, pg_bundled: str) -> Iterator[str]:
    """A fresh database holding the bundled data, for one test."""
    name = f"test_{next(_databases)}"
    url = pg_cluster.create_database(name, template=pg_bundled)
    yield url
    pg_cluster.drop_database(name)


@pytest.fixture(
    params=["folder", pytest.param("postgresql", marks=pytest.mark.server)],
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The bundled data in each kind of store, writable: a folder copy, or a database."""
    if request.param == "folder":
        target = tmp_path / "data"
        shutil.copytree(DATA, target)
        return FolderStore(target)
    return PostgresStore(request.getfixturevalue("pg_url"))


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


# Fixtures that start a server process; a test using one is marked `server` (see pyproject).
SERVER_FIXTURES = {"live_server", "server", "gunicorn_url", "pg_cluster"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what needs chromium or a server, so `make test-fast` can leave it out."""
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)
