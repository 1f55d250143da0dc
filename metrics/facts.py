"""What the charts show besides sums: the timeline, the companies, targets beside reality, and
the passage a quote comes from. Each answers one question of the page from the dataset alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from metrics.dataset import Dataset
from metrics.query import Aggregate, Filters, combine

# A company role and the metric whose figure counts the companies in that role at an event: the
# report's own count (10家) is better than the number of companies it happens to name (3).
ROLE_METRICS = {
    "park_signing": "companies_signed",
    "campaign_participant": "companies_participating",
}
COMPANY_ROLES = ("park_signing", "award_winner", "campaign_participant")


def _events_in_view(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """Events of the chosen cities/provinces, campaigns and reports whose dates overlap the
    period.

    Events carry no industry in the reports, so the industry and metric filters do not apply.
    """
    events = dataset.tables["events"]
    province = (
        events["city"].astype(str).map(dataset.tables["cities"].set_index("city")["province"])
    )
    mask = pd.Series(True, index=events.index)
    if filters.city:
        mask &= events["city"].isin(filters.city)
    if filters.province:
        mask &= province.isin(filters.province)
    if filters.source:
        mask &= events["source_id"].isin(filters.source)
    if filters.campaign:
        parent = events["parent_event_id"].astype(str)
        mask &= events["event_id"].isin(filters.campaign) | parent.isin(filters.campaign)
    if filters.period_start:
        mask &= events["end"] >= pd.Timestamp(filters.period_start)
    if filters.period_end:
        mask &= events["start"] <= pd.Timestamp(filters.period_end)
    return events[mask]


def timeline(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """Partnerships, campaigns, festivals, conferences, signings and plans in the view, by date."""
    events = _events_in_view(dataset, filters).copy()
    for column in ("event_id", "city", "source_id", "date_inference"):
        events[column] = events[column].astype(str)
    return events.sort_values(["start", "end", "event_id"]).reset_index(drop=True)


def company_summary(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """How many companies signed, won awards or took part, per city, and which ones are named.

    Where the report states a count for the event (10家, 魏桥纺织…等) that figure is used, with its
    qualifier; otherwise the number of companies the report names. Columns: city, role, value,
    qualifier, approximate, basis ("figure" or "named"), names_zh, names_en, figure_ids.
    """
    events = _events_in_view(dataset, filters)
    roles = dataset.tables["company_roles"]
    roles = roles[roles["event_id"].isin(events["event_id"]) & roles["role"].isin(COMPANY_ROLES)]
    roles = roles.merge(dataset.tables["companies"], on="company_id")
    roles = roles.merge(events[["event_id", "city"]], on="event_id")
    # Only figures counting companies at the events with named companies can be stated counts:
    # a small frame to look each event up in, instead of every figure of the dataset.
    index = dataset.figure_index
    counted = index.mask(Filters(metric=tuple(ROLE_METRICS.values())))
    counted &= index.lookup(index.event_keys, roles["event_id"].astype(str))[index.event]
    figures = dataset.figure_view.iloc[np.flatnonzero(counted)]
    parts = []
    for (city, role, event_id), group in roles.groupby(
        [roles["city"].astype(str), roles["role"].astype(str), roles["event_id"].astype(str)]
    ):
        stated = figures[
            (figures["event_id"] == event_id) & (figures["metric"] == ROLE_METRICS.get(role, ""))
        ]
        if len(stated):
            fig = stated.iloc[0]
            value, qualifier, figure_id, basis = (
                fig["value"],
                str(fig["qualifier"]),
                str(fig["figure_id"]),
                "figure",
            )
        else:
            value, qualifier, figure_id, basis = float(len(group)), "exact", "", "named"
        parts.append(
            {
                "city": city,
                "role": role,
                "figure_id": figure_id or f"named:{event_id}:{role}",
                "value": value,
                "qualifier": qualifier,
                "basis": basis,
                "names_zh": tuple(group["name_zh"]),
                "names_en": tuple(group["name_en"]),
            }
        )
    columns = [
        "city",
        "role",
        "value",
        "qualifier",
        "approximate",
        "n_figures",
        "figure_ids",
        "basis",
        "names_zh",
        "names_en",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(parts)
    summary = combine(frame, ["city", "role"], additive=True)
    extra = (
        frame.groupby(["city", "role"])
        .agg(
            basis=("basis", lambda s: "figure" if (s == "figure").all() else "named"),
            names_zh=("names_zh", lambda s: tuple(n for names in s for n in names)),
            names_en=("names_en", lambda s: tuple(n for names in s for n in names)),
        )
        .reset_index()
    )
    summary = summary.merge(extra, on=["city", "role"])
    # Only real figures are sources; a named count's placeholder id is dropped.
    summary["figure_ids"] = [
        tuple(i for i in ids if not i.startswith("named:")) for ids in summary["figure_ids"]
    ]
    return summary[columns]


def unnamed_company_counts(dataset: Dataset, filters: Filters) -> int:
    """How many figures in the view count companies (signed, taking part): what a report
    states without naming the companies, which :func:`company_summary` leaves out."""
    return len(_rows_of_metrics(dataset, filters, set(ROLE_METRICS.values())))


class TargetRows(NamedTuple):
    """The rows a targets chart draws, how many city · industry pairs the view holds, and how
    many earlier figures of the pairs drawn were left out."""

    rows: pd.DataFrame
    pairs: int
    earlier: int = 0


_TARGET_COLUMNS = ["figure_id", "source_id", "city", "metric", "value", "unit", "qualifier"]


def targets_vs_scale(
    dataset: Dataset, filters: Filters, limit: int | None = None, *, latest: bool = False
) -> TargetRows:
    """Each target figure beside the reported figures of the metric it is measured against.

    Rows are figures (one per industry), with ``side`` = "target" or "reported"; the two sides
    are shown next to each other and never added. With ``limit``, only that many city · industry
    pairs are kept: those with the largest target, then those with the largest reported figure.
    With ``latest``, each pair keeps only its latest figure on each side (by the end of its
    period, then the larger): a chart draws one bar per side, and the figures left out are
    counted in ``earlier``.
    """
    metrics = dataset.tables["metrics"]
    pairs = metrics[metrics["target_of"] != ""][["metric", "target_of"]]
    wanted = set(pairs["metric"]) | set(pairs["target_of"])
    index = dataset.figure_index
    chosen = index.mask(replace(filters, metric=tuple(sorted(wanted))))
    links = index.links(np.flatnonzero(chosen), filters.industry)
    rows, industry = index.link_figure[links], index.link_industry[links]
    target = np.isin(index.metric_keys[index.metric[rows]], list(pairs["metric"]))
    pair = index.city[rows].astype(np.int64) * len(index.industry_keys) + industry
    ranking = pd.DataFrame({"pair": pair, "target": np.where(target, index.value[rows], -1.0)})
    ranking["value"] = index.value[rows]
    best = ranking.groupby("pair").max().sort_values(["target", "value"], ascending=False)
    keep = np.isin(pair, best.index[:limit]) if limit is not None else np.ones(len(rows), bool)
    earlier = 0
    if latest and len(rows):
        slot = pair * 2 + target
        order = np.lexsort((index.value[rows], index.end[rows], slot))
        last = np.append(slot[order][1:] != slot[order][:-1], True)
        newest = np.zeros(len(rows), dtype=bool)
        newest[order[last]] = True
        earlier = int((keep & ~newest).sum())
        keep &= newest
    view = dataset.figure_view
    frame = view.iloc[rows[keep]][[*_TARGET_COLUMNS, "label_zh", "label_en"]].assign(
        industry=index.industry_keys[industry[keep]],
        side=np.where(target[keep], "target", "reported"),
    )
    for column in _TARGET_COLUMNS:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(str)
    ordered = frame.sort_values(["city", "industry", "side"]).reset_index(drop=True)
    return TargetRows(ordered, len(best), earlier)


def target_rows(dataset: Dataset, filters: Filters) -> np.ndarray:
    """The rows of the figures in the view that are targets — of a metric the metrics table
    marks ``is_target`` — in dataset order: goals, never added to anything."""
    metrics = dataset.tables["metrics"]
    targets = set(metrics.loc[metrics["is_target"].astype(bool), "metric"].astype(str))
    return _rows_of_metrics(dataset, filters, targets)


def _rows_of_metrics(dataset: Dataset, filters: Filters, metrics: set[str]) -> np.ndarray:
    """The rows of the figures in the view that are of one of ``metrics`` (of those the
    view's own metric filter keeps, if it has one), in dataset order."""
    wanted = tuple(m for m in (filters.metric or sorted(metrics)) if m in metrics)
    if not wanted:
        return np.array([], dtype=np.int64)
    return np.flatnonzero(dataset.figure_index.mask(replace(filters, metric=wanted)))


PROVINCES = Path(__file__).resolve().parent / "resources" / "provinces.csv"


@cache
def province_layout() -> pd.DataFrame:
    """China's 34 province-level units with their English names and a place on a tile grid
    (``tile_x`` west to east, ``tile_y`` north to south): a schematic layout by rough
    geography, not a map (see ``metrics/resources/README.md``)."""
    return pd.read_csv(PROVINCES, dtype={"province": str, "name_en": str, "kind": str})


def province_values(result: Aggregate) -> pd.DataFrame:
    """An aggregated metric for every province-level unit of the tile layout: those without
    figures keep their row with ``n_figures`` 0 and no value, so a tile says "no data"."""
    merged = province_layout().merge(result.by_province, on="province", how="left")
    merged["n_figures"] = merged["n_figures"].fillna(0).astype(int)
    merged["qualifier"] = merged["qualifier"].fillna("exact")
    merged["approximate"] = merged["approximate"].fillna(False).astype(bool)
    return merged


def quantile_classes(values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``n`` classes of ``values`` by their quantiles (NaN: no value): each value's
    class, 0 the lowest (a NaN gets 0: say "no value" apart), and the classes' edges, lowest
    first. Equal quantiles merge, so a few distinct values make fewer classes; a single value
    (or all equal) makes one class, edges ``[v, v]``; no values make none, edges ``[]``."""
    shown = values[~np.isnan(values)]
    if len(shown) == 0:
        return np.zeros(len(values), dtype=int), np.array([])
    edges = np.unique(np.quantile(shown, np.linspace(0, 1, n + 1)))
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0]])
    classes = np.searchsorted(edges[1:-1], np.nan_to_num(values), side="right")
    return classes, edges


def city_ranking(dataset: Dataset, result: Aggregate, limit: int) -> tuple[pd.DataFrame, int, int]:
    """The cities with the largest values of an aggregated metric (ties by name), at most
    ``limit``; how many cities have a value; and how many have figures that may not be added
    (several figures of a non-additive metric), which no ranking can place."""
    by_city = result.by_city
    valued = by_city[by_city["value"].notna()]
    ranked = valued.sort_values(["value", "city"], ascending=[False, True]).head(limit)
    cities = dataset.tables["cities"][["city", "province"]].astype(str)
    ranked = ranked.merge(cities, on="city", how="left")
    return ranked.reset_index(drop=True), len(valued), len(by_city) - len(valued)


@dataclass(frozen=True)
class Passage:
    """The paragraph of a report around a figure's quote, split so the quote can be highlighted."""

    figure_id: str
    source_id: str
    title_zh: str
    title_en: str
    before: str
    quote: str
    after: str


def source_passage(dataset: Dataset, figure_id: str) -> Passage | None:
    """The paragraph holding the figure's quote, or ``None`` for an unknown figure."""
    row = dataset.figure_index.position(figure_id)
    if row is None:
        return None
    fig = dataset.tables["figures"].iloc[row]
    source_id = str(fig["source_id"])
    text = dataset.texts[source_id]
    quote = str(fig["quote"])
    at = text.index(quote)  # validated: the quote is in the text
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at + len(quote))
    end = len(text) if end < 0 else end
    source = dataset.tables["sources"].set_index("source_id").loc[source_id]
    return Passage(
        figure_id=figure_id,
        source_id=source_id,
        title_zh=str(source["title_zh"]),
        title_en=str(source["title_en"]),
        before=text[start:at],
        quote=quote,
        after=text[at + len(quote) : end],
    )
