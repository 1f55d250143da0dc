"""Where the dataset lives: the data-package folder (default) or a PostgreSQL database.

    store = metrics.store.open_store()             # $METRICS_DATABASE_URL, else the folder
    dataset = store.load()
    store.add(NewReport(...), actor="li.wei")
    store.withdraw("010_anhui_goods", "duplicate of 009", actor="li.wei")

See :mod:`metrics.store.base` for what every store promises.
"""

from __future__ import annotations

import os
from pathlib import Path

from metrics.store.base import AddResult, NewReport, Store, WithdrawResult, default_actor
from metrics.store.folder import FolderStore

DATABASE_VARIABLE = "METRICS_DATABASE_URL"
"""Environment variable naming the PostgreSQL database; unset, the folder is the store."""


def database_url(database: str | None = None) -> str | None:
    """The database chosen: the argument, else ``$METRICS_DATABASE_URL``, else none."""
    return database or os.environ.get(DATABASE_VARIABLE) or None


def open_store(data_dir: str | Path | None = None, database: str | None = None) -> Store:
    """The store to use: a database when one is named (here or in the environment), else the
    data-package folder (``data_dir``, ``$METRICS_DATA_DIR`` or the bundled ``data/``)."""
    url = database_url(database)
    if url and data_dir is None:
        from metrics.store.postgres import PostgresStore  # psycopg only where it is used

        return PostgresStore(url)
    return FolderStore(data_dir)


__all__ = [
    "DATABASE_VARIABLE",
    "AddResult",
    "FolderStore",
    "NewReport",
    "Store",
    "WithdrawResult",
    "database_url",
    "default_actor",
    "open_store",
]
