"""PostgreSQL as a store: one database shared by several servers and several curators.

The tables are the data package's, with its keys, references and checks as constraints (the
schema is made and upgraded by Alembic: :mod:`metrics.store.migrations`, ``metrics db init``).
Reading the dataset streams each table out with ``COPY … TO STDOUT`` as CSV, in the order the
rows were stored, inside one repeatable-read transaction: every table is read as of the same
moment, and the text goes through the same checks as a folder's files (:mod:`metrics.dataset`).

A change is one transaction that first takes a transaction-level advisory lock, so changes run
one at a time across every server; it commits only when every check has passed, and a client
killed mid-change leaves nothing behind (PostgreSQL rolls the transaction back). Once the commit
returns, the change is on disk.

The URL is a libpq URL (``postgresql://user@host:5432/dbname``). Passwords belong in
``~/.pgpass`` or ``PGPASSWORD``, never in the repository; where a URL carries one, messages
show it as ``***``.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg
from psycopg import sql

from metrics.dataset import Dataset, check_dataset
from metrics.errors import ConflictError, DataValidationError, StoreError
from metrics.rules import ReadReport
from metrics.schema import (
    Descriptor,
    Field,
    ProblemList,
    Resource,
    parse_descriptor,
    read_text_table,
)
from metrics.store.base import Change, Store, change_row, default_actor, files_of
from metrics.store.check import Where
from metrics.store.folder import FolderStore

# pg_advisory_xact_lock key: "metrics" in ASCII; every change and migration takes it.
LOCK_KEY = 0x6D657472696373
LOCK_TIMEOUT = "60s"
CONNECT_TIMEOUT = 10
DESCRIPTOR_NAME = Path("datapackage.json")


@dataclass
class _PgChange(Change):
    connection: psycopg.Connection[Any] | None = None


def mask_password(url: str) -> str:
    """The URL as messages may show it: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


class PostgresStore(Store):
    """A PostgreSQL database; see the module docstring."""

    kind = "postgresql"

    def __init__(self, url: str):
        self.url = url
        self.location = mask_password(url)

    # --- connections -------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """A connection whose block is one transaction: committed at its end, rolled back on
        an exception; errors of the database become clear messages, never tracebacks."""
        try:
            connection = psycopg.connect(
                self.url, connect_timeout=CONNECT_TIMEOUT, application_name="metrics"
            )
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {self.location}: {_first_line(exc)}") from None
        try:
            with connection:
                if read_only:
                    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                    connection.read_only = True
                yield connection
        except psycopg.errors.LockNotAvailable:
            raise StoreError(
                f"{self.location} has been busy with another change for {LOCK_TIMEOUT}; "
                "nothing was changed, try again"
            ) from None
        except psycopg.errors.IntegrityError as exc:
            raise ConflictError(
                f"{self.location} refused the change: {_first_line(exc)}; nothing was changed"
            ) from None
        except psycopg.OperationalError as exc:
            raise StoreError(
                f"lost the connection to {self.location}: {_first_line(exc)}"
            ) from None
        except psycopg.Error as exc:  # what else the server refuses: its reason, no traceback
            raise StoreError(f"{self.location}: {_first_line(exc)}; nothing was changed") from None

    def _lock(self, connection: psycopg.Connection[Any]) -> None:
        connection.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        connection.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])

    def _descriptor(self, connection: psycopg.Connection[Any]) -> Descriptor:
        from metrics.store.migrations import require_current

        require_current(connection, self.location)
        row = connection.execute("SELECT descriptor FROM package").fetchone()
        if row is None:
            raise StoreError(
                f"{self.location} holds no data package yet: load one with "
                "`python -m metrics db import DIR`"
            )
        return parse_descriptor(row[0], DESCRIPTOR_NAME)

    # --- reading -----------------------------------------------------------------------------

    def load(self) -> Dataset:
        problems = ProblemList()
        with self.transaction(read_only=True) as connection:
            descriptor = self._descriptor(connection)
            text, reports = self._read_all(connection, descriptor, problems)
            stamp, origin = self._stamp(connection), self._origin(connection, descriptor)
        return check_dataset(
            self.location, descriptor, text, _reader(reports), problems, stamp, origin
        )

    def _origin(self, connection: psycopg.Connection[Any], descriptor: Descriptor) -> dict:
        """The last row number (``seq``) and row count of each table: rows added later are
        those numbered after it, if the count says none went away."""
        tables = {}
        for name in descriptor.resources:
            row = connection.execute(
                sql.SQL("SELECT coalesce(max(seq), 0), count(*) FROM {}").format(
                    sql.Identifier(name)
                )
            ).fetchone()
            assert row is not None
            tables[name] = (int(row[0]), int(row[1]))
        return {"tables": tables, "stamp": self._stamp(connection)}

    def _added_since(
        self, previous: Dataset
    ) -> tuple[dict[str, pd.DataFrame], dict[str, bytes], Hashable, Any] | None:
        if not isinstance(previous.origin, dict):
            return None
        problems = ProblemList()
        with self.transaction(read_only=True) as connection:
            descriptor = self._descriptor(connection)
            stamp = self._stamp(connection)
            before = previous.origin["stamp"]
            # Rows updated or deleted since (by hand, around the store) mean a full load.
            if descriptor.text != previous.descriptor.text or stamp[2:] != before[2:]:
                return None
            origin = self._origin(connection, descriptor)
            added = {}
            for name, resource in descriptor.resources.items():
                last, count = previous.origin["tables"][name]
                now_last, now_count = origin["tables"][name]
                if now_last < last or now_count < count:
                    return None
                frame = self._copy_out(connection, resource, problems, after=last)
                if frame is None or len(frame) != now_count - count:
                    return None
                added[name] = frame
            paths = files_of(added["sources"])
            reports = {
                path: bytes(content)
                for path, content in connection.execute(
                    "SELECT path, content FROM reports WHERE path = ANY(%s)", [paths]
                )
            }
        return added, reports, stamp, origin

    def _read_all(
        self, connection: psycopg.Connection[Any], descriptor: Descriptor, problems: ProblemList
    ) -> tuple[dict[str, pd.DataFrame | None], dict[str, bytes]]:
        """Every table as text and every report, as the transaction sees them."""
        text = {
            name: self._copy_out(connection, resource, problems)
            for name, resource in descriptor.resources.items()
        }
        reports = {
            path: bytes(content)
            for path, content in connection.execute("SELECT path, content FROM reports")
        }
        return text, reports

    def stamp(self) -> Hashable:
        """The dataset version, and how many rows were ever inserted, updated and deleted in
        the dataset's tables (PostgreSQL's statistics): a change through a store moves the
        version, one made around it (by hand, in SQL) the counts."""
        with self.transaction(read_only=True) as connection:
            return self._stamp(connection)

    def _stamp(self, connection: psycopg.Connection[Any]) -> tuple[int, int, int, int]:
        row = connection.execute(
            "SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0), "
            "coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = 'public'"
        ).fetchone()
        assert row is not None
        return (self._version(connection), *(int(n) for n in row))

    def history(self) -> pd.DataFrame:
        with self.transaction(read_only=True) as connection:
            descriptor = self._descriptor(connection)
            return self._select(connection, descriptor.resources["changes"], None)

    def _version(self, connection: psycopg.Connection[Any]) -> int:
        row = connection.execute("SELECT coalesce(max(version), 0) FROM changes").fetchone()
        return int(row[0]) if row else 0

    def _copy_out(
        self,
        connection: psycopg.Connection[Any],
        resource: Resource,
        problems: ProblemList,
        after: int = 0,
    ) -> pd.DataFrame | None:
        """A table (its rows numbered after ``after``) as the CSV text a folder would hold,
        streamed into the same reader."""
        query = sql.SQL(
            "COPY (SELECT {} FROM {} WHERE seq > {} ORDER BY seq) TO STDOUT (FORMAT csv, HEADER)"
        )
        statement = query.format(
            _select_list(resource), sql.Identifier(resource.name), sql.Literal(after)
        )
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            stream = io.BufferedReader(_CopyStream(copy), buffer_size=2**20)
            return read_text_table(stream, resource.path, problems)

    def _select(
        self, connection: psycopg.Connection[Any], resource: Resource, where: Where | None
    ) -> pd.DataFrame:
        """Rows as text, NULL as the empty string, in stored order."""
        query = sql.SQL("SELECT {} FROM {}").format(
            _select_list(resource), sql.Identifier(resource.name)
        )
        params: list[list[str]] = []
        if where is not None:
            if not any(where.values()):
                return pd.DataFrame(columns=list(resource.field_names))
            types = {f.name: f.type for f in resource.fields}
            tests = []
            for column, values in where.items():
                target = sql.Identifier(column)
                if types[column] != "string":
                    target = sql.SQL("{}::text").format(target)
                tests.append(sql.SQL("{} = ANY(%s)").format(target))
                params.append(sorted(values))
            query += sql.SQL(" WHERE ") + sql.SQL(" OR ").join(tests)
        query += sql.SQL(" ORDER BY seq")
        rows = connection.execute(query, params).fetchall()
        frame = pd.DataFrame(rows, columns=list(resource.field_names), dtype=object)
        return frame.fillna("").astype(str)

    # --- the change protocol (see Store) -------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Change]:
        with self.transaction() as connection:
            self._lock(connection)
            change = _PgChange(self._descriptor(connection), connection=connection)
            yield change
            self._write(connection, change.descriptor, change.appended, change.reports)

    def _rows(self, change: Change, table: str, where: Where | None) -> pd.DataFrame:
        assert isinstance(change, _PgChange) and change.connection is not None
        return self._select(change.connection, change.descriptor.resources[table], where)

    def _count(self, change: Change, table: str) -> int:
        assert isinstance(change, _PgChange) and change.connection is not None
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        row = change.connection.execute(query).fetchone()
        return int(row[0]) if row else 0

    def _report(self, change: Change, path: str) -> bytes:
        assert isinstance(change, _PgChange) and change.connection is not None
        row = change.connection.execute(
            "SELECT content FROM reports WHERE path = %s", [path]
        ).fetchone()
        if row is None:
            raise FileNotFoundError(path)
        return bytes(row[0])

    def _write(
        self,
        connection: psycopg.Connection[Any],
        descriptor: Descriptor,
        tables: dict[str, list[dict[str, str]]] | dict[str, pd.DataFrame],
        reports: dict[str, bytes],
    ) -> None:
        """Insert rows (by table, in the descriptor's order) and reports; deferred references
        are checked when the transaction commits."""
        for path, content in reports.items():
            connection.execute(
                "INSERT INTO reports (path, content) VALUES (%s, %s)", [path, content]
            )
        for name, resource in descriptor.resources.items():
            rows = tables.get(name)
            if rows is None or len(rows) == 0:
                continue
            frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
            _copy_in(connection, resource, frame)

    # --- database administration: metrics db init | import | dump ---------------------------

    def migrate(self) -> tuple[str | None, str]:
        """Create or upgrade the schema; the revisions before and after."""
        from metrics.store.migrations import upgrade

        try:
            return upgrade(self.url, LOCK_KEY)
        except Exception as exc:  # SQLAlchemy and psycopg both: the reason, no traceback
            raise StoreError(f"cannot set up {self.location}: {_first_line(exc)}") from None

    def import_package(self, directory: str | Path, *, actor: str | None = None) -> str:
        """Load the folder ``directory`` into the database, checked by every rule first.

        Into an empty database the package is copied whole, change log and version included
        (a dump gives the same files back). Into one that holds data, rows it already has must
        be identical; the rest are added as one change, with the folder's withdrawals; the
        result is checked by every rule before it is committed. Importing again changes
        nothing. Returns what was done, in words.
        """
        folder = FolderStore(directory)
        folder.load()  # every rule, every row: a package that is wrong never gets in
        text, reports, descriptor = folder.read_text()
        with self.transaction() as connection:
            self._lock(connection)
            from metrics.store.migrations import require_current

            require_current(connection, self.location)
            _require_tables_for(connection, descriptor, folder.location)
            row = connection.execute("SELECT descriptor FROM package").fetchone()
            if row is None:
                self._write(connection, descriptor, text, reports)
                connection.execute(
                    "INSERT INTO package (descriptor) VALUES (%s)", [descriptor.text]
                )
                figures = len(text["figures"])
                return f"imported {folder.location} into an empty database: {figures} figures"
            stored = parse_descriptor(row[0], DESCRIPTOR_NAME)
            return self._merge(connection, stored, folder, text, reports, actor)

    def _merge(
        self,
        connection: psycopg.Connection[Any],
        descriptor: Descriptor,
        folder: FolderStore,
        text: dict[str, pd.DataFrame],
        reports: dict[str, bytes],
        actor: str | None,
    ) -> str:
        added: dict[str, int] = {}
        for name, resource in descriptor.resources.items():
            if name == "changes":
                continue
            added[name] = _insert_missing(connection, resource, text[name])
        for path, content in reports.items():
            row = connection.execute(
                "SELECT content FROM reports WHERE path = %s", [path]
            ).fetchone()
            if row is None:
                connection.execute(
                    "INSERT INTO reports (path, content) VALUES (%s, %s)", [path, content]
                )
            elif bytes(row[0]) != content:
                raise ConflictError(
                    f"{folder.location}/{path} differs from the report the database keeps "
                    "under that path; nothing was imported"
                )
        version = self._version(connection)
        changes: list[pd.DataFrame] = []
        if any(added.values()):
            version += 1
            note = (
                f"imported from {folder.location}: {added.get('sources', 0)} reports, "
                f"{added.get('figures', 0)} figures"
            )
            changes.append(change_row(version, actor or default_actor(), "import", "", (), note))
        stored_changes = self._select(connection, descriptor.resources["changes"], None)
        done = set(stored_changes["source_id"][stored_changes["action"] == "withdraw"])
        theirs = text["changes"][text["changes"]["action"] == "withdraw"]
        for source_id, note in zip(theirs["source_id"], theirs["note"], strict=True):
            if source_id in done:
                continue
            version += 1
            figures = self._select(
                connection, descriptor.resources["figures"], {"source_id": {source_id}}
            )["figure_id"]
            changes.append(
                change_row(
                    version,
                    actor or default_actor(),
                    "withdraw",
                    source_id,
                    tuple(figures),
                    f"{note} (withdrawn in {folder.location})",
                )
            )
        if not changes:
            return f"nothing to import: the database already holds {folder.location}"
        for frame in changes:
            _copy_in(connection, descriptor.resources["changes"], frame)
        self._check_whole(connection, descriptor)
        withdrawn = len(changes) - (1 if any(added.values()) else 0)
        return (
            f"imported {folder.location}: {added.get('sources', 0)} reports and "
            f"{added.get('figures', 0)} figures added, {withdrawn} reports withdrawn; the "
            f"database is at version {version}"
        )

    def _check_whole(self, connection: psycopg.Connection[Any], descriptor: Descriptor) -> None:
        """Every rule over what the transaction would commit (raises DataValidationError)."""
        problems = ProblemList()
        text, reports = self._read_all(connection, descriptor, problems)
        check_dataset(self.location, descriptor, text, _reader(reports), problems)

    def read_text(self) -> tuple[dict[str, pd.DataFrame], dict[str, bytes], Descriptor]:
        problems = ProblemList()
        with self.transaction(read_only=True) as connection:
            descriptor = self._descriptor(connection)
            text, reports = self._read_all(connection, descriptor, problems)
        if problems:
            raise DataValidationError(problems)
        return {n: t for n, t in text.items() if t is not None}, reports, descriptor

    def dump(self, output: str | Path) -> Path:
        """Write the database out as a data-package folder that validates; ``output`` must be
        new or empty. Written beside it first and renamed into place when complete."""
        target = Path(output).expanduser().resolve()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise StoreError(f"{target} exists and is not an empty directory; choose a new one")
        text, reports, descriptor = self.read_text()
        return FolderStore.write_package(target, descriptor, text, reports)


class _CopyStream(io.RawIOBase):
    """The data of a ``COPY … TO STDOUT`` as a readable binary stream.

    PostgreSQL sends a message per row; each read here fills the caller's buffer with as many
    rows as fit, so the CSV reader asks a few hundred times for a million rows.
    """

    def __init__(self, copy: psycopg.Copy) -> None:
        self._rows = iter(copy)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view, size, filled = memoryview(buffer).cast("B"), len(buffer), 0
        pending = self._pending
        while filled < size:
            if not pending:
                pending = next(self._rows, b"")
                if not pending:
                    break
            take = min(size - filled, len(pending))
            view[filled : filled + take] = pending[:take]
            filled += take
            pending = pending[take:]
        self._pending = pending
        return filled


def _reader(reports: dict[str, bytes]) -> ReadReport:
    def read(path: str) -> bytes:
        if path not in reports:
            raise FileNotFoundError(path)
        return reports[path]

    return read


def _select_list(resource: Resource) -> sql.Composable:
    """Each column as the text a data-package file holds (dates as YYYY-MM-DD, booleans as the
    field's true and false words, times in UTC), named as in the file."""
    return sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(_as_text(f), sql.Identifier(f.name)) for f in resource.fields
    )


def _as_text(spec: Field) -> sql.Composable:
    column = sql.Identifier(spec.name)
    if spec.type == "date":
        return sql.SQL("to_char({}, 'YYYY-MM-DD')").format(column)
    if spec.type == "datetime":
        return sql.SQL("""to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')""").format(
            column
        )
    if spec.type == "boolean":
        return sql.SQL("CASE WHEN {} THEN {} WHEN NOT {} THEN {} END").format(
            column, sql.Literal(spec.true_values[0]), column, sql.Literal(spec.false_values[0])
        )
    if spec.type in ("integer", "number"):
        return sql.SQL("{}::text").format(column)
    return column


def _copy_in(
    connection: psycopg.Connection[Any], resource: Resource, frame: pd.DataFrame, table: str = ""
) -> None:
    """Append text rows with ``COPY … FROM STDIN``: an empty cell is NULL, a boolean is
    read by the field's own words."""
    columns = list(resource.field_names)
    frame = frame.reindex(columns=columns).fillna("").astype(str)
    for spec in resource.fields:
        if spec.type == "boolean":
            truth = {v: "true" for v in spec.true_values} | {v: "false" for v in spec.false_values}
            frame[spec.name] = frame[spec.name].map(lambda v, t=truth: t.get(v, v))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(frame.itertuples(index=False, name=None))
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(table or resource.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(buffer.getvalue())


def _insert_missing(
    connection: psycopg.Connection[Any], resource: Resource, frame: pd.DataFrame
) -> int:
    """Insert the rows whose primary key the table lacks, in order; a row whose key is stored
    with other values is a conflict. How many were inserted."""
    name, key = resource.name, list(resource.primary_key)
    staging = f"import_{name}"
    # The staging table numbers the folder's rows as they come, like the table itself.
    connection.execute(
        sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {}) ON COMMIT DROP").format(
            sql.Identifier(staging), sql.Identifier(name)
        )
    )
    connection.execute(
        sql.SQL("ALTER TABLE {} ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY").format(
            sql.Identifier(staging)
        )
    )
    _copy_in(connection, resource, frame, table=staging)
    columns = sql.SQL(", ").join(map(sql.Identifier, resource.field_names))
    joined = sql.SQL(" AND ").join(
        sql.SQL("s.{} = t.{}").format(sql.Identifier(k), sql.Identifier(k)) for k in key
    )
    conflict = connection.execute(
        sql.SQL(
            "SELECT {} FROM {} s JOIN {} t ON {} WHERE ROW({}) IS DISTINCT FROM ROW({}) LIMIT 1"
        ).format(
            sql.SQL(", ").join(sql.SQL("s.{}::text").format(sql.Identifier(k)) for k in key),
            sql.Identifier(staging),
            sql.Identifier(name),
            joined,
            sql.SQL(", ").join(
                sql.SQL("s.{}").format(sql.Identifier(c)) for c in resource.field_names
            ),
            sql.SQL(", ").join(
                sql.SQL("t.{}").format(sql.Identifier(c)) for c in resource.field_names
            ),
        )
    ).fetchone()
    if conflict is not None:
        raise ConflictError(
            f"{resource.path}: {'+'.join(key)} {', '.join(conflict)!r} is stored with other "
            "values in the database; nothing was imported"
        )
    inserted = connection.execute(
        sql.SQL(
            "INSERT INTO {} ({}) SELECT {} FROM {} s WHERE NOT EXISTS "
            "(SELECT 1 FROM {} t WHERE {}) ORDER BY s.seq"
        ).format(
            sql.Identifier(name),
            columns,
            sql.SQL(", ").join(
                sql.SQL("s.{}").format(sql.Identifier(c)) for c in resource.field_names
            ),
            sql.Identifier(staging),
            sql.Identifier(name),
            joined,
        )
    )
    return inserted.rowcount


def _require_tables_for(
    connection: psycopg.Connection[Any], descriptor: Descriptor, location: str
) -> None:
    """A package goes into the database only if its tables are the database's: the same
    tables with the same columns (the schema is this code's, see ``db init``)."""
    columns: dict[str, set[str]] = {}
    for table, column in connection.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND column_name <> 'seq'"
    ):
        columns.setdefault(table, set()).add(column)
    different = sorted(
        name
        for name, resource in descriptor.resources.items()
        if columns.get(name) != set(resource.field_names)
    )
    if different:
        raise ConflictError(
            f"{location} has tables of another shape than the database's "
            f"({', '.join(different)}); nothing was imported"
        )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
