"""The cities with the largest values of the map's metric — all cities, or those of the chosen
provinces — as a ranked bar chart; a click on a bar filters by that city."""

from __future__ import annotations

from dashboard.charts.base import (
    GRID,
    OKABE_ITO,
    PATTERNS,
    Figure,
    category_labels,
    empty_figure,
    escape,
    figure,
    finish,
    id_list,
    patterns,
    said,
)
from dashboard.i18n import t
from metrics import Dataset
from metrics.facts import city_ranking
from metrics.present import axis_scale, format_amount, names
from metrics.query import Filters, aggregate

CITIES_RANKED = 15
TICK_CHARS = {"zh": 8, "en": 20}


def ranked_cities(dataset: Dataset, filters: Filters, lang: str, metric: str) -> Figure:
    """Horizontal bars, the largest value on top; bounds hatched like everywhere else."""
    metric_name = names(dataset, "metrics", lang)[metric]
    where = names(dataset, "provinces", lang)
    places = t("list_sep", lang).join(where[p] for p in filters.province)
    title = (
        t("chart_ranking_in", lang, metric=metric_name, places=places)
        if filters.province
        else t("chart_ranking", lang, metric=metric_name)
    )
    result = aggregate(dataset, metric, filters, ids_kept=3)
    ranked, valued, unranked = city_ranking(dataset, result, CITIES_RANKED)
    if ranked.empty:
        return empty_figure(dataset, lang, title)
    divisor, unit_label = axis_scale(dataset, float(ranked["value"].max()), result.unit, lang)
    city_names = names(dataset, "cities", lang)
    ticks = category_labels({c: city_names[c] for c in ranked["city"]}, TICK_CHARS[lang])
    labels = [
        format_amount(dataset, v, result.unit, lang, qualifier=q, approximate=a)
        for v, q, a in zip(ranked["value"], ranked["qualifier"], ranked["approximate"], strict=True)
    ]
    fig = figure(
        clickmode="event",
        height=max(260, 180 + 26 * len(ranked)),
        bargap=0.25,
        yaxis={"autorange": "reversed"},
        xaxis={
            "title": {"text": t("axis_metric", lang, metric=metric_name, unit=unit_label)},
            "rangemode": "tozero",
            "gridcolor": GRID,
        },
    )
    fig["data"].append(
        {
            "type": "bar",
            "orientation": "h",
            "y": [ticks[c] for c in ranked["city"]],
            "x": ranked["value"].to_numpy() / divisor,
            "text": labels,
            "textposition": "inside",
            "insidetextanchor": "end",
            "marker": {
                "color": OKABE_ITO[0],
                "pattern": patterns(PATTERNS[q] for q in ranked["qualifier"]),
            },
            "customdata": [
                [c, escape(city_names[c]), label, id_list(ids, n)]
                for c, label, ids, n in zip(
                    ranked["city"], labels, ranked["figure_ids"], ranked["n_figures"], strict=True
                )
            ],
            "hovertemplate": "%{customdata[1]}<br>%{customdata[2]}<br>%{customdata[3]}"
            "<extra></extra>",
        }
    )
    notes = [t("legend_bounds", lang)]
    if valued > len(ranked):
        notes.append(t("shown_ranking", lang, n=len(ranked), total=valued))
    if unranked:
        notes.append(t("unranked", lang, n=unranked))
    alt = [said(city_names[c], x, lang) for c, x in zip(ranked["city"], labels, strict=True)]
    return finish(fig, dataset, lang, title, result.source_ids, notes, (), alt, valued)
