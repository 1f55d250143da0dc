"""Each target beside the reported figure it is measured against, never added to it."""

from __future__ import annotations

import numpy as np

from dashboard.charts.base import (
    GRID,
    PATTERNS,
    TARGET_PATTERN,
    Figure,
    category_labels,
    empty_figure,
    escape,
    figure,
    finish,
    groups,
    industry_colours,
    patterns,
    said,
    swatch,
)
from dashboard.i18n import t
from metrics import Dataset
from metrics.facts import targets_vs_scale
from metrics.present import axis_scale, format_amount, names
from metrics.query import Filters

TARGET_PAIRS_SHOWN = 12
ROW_CHARS = {"zh": 10, "en": 22}


def targets_against_scale(dataset: Dataset, filters: Filters, lang: str) -> Figure:
    """Horizontal bars: per city and industry, the stated scale and the target beside it."""
    title = t("chart_targets", lang)
    rows, pairs, earlier = targets_vs_scale(dataset, filters, TARGET_PAIRS_SHOWN, latest=True)
    if rows.empty:
        return empty_figure(dataset, lang, title)
    unit = str(rows["unit"].iloc[0])
    divisor, unit_label = axis_scale(dataset, float(rows["value"].max()), unit, lang)
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    # Rows name their industry; colours tell the industries of the legend apart.
    colours = industry_colours(dataset, dict.fromkeys(rows["industry"]))
    pair_names = {
        (c, i): f"{city_names[c]} · {industry_names[i]}"
        for c, i in zip(rows["city"], rows["industry"], strict=True)
    }
    ticks = category_labels(pair_names, ROW_CHARS[lang])  # type: ignore[arg-type]
    alt: list[str] = []
    fig = figure(
        barmode="group",
        height=max(320, 200 + 44 * len(ticks)),
        xaxis={"title": {"text": t("axis_output", lang, unit=unit_label)}, "gridcolor": GRID},
        yaxis={"autorange": "reversed"},
    )
    # One trace per side and industry, so each has one colour (a colour array breaks patterns);
    # offsetgroup keeps each side in the same slot of every row.
    for (side, industry), group in groups(rows, ["side", "industry"]):
        target = side == "target"
        labels = [
            format_amount(dataset, v, unit, lang, qualifier=q, target=target)
            for v, q in zip(group["value"], group["qualifier"], strict=True)
        ]
        keys = list(zip(group["city"], group["industry"], strict=True))
        alt += [said(pair_names[k], label, lang) for k, label in zip(keys, labels, strict=True)]
        fig["data"].append(
            {
                "type": "bar",
                "name": t("target", lang) if target else t("stated", lang),
                "orientation": "h",
                "y": [ticks[k] for k in keys],
                "x": group["value"] / divisor,
                "text": labels,
                "textposition": "inside",
                "insidetextanchor": "end",
                "offsetgroup": side,
                "marker": {
                    "color": colours[industry],
                    "opacity": 0.55 if target else 1.0,
                    "pattern": patterns(
                        TARGET_PATTERN if target else PATTERNS[q] for q in group["qualifier"]
                    ),
                },
                "customdata": np.column_stack(
                    [
                        group["figure_id"],
                        [escape(x) for x in group["label_zh" if lang == "zh" else "label_en"]],
                        [escape(pair_names[k]) for k in keys],
                    ]
                ),
                "hovertemplate": "%{customdata[2]}<br>%{customdata[1]}<br>%{text}<extra></extra>",
            }
        )
    notes = [t("targets_note", lang), t("legend_bounds", lang)]
    shown = rows.groupby(["city", "industry"]).ngroups
    if pairs > shown:
        notes.append(t("shown_targets", lang, n=shown, total=pairs))
    if earlier:
        notes.append(t("earlier_targets", lang, n=earlier))
    legend = [(swatch(colours[i]), industry_names[i]) for i in colours]
    return finish(fig, dataset, lang, title, rows["source_id"], notes, legend, alt)
