"""The curators' workspace in PostgreSQL: tables beside the dataset's (schema revision 0002),
shared by every server that uses the database (see :mod:`metrics.curate.workspace`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from metrics.curate.accounts import Account
from metrics.curate.drafts import Draft, now
from metrics.curate.workspace import AUDIT_FIELDS, Workspace, _is_id, _next_revision
from metrics.errors import ConflictError
from metrics.store.postgres import PostgresStore


class PostgresWorkspace(Workspace):
    def __init__(self, url: str) -> None:
        self._store = PostgresStore(url)  # its connections: one transaction, clear errors
        self.location = self._store.location

    def accounts(self) -> list[Account]:
        with self._store.transaction(read_only=True) as connection:
            rows = connection.execute(
                "SELECT name, role, password_hash, disabled, created_at FROM accounts ORDER BY name"
            ).fetchall()
        return [Account(*row) for row in rows]

    def put_account(self, account: Account, *, new: bool) -> None:
        with self._store.transaction() as connection:
            if new:
                inserted = connection.execute(
                    "INSERT INTO accounts (name, role, password_hash, disabled, created_at) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO NOTHING",
                    [
                        account.name,
                        account.role,
                        account.password_hash,
                        account.disabled,
                        account.created_at,
                    ],
                )
                if inserted.rowcount == 0:
                    raise ConflictError(f"there is already an account {account.name!r}")
                return
            updated = connection.execute(
                "UPDATE accounts SET role = %s, password_hash = %s, disabled = %s WHERE name = %s",
                [account.role, account.password_hash, account.disabled, account.name],
            )
            if updated.rowcount == 0:
                raise ConflictError(f"there is no account {account.name!r}")

    def setting(self, key: str) -> str | None:
        with self._store.transaction(read_only=True) as connection:
            row = connection.execute("SELECT value FROM settings WHERE key = %s", [key]).fetchone()
        return row[0] if row else None

    def put_setting(self, key: str, value: str) -> None:
        with self._store.transaction() as connection:
            connection.execute(
                "INSERT INTO settings (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    def put_setting_once(self, key: str, value: str) -> None:
        with self._store.transaction() as connection:
            connection.execute(
                "INSERT INTO settings (key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [key, value],
            )

    def note_failure(self, keys: Sequence[str]) -> None:
        with self._store.transaction() as connection:
            connection.execute("DELETE FROM sign_in_failures WHERE at < now() - interval '1 hour'")
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO sign_in_failures (key) VALUES (%s)", [[k] for k in keys]
                )

    def failures(self, key: str, seconds: float) -> int:
        with self._store.transaction(read_only=True) as connection:
            row = connection.execute(
                "SELECT count(*) FROM sign_in_failures WHERE key = %s "
                "AND at > now() - make_interval(secs => %s)",
                [key, seconds],
            ).fetchone()
        return int(row[0]) if row else 0

    def drafts(self) -> list[Draft]:
        with self._store.transaction(read_only=True) as connection:
            rows = connection.execute("SELECT data FROM drafts ORDER BY updated_at DESC").fetchall()
        return [Draft.from_json(json.loads(row[0])) for row in rows]

    def draft(self, draft_id: str) -> Draft | None:
        if not _is_id(draft_id):
            return None
        with self._store.transaction(read_only=True) as connection:
            row = connection.execute("SELECT data FROM drafts WHERE id = %s", [draft_id]).fetchone()
        return Draft.from_json(json.loads(row[0])) if row else None

    def original(self, draft_id: str) -> bytes:
        with self._store.transaction(read_only=True) as connection:
            row = connection.execute(
                "SELECT original FROM drafts WHERE id = %s", [draft_id]
            ).fetchone()
        if row is None or row[0] is None:
            raise FileNotFoundError(draft_id)
        return bytes(row[0])

    def save_draft(self, draft: Draft, original: bytes | None = None) -> Draft:
        saved = _next_revision(draft)
        data = json.dumps(saved.to_json(), ensure_ascii=False)
        with self._store.transaction() as connection:
            # The revision the draft was read at must still be the stored one: the row is
            # locked while it is compared and written, so two saves cannot both pass.
            row = connection.execute(
                "SELECT revision FROM drafts WHERE id = %s FOR UPDATE", [draft.id]
            ).fetchone()
            stored_revision = row[0] if row else 0
            if stored_revision != draft.revision:
                raise ConflictError(
                    f"this report was saved by someone else meanwhile (revision "
                    f"{stored_revision}, not {draft.revision}); reload it to see their changes"
                )
            if row is None:
                connection.execute(
                    "INSERT INTO drafts (id, revision, updated_at, data, original) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    [saved.id, saved.revision, saved.updated_at, data, original],
                )
            else:
                connection.execute(
                    "UPDATE drafts SET revision = %s, updated_at = %s, data = %s, "
                    "original = coalesce(%s, original) WHERE id = %s",
                    [saved.revision, saved.updated_at, data, original, saved.id],
                )
        return saved

    def record(
        self,
        actor: str,
        action: str,
        *,
        draft_id: str = "",
        source_id: str = "",
        figure_ids: Sequence[str] = (),
        note: str = "",
    ) -> None:
        with self._store.transaction() as connection:
            connection.execute(
                "INSERT INTO audit (at, actor, action, draft_id, source_id, figure_ids, note) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [now(), actor, action, draft_id, source_id, "|".join(figure_ids), note],
            )

    def audit(self) -> list[dict[str, str]]:
        with self._store.transaction(read_only=True) as connection:
            rows = connection.execute(
                f"SELECT {', '.join(AUDIT_FIELDS)} FROM audit ORDER BY seq"
            ).fetchall()
        return [dict(zip(AUDIT_FIELDS, row, strict=True)) for row in rows]
