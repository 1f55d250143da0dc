"""Shared fixtures: the bundled dataset, and throw-away copies of it to break on purpose."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import metrics

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def dataset() -> metrics.Dataset:
    return metrics.load(DATA)


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
