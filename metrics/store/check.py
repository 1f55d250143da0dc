"""Checking a change against a store without reading the whole store again.

A change (a report's rows, a withdrawal) is checked by the same rules as a whole package, on
its new rows and on the stored rows they refer to or could collide with — their event, unit
and city, a stored row with the same id — which the store fetches by key. At a million
figures that is a few rows instead of every table: an add takes about a second, where the
full validation (``metrics validate``) takes several.

New rows are numbered as they will be in the stored table (a table of n rows gets rows n + 1,
n + 2, …), so a problem reads exactly as ``validate`` would report it once the rows were in.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics.dataset import CATEGORICAL, check_rules
from metrics.errors import Problem
from metrics.rules import ReadReport, Tables, as_objects
from metrics.schema import Descriptor, ProblemList, Resource, check_table

Where = dict[str, set[str]]
"""Which stored rows to fetch: a row matches when any named column holds one of its values."""


def lookups(descriptor: Descriptor, new: Mapping[str, pd.DataFrame]) -> dict[str, Where | None]:
    """Per table, the stored rows the new rows need: rows they refer to, and rows whose unique
    values they might repeat. The change log is read whole (it says what is withdrawn)."""
    where: dict[str, Where | None] = {}

    def want(table: str, column: str, values: np.ndarray) -> None:
        values = {v for v in values.tolist() if v != ""}
        if values:
            wanted = where.setdefault(table, {})
            assert wanted is not None
            wanted.setdefault(column, set()).update(values)

    for name, rows in new.items():
        resource = descriptor.resources[name]
        for column in _unique_columns(resource):
            want(name, column, as_objects(rows[column]))
        for own, target, ref in resource.foreign_keys:
            want(target, ref, as_objects(rows[own]))
    where["changes"] = None
    return where


def _unique_columns(resource: Resource) -> list[str]:
    """The columns whose values identify a row: unique fields, a one-field primary key, and
    the first field of a composite one (which narrows the rows to compare)."""
    columns = [f.name for f in resource.fields if f.constraints.get("unique")]
    if resource.primary_key and resource.primary_key[0] not in columns:
        columns.append(resource.primary_key[0])
    return columns


def typed(
    descriptor: Descriptor, text: Mapping[str, pd.DataFrame], first_rows: Mapping[str, int]
) -> tuple[dict[str, pd.DataFrame], ProblemList]:
    """Tables as the loader types them, numbered from ``first_rows``, with their problems."""
    problems = ProblemList()
    frames: dict[str, pd.DataFrame] = {}
    for name, rows in text.items():
        frame = check_table(
            rows.copy(),
            descriptor.resources[name],
            problems,
            categorical=CATEGORICAL,
            first_row=first_rows.get(name, 1),
        )
        if frame is not None:
            frames[name] = frame
    return frames, problems


def check_new_rows(
    descriptor: Descriptor,
    new: Mapping[str, pd.DataFrame],
    stored: Mapping[str, pd.DataFrame],
    counts: Mapping[str, int],
    read_report: ReadReport,
) -> ProblemList:
    """Every problem the new rows (text, by table) would bring into the store.

    ``stored`` holds the stored rows :func:`lookups` asked for, as text; ``counts`` the stored
    rows per table (to number the new rows); ``read_report`` reads a report by its path, the
    new report included.
    """
    refs, _ = typed(descriptor, stored, {})  # stored rows were valid when they were stored
    return check_rows(descriptor, new, refs, counts, read_report)[0]


def check_rows(
    descriptor: Descriptor,
    new: Mapping[str, pd.DataFrame],
    refs: dict[str, pd.DataFrame],
    counts: Mapping[str, int],
    read_report: ReadReport,
) -> tuple[ProblemList, dict[str, pd.DataFrame]]:
    """The problems of new rows (text) against typed stored rows ``refs``, and the new rows
    typed and numbered as they are in the store (see :func:`check_new_rows`)."""
    frames, problems = typed(descriptor, new, {n: counts.get(n, 0) + 1 for n in new})
    tables = Tables(frames, {n: r.path for n, r in descriptor.resources.items()}, refs)
    _check_repeated_keys(descriptor, tables, problems)
    check_rules(descriptor, tables, read_report, problems)
    return problems, frames


def _check_repeated_keys(descriptor: Descriptor, tables: Tables, problems: ProblemList) -> None:
    """A new row may not repeat a stored row's unique value or primary key: the same message
    the loader gives a duplicate in a file (the stored row is the earlier one)."""
    for name, frame in tables.frames.items():
        resource = descriptor.resources[name]
        stored = tables.refs.get(name)
        if stored is None or stored.empty:
            continue
        keys = [(f.name,) for f in resource.fields if f.constraints.get("unique")]
        if len(resource.primary_key) > 1:
            keys.append(resource.primary_key)
        for key in keys:
            mine = list(zip(*(as_objects(frame[c]) for c in key), strict=True))
            theirs = set(zip(*(as_objects(stored[c]) for c in key), strict=True))
            repeated = np.array([k in theirs and all(k) for k in mine], dtype=bool)
            if len(key) == 1:
                message = "duplicate: this value appears in an earlier row"
            else:
                message = (
                    f"duplicate key ({', '.join(key)}): the same combination appears in an "
                    "earlier row"
                )
            problems.rows(resource.path, frame, repeated, "+".join(key), message)


def unchanged_problem(location: str, what: str) -> Problem:
    """The last line of a refused change: what it did not do."""
    return Problem(location, None, None, None, f"nothing was {what}: the store is unchanged")
