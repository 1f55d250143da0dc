"""Load a data directory into a validated, typed :class:`Dataset`, or refuse with every problem.

Loading is all-or-nothing: a dataset with one wrong row raises :class:`DataValidationError`
listing every problem found, so the app never starts on partly wrong data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from metrics.errors import DataValidationError, Problem
from metrics.index import FigureIndex
from metrics.rules import (
    TABLE_RULES,
    Tables,
    check_foreign_keys,
    check_quotes,
    read_source_texts,
)
from metrics.schema import ProblemList, read_descriptor, read_table

DATA_DIR_VARIABLE = "METRICS_DATA_DIR"
"""Environment variable naming the data directory, for the CLI and the app alike."""

BUNDLED_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Columns whose few distinct values repeat over many rows: categorical dtype keeps a million-row
# table small and makes filtering on them fast. They are categorical from the moment they are
# read, so the rules' lookups (references, a figure's event city) cost one pass over the codes.
_CATEGORICAL = (
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

    Numbers are float64 (NaN when missing), dates datetime64 (NaT), booleans bool, and text is
    str with the empty string for a missing optional value, so text columns compare without
    NA checks. Repeated text columns are categorical.
    """

    directory: Path
    version: str
    tables: dict[str, pd.DataFrame]
    texts: dict[str, str]

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
    def figure_index(self) -> FigureIndex:
        """The figures as arrays of codes, for filters and sums in a few milliseconds."""
        return FigureIndex(self)

    @cached_property
    def figure_view(self) -> pd.DataFrame:
        """Figures joined with what a reader needs next to them.

        Adds the province, the metric's additivity and target flag, and ``industry``: the
        figure's industries joined by ``|`` in the order of the industries table.
        """
        figures = self.tables["figures"]
        order = {name: i for i, name in enumerate(self.tables["industries"]["industry"])}
        links = self.tables["figure_industries"].astype({"figure_id": str, "industry": str})
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
        cities = self.tables["cities"].set_index("city")
        metrics = self.tables["metrics"].set_index("metric")
        view = figures.copy()
        view["province"] = view["city"].astype(str).map(cities["province"]).astype("category")
        view["industry"] = view["figure_id"].map(joined)
        view["is_target"] = view["metric"].astype(str).map(metrics["is_target"]).astype(bool)
        view["additive"] = view["metric"].astype(str).map(metrics["additive"]).astype(bool)
        return view


def load(data_dir: str | Path | None = None) -> Dataset:
    """Read and validate every table of the data package in ``data_dir``.

    Raises :class:`DataValidationError` naming file, row, field and value of every problem.
    """
    directory = resolve_data_dir(data_dir)
    if not directory.is_dir():
        raise DataValidationError(
            [Problem(str(directory), None, None, None, "data directory does not exist")]
        )
    descriptor = read_descriptor(directory / "datapackage.json")
    problems = ProblemList()
    frames: dict[str, pd.DataFrame] = {}
    for name, resource in descriptor.resources.items():
        frame = read_table(directory, resource, problems, categorical=_CATEGORICAL)
        if frame is not None:
            frames[name] = frame
    tables = Tables(frames, {n: r.path for n, r in descriptor.resources.items()})
    check_foreign_keys(descriptor, tables, problems)
    texts = read_source_texts(directory, tables, problems)
    check_quotes(tables, texts, problems)
    for rule in TABLE_RULES:
        rule(tables, problems)
    if problems:  # in file and row order, so a curator can fix them top to bottom
        raise DataValidationError(sorted(problems, key=lambda p: p.sort_key))
    return Dataset(directory=directory, version=descriptor.version, tables=frames, texts=texts)
