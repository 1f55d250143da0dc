"""Filter figures and aggregate one metric by city and industry, honestly.

The rules a chart or a spreadsheet must not break live here: only figures of one metric (hence one
unit) are ever added; a metric whose figures may not be added (outputs, targets) is never summed;
a figure attributed to two industries shows under each but counts once in any total; and a sum
that includes a lower bound or an approximation is itself a lower bound or approximate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from metrics.dataset import Dataset
from metrics.dimensions import BY_NAME
from metrics.errors import QueryError
from metrics.index import IDS_KEPT
from metrics.numbers import sum_qualifiers


@dataclass(frozen=True)
class Filters:
    """A query: each tuple is a multi-select (empty = no restriction); dimensions combine with AND.

    Values are the dataset's keys (Chinese city and industry names, event and metric ids); build
    them from user input with :func:`resolve_filters`. The fields are the dimensions of
    :data:`metrics.dimensions.DIMENSIONS` and the period (a test keeps them the same).
    """

    city: tuple[str, ...] = ()
    province: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    campaign: tuple[str, ...] = ()
    metric: tuple[str, ...] = ()
    source: tuple[str, ...] = ()  # reports: the figures and events of these reports only
    period_start: date | None = None
    period_end: date | None = None


def resolve_filters(
    dataset: Dataset,
    *,
    city: Iterable[str] = (),
    province: Iterable[str] = (),
    industry: Iterable[str] = (),
    campaign: Iterable[str] = (),
    metric: Iterable[str] = (),
    source: Iterable[str] = (),
    period_start: str | date | None = None,
    period_end: str | date | None = None,
) -> Filters:
    """Turn user-typed values (Chinese or English names, ids, any case) into :class:`Filters`.

    Raises :class:`QueryError` naming every value the dataset does not know, with the choices.
    """
    given = dict(
        city=city,
        province=province,
        industry=industry,
        campaign=campaign,
        metric=metric,
        source=source,
    )
    resolved: dict[str, tuple[str, ...]] = {}
    unknown: list[str] = []
    for dimension, values in given.items():
        lookup = _lookup(dataset, dimension)
        keys: list[str] = []
        for value in values:
            key = lookup.get(str(value).strip().casefold())
            if key is None:
                unknown.append(f"{dimension} {value!r}")
            elif key not in keys:
                keys.append(key)
        resolved[dimension] = tuple(keys)
    if unknown:
        choices = "; ".join(
            f"{d}: {', '.join(sorted(set(_lookup(dataset, d).values())))}"
            for d in given
            if any(u.startswith(d + " ") for u in unknown)
        )
        raise QueryError(f"unknown {', '.join(unknown)}. Known values — {choices}")
    start, end = _as_date(period_start, "period_start"), _as_date(period_end, "period_end")
    if start and end and start > end:
        raise QueryError(f"period_start {start} is after period_end {end}")
    return Filters(**resolved, period_start=start, period_end=end)


def resolve_values(
    dataset: Dataset, dimension: str, values: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keys for the values of one filter dimension, and the values the dataset does not know.

    Accepts Chinese or English names and ids in any case; duplicates collapse, order is kept.
    """
    values = list(values)
    if not values:
        return (), ()
    if ("lookup", dimension) not in dataset.memo:
        dataset.memo["lookup", dimension] = _lookup(dataset, dimension)
    lookup = dataset.memo["lookup", dimension]
    keys: list[str] = []
    unknown: list[str] = []
    for value in values:
        key = lookup.get(str(value).strip().casefold())
        if key is None:
            unknown.append(str(value))
        elif key not in keys:
            keys.append(key)
    return tuple(keys), tuple(unknown)


def _lookup(dataset: Dataset, dimension: str) -> dict[str, str]:
    found = BY_NAME[dimension]
    frame, key = dataset.tables[found.frame], found.key
    lookup: dict[str, str] = {}
    for column in (*found.aliases, key):  # the key itself wins over an alias that happens to clash
        for alias, value in zip(frame[column].astype(str), frame[key].astype(str), strict=True):
            lookup[alias.casefold()] = value
    return lookup


def _as_date(value: str | date | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise QueryError(f"{name} {value!r} is not a date; write YYYY-MM-DD") from None


def select_figures(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The figures matching every filter, one row each, in dataset order.

    A figure matches an industry filter if any of its industries is selected, a campaign filter if
    its event or that event's parent is selected, and a period filter if its period overlaps it.
    """
    return dataset.figure_view[dataset.figure_index.mask(filters)]


class Aggregate:
    """One metric aggregated over the filtered figures, each grouping computed when first read.

    Every frame has the columns ``value`` (NaN where the figures may not be added), ``qualifier``
    (exact, at_least, more_than, approx), ``approximate`` (a bound that includes approximate
    parts), ``n_figures`` and ``figure_ids`` (the first ``ids_kept``, in dataset order);
    ``cells`` is keyed by city and industry, ``by_city`` by city, ``by_province`` by province,
    ``by_industry`` by industry, and ``total`` is one row. ``cell_parts`` splits each cell by
    ``shared``: the part from figures of this industry alone and the part from figures shared
    with other industries, which a chart must draw as shared so nobody reads 3.55亿 of
    food-and-appliance sales as appliances alone. ``source_ids`` are the reports of every
    figure aggregated.
    """

    def __init__(
        self, dataset: Dataset, metric: str, filters: Filters, ids_kept: int = IDS_KEPT
    ) -> None:
        metrics = dataset.tables["metrics"].set_index("metric")
        if metric not in metrics.index:
            raise QueryError(f"unknown metric {metric!r}; known: {', '.join(metrics.index)}")
        info = metrics.loc[metric]
        self.metric, self.unit = metric, str(info["unit"])
        self.additive, self.is_target = bool(info["additive"]), bool(info["is_target"])
        self._index = index = dataset.figure_index
        self._ids_kept = ids_kept
        self._rows = np.flatnonzero(index.mask(replace(filters, metric=(metric,))))
        units = np.unique(index.unit[self._rows])
        if len(units) > 1:  # validation forbids it; refuse rather than add yuan to companies
            raise QueryError(f"metric {metric} has figures in several units: {units.tolist()}")
        # A two-industry figure shows only under the industries asked for.
        self._links = index.links(self._rows, filters.industry)

    def _combine(self, links: bool, groups: np.ndarray, size: int) -> dict[str, Any]:
        rows = self._index.link_figure[self._links] if links else self._rows
        return self._index.combine(rows, groups, size, self.additive, self._ids_kept)

    @cached_property
    def _cell_codes(self) -> np.ndarray:
        index = self._index
        city = index.city[index.link_figure[self._links]]
        return city * len(index.industry_keys) + index.link_industry[self._links]

    def _cell_keys(self, codes: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        n_industries = len(self._index.industry_keys)
        return {
            "city": (self._index.city_keys, codes // n_industries),
            "industry": (self._index.industry_keys, codes % n_industries),
        }

    @cached_property
    def cells(self) -> pd.DataFrame:
        size = len(self._index.city_keys) * len(self._index.industry_keys)
        columns = self._combine(True, self._cell_codes, size)
        return _decode(columns, **self._cell_keys(columns["group"]))

    @cached_property
    def cell_parts(self) -> pd.DataFrame:
        size = 2 * len(self._index.city_keys) * len(self._index.industry_keys)
        shared = self._index.link_shared[self._links]
        columns = self._combine(True, self._cell_codes * 2 + shared, size)
        codes = columns["group"]
        return _decode(columns, **self._cell_keys(codes // 2), shared=(_BOOLS, codes % 2))

    @cached_property
    def by_city(self) -> pd.DataFrame:
        index = self._index
        columns = self._combine(False, index.city[self._rows], len(index.city_keys))
        return _decode(columns, city=(index.city_keys, columns["group"]))

    @cached_property
    def by_province(self) -> pd.DataFrame:
        index = self._index
        province = index.city_province[index.city[self._rows]]
        columns = self._combine(False, province, len(index.province_keys))
        return _decode(columns, province=(index.province_keys, columns["group"]))

    @cached_property
    def by_industry(self) -> pd.DataFrame:
        index = self._index
        industry = index.link_industry[self._links]
        columns = self._combine(True, industry, len(index.industry_keys))
        return _decode(columns, industry=(index.industry_keys, columns["group"]))

    @cached_property
    def total(self) -> pd.Series:
        columns = self._combine(False, np.zeros(len(self._rows), dtype=np.int64), 1)
        if len(columns["group"]):
            return pd.Series({k: v[0] for k, v in columns.items() if k != "group"})
        return pd.Series(
            {
                "value": 0.0 if self.additive else np.nan,
                "qualifier": "exact",
                "approximate": False,
                "n_figures": 0,
                "figure_ids": (),
            }
        )

    @cached_property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(self._index.sources(self._rows))

    def source_ids_where(self, *, city: Iterable[str], industry: Iterable[str]) -> list[str]:
        """The reports of the figures in the cells of ``city`` × ``industry``: what a chart
        that draws only those cells names as its sources."""
        index = self._index
        rows = index.link_figure[self._links]
        cities = index.lookup(index.city_keys, city)[index.city[rows]]
        industries = index.lookup(index.industry_keys, industry)[index.link_industry[self._links]]
        return index.sources(rows[cities & industries])


_BOOLS = np.array([False, True])


def _decode(columns: dict[str, Any], **keys: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """A frame of combined ``columns`` whose group codes are replaced by the named key columns
    — each given as (the keys, each row's code into them) — sorted by the keys like a pandas
    group-by."""
    order = np.lexsort([_ranks(names)[codes] for names, codes in reversed(keys.values())])
    decoded = {name: names[codes[order]] for name, (names, codes) in keys.items()}
    for name, values in columns.items():
        if name != "group":
            arrays = isinstance(values, np.ndarray)
            decoded[name] = values[order] if arrays else [values[i] for i in order.tolist()]
    return pd.DataFrame(decoded)


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Each key's place among ``keys`` in sorted order."""
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[np.argsort(keys, kind="stable")] = np.arange(len(keys))
    return ranks


def aggregate(
    dataset: Dataset, metric: str, filters: Filters = Filters(), *, ids_kept: int = IDS_KEPT
) -> Aggregate:
    """Aggregate the filtered figures of ``metric`` by city × industry, by city, by industry, total.

    The metric filter in ``filters`` is replaced by ``metric``: figures of different metrics are
    never combined. A two-industry figure is in both industries' cells but once in each city's
    total and in the grand total. Rows keep their first ``ids_kept`` figure ids (a chart's hover
    needs a few, a spreadsheet up to :data:`~metrics.index.IDS_KEPT`); ``n_figures`` counts all.
    """
    return Aggregate(dataset, metric, filters, ids_kept)


def combine(figures: pd.DataFrame, keys: list[str], additive: bool) -> pd.DataFrame:
    """Combine the figures of each group into one value with an honest qualifier
    (:func:`~metrics.numbers.sum_qualifiers`). A non-additive group of more than one figure has
    no value. :class:`Aggregate` does the same over the array index; this is for small frames
    that are not figures of the dataset (a report's count of the companies it names)."""
    frame = figures.assign(
        _more=figures["qualifier"].astype(str) == "more_than",
        _least=figures["qualifier"].astype(str) == "at_least",
        _approx=figures["qualifier"].astype(str) == "approx",
    )
    for key in keys:
        if isinstance(frame[key].dtype, pd.CategoricalDtype):
            frame[key] = frame[key].astype(str)  # group only on the values present
    grouped = frame.groupby(keys, sort=True)
    out = grouped.agg(
        value=("value", "sum"),
        n_figures=("figure_id", "size"),
        _more=("_more", "any"),
        _least=("_least", "any"),
        _approx=("_approx", "any"),
        figure_ids=("figure_id", lambda s: tuple(s.astype(str))),
    ).reset_index()
    if not additive:
        out.loc[out["n_figures"] > 1, "value"] = np.nan
    out["qualifier"], out["approximate"] = sum_qualifiers(
        out["_more"].to_numpy(),
        out["_least"].to_numpy(),
        out["_approx"].to_numpy(),
        out["value"].isna().to_numpy(),
    )
    return out[[*keys, "value", "qualifier", "approximate", "n_figures", "figure_ids"]]
