"""A validated, typed :class:`Dataset`, built from the tables of a data package, or refused
with every problem.

Loading is all-or-nothing: a dataset with one wrong row raises :class:`DataValidationError`
listing every problem found, so the app never starts on partly wrong data. The tables come
from a store (:mod:`metrics.store`: the data-package folder or PostgreSQL) as text, and every
store's tables go through the same checks here.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import union_categoricals

from metrics.changes import check_changes, check_withdrawn_references, split_withdrawn
from metrics.errors import DataValidationError
from metrics.index import FigureIndex
from metrics.rules import (
    TABLE_RULES,
    ReadReport,
    Tables,
    check_foreign_keys,
    check_quotes,
    read_source_texts,
)
from metrics.schema import Descriptor, ProblemList, check_table

DATA_DIR_VARIABLE = "METRICS_DATA_DIR"
"""Environment variable naming the data directory, for the CLI and the app alike."""

BUNDLED_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Columns whose few distinct values repeat over many rows: categorical dtype keeps a million-row
# table small and makes filtering on them fast. They are categorical from the moment they are
# read, so the rules' lookups (references, a figure's event city) cost one pass over the codes.
CATEGORICAL = (
    "source_id",
    "unit",
    "qualifier",
    "derivation",
    "metric",
    "city",
    "event_id",
    "period_precision",
    "date_inference",
    "industry",
)


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data directory: the argument, else ``$METRICS_DATA_DIR``, else the bundled ``data/``."""
    chosen = data_dir or os.environ.get(DATA_DIR_VARIABLE) or BUNDLED_DATA_DIR
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Dataset:
    """A validated data package: typed frames of every table plus the report texts.

    ``tables`` is the live dataset: every row except those of withdrawn reports, which are in
    ``withdrawn`` (per table, only where there are any) and stay in the history. ``version`` is
    the dataset version, the number of the last change in ``changes``; ``package_version`` is
    the data package's own (its descriptor's, the shape of the tables).

    Numbers are float64 (NaN when missing), dates datetime64 (NaT), booleans bool, and text is
    str with the empty string for a missing optional value, so text columns compare without
    NA checks. Repeated text columns are categorical.
    """

    location: str
    version: int
    package_version: str
    tables: dict[str, pd.DataFrame]
    texts: dict[str, str]
    descriptor: Descriptor
    withdrawn: dict[str, pd.DataFrame] = field(default_factory=dict)
    stamp: Hashable = None  # the store's stamp when it was read (see Store.stamp)
    origin: Any = None  # what its store needs to find the rows added since (Store.refresh)

    def rows(self, name: str) -> list[pd.DataFrame]:
        """Every row of table ``name``, live and withdrawn, as the parts they are kept in."""
        return [t[name] for t in (self.tables, self.withdrawn) if name in t]

    def __getattr__(self, name: str) -> pd.DataFrame:
        # dataset.figures, dataset.cities, … : one attribute per resource of the descriptor.
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @cached_property
    def unit_info(self) -> dict[str, dict[str, str]]:
        """Each unit's row of units.csv as a dict, for formatting many values quickly."""
        frame = self.tables["units"]
        return {
            str(row["unit"]): {k: str(v) for k, v in row.items()}
            for row in frame.to_dict("records")
        }

    @cached_property
    def memo(self) -> dict[tuple[str, ...], Any]:
        """Lookups derived from the tables, each made on first use and kept with the dataset
        (display names, the names a filter accepts): at national scale a dimension has ten
        thousand campaigns, and every request would otherwise build them again."""
        return {}

    @cached_property
    def figure_index(self) -> FigureIndex:
        """The figures as arrays of codes, for filters and sums in a few milliseconds."""
        return FigureIndex(self)

    @cached_property
    def figure_view(self) -> pd.DataFrame:
        """Figures joined with what a reader needs next to them.

        Adds the province, the metric's additivity and target flag, and ``industry``: the
        figure's industries joined by ``|`` in the order of the industries table.
        """
        return figure_view_of(self.tables, self.tables["figures"])


def figure_view_of(tables: dict[str, pd.DataFrame], figures: pd.DataFrame) -> pd.DataFrame:
    """The view (see :attr:`Dataset.figure_view`) of ``figures``, some or all of ``tables``'."""
    order = {name: i for i, name in enumerate(tables["industries"]["industry"])}
    links = tables["figure_industries"]
    if len(figures) < len(tables["figures"]):  # a few new figures: only their links
        links = links[links["figure_id"].isin(figures["figure_id"])]
    links = links.astype({"figure_id": str, "industry": str})
    links = links.assign(order=links["industry"].map(order)).sort_values(
        ["figure_id", "order"], kind="stable"
    )
    # Join each figure's industries without a Python call per figure: one column per
    # position (a figure has one or two), concatenated as whole columns.
    links["position"] = links.groupby("figure_id", sort=False).cumcount()
    wide = links.pivot(index="figure_id", columns="position", values="industry")
    joined = wide[0]
    for position in wide.columns[1:]:
        extra = wide[position]
        joined = joined.where(extra.isna(), joined + "|" + extra.fillna(""))
    cities = tables["cities"].set_index("city")
    metrics = tables["metrics"].set_index("metric")
    view = figures.copy()
    view["province"] = view["city"].astype(str).map(cities["province"]).astype("category")
    view["industry"] = view["figure_id"].map(joined)
    view["is_target"] = view["metric"].astype(str).map(metrics["is_target"]).astype(bool)
    view["additive"] = view["metric"].astype(str).map(metrics["additive"]).astype(bool)
    return view


def concat_rows(first: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """``first`` then ``more`` (same columns), typed as one load of both would type them: a
    categorical column's categories are the sorted union of both (a plain ``concat`` would
    turn it into text)."""
    if more.empty:
        return first
    columns = {}
    for column in first.columns:
        a, b = first[column], more[column]
        if isinstance(a.dtype, pd.CategoricalDtype) or isinstance(b.dtype, pd.CategoricalDtype):
            values = union_categoricals(
                [a.astype("category"), b.astype("category")], sort_categories=True
            )
            columns[column] = pd.Series(values, copy=False)
        else:
            columns[column] = pd.concat([a, b], ignore_index=True)
    index = first.index.append(more.index)
    return pd.DataFrame({c: v.set_axis(index) for c, v in columns.items()}, copy=False)


def check_dataset(
    location: str,
    descriptor: Descriptor,
    text_tables: dict[str, pd.DataFrame | None],
    read_report: ReadReport,
    problems: ProblemList | None = None,
    stamp: Hashable = None,
    origin: Any = None,
) -> Dataset:
    """Check a package's tables, read as text, by every rule, and type them; ``stamp`` says which
    state of its store they were read from (see ``Store.stamp``)."""
    problems = problems if problems is not None else ProblemList()
    frames: dict[str, pd.DataFrame] = {}
    for name, resource in descriptor.resources.items():
        text = text_tables.pop(name, None)  # each text table is let go once it is typed
        if text is None:
            continue
        frame = check_table(text, resource, problems, categorical=CATEGORICAL)
        del text
        if frame is not None:
            frames[name] = frame
    tables = Tables(frames, {n: r.path for n, r in descriptor.resources.items()})
    texts = check_rules(descriptor, tables, read_report, problems)
    if problems:  # in file and row order, so a curator can fix them top to bottom
        raise DataValidationError(sorted(problems, key=lambda p: p.sort_key))
    live, withdrawn = split_withdrawn(descriptor, frames, tables.withdrawn())
    changes = frames.get("changes")
    version = int(changes["version"].max()) if changes is not None and len(changes) else 0
    return Dataset(
        location=location,
        version=version,
        package_version=descriptor.version,
        tables=live,
        texts=texts,
        descriptor=descriptor,
        withdrawn=withdrawn,
        stamp=stamp,
        origin=origin,
    )


def check_rules(
    descriptor: Descriptor, tables: Tables, read_report: ReadReport, problems: ProblemList
) -> dict[str, str]:
    """Every rule beyond each table's own schema, over the rows ``tables`` checks: references,
    the reports and their quotes, the numbers, dates and facts, the change log. The same for a
    whole package and for the rows of a change. Returns the report texts read."""
    check_foreign_keys(descriptor, tables, problems)
    texts = read_source_texts(read_report, tables, problems)
    check_quotes(tables, texts, problems)
    for rule in TABLE_RULES:
        rule(tables, problems)
    check_changes(tables, problems)
    check_withdrawn_references(descriptor, tables, problems)
    return texts


def load(data_dir: str | Path | None = None) -> Dataset:
    """Read and validate the data-package folder ``data_dir`` (see :func:`resolve_data_dir`).

    Raises :class:`DataValidationError` naming file, row, field and value of every problem.
    """
    from metrics.store.folder import FolderStore  # the folder store builds on this module

    return FolderStore(data_dir).load()
