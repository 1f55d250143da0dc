"""One interface over the stores of the dataset: what reading and changing it means.

A store holds a data package: the folder (:mod:`metrics.store.folder`, the embedded default)
or a PostgreSQL database (:mod:`metrics.store.postgres`, shared by several servers). Both
answer the same calls with the same results and messages, because everything that decides —
the rules, what counts as already present, the change log — is here and in
:mod:`metrics.store.check`; a store only reads rows, appends rows and keeps changes apart.

A change is all or nothing and serialized per store: a store's :meth:`Store._writing` holds
its lock (a file lock, a database transaction) from the first read of the change's checks to
the moment the change is durable, so two curators' adds never see or overwrite each other's
half, and what a call returns as saved is there afterwards.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from metrics.changes import split_withdrawn
from metrics.dataset import Dataset, concat_rows, figure_view_of
from metrics.errors import ConflictError, DataValidationError, Problem, StoreError
from metrics.rules import as_objects
from metrics.schema import Descriptor
from metrics.store.check import Where, check_new_rows, check_rows, lookups, unchanged_problem

Row = Mapping[str, str]


@dataclass(frozen=True)
class NewReport:
    """A report to add: its files and its rows, by table, as text.

    ``files`` maps a path of the package to its bytes: the report's text (its sources row's
    ``path``) and, for a report received as a .docx, .pdf or .html file, that file
    (``original_path``). ``rows["sources"]`` holds the report's own row; other tables hold
    what it adds (its figures and their industries, a new event or company). Rows that are
    already stored, identical, are left out of the change; a row that differs from the stored
    one with its key is refused. ``references`` are rows of reference tables the report needs
    (a city from the national list): added where the store lacks their key, left alone where
    it has one.
    """

    source_id: str
    files: Mapping[str, bytes]
    rows: Mapping[str, Sequence[Row]]
    references: Mapping[str, Sequence[Row]] = field(default_factory=dict)

    @property
    def text_path(self) -> str:
        return _one(self.rows.get("sources", ()), "sources")["path"]

    @property
    def content(self) -> bytes:
        """The report's text, as stored (UTF-8)."""
        return self.files[self.text_path]


@dataclass(frozen=True)
class AddResult:
    source_id: str
    source_added: bool
    added: tuple[str, ...]  # figure ids added
    unchanged: tuple[str, ...]  # figure ids already present, identical
    version: int | None  # the new dataset version; None when nothing changed


@dataclass(frozen=True)
class WithdrawResult:
    source_id: str
    figures: tuple[str, ...]  # the figure ids that left the live dataset
    version: int


@dataclass
class Change:
    """What a change reads and writes while it holds the store's lock (see ``_writing``)."""

    descriptor: Descriptor
    appended: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    reports: dict[str, bytes] = field(default_factory=dict)  # sources.path -> bytes


class Store(ABC):
    """A dataset's home; see the module docstring."""

    kind: str  # "folder" or "postgresql", for messages and the README
    location: str  # a folder's path, a database's URL without its password

    @abstractmethod
    def load(self) -> Dataset:
        """The whole dataset, checked by every rule, as of one moment of the store."""

    @abstractmethod
    def stamp(self) -> Hashable:
        """A cheap token that changes whenever the stored data may have changed."""

    def refresh(self, previous: Dataset) -> Dataset:
        """The store's dataset now, built on ``previous`` where the store has only gained rows
        since it was read (what adds and withdrawals do): the new rows are checked by every
        rule against the rows they refer to, and joined to ``previous``'s tables. The result
        is what :meth:`load` gives, in a fraction of the time at national scale. Anything else
        (a hand edit, a changed descriptor) means a full :meth:`load`.
        """
        added = self._added_since(previous)
        if added is None:
            return self.load()
        rows, reports, stamp, origin = added
        return extend(previous, rows, reports, stamp, origin)

    @abstractmethod
    def _added_since(
        self, previous: Dataset
    ) -> tuple[dict[str, pd.DataFrame], dict[str, bytes], Hashable, Any] | None:
        """The rows (as text, by table) and reports added since ``previous`` was read, with the
        new stamp and origin; None unless rows were only added."""

    @abstractmethod
    def history(self) -> pd.DataFrame:
        """The change log, as text, oldest first (see ``changes.csv``)."""

    @abstractmethod
    def read_text(self) -> tuple[dict[str, pd.DataFrame], dict[str, bytes], Descriptor]:
        """Every table as text (as a folder's files hold it), every report's bytes by its
        path, and the descriptor, as of one moment: what a copy of the package is made of."""

    # What a store implements for changes; all run inside ``_writing``.

    @abstractmethod
    def _writing(self) -> contextlib.AbstractContextManager[Change]:
        """Hold the store's write lock; on a clean exit make ``appended`` and ``reports``
        durable at once, on an exception leave the store exactly as it was."""

    @abstractmethod
    def _rows(self, change: Change, table: str, where: Where | None) -> pd.DataFrame:
        """Stored rows of ``table`` as text: those where a column of ``where`` holds one of
        its values, or all rows."""

    @abstractmethod
    def _count(self, change: Change, table: str) -> int:
        """How many rows ``table`` holds."""

    @abstractmethod
    def _report(self, change: Change, path: str) -> bytes:
        """A stored report's bytes by its ``sources.path``; OSError when there is none."""

    # The changes themselves: the same logic for every store.

    def add(self, report: NewReport, *, actor: str | None = None) -> AddResult:
        """Add ``report``'s rows and files as one change, or refuse and change nothing.

        Raises :class:`ConflictError` when the report or a row clashes with what is stored
        (another report under its id, a withdrawn report, a stored row with the same key and
        other values) and :class:`DataValidationError` when a rule is broken.
        """
        return self._add(report, actor, dry_run=False)

    def check(self, report: NewReport) -> Checked:
        """What adding ``report`` now would run into, without changing anything: the problems
        :meth:`add` would list (numbered as they would be), or a clash as one problem."""
        try:
            self._add(report, None, dry_run=True)
        except ConflictError as exc:
            return Checked([Problem(report.source_id, None, None, None, str(exc))], {})
        except _DryRun as run:
            return Checked(run.problems, run.first_rows)
        raise AssertionError("a dry run always ends in _DryRun")  # pragma: no cover

    def _add(self, report: NewReport, actor: str | None, *, dry_run: bool) -> AddResult:
        with self._writing() as change:
            descriptor = change.descriptor
            _require_change_log(descriptor, self.location)
            stored_source = self._rows(change, "sources", {"source_id": {report.source_id}})
            withdrawn = self._withdrawn(change)
            if report.source_id in withdrawn:
                raise ConflictError(
                    f"report {report.source_id!r} was withdrawn at version "
                    f"{withdrawn[report.source_id]}; add it again under a new source id"
                )
            source_added = stored_source.empty
            if not source_added and self._report(change, stored_source["path"].iloc[0]) != (
                report.content
            ):
                raise ConflictError(
                    f"a different report already has the source id {report.source_id!r}; "
                    "choose another source id"
                )
            new = _frames(descriptor, report.rows)
            references = _frames(descriptor, report.references)
            where = lookups(descriptor, {**references, **new} | _joined(new, references))
            stored = {
                name: self._rows(change, name, wanted)
                for name, wanted in where.items()
                if name in descriptor.resources
            }
            new = _with_missing(descriptor, new, references, stored)
            new, unchanged = _drop_stored(descriptor, new, stored)
            figures = tuple(new["figures"]["figure_id"]) if "figures" in new else ()
            if not new:
                if dry_run:
                    raise _DryRun([], {})
                return AddResult(report.source_id, False, (), unchanged, None)
            version = _next_version(stored["changes"])
            new["changes"] = change_row(version, actor, "add", report.source_id, figures)
            counts = {name: self._count(change, name) for name in new}

            def read_report(wanted: str) -> bytes:
                if wanted in report.files:
                    return report.files[wanted]
                return self._report(change, wanted)

            problems = sorted(
                check_new_rows(descriptor, new, stored, counts, read_report),
                key=lambda p: p.sort_key,
            )
            if dry_run:
                raise _DryRun(problems, {name: count + 1 for name, count in counts.items()})
            if problems:
                raise DataValidationError([*problems, unchanged_problem(self.location, "added")])
            change.appended = {name: rows.to_dict("records") for name, rows in new.items()}
            if source_added:
                change.reports.update(report.files)
        return AddResult(report.source_id, source_added, figures, unchanged, version)

    def withdraw(self, source_id: str, reason: str, *, actor: str | None = None) -> WithdrawResult:
        """Take a report out of the live dataset, keeping it in the history; or refuse and
        change nothing (an unknown or already withdrawn report, no reason, a live report of
        another source that depends on it)."""
        if not reason.strip():
            raise ConflictError("say why the report is withdrawn (--reason)")
        with self._writing() as change:
            _require_change_log(change.descriptor, self.location)
            if self._rows(change, "sources", {"source_id": {source_id}}).empty:
                raise ConflictError(f"there is no report {source_id!r} in {self.location}")
            withdrawn = self._withdrawn(change)
            if source_id in withdrawn:
                raise ConflictError(
                    f"report {source_id!r} was already withdrawn at version {withdrawn[source_id]}"
                )
            self._refuse_dependents(change, source_id, set(withdrawn))
            figures = tuple(self._rows(change, "figures", {"source_id": {source_id}})["figure_id"])
            changes = self._rows(change, "changes", None)
            version = _next_version(changes)
            row = change_row(version, actor, "withdraw", source_id, figures, reason.strip())
            problems = check_new_rows(
                change.descriptor,
                {"changes": row},
                {
                    "changes": changes,
                    "sources": self._rows(change, "sources", {"source_id": {source_id}}),
                },
                {"changes": len(changes)},
                lambda path: self._report(change, path),
            )
            if problems:
                raise DataValidationError(
                    [*problems, unchanged_problem(self.location, "withdrawn")]
                )
            change.appended = {"changes": row.to_dict("records")}
        return WithdrawResult(source_id, figures, version)

    def _withdrawn(self, change: Change) -> dict[str, int]:
        """Withdrawn reports and the version that withdrew each."""
        changes = self._rows(change, "changes", None)
        gone = changes[changes["action"] == "withdraw"]
        return dict(zip(gone["source_id"], gone["version"].astype(int), strict=True))

    def _refuse_dependents(self, change: Change, source_id: str, withdrawn: set[str]) -> None:
        """Refuse to withdraw a report whose rows a live row of another report refers to (in
        this data package: its events, which other reports' figures may belong to)."""
        descriptor = change.descriptor
        # Tables whose rows belong to a report (their own source_id), and their references
        # to rows of such a table (a reference to the report itself is the row's own).
        owned = [n for n, r in descriptor.resources.items() if "source_id" in r.field_names]
        referring = [
            (name, own, target)
            for name in owned
            for own, target, _ in descriptor.resources[name].foreign_keys
            if target in owned and target not in ("sources", "changes")
        ]
        for name, own, target in referring:
            key = descriptor.resources[target].primary_key[0]
            keys = set(self._rows(change, target, {"source_id": {source_id}})[key])
            if not keys:
                continue
            rows = self._rows(change, name, {own: keys})
            live = rows[~rows["source_id"].isin(withdrawn | {source_id})]
            if not live.empty:
                first, resource = live.iloc[0], descriptor.resources[name]
                raise ConflictError(
                    f"report {source_id!r} cannot be withdrawn: {resource.path} row "
                    f"{first[resource.primary_key[0]]!r} of report {first['source_id']!r} "
                    f"refers to its {target} row {first[own]!r}; withdraw "
                    f"{first['source_id']!r} first"
                )


def extend(
    previous: Dataset,
    added: dict[str, pd.DataFrame],
    reports: dict[str, bytes],
    stamp: Hashable,
    origin: Any,
) -> Dataset:
    """``previous`` with rows appended to its tables (text) and new reports: checked by every
    rule on the new rows, typed and numbered as a full load would, and split live/withdrawn
    again if a report was withdrawn."""
    descriptor = previous.descriptor
    added = {name: rows for name, rows in added.items() if len(rows)}
    counts = {name: sum(len(p) for p in previous.rows(name)) for name in descriptor.resources}
    refs = {
        name: _matching(previous, name, wanted)
        for name, wanted in lookups(descriptor, added).items()
        if name in descriptor.resources
    }
    paths = {
        path: source
        for t in previous.rows("sources")
        for source, path in zip(t["source_id"].astype(str), t["path"], strict=True)
    }

    def read_report(path: str) -> bytes:
        if path in reports:
            return reports[path]
        if path in paths and paths[path] in previous.texts:
            return previous.texts[paths[path]].encode("utf-8")
        raise FileNotFoundError(path)

    problems, new = check_rows(descriptor, added, refs, counts, read_report)
    if problems:
        raise DataValidationError(sorted(problems, key=lambda p: p.sort_key))
    texts = dict(previous.texts)
    if "sources" in new:
        for source, path in zip(new["sources"]["source_id"], new["sources"]["path"], strict=True):
            texts[str(source)] = reports[path].decode("utf-8")
    before = _withdrawn(previous.tables["changes"])
    changes = concat_rows(
        previous.tables["changes"], new.get("changes", _empty(previous, "changes"))
    )
    after = _withdrawn(changes)
    if after == before:
        live = {
            name: concat_rows(frame, new[name]) if name in new else frame
            for name, frame in previous.tables.items()
        }
        live["changes"] = changes
        withdrawn = previous.withdrawn
    else:
        every = {
            name: concat_rows(_matching(previous, name, None), new[name])
            if name in new
            else _matching(previous, name, None)
            for name in previous.tables
        }
        live, withdrawn = split_withdrawn(descriptor, every, frozenset(after))
    dataset = replace(
        previous,
        version=int(changes["version"].max()) if len(changes) else 0,
        tables=live,
        texts=texts,
        withdrawn=withdrawn,
        stamp=stamp,
        origin=origin,
    )
    view = previous.__dict__.get("figure_view")
    if view is not None and after == before:
        # The view of the figures already there stays; only the new figures' is made.
        figures = new.get("figures")
        more = figure_view_of(live, figures) if figures is not None else None
        dataset.__dict__["figure_view"] = concat_rows(view, more) if more is not None else view
    return dataset


def _withdrawn(changes: pd.DataFrame) -> set[str]:
    return set(changes["source_id"][changes["action"] == "withdraw"].astype(str))


def _empty(dataset: Dataset, name: str) -> pd.DataFrame:
    return dataset.tables[name].iloc[:0]


def _matching(previous: Dataset, name: str, where: Where | None) -> pd.DataFrame:
    """The rows of ``name`` (live and withdrawn, in stored order) where a column of ``where``
    holds one of its values; every row for None."""
    parts = previous.rows(name)
    if where is not None:
        parts = [
            part[np.logical_or.reduce([part[c].isin(list(v)).to_numpy() for c, v in where.items()])]
            for part in parts
        ]
    if len(parts) == 1:
        return parts[0]
    joined = parts[0]
    for part in parts[1:]:
        joined = concat_rows(joined, part)
    return joined.sort_index()


def files_of(sources: pd.DataFrame) -> list[str]:
    """The package files that rows of ``sources`` name: each report's text and original."""
    paths = list(sources["path"])
    if "original_path" in sources:
        paths += [p for p in sources["original_path"] if p]
    return paths


@dataclass(frozen=True)
class Checked:
    """What :meth:`Store.check` found: the problems, and the row number each table's first
    new row would have (to put a problem back on the row of a draft it is about)."""

    problems: list[Problem]
    first_rows: dict[str, int]


class _DryRun(Exception):
    """Leaves a change's block without writing, with what the checks found: how
    :meth:`Store.check` runs an add."""

    def __init__(self, problems: list[Problem], first_rows: dict[str, int]) -> None:
        super().__init__("dry run")
        self.problems, self.first_rows = problems, first_rows


def _frames(descriptor: Descriptor, rows: Mapping[str, Sequence[Row]]) -> dict[str, pd.DataFrame]:
    """Rows as text frames with their table's columns (a missing value is the empty string)."""
    return {
        name: pd.DataFrame(
            list(table), columns=list(descriptor.resources[name].field_names), dtype=object
        )
        .fillna("")
        .astype(str)
        for name, table in rows.items()
        if table
    }


def _joined(
    new: dict[str, pd.DataFrame], references: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Tables that both hold: their rows together (to look up what either refers to)."""
    return {
        n: pd.concat([new[n], references[n]], ignore_index=True) for n in new if n in references
    }


def _with_missing(
    descriptor: Descriptor,
    new: dict[str, pd.DataFrame],
    references: dict[str, pd.DataFrame],
    stored: Mapping[str, pd.DataFrame],
) -> dict[str, pd.DataFrame]:
    """``new`` plus the reference rows whose key the store (and ``new``) lacks."""
    result = dict(new)
    for name, rows in references.items():
        key = list(descriptor.resources[name].primary_key)
        have = stored.get(name)
        known = set(map(tuple, have[key].to_numpy())) if have is not None else set()
        if name in new:
            known |= set(map(tuple, new[name][key].to_numpy()))
        missing = rows[[tuple(k) not in known for k in rows[key].to_numpy()]]
        if not missing.empty:
            result[name] = pd.concat(
                [result.get(name, missing.iloc[:0]), missing], ignore_index=True
            )
    return result


def _require_change_log(descriptor: Descriptor, location: str) -> None:
    if "changes" not in descriptor.resources:
        raise StoreError(
            f"{location} has no change log (changes.csv): the data package predates version "
            "0.2.0. Add the `changes` resource of the bundled data/datapackage.json to its "
            "descriptor and a changes.csv holding that header, then try again"
        )


def _one(rows: Sequence[Row], table: str) -> Row:
    if len(rows) != 1:
        raise ValueError(f"a new report has exactly one row in {table}, not {len(rows)}")
    return rows[0]


def _next_version(changes: pd.DataFrame) -> int:
    versions = pd.to_numeric(changes["version"], errors="coerce")
    return int(versions.max()) + 1 if len(versions) and versions.notna().any() else 1


def change_row(
    version: int,
    actor: str | None,
    action: str,
    source_id: str,
    figures: Sequence[str],
    note: str = "",
) -> pd.DataFrame:
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return pd.DataFrame(
        [
            {
                "version": str(version),
                "at": at,
                "actor": actor or default_actor(),
                "action": action,
                "source_id": source_id,
                "figure_ids": "|".join(figures),
                "note": note,
            }
        ]
    )


def default_actor() -> str:
    """Who changes the data from the command line: the operating-system user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "unknown"


def _drop_stored(
    descriptor: Descriptor, new: dict[str, pd.DataFrame], stored: Mapping[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], tuple[str, ...]]:
    """The new rows minus those stored already, identical; and the figure ids so dropped.

    A row whose key is stored with other values is a conflict: the change would silently
    rewrite what the store said, so it is refused, naming the first column that differs.
    A figure's industries count as part of the figure.
    """
    kept: dict[str, pd.DataFrame] = {}
    unchanged: tuple[str, ...] = ()
    for name, rows in new.items():
        resource = descriptor.resources[name]
        key = list(resource.primary_key)
        existing = stored.get(name)
        if existing is None or existing.empty or not key:
            kept[name] = rows
            continue
        index = existing.set_index(key)
        present = []
        for _, row in rows.iterrows():
            at = tuple(row[k] for k in key)
            at = at[0] if len(key) == 1 else at
            if at not in index.index:
                present.append(False)
                continue
            old = index.loc[at]
            differ = [c for c in index.columns if str(old[c]) != row[c]]
            if differ:
                shown = at if isinstance(at, str) else ", ".join(at)
                raise ConflictError(
                    f"{resource.path}: {'+'.join(key)} {shown!r} is already stored with a "
                    f"different {differ[0]} ({old[differ[0]]!r}, not {row[differ[0]]!r}); "
                    "give the new row its own id"
                )
            present.append(True)
        mask = pd.Series(present, index=rows.index, dtype=bool)
        if name == "figures":
            unchanged = tuple(rows["figure_id"][mask])
        if (~mask).any():
            kept[name] = rows[~mask].reset_index(drop=True)
    _check_stored_industries(new, stored, unchanged)
    return kept, unchanged


def _check_stored_industries(
    new: Mapping[str, pd.DataFrame], stored: Mapping[str, pd.DataFrame], figures: Sequence[str]
) -> None:
    """A figure stored already keeps exactly its industries: adding one would change it."""
    links, old = new.get("figure_industries"), stored.get("figure_industries")
    if not figures or links is None or old is None:
        return
    for figure in figures:
        mine = set(as_objects(links["industry"][links["figure_id"] == figure]))
        theirs = set(as_objects(old["industry"][old["figure_id"] == figure]))
        if mine != theirs:
            raise ConflictError(
                f"figure_industries.csv: figure {figure!r} is already stored with the "
                f"industries {'|'.join(sorted(theirs))!r}, not {'|'.join(sorted(mine))!r}; "
                "give the new figure its own id"
            )
