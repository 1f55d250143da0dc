"""The change log (``changes.csv``): every change to the dataset, its version, and withdrawals.

Each add, withdrawal or import is one row with a new version number, a number that only
grows: the dataset's version is the last one. A withdrawal takes a report out of the *live*
dataset — the dashboard, queries and exports — but nothing is deleted: its rows stay in the
tables and the change log says when, by whom and why. So the live dataset is derived: every
row minus the rows that belong to a withdrawn report (:func:`split_withdrawn`).

A row belongs to a report through its own ``source_id`` (figures, events, company roles,
platforms, the source itself), or, for a table without one, through the row it refers to (a
figure's industry links belong to the figure).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from metrics.errors import Problem
from metrics.rules import Tables, as_objects
from metrics.schema import Descriptor, ProblemList

ACTIONS = ("add", "withdraw", "import")
"""What a change did: add a report (its figures and facts), withdraw one, import a package."""


def owned_tables(descriptor: Descriptor) -> dict[str, tuple[str, str, str] | None]:
    """The tables whose rows belong to a report, and how: None where the table has its own
    ``source_id``, else the reference ``(column, table, key)`` to a row that has one."""
    own = {
        name
        for name, resource in descriptor.resources.items()
        if "source_id" in resource.field_names and name != "changes"
    }
    owned: dict[str, tuple[str, str, str] | None] = dict.fromkeys(own)
    for name, resource in descriptor.resources.items():
        if name in own or name == "changes":
            continue
        for column, target, key in resource.foreign_keys:
            if target in own and target != name:
                owned[name] = (column, target, key)
                break
    return owned


def withdrawn_masks(
    descriptor: Descriptor, frames: dict[str, pd.DataFrame], withdrawn: Iterable[str]
) -> dict[str, np.ndarray]:
    """Per table that belongs to reports, which of its rows belong to a withdrawn one."""
    withdrawn = list(withdrawn)
    owned = owned_tables(descriptor)
    masks: dict[str, np.ndarray] = {}
    for name, via in owned.items():
        if via is None and name in frames:
            masks[name] = frames[name]["source_id"].isin(withdrawn).to_numpy()
    for name, via in owned.items():
        if via is not None and name in frames and via[1] in masks:
            column, target, key = via
            gone = frames[target][key][masks[target]]
            masks[name] = frames[name][column].isin(gone).to_numpy()
    return masks


def split_withdrawn(
    descriptor: Descriptor, frames: dict[str, pd.DataFrame], withdrawn: frozenset[str]
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The live tables and, per table, the rows of withdrawn reports.

    With nothing withdrawn (the usual case) the live tables are the frames themselves: a
    national dataset is not copied.
    """
    if not withdrawn:
        return frames, {}
    live = dict(frames)
    gone: dict[str, pd.DataFrame] = {}
    for name, mask in withdrawn_masks(descriptor, frames, withdrawn).items():
        if mask.any():
            live[name], gone[name] = frames[name][~mask], frames[name][mask]
    return live, gone


def check_changes(tables: Tables, problems: ProblemList) -> None:
    """Versions only grow; an add or a withdrawal names its report; a withdrawal says why and
    happens once; the figures a change lists exist and belong to its report."""
    changes, known = tables.get("changes"), tables.ref("changes")
    if changes is None or known is None:
        return
    file = tables.path("changes")
    checked = changes.index
    ordered = known.sort_index()  # stored rows first: a new change comes after them
    version = ordered["version"].astype("float64")
    before = version.cummax().shift(1)
    bad = (version <= before).reindex(checked, fill_value=False)
    problems.rows(file, changes, bad, "version", "must be greater than every earlier version")
    action, source = as_objects(changes["action"]), as_objects(changes["source_id"])
    problems.rows(
        file,
        changes,
        np.isin(action, ["add", "withdraw"]) & (source == ""),
        "source_id",
        "an add or a withdrawal names its report",
    )
    problems.rows(
        file,
        changes,
        (action == "withdraw") & (as_objects(changes["note"]) == ""),
        "note",
        "a withdrawal says why: give the reason",
    )
    withdrawals = ordered[as_objects(ordered["action"]) == "withdraw"]
    again = withdrawals["source_id"].duplicated(keep="first")
    problems.rows(
        file,
        changes,
        again.reindex(checked, fill_value=False),
        "source_id",
        "this report was already withdrawn by an earlier change",
    )
    _check_listed_figures(tables, changes, file, problems)


def _check_listed_figures(
    tables: Tables, changes: pd.DataFrame, file: str, problems: ProblemList
) -> None:
    listed = [
        (row, figure, source)
        for row, ids, source in zip(
            changes.index,
            as_objects(changes["figure_ids"]),
            as_objects(changes["source_id"]),
            strict=True,
        )
        if ids
        for figure in ids.split("|")
    ]
    figures = tables.ref("figures")
    if not listed or figures is None:
        return
    wanted = {figure for _, figure, _ in listed}
    hits = figures[figures["figure_id"].isin(wanted)]
    owner = dict(zip(as_objects(hits["figure_id"]), as_objects(hits["source_id"]), strict=True))
    reported: set[int] = set()
    for row, figure, source in listed:
        if row in reported or owner.get(figure) == source:
            continue
        reported.add(row)
        message = (
            f"lists figure {figure!r}, which is not in figures.csv"
            if figure not in owner
            else f"lists figure {figure!r}, which belongs to report {owner[figure]!r}"
        )
        problems.append(Problem(file, int(row), "figure_ids", figure, message))


def check_withdrawn_references(
    descriptor: Descriptor, tables: Tables, problems: ProblemList
) -> None:
    """A live row never refers to a row of a withdrawn report (the live dataset would lose
    what it refers to): withdraw the reports that depend on it first."""
    withdrawn = tables.withdrawn()
    if not withdrawn:
        return
    owned = owned_tables(descriptor)
    for name, resource in descriptor.resources.items():
        frame = tables.get(name)
        if frame is None or owned.get(name, "absent") is not None:
            continue  # only rows with a report of their own can be live or not
        live = ~frame["source_id"].isin(withdrawn).to_numpy()
        for column, target, key in resource.foreign_keys:
            target_rows = tables.ref(target)
            if target == "sources" or owned.get(target, "absent") is not None:
                continue
            if target_rows is None:
                continue
            gone = target_rows[target_rows["source_id"].isin(withdrawn)]
            if gone.empty:
                continue
            owner = dict(zip(as_objects(gone[key]), as_objects(gone["source_id"]), strict=True))
            values = as_objects(frame[column])
            bad = live & np.isin(values, list(owner))
            for row, value in zip(frame.index[bad], values[bad], strict=True):
                problems.append(
                    Problem(
                        resource.path,
                        int(row),
                        column,
                        value,
                        f"refers to a row of {descriptor.resources[target].path} that belongs "
                        f"to the withdrawn report {owner[value]!r}",
                    )
                )
