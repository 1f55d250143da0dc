"""The figures as integer codes and numpy arrays, built once at start-up.

A filter over a million figures is then a few array lookups, and a sum by city or industry a
``bincount``, instead of pandas joins and group-bys on every request (issue #6: a callback at
national scale must answer in about 100 ms). :mod:`metrics.query` keeps the rules; this module
only makes them fast. Each key column becomes a code into its table's key order, with -1 for a
missing key; lookup tables get one extra ``False`` slot at the end, so a -1 code indexes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from metrics.numbers import QUALIFIERS, sum_qualifiers

if TYPE_CHECKING:  # the dataset builds its index; the index only reads the dataset
    from metrics.dataset import Dataset
    from metrics.query import Filters

IDS_KEPT = 200
"""How many figure ids an aggregate row keeps (its ``n_figures`` counts them all): enough for a
spreadsheet's list of supporting figures, while a national total does not carry a million."""


MASKS_KEPT = 8  # a million figures: 1 MB a mask

SEARCHED = ("figure_id", "label_zh", "label_en", "quote", "raw", "city", "industry")


def _codes(values: pd.Series, keys: Iterable[str]) -> np.ndarray:
    """Each value's position in ``keys``, -1 where it is missing or empty."""
    categories = pd.Index(list(keys))
    return categories.get_indexer(values.astype(str)).astype(np.int32)


class FigureIndex:
    """Codes, values and periods of every figure, and its industry links, as flat arrays."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._orders: dict[str, np.ndarray] = {}
        self._masks: dict[Filters, np.ndarray] = {}
        self._metric_masks: dict[int, np.ndarray] = {}
        self._industry_masks: dict[int, np.ndarray] = {}
        figures = dataset.tables["figures"]
        cities = dataset.tables["cities"]
        events = dataset.tables["events"]
        self.figure_ids = figures["figure_id"].astype(str).to_numpy()
        self.city_keys = cities["city"].astype(str).to_numpy()
        self.industry_keys = dataset.tables["industries"]["industry"].astype(str).to_numpy()
        self.metric_keys = dataset.tables["metrics"]["metric"].astype(str).to_numpy()
        self.event_keys = events["event_id"].astype(str).to_numpy()
        self.source_keys = dataset.tables["sources"]["source_id"].astype(str).to_numpy()
        self.province_keys = pd.unique(cities["province"].astype(str))
        self.city_province = _codes(cities["province"], self.province_keys)
        self.event_parent = _codes(events["parent_event_id"], self.event_keys)

        self.city = _codes(figures["city"], self.city_keys)
        self.metric = _codes(figures["metric"], self.metric_keys)
        self.event = _codes(figures["event_id"], self.event_keys)
        self.source = _codes(figures["source_id"], self.source_keys)
        self.unit = _codes(figures["unit"], dataset.tables["units"]["unit"].astype(str))
        self.qualifier = _codes(figures["qualifier"], QUALIFIERS)
        self.value = figures["value"].to_numpy(dtype=np.float64)
        self.start = figures["period_start"].to_numpy(dtype="datetime64[ns]")
        self.end = figures["period_end"].to_numpy(dtype="datetime64[ns]")

        links = dataset.tables["figure_industries"]
        position = self._positions.get_indexer(links["figure_id"].astype(str))
        order = np.argsort(position, kind="stable")  # links in dataset order, like the figures
        self.link_figure = position[order].astype(np.int64)
        self.link_industry = _codes(links["industry"], self.industry_keys)[order]
        per_figure = np.bincount(self.link_figure, minlength=len(self.figure_ids))
        self.link_shared = per_figure[self.link_figure] > 1
        # Where each figure's links begin: the links of a city's figures are then found
        # without reading a million links.
        self._link_start = np.concatenate([[0], np.cumsum(per_figure)])

    def __len__(self) -> int:
        return len(self.figure_ids)

    @cached_property
    def _positions(self) -> pd.Index:
        return pd.Index(self.figure_ids)

    def order(self, column: str) -> np.ndarray:
        """Every figure's position, sorted by ``column`` of the figure view (stable; text by
        its string). Sorting a million strings takes a second, so each order is made on its
        first use and kept: later sorts of any filtered view take one pass over it."""
        if column not in self._orders:
            values = self._dataset.figure_view[column]
            if not (pd.api.types.is_numeric_dtype(values) or values.dtype.kind == "M"):
                values = values.astype(str)
            self._orders[column] = values.argsort(kind="stable").to_numpy()
        return self._orders[column]

    def ranked_order(self, key: str, ranks: Callable[[], np.ndarray]) -> np.ndarray:
        """Every figure's position, sorted (stable) by the rank ``ranks()`` gives each figure;
        made once per ``key``, like :meth:`order`."""
        if key not in self._orders:
            self._orders[key] = np.argsort(ranks(), kind="stable")
        return self._orders[key]

    def search(self, text: str, within: np.ndarray) -> np.ndarray:
        """``within`` (a mask) narrowed to the figures that have ``text`` (any case) in their id,
        labels, quote, raw string, city or industries. Only the figures already chosen are
        read: a search inside a filtered view costs what the view holds."""
        needle = text.casefold()
        rows = np.flatnonzero(within)
        chosen = self._dataset.figure_view.iloc[rows]
        hit = np.zeros(len(rows), dtype=bool)
        for column in SEARCHED:
            hit |= chosen[column].astype(str).str.casefold().str.contains(needle, regex=False)
        found = np.zeros(len(within), dtype=bool)
        found[rows[hit]] = True
        return found

    def position(self, figure_id: str) -> int | None:
        """The row of ``figure_id`` in the figures table, or None if there is no such figure."""
        found = self._positions.get_indexer([figure_id])[0]
        return None if found < 0 else int(found)

    def mask(self, filters: Filters) -> np.ndarray:
        """Which figures match every filter, as :func:`metrics.query.select_figures` defines.

        A view's charts and cards ask for the same filters with different metrics, so the mask
        without the metric is kept for the last few views, and each metric's rows are made once.
        """
        if filters.metric:
            table = self.lookup(self.metric_keys, filters.metric)
            chosen = np.flatnonzero(table[:-1])
            if not len(chosen):
                return np.zeros(len(self), dtype=bool)
            rows = self._metric_rows(int(chosen[0]))
            for code in chosen[1:]:  # each metric's rows are kept: an or is cheaper than a gather
                rows = rows | self._metric_rows(int(code))
            return self._base_mask(replace(filters, metric=())) & rows
        return self._base_mask(filters).copy()  # the kept mask must not be changed by a caller

    def _metric_rows(self, code: int) -> np.ndarray:
        if code not in self._metric_masks:
            self._metric_masks[code] = self.metric == code
        return self._metric_masks[code]

    def _base_mask(self, filters: Filters) -> np.ndarray:
        if filters in self._masks:
            self._masks[filters] = self._masks.pop(filters)  # most recently used last
            return self._masks[filters]
        mask = self._compute(filters)
        self._masks[filters] = mask
        if len(self._masks) > MASKS_KEPT:
            self._masks.pop(next(iter(self._masks)))
        return mask

    def _compute(self, filters: Filters) -> np.ndarray:
        mask = np.ones(len(self), dtype=bool)
        if filters.city:
            mask &= self.lookup(self.city_keys, filters.city)[self.city]
        if filters.province:
            provinces = self.lookup(self.province_keys, filters.province)
            mask &= np.append(provinces[self.city_province], False)[self.city]
        if filters.industry:
            codes = self.lookup(self.industry_keys, filters.industry)[:-1]
            hit = np.zeros(len(self), dtype=bool)
            for code in np.flatnonzero(codes):
                hit |= self._industry_rows(int(code))
            mask &= hit
        if filters.source:
            mask &= self.lookup(self.source_keys, filters.source)[self.source]
        if filters.campaign:
            wanted = self.lookup(self.event_keys, filters.campaign)
            in_campaign = wanted[:-1] | wanted[self.event_parent]  # the event or its parent
            mask &= np.append(in_campaign, False)[self.event]
        if filters.period_start:
            mask &= self.end >= np.datetime64(filters.period_start, "ns")
        if filters.period_end:
            mask &= self.start <= np.datetime64(filters.period_end, "ns")
        return mask

    def links(self, rows: np.ndarray, industries: Iterable[str] = ()) -> np.ndarray:
        """The positions of the industry links of the figures at ``rows`` (ascending), only
        those to one of ``industries`` if any are given. Costs what ``rows`` hold."""
        starts = self._link_start[rows]
        counts = self._link_start[rows + 1] - starts
        firsts = np.cumsum(counts) - counts
        links = np.repeat(starts - firsts, counts) + np.arange(counts.sum())
        industries = list(industries)
        if industries:
            links = links[self.lookup(self.industry_keys, industries)[self.link_industry[links]]]
        return links

    def _industry_rows(self, code: int) -> np.ndarray:
        """Which figures are of the industry ``code``: made once per industry, like a
        metric's rows, since reading every link for each new view cost milliseconds."""
        if code not in self._industry_masks:
            rows = np.zeros(len(self), dtype=bool)
            rows[self.link_figure[self.link_industry == code]] = True
            self._industry_masks[code] = rows
        return self._industry_masks[code]

    @staticmethod
    def lookup(keys: np.ndarray, chosen: Iterable[str]) -> np.ndarray:
        """A boolean table over the codes of ``keys`` plus the -1 slot, true for ``chosen``."""
        codes = pd.Index(keys).get_indexer(list(chosen))
        table = np.zeros(len(keys) + 1, dtype=bool)
        table[codes[codes >= 0]] = True  # a key the dataset lacks matches nothing
        return table

    def sources(self, rows: np.ndarray) -> list[str]:
        """The ids of the reports the figures at positions ``rows`` come from, sorted."""
        present = np.bincount(self.source[rows], minlength=len(self.source_keys)) > 0
        return sorted(self.source_keys[present])

    def combine(
        self,
        rows: np.ndarray,
        groups: np.ndarray,
        size: int,
        additive: bool,
        ids_kept: int = IDS_KEPT,
    ) -> dict[str, Any]:
        """Combine the figures at ``rows`` by ``groups`` (codes below ``size``, one per row).

        Columns, one row per group present, by code: ``group`` (the code), ``value``,
        ``qualifier``, ``approximate``, ``n_figures`` (arrays) and ``figure_ids`` (a list: the
        first ``ids_kept`` of each). The qualifier is :func:`metrics.numbers.sum_qualifiers`'s,
        as in :func:`metrics.query.combine`. Arrays, not a frame: the caller makes the one frame
        it returns (a frame costs a millisecond, and a chart asks for several groupings).
        """
        count = np.bincount(groups, minlength=size)
        present = np.flatnonzero(count)
        value = np.bincount(groups, weights=self.value[rows], minlength=size)[present]
        codes = self.qualifier[rows]

        def any_of(name: str) -> np.ndarray:
            flags = codes == QUALIFIERS.index(name)
            return np.bincount(groups, weights=flags, minlength=size)[present] > 0

        more, least, approx = any_of("more_than"), any_of("at_least"), any_of("approx")
        n = count[present]
        if not additive:
            value = np.where(n > 1, np.nan, value)
        qualifier, approximate = sum_qualifiers(more, least, approx, np.isnan(value))
        return {
            "group": present,
            "value": value,
            "qualifier": qualifier,
            "approximate": approximate,
            "n_figures": n,
            "figure_ids": self._first_ids(rows, groups, count, present, ids_kept),
        }

    def _first_ids(
        self,
        rows: np.ndarray,
        groups: np.ndarray,
        count: np.ndarray,
        present: np.ndarray,
        kept: int,
    ) -> list[tuple[str, ...]]:
        """Each group's first ``kept`` figure ids, in dataset order."""
        if not len(present) or not kept:
            return [()] * len(present)
        if len(count) <= np.iinfo(np.int16).max:  # numpy radix-sorts 16-bit keys: linear time
            groups = groups.astype(np.int16)
        order = np.argsort(groups, kind="stable")  # rows are in dataset order; keep it per group
        starts = (np.cumsum(count) - count)[present]
        taken = np.minimum(count[present], kept)
        # A group × rank grid of positions in ``order``; ranks past a group's size are unused.
        rank = np.arange(kept)
        grid = np.where(rank < taken[:, None], starts[:, None] + rank, 0)
        ids = self.figure_ids[rows[order[grid]]].tolist()
        return [tuple(row[:n]) for row, n in zip(ids, taken.tolist(), strict=True)]
