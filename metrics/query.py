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

import numpy as np
import pandas as pd

from metrics.dataset import Dataset
from metrics.errors import QueryError

# Filter dimension -> (table, key column, columns whose values also name a key).
_DIMENSIONS = {
    "city": ("cities", "city", ("name_en",)),
    "province": ("cities", "province", ("province_en",)),
    "industry": ("industries", "industry", ("name_en",)),
    "campaign": ("events", "event_id", ("name_zh", "name_en")),
    "metric": ("metrics", "metric", ("name_zh", "name_en")),
}


@dataclass(frozen=True)
class Filters:
    """A query: each tuple is a multi-select (empty = no restriction); dimensions combine with AND.

    Values are the dataset's keys (Chinese city and industry names, event and metric ids); build
    them from user input with :func:`resolve_filters`.
    """

    city: tuple[str, ...] = ()
    province: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    campaign: tuple[str, ...] = ()
    metric: tuple[str, ...] = ()
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
    period_start: str | date | None = None,
    period_end: str | date | None = None,
) -> Filters:
    """Turn user-typed values (Chinese or English names, ids, any case) into :class:`Filters`.

    Raises :class:`QueryError` naming every value the dataset does not know, with the choices.
    """
    given = {
        "city": city,
        "province": province,
        "industry": industry,
        "campaign": campaign,
        "metric": metric,
    }
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
    lookup = _lookup(dataset, dimension)
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
    table, key, aliases = _DIMENSIONS[dimension]
    frame = dataset.tables[table]
    lookup: dict[str, str] = {}
    for column in (*aliases, key):  # the key itself wins over an alias that happens to clash
        for alias, value in zip(frame[column].astype(str), frame[key].astype(str), strict=True):
            lookup[alias.casefold()] = value
    return lookup


def search_figures(figures: pd.DataFrame, text: str) -> pd.DataFrame:
    """Figures whose label, quote, raw string, city, industry or id contain ``text`` (any case)."""
    needle = text.strip().casefold()
    if not needle:
        return figures
    columns = ("figure_id", "label_zh", "label_en", "quote", "raw", "city", "industry")
    mask = np.zeros(len(figures), dtype=bool)
    for column in columns:
        mask |= figures[column].astype(str).str.casefold().str.contains(needle, regex=False)
    return figures[mask]


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
    view = dataset.figure_view
    mask = np.ones(len(view), dtype=bool)
    if filters.city:
        mask &= view["city"].isin(filters.city).to_numpy()
    if filters.province:
        mask &= view["province"].isin(filters.province).to_numpy()
    if filters.metric:
        mask &= view["metric"].isin(filters.metric).to_numpy()
    if filters.industry:
        links = dataset.tables["figure_industries"]
        chosen = links.loc[links["industry"].isin(filters.industry), "figure_id"]
        mask &= view["figure_id"].isin(chosen).to_numpy()
    if filters.campaign:
        events = dataset.tables["events"]
        parent = events["parent_event_id"].astype(str)
        wanted = events.loc[
            events["event_id"].isin(filters.campaign) | parent.isin(filters.campaign), "event_id"
        ]
        mask &= view["event_id"].isin(wanted).to_numpy()
    if filters.period_start:
        mask &= (view["period_end"] >= pd.Timestamp(filters.period_start)).to_numpy()
    if filters.period_end:
        mask &= (view["period_start"] <= pd.Timestamp(filters.period_end)).to_numpy()
    return view[mask]


@dataclass(frozen=True)
class Aggregate:
    """One metric aggregated over the filtered figures.

    Every frame has the columns ``value`` (NaN where the figures may not be added), ``qualifier``
    (exact, at_least, more_than, approx), ``approximate`` (a bound that includes approximate
    parts), ``n_figures`` and ``figure_ids``; ``cells`` is keyed by city and industry,
    ``by_city`` by city, ``by_industry`` by industry, and ``total`` is one row.
    ``cell_parts`` splits each cell by ``shared``: the part from figures of this industry alone
    and the part from figures shared with other industries, which a chart must draw as shared so
    nobody reads 3.55亿 of food-and-appliance sales as appliances alone.
    """

    metric: str
    unit: str
    additive: bool
    is_target: bool
    cells: pd.DataFrame
    cell_parts: pd.DataFrame
    by_city: pd.DataFrame
    by_industry: pd.DataFrame
    total: pd.Series


def aggregate(dataset: Dataset, metric: str, filters: Filters = Filters()) -> Aggregate:
    """Aggregate the filtered figures of ``metric`` by city × industry, by city, by industry, total.

    The metric filter in ``filters`` is replaced by ``metric``: figures of different metrics are
    never combined. A two-industry figure is in both industries' cells but once in each city's
    total and in the grand total.
    """
    metrics = dataset.tables["metrics"].set_index("metric")
    if metric not in metrics.index:
        raise QueryError(f"unknown metric {metric!r}; known: {', '.join(metrics.index)}")
    info = metrics.loc[metric]
    chosen = select_figures(dataset, replace(filters, metric=(metric,)))
    units = set(chosen["unit"].astype(str))
    if len(units) > 1:  # validation forbids it; refuse rather than add yuan to companies
        raise QueryError(f"metric {metric} has figures in several units: {sorted(units)}")
    additive = bool(info["additive"])

    links = dataset.tables["figure_industries"]
    exploded = chosen.drop(columns="industry").merge(links, on="figure_id")
    exploded["shared"] = exploded["figure_id"].map(exploded["figure_id"].value_counts()) > 1
    if filters.industry:  # a two-industry figure shows only under the industries asked for
        exploded = exploded[exploded["industry"].isin(filters.industry)]
    cells = combine(exploded, ["city", "industry"], additive)
    cell_parts = combine(exploded, ["city", "industry", "shared"], additive)
    by_city = combine(chosen, ["city"], additive)
    by_industry = combine(exploded, ["industry"], additive)
    total = combine(chosen.assign(_all=0), ["_all"], additive)
    total_row = (
        total.iloc[0].drop("_all")
        if len(total)
        else pd.Series(
            {
                "value": 0.0 if additive else np.nan,
                "qualifier": "exact",
                "approximate": False,
                "n_figures": 0,
                "figure_ids": (),
            }
        )
    )
    return Aggregate(
        metric=metric,
        unit=str(info["unit"]),
        additive=additive,
        is_target=bool(info["is_target"]),
        cells=cells,
        cell_parts=cell_parts,
        by_city=by_city,
        by_industry=by_industry,
        total=total_row,
    )


def combine(figures: pd.DataFrame, keys: list[str], additive: bool) -> pd.DataFrame:
    """Combine the figures of each group into one value with an honest qualifier.

    Sum of exact parts is exact; any ``more_than`` part makes the sum ``more_than``; else any
    ``at_least`` part makes it ``at_least``; else any ``approx`` part makes it ``approx``. A bound
    with approximate parts keeps the bound and sets ``approximate``. A non-additive group of more
    than one figure has no value.
    """
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
    bound = np.where(out["_more"], "more_than", np.where(out["_least"], "at_least", ""))
    out["qualifier"] = np.where(bound != "", bound, np.where(out["_approx"], "approx", "exact"))
    out["approximate"] = (bound != "") & out["_approx"]
    out.loc[out["value"].isna(), ["qualifier", "approximate"]] = ["exact", False]
    return out[[*keys, "value", "qualifier", "approximate", "n_figures", "figure_ids"]]
