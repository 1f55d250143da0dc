"""Alembic's entry point: migrations run on the connection ``metrics.store.migrations.upgrade``
hands over (in its transaction, under the store's lock); there is no alembic.ini."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
