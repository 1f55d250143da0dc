"""China's 34 province-level units as equal tiles in a schematic layout, coloured by a metric;
a click on a tile filters by that province.

No boundaries are drawn: the only boundary data available offline does not follow China's
official standard map, and a map of China must not show any other. The tiles are placed by
rough geography (``metrics/resources/provinces.csv``) and the chart says it is a schematic.
Each tile is a bar of a bar chart, so it takes the same hatching as every other chart: a
province whose value is a lower bound looks like one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.charts.base import (
    INK,
    PATTERNS,
    Figure,
    escape,
    figure,
    finish,
    merge,
    patterns,
    said,
    swatch,
    text_block_height,
)
from dashboard.i18n import t
from metrics import Dataset
from metrics.facts import province_values, quantile_classes
from metrics.present import format_amount, names
from metrics.query import Filters, aggregate

# A sequential single-hue scale (ColorBrewer Blues): its classes differ in lightness, which
# every common colour-vision deficiency still tells apart.
CLASS_COLOURS = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA, NOT_ADDITIVE = "#e8ecf1", "#c3c9d1"
TILE = 0.92  # a tile's side, in grid cells: the rest is the gap between tiles


def province_tiles(dataset: Dataset, filters: Filters, lang: str, metric: str) -> Figure:
    """The tile map of ``metric`` for the filtered figures."""
    metric_names = names(dataset, "metrics", lang)
    title = t("chart_tiles", lang, metric=metric_names[metric])
    result = aggregate(dataset, metric, filters, ids_kept=0)
    rows = province_values(result)
    unit = result.unit
    has = (rows["n_figures"] > 0).to_numpy()
    valued = has & rows["value"].notna().to_numpy()
    classes, legend = _classes(dataset, rows["value"].to_numpy(dtype=float), unit, lang)
    colours = np.where(valued, [CLASS_COLOURS[c] for c in classes], NO_DATA)
    colours = np.where(has & ~valued, NOT_ADDITIVE, colours)
    # An English name of two words takes two lines of its tile.
    label = [
        escape(name).replace(" ", "<br>")
        for name in (rows["province"] if lang == "zh" else rows["name_en"])
    ]
    values = [
        format_amount(dataset, v, unit, lang, qualifier=q, approximate=a)
        if ok
        else (t("tile_not_additive", lang, n=n) if n else t("no_data", lang))
        for v, q, a, n, ok in zip(
            rows["value"],
            rows["qualifier"],
            rows["approximate"],
            rows["n_figures"],
            valued,
            strict=True,
        )
    ]
    bounds = [PATTERNS[q] if ok else "" for q, ok in zip(rows["qualifier"], valued, strict=True)]
    place = rows["province"] if lang == "zh" else rows["name_en"]
    figures = [t("tile_figures", lang, n=n) for n in rows["n_figures"]]
    tiles = pd.DataFrame(
        {
            "province": rows["province"],
            "x": rows["tile_x"],
            "base": -rows["tile_y"] - TILE / 2,
            "text": label,
            "colour": colours,
            "chosen": rows["province"].isin(filters.province),
            "pattern": bounds,
            "hover": [
                "<br>".join(escape(x) for x in parts)
                for parts in zip(place, values, figures, strict=True)
            ],
        }
    )
    # A tile is clicked to filter by its province: only a province the dataset has can be a
    # filter, so the others are drawn apart, without the key a click would carry.
    known = tiles["province"].isin(set(names(dataset, "provinces", "zh")))
    # No fixed aspect ratio: Plotly then no longer makes room for the text above the plot.
    # The tiles take the card's width and a fixed height per row instead. Overlaid: two traces
    # of bars would otherwise share each slot, half a tile each.
    fig = figure(
        clickmode="event",
        height=640,
        bargap=0,
        barmode="overlay",
        xaxis={"visible": False, "range": [-0.6, 6.6], "fixedrange": True},
        yaxis={"visible": False, "range": [-7.6, 0.6], "fixedrange": True},
    )
    fig["data"] = [_tiles(tiles[known], clickable=True), _tiles(tiles[~known], clickable=False)]
    legend.append((swatch(NO_DATA), t("no_data", lang)))
    if (has & ~valued).any():
        legend.append((swatch(NOT_ADDITIVE), t("tile_not_additive_legend", lang)))
    notes = [t("tiles_note", lang), t("legend_bounds", lang)]
    if not has.any():
        notes.insert(0, t("empty_chart", lang))
    # Said largest first; a province whose figures do not add up says so after them.
    order = pd.Series(np.where(valued, rows["value"].to_numpy(dtype=float), -1.0))[has]
    alt = [said(place.iloc[i], values[i], lang) for i in order.sort_values(ascending=False).index]
    fig = finish(fig, dataset, lang, title, result.source_ids, notes, legend, alt)
    # Plotly does not grow the top margin for the title here (its axes are hidden), so the
    # text hangs from the top and the room is made by hand.
    merge(
        fig["layout"],
        {
            "title": {
                "automargin": False,
                "yref": "container",
                "y": 1,
                "yanchor": "top",
                "pad": {"t": 16},
            },
            "margin": {"t": text_block_height(fig) + 40},
        },
    )
    return fig


def _tiles(tiles: pd.DataFrame, *, clickable: bool) -> dict:
    """Tiles as bars of a bar chart: one grid cell wide and high, placed by their base."""
    bar = {
        "type": "bar",
        "x": tiles["x"].to_numpy(),
        "y": np.full(len(tiles), TILE),
        "base": tiles["base"].to_numpy(),
        "width": TILE,
        "text": tiles["text"].to_numpy(),
        "textposition": "inside",
        "insidetextanchor": "middle",
        "textangle": 0,
        "marker": {
            "color": tiles["colour"].to_numpy(),
            # A chosen province is outlined; hatching marks a bound, as on every chart.
            "line": {
                "color": np.where(tiles["chosen"], INK, "#ffffff"),
                "width": np.where(tiles["chosen"], 3, 1),
            },
            "pattern": patterns(tiles["pattern"]),
        },
        "hovertext": tiles["hover"].to_numpy(),
        "hovertemplate": "%{hovertext}<extra></extra>",
    }
    if clickable:
        bar["customdata"] = tiles[["province"]].to_numpy()
    return bar


def _classes(
    dataset: Dataset, values: np.ndarray, unit: str, lang: str
) -> tuple[list[int], list[tuple[str, str]]]:
    """Each province's colour (an index into CLASS_COLOURS) by its value's quantile class, and
    the legend entries naming each class's range."""
    classes, edges = quantile_classes(values, len(CLASS_COLOURS))
    n = len(edges) - 1
    if n < 1:
        return [0] * len(values), []
    # Spread the classes over the scale: two classes are its lightest and darkest.
    colour_of = np.round(np.linspace(0, len(CLASS_COLOURS) - 1, n)).astype(int) if n > 1 else [2]
    amount = [format_amount(dataset, float(e), unit, lang) for e in edges]
    ranges = [f"{amount[i]} – {amount[i + 1]}" for i in range(n)] if n > 1 else amount[:1]
    legend = [(swatch(CLASS_COLOURS[colour_of[i]]), ranges[i]) for i in range(n)]
    return [int(colour_of[c]) for c in classes], legend
