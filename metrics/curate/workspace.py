"""The curators' workspace: accounts, drafts under review, the curation audit trail, settings.

None of it is the dataset: it never enters the data package, a dump or git. It lives beside
the store, in the same place every server of a deployment reaches:

- with the folder store, in an **instance directory** (``$METRICS_INSTANCE_DIR``, by default
  ``instance/`` beside ``data/``; git-ignored): JSON files written whole under a file lock;
- with PostgreSQL, in tables of the same database (``metrics db init`` makes them), so that
  several servers share accounts, sessions' key, drafts and the trail.

The audit trail records what the change log (``changes.csv``) does not: uploads, submissions,
reports sent back, approvals and withdrawals made in the browser, with who and when.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import json
import os
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from metrics.curate.accounts import Account
from metrics.curate.drafts import Draft, now
from metrics.errors import ConflictError, StoreError
from metrics.store import FolderStore, Store

INSTANCE_VARIABLE = "METRICS_INSTANCE_DIR"
SELF_APPROVAL = "self_approval"  # setting: "on" lets a curator approve their own submission
AUDIT_FIELDS = ("at", "actor", "action", "draft_id", "source_id", "figure_ids", "note")
ACTIONS = ("upload", "submit", "return", "approve", "withdraw", "account")


class Workspace(ABC):
    """Where a deployment keeps its curation state; see the module docstring."""

    location: str

    # accounts ---------------------------------------------------------------------------------

    @abstractmethod
    def accounts(self) -> list[Account]: ...

    def account(self, name: str) -> Account | None:
        return next((a for a in self.accounts() if a.name == name), None)

    @abstractmethod
    def put_account(self, account: Account, *, new: bool) -> None:
        """Store ``account``: a new one (refused if the name is taken) or a change of one."""

    # settings, and the key that signs sessions ------------------------------------------------

    @abstractmethod
    def setting(self, key: str) -> str | None: ...

    @abstractmethod
    def put_setting(self, key: str, value: str) -> None: ...

    def secret_key(self) -> str:
        """The key that signs session cookies: made on first use, then the same for every
        server of the deployment (a cookie signed by one is good on the others)."""
        key = self.setting("secret_key")
        if key is None:
            self.put_setting_once("secret_key", secrets.token_hex(32))
            key = self.setting("secret_key")
        assert key is not None
        return key

    @abstractmethod
    def put_setting_once(self, key: str, value: str) -> None:
        """Store ``value`` unless ``key`` has one already (two servers starting at once)."""

    # failed sign-ins, for throttling ------------------------------------------------------------

    @abstractmethod
    def note_failure(self, keys: Sequence[str]) -> None: ...

    @abstractmethod
    def failures(self, key: str, seconds: float) -> int:
        """How many failed sign-ins ``key`` (an account, an address) had in the last seconds."""

    # drafts ---------------------------------------------------------------------------------------

    @abstractmethod
    def drafts(self) -> list[Draft]:
        """Every draft, newest first."""

    @abstractmethod
    def draft(self, draft_id: str) -> Draft | None: ...

    @abstractmethod
    def original(self, draft_id: str) -> bytes:
        """The file a draft was uploaded as, byte for byte."""

    @abstractmethod
    def save_draft(self, draft: Draft, original: bytes | None = None) -> Draft:
        """Store ``draft`` as its next revision. Refused (ConflictError) when the stored
        revision is not the one the draft was read at: someone saved it meanwhile, and
        writing over it would lose their work. ``original`` is given once, when uploaded."""

    # the audit trail -----------------------------------------------------------------------------

    @abstractmethod
    def record(
        self,
        actor: str,
        action: str,
        *,
        draft_id: str = "",
        source_id: str = "",
        figure_ids: Sequence[str] = (),
        note: str = "",
    ) -> None: ...

    @abstractmethod
    def audit(self) -> list[dict[str, str]]:
        """Every recorded action, oldest first."""


def open_workspace(store: Store, instance_dir: str | Path | None = None) -> Workspace:
    """The workspace that goes with ``store``: the database's tables, or an instance folder."""
    if isinstance(store, FolderStore):
        chosen = instance_dir or os.environ.get(INSTANCE_VARIABLE)
        directory = Path(chosen) if chosen else store.directory.parent / "instance"
        return FolderWorkspace(directory)
    from metrics.curate.workspace_pg import PostgresWorkspace

    return PostgresWorkspace(store.url)  # type: ignore[attr-defined]


def _stamp(seconds_ago: float = 0) -> float:
    return dt.datetime.now(dt.UTC).timestamp() - seconds_ago


class FolderWorkspace(Workspace):
    """An instance directory of JSON files, each rewritten whole (to a temporary name, then
    renamed) under one ``flock``: a reader sees a file before or after a change, never half."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).expanduser().resolve()
        self.location = str(self.directory)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            (self.directory / "drafts").mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(
                f"cannot use the instance directory {self.location}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read(self, name: str, default: Any) -> Any:
        try:
            return json.loads((self.directory / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return default

    def _write(self, name: str, data: Any) -> None:
        _write_whole(self.directory / name, json.dumps(data, ensure_ascii=False).encode())

    def accounts(self) -> list[Account]:
        return [Account(**a) for a in self._read("accounts.json", [])]

    def put_account(self, account: Account, *, new: bool) -> None:
        with self._locked():
            accounts = {a["name"]: a for a in self._read("accounts.json", [])}
            if new and account.name in accounts:
                raise ConflictError(f"there is already an account {account.name!r}")
            if not new and account.name not in accounts:
                raise ConflictError(f"there is no account {account.name!r}")
            accounts[account.name] = asdict(account)
            self._write("accounts.json", list(accounts.values()))

    def setting(self, key: str) -> str | None:
        return self._read("settings.json", {}).get(key)

    def put_setting(self, key: str, value: str) -> None:
        with self._locked():
            self._write("settings.json", {**self._read("settings.json", {}), key: value})

    def put_setting_once(self, key: str, value: str) -> None:
        with self._locked():
            settings = self._read("settings.json", {})
            if key not in settings:
                self._write("settings.json", {**settings, key: value})

    def note_failure(self, keys: Sequence[str]) -> None:
        with self._locked():
            recent = self._recent_failures()
            for key in keys:
                recent.setdefault(key, []).append(_stamp())
            self._write("sign-in-failures.json", recent)

    def _recent_failures(self) -> dict[str, list[float]]:
        """The failures of the last hour (older ones are dropped as the file is rewritten)."""
        since = _stamp(3600)
        return {
            key: kept
            for key, times in self._read("sign-in-failures.json", {}).items()
            if (kept := [t for t in times if t > since])
        }

    def failures(self, key: str, seconds: float) -> int:
        since = _stamp(seconds)
        return sum(t > since for t in self._read("sign-in-failures.json", {}).get(key, []))

    def drafts(self) -> list[Draft]:
        found = [
            Draft.from_json(json.loads(p.read_text(encoding="utf-8")))
            for p in (self.directory / "drafts").glob("*.json")
        ]
        return sorted(found, key=lambda d: d.updated_at, reverse=True)

    def draft(self, draft_id: str) -> Draft | None:
        if not _is_id(draft_id):
            return None
        data = self._read(f"drafts/{draft_id}.json", None)
        return Draft.from_json(data) if data is not None else None

    def original(self, draft_id: str) -> bytes:
        if not _is_id(draft_id):
            raise FileNotFoundError(draft_id)
        return (self.directory / "drafts" / f"{draft_id}.original").read_bytes()

    def save_draft(self, draft: Draft, original: bytes | None = None) -> Draft:
        with self._locked():
            stored = self.draft(draft.id)
            stored_revision = stored.revision if stored is not None else 0
            if stored_revision != draft.revision:
                raise ConflictError(
                    f"this report was saved by someone else meanwhile (revision "
                    f"{stored_revision}, not {draft.revision}); reload it to see their changes"
                )
            if original is not None:
                _write_whole(self.directory / "drafts" / f"{draft.id}.original", original)
            saved = _next_revision(draft)
            self._write(f"drafts/{draft.id}.json", saved.to_json())
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
        row = dict(
            zip(
                AUDIT_FIELDS,
                (now(), actor, action, draft_id, source_id, "|".join(figure_ids), note),
                strict=True,
            )
        )
        with self._locked():
            path = self.directory / "audit.csv"
            fresh = not path.exists()
            with path.open("a", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=AUDIT_FIELDS, lineterminator="\n")
                if fresh:
                    writer.writeheader()
                writer.writerow(row)
                f.flush()
                os.fsync(f.fileno())

    def audit(self) -> list[dict[str, str]]:
        try:
            with (self.directory / "audit.csv").open(encoding="utf-8", newline="") as f:
                return list(csv.DictReader(f))
        except FileNotFoundError:
            return []


def _next_revision(draft: Draft) -> Draft:
    return replace(draft, revision=draft.revision + 1, updated_at=now())


def _is_id(draft_id: str) -> bool:
    """A draft id as made (hexadecimal): what is put into a path is never a path itself."""
    return len(draft_id) == 12 and all(c in "0123456789abcdef" for c in draft_id)


def _write_whole(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(temporary, 0o600)  # accounts and drafts are nobody else's business
    os.replace(temporary, path)
