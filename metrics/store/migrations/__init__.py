"""The PostgreSQL schema, made and upgraded by Alembic: ``python -m metrics db init``.

Each revision in ``versions/`` is a step of the schema; ``upgrade`` applies those a database
lacks, holding the store's advisory lock so that two servers starting at once do not both
try. A store refuses to work on a database whose schema is not the code's (``require_current``)
rather than read tables it does not know.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from metrics.errors import StoreError

HERE = Path(__file__).resolve().parent


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision of the schema the code knows."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def upgrade(url: str, lock_key: int) -> tuple[str | None, str]:
    """Bring the database at ``url`` to the newest schema; the revisions before and after."""
    # A creator rather than a URL: any libpq connection string works, as it does for psycopg.
    engine = sa.create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(url), poolclass=sa.NullPool
    )
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
            before = MigrationContext.configure(connection).get_current_revision()
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            after = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    assert after is not None
    return before, after


def require_current(connection: psycopg.Connection[Any], location: str) -> None:
    """Refuse a database without the schema, or with another revision of it than the code's."""
    exists = connection.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
    row = (
        connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if (exists and exists[0])
        else None
    )
    if row is None:
        raise StoreError(
            f"{location} has no dataset tables yet: create them with `python -m metrics db init`"
        )
    if row[0] != head():
        raise StoreError(
            f"{location}'s tables are at schema revision {row[0]}, this version of the code "
            f"needs {head()}: run `python -m metrics db init` to upgrade them"
        )
