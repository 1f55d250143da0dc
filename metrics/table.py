"""The figures table of a view: which figures it lists, in which order, a page at a time.

The page's table and ``python -m metrics figures --search … --sort … --limit …`` both call
:func:`table_page`, so a search, a sort or a column filter means the same on either. Only the
rows of the page asked for are formatted: a million matching figures cost ten rows of work
beyond a few passes over arrays.

Columns are named as the reader sees them (:data:`COLUMNS`): ``city``, ``industry``,
``metric`` and ``source`` sort and filter by their names in the reader's language, ``value``
by number, ``period`` by its start, ``label`` and ``quote`` by their text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.dataset import Dataset
from metrics.errors import QueryError
from metrics.present import figure_records, names
from metrics.query import Filters

COLUMNS = ("city", "industry", "metric", "value", "period", "label", "quote", "source")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 500  # rows in one answer: a page, or a few for the command line's --limit
MAX_TEXT = 200  # a search or filter text longer than any name or quote fragment a person types

# A column named by a reference table: the table its labels come from and the figure column
# holding its key.
_NAMED = {"city": "cities", "metric": "metrics", "source": "sources", "industry": "industries"}
_TEXT = {"period": ("period_start", "period_end"), "quote": ("quote",)}
CONDITIONS = ("contains", "at_least", "at_most")


@dataclass(frozen=True)
class ColumnFilter:
    """A condition on one column: its text ``contains`` a value (any case), or its number is
    ``at_least`` or ``at_most`` one (``value`` only)."""

    column: str
    condition: str
    value: str | float

    def __post_init__(self) -> None:
        if self.column not in COLUMNS:
            raise QueryError(f"unknown column {self.column!r}; known: {', '.join(COLUMNS)}")
        if self.condition not in CONDITIONS:
            raise QueryError(f"unknown condition {self.condition!r}; known: {CONDITIONS}")
        numeric = self.condition != "contains"
        if numeric != (self.column == "value") or (
            numeric and not isinstance(self.value, int | float)
        ):
            raise QueryError(f"{self.column} cannot be filtered by {self.condition} {self.value!r}")
        if not numeric and (not isinstance(self.value, str) or len(self.value) > MAX_TEXT):
            raise QueryError(f"a {self.column} filter is text of at most {MAX_TEXT} characters")


@dataclass(frozen=True)
class TableQuery:
    """What the table adds to a view: a search over every text column, a sort, and filters on
    columns."""

    search: str = ""
    sort: str = ""  # one of COLUMNS; "" keeps the dataset's order
    descending: bool = False
    filters: tuple[ColumnFilter, ...] = ()

    def __post_init__(self) -> None:
        if self.sort and self.sort not in COLUMNS:
            raise QueryError(f"cannot sort by {self.sort!r}; columns: {', '.join(COLUMNS)}")
        if len(self.search) > MAX_TEXT:
            raise QueryError(f"a search is at most {MAX_TEXT} characters")


@dataclass(frozen=True)
class TablePage:
    """One page of the table: the records shown, and how many figures match in all."""

    records: pd.DataFrame
    total: int
    start: int


def table_page(
    dataset: Dataset,
    filters: Filters,
    query: TableQuery = TableQuery(),
    *,
    start: int = 0,
    size: int = PAGE_SIZE,
    lang: str = "zh",
) -> TablePage:
    """The figures ``start`` to ``start + size`` of the view, as :func:`figure_records`."""
    if not 0 < size <= MAX_PAGE_SIZE or start < 0:
        raise QueryError(f"a page starts at 0 or later and holds 1 to {MAX_PAGE_SIZE} rows")
    positions = matching(dataset, filters, query, lang)
    shown = dataset.figure_view.iloc[positions[start : start + size]]
    return TablePage(figure_records(dataset, shown, lang), len(positions), start)


def matching(dataset: Dataset, filters: Filters, query: TableQuery, lang: str) -> np.ndarray:
    """The rows of the figures the view and ``query`` list, in the table's order."""
    index = dataset.figure_index
    chosen = index.mask(filters)
    if query.search.strip():
        chosen = index.search(query.search.strip(), chosen)
    for condition in query.filters:
        chosen &= _column_mask(dataset, condition, chosen, lang)
    if not query.sort:
        return np.flatnonzero(chosen)
    order = _order(dataset, query.sort, lang)
    if query.descending:
        order = order[::-1]
    return order[chosen[order]]


def _column_mask(
    dataset: Dataset, condition: ColumnFilter, within: np.ndarray, lang: str
) -> np.ndarray:
    index = dataset.figure_index
    column, value = condition.column, condition.value
    if column == "value":
        assert isinstance(value, int | float)
        # A comparison with NaN is false: a figure without a number matches neither bound.
        if condition.condition == "at_least":
            return index.value >= value
        return index.value <= value
    needle = str(value).strip().casefold()
    if column in _NAMED:
        labels = names(dataset, _NAMED[column], lang)
        keys = [k for k, label in labels.items() if needle in f"{k}\n{label}".casefold()]
        return _has_key(dataset, column, keys)
    columns = _TEXT.get(column) or ("label_zh" if lang == "zh" else "label_en",)
    rows = np.flatnonzero(within)
    view = dataset.figure_view.iloc[rows]
    hit = np.zeros(len(rows), dtype=bool)
    for name in columns:
        text = view[name]
        if text.dtype.kind == "M":
            text = text.dt.strftime("%Y-%m-%d")
        hit |= text.astype(str).str.casefold().str.contains(needle, regex=False).to_numpy()
    found = np.zeros(len(within), dtype=bool)
    found[rows[hit]] = True
    return found


def _has_key(dataset: Dataset, column: str, keys: Iterable[str]) -> np.ndarray:
    """Which figures have one of ``keys`` in ``column`` (any of their industries)."""
    index = dataset.figure_index
    if column == "industry":
        linked = index.lookup(index.industry_keys, keys)[index.link_industry]
        found = np.zeros(len(index), dtype=bool)
        found[index.link_figure[linked]] = True
        return found
    codes = {"city": index.city, "metric": index.metric, "source": index.source}[column]
    known = {"city": index.city_keys, "metric": index.metric_keys, "source": index.source_keys}
    return index.lookup(known[column], keys)[codes]


def _order(dataset: Dataset, column: str, lang: str) -> np.ndarray:
    """Every figure's row, sorted by ``column`` as the reader sees it (stable)."""
    index = dataset.figure_index
    if column == "value":
        return index.order("value")
    if column == "period":
        return index.order("period_start")
    if column in ("label", "quote"):
        return index.order(f"label_{lang}" if column == "label" else "quote")
    # A named column: figures ordered by the rank of their key's name in ``lang``.
    return index.ranked_order(f"{column}:{lang}", lambda: _ranks(dataset, column, lang))


def _ranks(dataset: Dataset, column: str, lang: str) -> np.ndarray:
    """Each figure's rank by the name of its ``column`` key (its first industry's, for
    industry) in ``lang``."""
    index = dataset.figure_index
    table = _NAMED[column]
    labels = names(dataset, table, lang)
    keys = {
        "city": index.city_keys,
        "metric": index.metric_keys,
        "source": index.source_keys,
        "industry": index.industry_keys,
    }[column]
    rank_of_key = np.argsort(np.argsort([labels[k] for k in keys], kind="stable"), kind="stable")
    if column == "industry":
        first = np.full(len(index), len(keys), dtype=np.int64)
        np.minimum.at(first, index.link_figure, rank_of_key[index.link_industry])
        return first
    codes = {"city": index.city, "metric": index.metric, "source": index.source}[column]
    return rank_of_key[codes]
