"""Partnerships, campaigns, festivals, conferences, signings and plans over time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.charts.base import (
    GRID,
    OKABE_ITO,
    Figure,
    empty_figure,
    escape,
    figure,
    finish,
    said,
    short,
    swatch,
)
from dashboard.i18n import t
from metrics import Dataset
from metrics.facts import timeline
from metrics.present import names
from metrics.query import Filters

# Each kind of event: its Plotly marker and the same shape as a character for the legend
# (shapes every CJK font has).
KIND_MARKS = {
    "partnership": ("diamond", "◆"),
    "campaign": ("circle", "●"),
    "festival": ("star", "★"),
    "conference": ("square", "■"),
    "signing": ("triangle-up", "▲"),
    "award_ceremony": ("triangle-down", "▼"),
    "plan": ("x", "×"),
}
EVENTS_SHOWN = 30
ROW_CHARS = {"zh": 14, "en": 24}  # an event's row label; the whole name is on hover


def event_timeline(dataset: Dataset, filters: Filters, lang: str) -> Figure:
    """Events on a time axis, the latest few; spans drawn where the text gives an end."""
    title = t("chart_timeline", lang)
    events = timeline(dataset, filters)
    if events.empty:
        return empty_figure(dataset, lang, title)
    total = len(events)
    events = events.tail(EVENTS_SHOWN)  # sorted by date: the latest
    city_names = names(dataset, "cities", lang)
    name_col = "name_zh" if lang == "zh" else "name_en"
    events = events.assign(
        row=[
            f"{city_names[c]} · {short(n, ROW_CHARS[lang])}"
            for c, n in zip(events["city"], events[name_col], strict=True)
        ]
    )
    alt = [
        said(f"{city_names[e.city]} · {getattr(e, name_col)}", _date_text(e, lang), lang)
        for e in events.iloc[::-1].itertuples()
    ]
    fig = figure(
        height=max(360, 160 + 34 * len(events)),
        yaxis={"autorange": "reversed"},
        xaxis={"title": {"text": t("axis_date", lang)}, "type": "date", "gridcolor": GRID},
    )
    colours = dict(zip(KIND_MARKS, OKABE_ITO, strict=False))
    for kind, group in events.groupby("kind", sort=False):
        spans = group[group["end"] > group["start"]]
        for row in spans.itertuples():
            fig["data"].append(
                {
                    "type": "scatter",
                    "x": [row.start, row.end],
                    "y": [row.row, row.row],
                    "mode": "lines",
                    "line": {"color": colours[kind], "width": 6},
                    "opacity": 0.45,
                    "hoverinfo": "skip",
                }
            )
        dates = [_date_text(r, lang) for r in group.itertuples()]
        shapes = [KIND_MARKS[kind][0] + ("-open" if x else "") for x in group["date_inferred"]]
        fig["data"].append(
            {
                "type": "scatter",
                "x": group["start"].to_numpy(),
                "y": group["row"].to_numpy(),
                "mode": "markers",
                "name": t(f"kind_{kind}", lang),
                "marker": {
                    "symbol": shapes,
                    "size": 13,
                    "color": colours[kind],
                    "line": {"width": 2},
                },
                "customdata": np.column_stack([[escape(n) for n in group[name_col]], dates]),
                "hovertemplate": "%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            }
        )
    notes = [t("timeline_note", lang)]
    if total > len(events):
        notes.append(t("shown_events", lang, n=len(events), total=total))
    legend = [
        (swatch(colours[kind], KIND_MARKS[kind][1]), t(f"kind_{kind}", lang))
        for kind in KIND_MARKS
        if kind in set(events["kind"])
    ]
    return finish(fig, dataset, lang, title, events["source_id"], notes, legend, alt, total)


def _date_text(event: object, lang: str) -> str:
    """An event's dates at the precision the text gives them, marked when inferred."""
    start: pd.Timestamp = event.start  # type: ignore[attr-defined]
    end: pd.Timestamp = event.end  # type: ignore[attr-defined]
    precision = event.precision  # type: ignore[attr-defined]
    if precision == "day":
        text = start.strftime("%Y-%m-%d") + (
            "" if end == start else " – " + end.strftime("%Y-%m-%d")
        )
    elif precision == "month":
        text = start.strftime("%Y-%m")
    elif precision == "year":
        text = str(start.year)
    else:
        text = f"{start.year}–{end.year}"
    if event.date_inferred:  # type: ignore[attr-defined]
        text += f" ({t('inferred', lang)})"
    return text
