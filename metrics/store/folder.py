"""The data-package folder as a store: the embedded default, reviewable and git-friendly.

A change only ever appends: new rows at the end of the tables, a new report file, a row of the
change log (a withdrawal is a row there too). So a change costs what it adds, not the size of
the dataset, and every existing byte stays as it was.

All or nothing, even when killed (``kill -9``, a power cut after the change said it was
saved excepted — see below):

1. A change holds an exclusive lock (``flock`` on ``.metrics-lock`` in the folder) from its
   first read to the end, so changes run one at a time and each sees the one before it.
   Readers hold the lock shared while they read the files, so no reader sees half a change.
2. Before writing, it records each table's length and the files it will create in a journal
   (``.metrics-journal``, written to a temporary name, flushed to disk, then renamed).
3. It writes, flushes every file to disk (``fsync``), and deletes the journal: that is the
   moment the change is done, and only then does the command say it was saved.
4. Whoever takes the lock next and finds a journal undoes the change it describes: the tables
   are cut back to their recorded lengths and the new files deleted.

One machine only: ``flock`` does not coordinate servers on other machines (PostgreSQL does).
A folder mounted read-only is read without the lock, and refuses changes with a message.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import io
import json
import os
import shutil
import tempfile
import time
import zlib
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metrics.dataset import Dataset, check_dataset, resolve_data_dir
from metrics.errors import DataValidationError, Problem, StoreError
from metrics.schema import Descriptor, ProblemList, read_descriptor, read_text_table
from metrics.store.base import Change, Store, files_of
from metrics.store.check import Where

LOCK_NAME = ".metrics-lock"
JOURNAL_NAME = ".metrics-journal"
LOCK_TIMEOUT = 60.0  # seconds a change or a reader waits for the lock before giving up
# A table file larger than this is not read whole for a change: only the columns a change
# looks up are, and the rows it needs fetched by position (the figures at national scale).
BIG_TABLE_BYTES = 4 * 2**20


@dataclass
class _FolderChange(Change):
    """A change's reads of the folder, kept for the length of the change."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


class FolderStore(Store):
    """A data-package folder (``data/`` unless told otherwise); see the module docstring."""

    kind = "folder"

    def __init__(self, data_dir: str | Path | None = None, lock_timeout: float = LOCK_TIMEOUT):
        self.directory = resolve_data_dir(data_dir)
        self.location = str(self.directory)
        self.lock_timeout = lock_timeout

    # --- reading ---------------------------------------------------------------------------

    def load(self) -> Dataset:
        """Read every table under the shared lock, then check them outside it."""
        self._require_directory()
        problems = ProblemList()
        with self._lock(exclusive=False):
            descriptor = read_descriptor(self.directory / "datapackage.json")
            text = {
                name: read_text_table(self.directory / resource.path, resource.path, problems)
                for name, resource in descriptor.resources.items()
            }
            origin = self._origin(descriptor)
            stamp = self.stamp()
        return check_dataset(
            self.location, descriptor, text, self._read_report, problems, stamp, origin
        )

    def _origin(self, descriptor: Descriptor) -> dict[str, tuple[int, int]]:
        """Each table file's length and checksum: the rows added later are the bytes after
        that length, if the bytes before it are still the same."""
        origin = {}
        for resource in descriptor.resources.values():
            path = self.directory / resource.path
            origin[resource.path] = (_size(path), _checksum(path, _size(path)))
        return origin

    def _added_since(
        self, previous: Dataset
    ) -> tuple[dict[str, pd.DataFrame], dict[str, bytes], Hashable, Any] | None:
        if not isinstance(previous.origin, dict) or not self.directory.is_dir():
            return None
        problems = ProblemList()
        with self._lock(exclusive=False):
            try:
                descriptor = read_descriptor(self.directory / "datapackage.json")
            except DataValidationError:
                return None
            if descriptor.text != previous.descriptor.text:
                return None
            added: dict[str, pd.DataFrame] = {}
            for name, resource in descriptor.resources.items():
                path = self.directory / resource.path
                length, checksum = previous.origin.get(resource.path, (-1, 0))
                if _size(path) < length or _checksum(path, length) != checksum:
                    return None  # not only appended to: a hand edit, a restored copy
                with path.open("rb") as f:
                    header = f.readline()
                    f.seek(length)
                    more = f.read()
                frame = read_text_table(io.BytesIO(header + more), resource.path, problems)
                if frame is None:
                    return None
                added[name] = frame
            reports = {path: self._read_report(path) for path in files_of(added["sources"])}
            origin = self._origin(descriptor)
            stamp = self.stamp()
        return added, reports, stamp, origin

    def stamp(self) -> Hashable:
        """Size and modification time of every file of the package: an add appends to the
        change log, and a hand edit changes a file, so either moves the stamp."""
        paths = [self.directory / "datapackage.json"]
        with contextlib.suppress(DataValidationError):
            descriptor = read_descriptor(paths[0])
            paths += [self.directory / r.path for r in descriptor.resources.values()]
        stamp = []
        for path in paths:
            try:
                info = path.stat()
            except OSError:
                stamp.append((path.name, None, None))
                continue
            stamp.append((path.name, info.st_size, info.st_mtime_ns))
        return tuple(stamp)

    def history(self) -> pd.DataFrame:
        with self._lock(exclusive=False):
            descriptor = read_descriptor(self.directory / "datapackage.json")
            return self._read_whole(descriptor, "changes")

    def read_text(self) -> tuple[dict[str, pd.DataFrame], dict[str, bytes], Descriptor]:
        """Every table as text, every report's bytes and the descriptor, as of one moment."""
        self._require_directory()
        with self._lock(exclusive=False):
            descriptor = read_descriptor(self.directory / "datapackage.json")
            text = {name: self._read_whole(descriptor, name) for name in descriptor.resources}
            reports = {path: self._read_report(path) for path in files_of(text["sources"])}
        return text, reports, descriptor

    @staticmethod
    def write_package(
        target: Path,
        descriptor: Descriptor,
        text: dict[str, pd.DataFrame],
        reports: dict[str, bytes],
    ) -> Path:
        """Write a whole package as a new folder ``target``: built beside it, checked by every
        rule, then renamed into place, so ``target`` is complete or absent."""
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            (staging / "datapackage.json").write_text(descriptor.text, encoding="utf-8")
            for name, frame in text.items():
                path = staging / descriptor.resources[name].path
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("w", encoding="utf-8", newline="") as f:
                    writer = csv.writer(f, lineterminator="\n")
                    writer.writerow(frame.columns)
                    writer.writerows(frame.itertuples(index=False, name=None))
            for relative, content in reports.items():
                (staging / relative).parent.mkdir(parents=True, exist_ok=True)
                (staging / relative).write_bytes(content)
            FolderStore(staging).load()
            (staging / LOCK_NAME).unlink(missing_ok=True)
            if target.is_dir():
                target.rmdir()  # empty, as the caller checked
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def _read_report(self, path: str) -> bytes:
        return (self.directory / path).read_bytes()

    def _read_whole(self, descriptor: Descriptor, table: str) -> pd.DataFrame:
        problems = ProblemList()
        resource = descriptor.resources[table]
        frame = read_text_table(self.directory / resource.path, resource.path, problems)
        if frame is None:
            raise DataValidationError(problems)
        return frame

    def _require_directory(self) -> None:
        if not self.directory.is_dir():
            raise DataValidationError(
                [Problem(self.location, None, None, None, "data directory does not exist")]
            )

    # --- the change protocol (see Store) -------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Change]:
        self._require_directory()
        with self._lock(exclusive=True):
            change = _FolderChange(read_descriptor(self.directory / "datapackage.json"))
            yield change
            self._commit(change)

    def _rows(self, change: Change, table: str, where: Where | None) -> pd.DataFrame:
        assert isinstance(change, _FolderChange)
        resource = change.descriptor.resources[table]
        path = self.directory / resource.path
        if table not in change.tables and where is not None and _size(path) > BIG_TABLE_BYTES:
            return self._scan(change, table, where)
        if table not in change.tables:
            change.tables[table] = self._read_whole(change.descriptor, table)
            change.counts[table] = len(change.tables[table])
        frame = change.tables[table]
        return frame if where is None else frame[_matches(frame, where)]

    def _scan(self, change: _FolderChange, table: str, where: Where) -> pd.DataFrame:
        """Rows of a big table: find the matching rows, then read only those.

        A lookup by the first column (a figure's id, as every add does) reads the file's bytes
        without parsing them into values (:func:`first_column_matches`); others read the
        looked-up columns with pandas.
        """
        resource = change.descriptor.resources[table]
        path = self.directory / resource.path
        if list(where) == [resource.field_names[0]]:
            change.counts[table], records = first_column_matches(
                path, where[resource.field_names[0]]
            )
        else:
            keys = pd.read_csv(
                path, usecols=sorted(where), dtype=str, keep_default_na=False, na_filter=False
            )
            change.counts[table] = len(keys)
            records = np.flatnonzero(_matches(keys, where)) + 1
        wanted = set(records.tolist())  # data rows, 1-based: the file's lines after the header
        if not wanted:
            return pd.DataFrame(columns=list(resource.field_names))
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skiprows=lambda line: line != 0 and line not in wanted,
        )

    def _count(self, change: Change, table: str) -> int:
        assert isinstance(change, _FolderChange)
        if table not in change.counts:
            first = change.descriptor.resources[table].field_names[0]
            self._rows(change, table, {first: set()})
        return change.counts[table]

    def _report(self, change: Change, path: str) -> bytes:
        return self._read_report(path)

    # --- writing durably ---------------------------------------------------------------------

    def _commit(self, change: Change) -> None:
        """Append the change's rows and create its reports, journaled (module docstring)."""
        resources = change.descriptor.resources
        appends = {resources[name].path: rows for name, rows in change.appended.items() if rows}
        if not appends and not change.reports:
            return
        journal = {
            "sizes": {path: _size(self.directory / path) for path in appends},
            "created": sorted(change.reports),
        }
        _write_durably(self.directory / JOURNAL_NAME, json.dumps(journal).encode())
        try:
            for relative, content in change.reports.items():
                _create(self.directory / relative, content)
            for relative, rows in appends.items():
                _append_rows(self.directory / relative, rows)
            for directory in {(self.directory / p).parent for p in change.reports}:
                _fsync_directory(directory)
        except BaseException:  # Ctrl-C too: the folder goes back to where it was
            self._undo(journal)
            raise
        _finish(self.directory)

    def _recover(self) -> bool:
        """Undo a change that was interrupted (its journal is still there); True if one was."""
        (self.directory / (JOURNAL_NAME + ".tmp")).unlink(missing_ok=True)
        path = self.directory / JOURNAL_NAME
        if not path.exists():
            return False
        self._undo(json.loads(path.read_text(encoding="utf-8")))
        return True

    def _undo(self, journal: dict) -> None:
        for relative, size in journal["sizes"].items():
            target = self.directory / relative
            if _size(target) > size:
                with target.open("r+b") as f:
                    f.truncate(size)
                    os.fsync(f.fileno())
        for relative in journal["created"]:
            (self.directory / relative).unlink(missing_ok=True)
        for directory in {(self.directory / p).parent for p in journal["created"]}:
            _fsync_directory(directory)
        (self.directory / JOURNAL_NAME).unlink(missing_ok=True)
        _fsync_directory(self.directory)

    # --- the lock ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self, *, exclusive: bool) -> Iterator[None]:
        """The folder's lock, exclusive for a change, shared for a reader; an interrupted
        change is undone first, whoever comes next."""
        try:
            fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise
            if exclusive:
                raise StoreError(
                    f"cannot change {self.location}: it is read-only here ({exc.strerror})"
                ) from None
            if (self.directory / JOURNAL_NAME).exists():
                raise StoreError(
                    f"{self.location} holds an interrupted change, and it is read-only here: "
                    "run `python -m metrics validate` where it can be written to undo it"
                ) from None
            yield  # nobody can change a read-only folder: nothing to lock against
            return
        try:
            journal = self.directory / JOURNAL_NAME
            holding = exclusive or journal.exists()
            self._acquire(fd, holding)
            if not holding and journal.exists():  # a change died between our look and now
                self._acquire(fd, True)
                holding = True
            if holding:
                self._recover()  # only ever with the lock held exclusively
                if not exclusive:
                    fcntl.flock(fd, fcntl.LOCK_SH)  # back to sharing with other readers
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _acquire(self, fd: int, exclusive: bool) -> None:
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(fd, mode)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{self.location} has been busy with another change for "
                        f"{self.lock_timeout:.0f} s; nothing was changed, try again"
                    ) from None
                time.sleep(0.02)


_CHUNK = 16 * 2**20  # bytes looked at in one numpy pass: bounds the memory of a scan
_PREFIX = 16  # bytes of each row's start compared at once before an exact comparison


def first_column_matches(path: Path, values: set[str]) -> tuple[int, np.ndarray]:
    """How many data rows a CSV file has, and which (1-based) start with one of ``values`` as
    their first field, found in the file's bytes at the speed of numpy, a chunk at a time (a
    scan of a million figures holds a few megabytes, not the file).

    A row ends at a line break outside quotes: CSV doubles a quote inside a quoted field, so a
    line break ends a row exactly when the quotes before it are even in number. The first
    field is compared as written, unquoted, which is how the ids of a valid package are
    written (their pattern allows no comma, quote or line break).
    """
    targets = sorted({v.encode("utf-8") + b"," for v in values})
    overlap = max((len(t) for t in targets), default=0)
    rows, quotes, found = 0, 0, []
    with path.open("rb") as f:
        offset = 0
        while data := f.read(_CHUNK + overlap):
            # The chunk's own bytes end at _CHUNK; the overlap lets a row starting near the
            # end be compared whole.
            buffer = np.frombuffer(data, dtype=np.uint8)
            part = buffer[:_CHUNK]
            breaks = np.flatnonzero(part == 10)
            marks = np.flatnonzero(part == 34)
            starts = breaks[(quotes + np.searchsorted(marks, breaks)) % 2 == 0] + 1
            starts = starts[starts < len(buffer)]  # a break at the file's end starts no row
            found += [rows + i + 1 for i in _rows_starting_with(data, buffer, starts, targets)]
            rows += len(starts)
            quotes += len(marks)
            offset += _CHUNK
            f.seek(offset)
    return rows, np.array(found, dtype=np.int64)


def _rows_starting_with(
    data: bytes, buffer: np.ndarray, starts: np.ndarray, targets: list[bytes]
) -> list[int]:
    """Indices of the ``starts`` at which one of ``targets`` (``id,``) is written."""
    if not targets or not len(starts):
        return []
    width = min(_PREFIX, *(len(t) for t in targets))
    window = np.empty((len(starts), width), dtype=np.uint8)
    for column in range(width):  # a column at a time: a row-by-width index would be 8× larger
        window[:, column] = buffer[np.minimum(starts + column, len(buffer) - 1)]
    prefixes = np.array(sorted({t[:width] for t in targets}), dtype=f"S{width}")
    candidates = np.flatnonzero(np.isin(window.view(f"S{width}").ravel(), prefixes))
    return [
        i for i in candidates.tolist() if any(data.startswith(t, int(starts[i])) for t in targets)
    ]


def _matches(frame: pd.DataFrame, where: Where) -> np.ndarray:
    mask = np.zeros(len(frame), dtype=bool)
    for column, values in where.items():
        mask |= frame[column].isin(list(values)).to_numpy()
    return mask


def _checksum(path: Path, length: int) -> int:
    """CRC-32 of the first ``length`` bytes of ``path`` (a million figures: a tenth of a
    second), read a chunk at a time."""
    checksum, left = 0, length
    if left <= 0:  # nothing to check (a missing table reads as empty: its problem is reported)
        return checksum
    with path.open("rb") as f:
        while left > 0 and (chunk := f.read(min(_CHUNK, left))):
            checksum = zlib.crc32(chunk, checksum)
            left -= len(chunk)
    return checksum


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """Append rows in the file's own column order, after a line break if the file lacks its
    last one (a hand edit), leaving every existing byte as it was; flushed to disk."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    with path.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        if size:
            f.seek(size - 1)
        ends_cleanly = size == 0 or f.read(1) == b"\n"
    with path.open("a", encoding="utf-8", newline="") as f:
        if not ends_cleanly:
            f.write("\n")
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        writer.writerows({c: row.get(c, "") for c in header} for row in rows)
        f.flush()
        os.fsync(f.fileno())


def _create(path: Path, content: bytes) -> None:
    if not path.parent.is_dir():  # sources/originals/ for the first file received as such
        path.parent.mkdir(parents=True)
        _fsync_directory(path.parent.parent)
    try:
        with path.open("xb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
    except FileExistsError:
        raise StoreError(
            f"{path} already exists, though no report in the dataset is stored there; "
            "move it away or choose another source id"
        ) from None


def _write_durably(path: Path, content: bytes) -> None:
    """Write a file so that it is either absent or complete on disk, whatever happens."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _finish(directory: Path) -> None:
    """The moment a change is done: its journal goes, durably. Killed before this, the change
    is undone by whoever comes next; after it, the change stays."""
    (directory / JOURNAL_NAME).unlink()
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make renames, creations and deletions in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
