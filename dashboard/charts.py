"""Plotly figures for the page. Each takes the dataset, the filters and a language, asks
:mod:`metrics` for the numbers, and only draws them.

Traces get numpy arrays, not pandas Series: Plotly inspects a Series through narwhals on every
property, which cost more than the query at national scale.

Honesty is visual: lower bounds are hatched, approximations dotted, targets drawn as a grid, and
every bar's label carries the qualifier (≥, >, ~) and the target mark. Colours are the Okabe–Ito
palette, distinguishable with the common colour-vision deficiencies
(https://jfly.uni-koeln.de/color/). Every chart names its reports in a source line, so a saved
PNG still says where its numbers come from.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from metrics import Dataset
from metrics.facts import city_values, company_summary, targets_vs_scale, timeline
from metrics.present import axis_scale, format_amount, names
from metrics.query import Filters, aggregate

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, system-ui, sans-serif"
PATTERNS = {"exact": "", "approx": ".", "at_least": "/", "more_than": "/"}
TARGET_PATTERN = "+"
ROLE_ORDER = ("park_signing", "award_winner", "campaign_participant")
KIND_SYMBOLS = {
    "partnership": "diamond",
    "campaign": "circle",
    "festival": "star",
    "conference": "square",
    "signing": "triangle-up",
    "award_ceremony": "hexagram",
    "plan": "cross",
}
# The extent of China, for the map's axes (degrees).
CHINA_LON, CHINA_LAT = (73.0, 136.0), (17.0, 54.0)


def _base(
    fig: go.Figure,
    dataset: Dataset,
    lang: str,
    title: str,
    source_ids: Iterable[str],
    notes: Iterable[str] = (),
) -> go.Figure:
    """Title, fonts, and the lines under the plot: notes, then the source line."""
    ids = sorted(set(map(str, source_ids)))
    # One report per line: two long titles on one line run off a half-width chart. Past a
    # few reports a chart names how many; the figures table lists each figure's report.
    if len(ids) > SOURCES_NAMED:
        sources = [t("source_many", lang, n=len(ids))]
    else:
        titles = _source_titles(dataset, ids, lang)
        sources = [t("source_line", lang, titles=titles[0]), *titles[1:]] if titles else []
    lines = [*notes, *sources]
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#1f2933"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        margin={"l": 64, "r": 24, "t": 56, "b": 48 + 20 * len(lines)},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        separators=".,",
    )
    for i, line in enumerate(reversed(lines)):
        fig.add_annotation(
            text=line,
            xref="paper",
            yref="paper",
            x=0,
            xanchor="left",
            y=0,
            yanchor="top",
            yshift=-36 - 20 * i,
            showarrow=False,
            font={"size": 11, "color": "#52606d"},
            align="left",
        )
    return fig


def _source_titles(dataset: Dataset, ids: list[str], lang: str) -> list[str]:
    sources = dataset.tables["sources"].set_index("source_id")
    column = "title_zh" if lang == "zh" else "title_en"
    return [
        f"《{sources.at[i, column]}》" if lang == "zh" else sources.at[i, column]
        for i in ids
        if i in sources.index
    ]


SOURCES_NAMED = 3
IDS_SHOWN = 3  # a hover names a few figures; at national scale a bar may hold thousands
# What a chart can show readably; past it the chart says what it left out. At national scale
# the figures table and the spreadsheet hold everything.
CITIES_SHOWN, INDUSTRIES_SHOWN = 12, len(OKABE_ITO)
EVENTS_SHOWN = 30
TARGET_PAIRS_SHOWN = 12
MAP_LABELS = 40  # cities the map labels with their value; past it, values are on hover


def id_list(ids: tuple[str, ...], count: int) -> str:
    """The first few of ``count`` figure ids and how many more: what a tooltip can show."""
    shown = ", ".join(ids[:IDS_SHOWN])
    return shown + (f" … (+{count - IDS_SHOWN})" if count > IDS_SHOWN else "")


def _say_empty(fig: go.Figure, lang: str, *, y: float) -> go.Figure:
    fig.add_annotation(
        text=t("empty_chart", lang),
        x=0.5,
        y=y,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 15, "color": "#52606d"},
    )
    return fig


def _patterns(shapes: Iterable[str]) -> dict:
    """Bar fill patterns, drawn in white over the bar's colour so the colour still reads."""
    return {"shape": list(shapes), "fillmode": "overlay", "fgcolor": "#ffffff"}


def empty_figure(dataset: Dataset, lang: str, title: str) -> go.Figure:
    """A chart that says in words that nothing matches, instead of empty axes."""
    fig = _say_empty(go.Figure(), lang, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base(fig, dataset, lang, title, ())


def sales_by_city_industry(dataset: Dataset, filters: Filters, lang: str) -> go.Figure:
    """Chart 1: campaign sales per city, one bar per industry; click a bar to filter by it.

    A figure shared by several industries (the 618 sales of food and appliances together) is the
    pale top segment of each of its industries' bars, so no bar claims it for one industry alone.
    """
    title = t("chart_sales", lang)
    result = aggregate(dataset, "campaign_sales", filters, ids_kept=IDS_SHOWN)
    if result.cells.empty:
        return empty_figure(dataset, lang, title)
    cities = _largest(result.by_city, "city", CITIES_SHOWN)
    industries = _largest(result.by_industry, "industry", INDUSTRIES_SHOWN)
    cells = result.cells
    cells = cells[cells["city"].isin(cities) & cells["industry"].isin(industries)]
    divisor, unit_label = axis_scale(dataset, float(cells["value"].max()), result.unit, lang)
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    colours = _industry_colours(dataset)
    totals = {
        (c, i): format_amount(dataset, v, result.unit, lang, qualifier=q, approximate=a)
        for c, i, v, q, a in cells[
            ["city", "industry", "value", "qualifier", "approximate"]
        ].itertuples(index=False)
    }
    parts = result.cell_parts
    parts = parts[parts["city"].isin(cities) & parts["industry"].isin(industries)]
    has_shared = set(map(tuple, parts.loc[parts["shared"], ["city", "industry"]].to_numpy()))
    own_parts = parts[~parts["shared"]]
    own = dict(
        zip(
            zip(own_parts["city"], own_parts["industry"], strict=True),
            own_parts["value"],
            strict=True,
        )
    )
    fig = go.Figure()
    for (industry, shared), group in parts.groupby(["industry", "shared"], sort=False):
        keys = list(zip(group["city"], group["industry"], strict=True))
        # The total goes on the top segment of each bar: the shared one where there is one.
        text = [totals[k] if shared or k not in has_shared else "" for k in keys]
        name = industry_names[industry] + (t("shared_suffix", lang) if shared else "")
        part_text = [
            format_amount(dataset, v, result.unit, lang, qualifier=q)
            for v, q in zip(group["value"], group["qualifier"], strict=True)
        ]
        fig.add_bar(
            name=name,
            legendgroup=industry,
            offsetgroup=industry,
            x=[city_names[c] for c in group["city"]],
            y=group["value"].to_numpy() / divisor,
            base=[own.get(k, 0.0) / divisor for k in keys] if shared else None,
            text=text,
            textposition="outside",
            cliponaxis=False,
            marker={
                "color": colours[industry],
                "opacity": 0.45 if shared else 1.0,
                "pattern": _patterns(PATTERNS[q] for q in group["qualifier"]),
            },
            customdata=[
                [c, industry, p, id_list(ids, n)]
                for c, p, ids, n in zip(
                    group["city"], part_text, group["figure_ids"], group["n_figures"], strict=True
                )
            ],
            hovertemplate="%{x} · " + name + "<br>%{customdata[2]}<br>%{customdata[3]}"
            "<extra></extra>",
        )
    fig.update_layout(barmode="group", clickmode="event", bargap=0.35, height=420)
    fig.update_yaxes(
        title=t("axis_sales", lang, unit=unit_label), rangemode="tozero", gridcolor="#e4e7eb"
    )
    notes = [t("legend_bounds", lang)] + ([t("shared_note", lang)] if has_shared else [])
    left_out = [
        t(key, lang, n=len(shown), total=len(every))
        for key, shown, every in (
            ("shown_cities", cities, result.by_city),
            ("shown_industries", industries, result.by_industry),
        )
        if len(shown) < len(every)
    ]
    if left_out:
        notes.append(t("shown_sales", lang, what=t("list_sep", lang).join(left_out)))
    sources = result.source_ids_where(city=cities, industry=industries)
    return _base(fig, dataset, lang, title, sources, notes)


def _largest(frame: pd.DataFrame, key: str, n: int) -> list[str]:
    """The ``n`` keys with the largest values (ties by key, so the choice is stable)."""
    ranked = frame.assign(_v=frame["value"].fillna(-1.0)).sort_values(
        ["_v", key], ascending=[False, True]
    )
    return list(ranked[key].head(n))


def _industry_colours(dataset: Dataset) -> dict[str, str]:
    industries = dataset.tables["industries"]["industry"].astype(str)
    return {name: OKABE_ITO[i % len(OKABE_ITO)] for i, name in enumerate(industries)}


def event_timeline(dataset: Dataset, filters: Filters, lang: str) -> go.Figure:
    """Chart 2: partnerships, campaigns, festivals, conferences, signings and plans over time."""
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
            f"{city_names[c]} · {_short(n, 14 if lang == 'zh' else 22)}"
            for c, n in zip(events["city"], events[name_col], strict=True)
        ]
    )
    fig = go.Figure()
    colours = dict(zip(KIND_SYMBOLS, OKABE_ITO, strict=False))
    for kind, group in events.groupby("kind", sort=False):
        spans = group[group["end"] > group["start"]]
        for row in spans.itertuples():
            fig.add_scatter(
                x=[row.start, row.end],
                y=[row.row, row.row],
                mode="lines",
                line={"color": colours[kind], "width": 6},
                opacity=0.45,
                showlegend=False,
                hoverinfo="skip",
            )
        dates = [_date_text(r, lang) for r in group.itertuples()]
        fig.add_scatter(
            x=group["start"].to_numpy(),
            y=group["row"].to_numpy(),
            mode="markers",
            name=t(f"kind_{kind}", lang),
            marker={
                "symbol": [
                    KIND_SYMBOLS[kind] + ("-open" if inferred else "")
                    for inferred in group["date_inferred"]
                ],
                "size": 13,
                "color": colours[kind],
                "line": {"width": 2},
            },
            customdata=np.column_stack([group[name_col], dates]),
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
        )
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=t("axis_date", lang), type="date", gridcolor="#e4e7eb")
    fig.update_layout(height=max(360, 60 + 34 * len(events)))
    notes = [t("timeline_note", lang)]
    if total > len(events):
        notes.append(t("shown_events", lang, n=len(events), total=total))
    return _base(fig, dataset, lang, title, events["source_id"], notes)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def targets_against_scale(dataset: Dataset, filters: Filters, lang: str) -> go.Figure:
    """Chart 3: each target beside the reported figure it is measured against, never added."""
    title = t("chart_targets", lang)
    rows, pairs = targets_vs_scale(dataset, filters, limit=TARGET_PAIRS_SHOWN)
    if rows.empty:
        return empty_figure(dataset, lang, title)
    unit = str(rows["unit"].iloc[0])
    divisor, unit_label = axis_scale(dataset, float(rows["value"].max()), unit, lang)
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    colours = _industry_colours(dataset)
    fig = go.Figure()
    # One trace per side and industry, so each has one colour (a colour array breaks patterns);
    # offsetgroup keeps each side in the same slot of every row.
    for (side, industry), group in rows.groupby(["side", "industry"], sort=False):
        target = side == "target"
        labels = [
            format_amount(dataset, v, unit, lang, qualifier=q, target=target)
            for v, q in zip(group["value"], group["qualifier"], strict=True)
        ]
        fig.add_bar(
            name=t("target", lang) if target else t("stated", lang),
            orientation="h",
            y=[
                f"{city_names[c]} · {industry_names[i]}"
                for c, i in zip(group["city"], group["industry"], strict=True)
            ],
            x=group["value"].to_numpy() / divisor,
            text=labels,
            textposition="outside",
            cliponaxis=False,
            offsetgroup=side,
            marker={
                "color": colours[industry],
                "opacity": 0.55 if target else 1.0,
                "pattern": _patterns(
                    TARGET_PATTERN if target else PATTERNS[q] for q in group["qualifier"]
                ),
            },
            customdata=np.column_stack(
                [group["figure_id"], group["label_zh" if lang == "zh" else "label_en"]]
            ),
            hovertemplate="%{customdata[1]}<br>%{text}<extra></extra>",
        )
    fig.update_layout(barmode="group", showlegend=False, height=380)
    top = float(rows["value"].max()) / divisor
    fig.update_xaxes(
        title=t("axis_output", lang, unit=unit_label), range=[0, top * 1.45], gridcolor="#e4e7eb"
    )
    fig.update_yaxes(title=None)
    notes = [t("targets_note", lang), t("legend_bounds", lang)]
    shown = rows.groupby(["city", "industry"]).ngroups
    if pairs > shown:
        notes.append(t("shown_targets", lang, n=shown, total=pairs))
    return _base(fig, dataset, lang, title, rows["source_id"], notes)


def companies_by_city(dataset: Dataset, filters: Filters, lang: str) -> go.Figure:
    """Chart 4: companies signed, awarded and taking part per city; names on hover."""
    title = t("chart_companies", lang)
    summary = company_summary(dataset, filters)
    if summary.empty:
        return empty_figure(dataset, lang, title)
    city_names = names(dataset, "cities", lang)
    fig = go.Figure()
    for i, role in enumerate(ROLE_ORDER):
        group = summary[summary["role"] == role]
        if group.empty:
            continue
        labels = [
            format_amount(dataset, v, "company", lang, qualifier=q)
            for v, q in zip(group["value"], group["qualifier"], strict=True)
        ]
        names_col = group["names_zh" if lang == "zh" else "names_en"]
        hover = [
            ("<br>".join(n) + ("" if basis == "figure" else f"<br>({t('basis_named', lang)})"))
            for n, basis in zip(names_col, group["basis"], strict=True)
        ]
        fig.add_bar(
            name=t(f"role_{role}", lang),
            x=[city_names[c] for c in group["city"]],
            y=group["value"].to_numpy(),
            text=labels,
            textposition="outside",
            cliponaxis=False,
            marker={
                "color": OKABE_ITO[i + 4],
                "pattern": _patterns(PATTERNS[q] for q in group["qualifier"]),
            },
            customdata=[[c, h] for c, h in zip(group["city"], hover, strict=True)],
            hovertemplate="%{x} · "
            + t(f"role_{role}", lang)
            + " %{text}<br>%{customdata[1]}<extra></extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=t("axis_companies", lang), rangemode="tozero", gridcolor="#e4e7eb")
    events = timeline(dataset, filters)
    return _base(fig, dataset, lang, title, events["source_id"], [t("companies_note", lang)])


def city_map(dataset: Dataset, filters: Filters, metric: str, lang: str) -> go.Figure:
    """Chart 5: cities placed by coordinates, markers sized by ``metric``; click to filter.

    No boundaries are drawn: the only boundary data available offline is not from China's
    official standard map, and a map of China must not show any other.
    """
    metric_names = names(dataset, "metrics", lang)
    title = f"{t('chart_map', lang)} · {metric_names[metric]}"
    result = aggregate(dataset, metric, filters, ids_kept=0)
    rows = city_values(dataset, result, filters)
    if rows.empty:
        return empty_figure(dataset, lang, title)
    unit = str(dataset.tables["metrics"].set_index("metric").at[metric, "unit"])
    has = rows["n_figures"] > 0
    top = float(rows.loc[has, "value"].max()) if has.any() else 0.0
    sizes = [
        14 + 36 * np.sqrt(v / top) if n and top > 0 and not np.isnan(v) else 12
        for v, n in zip(rows["value"], rows["n_figures"], strict=True)
    ]
    labels = [
        format_amount(dataset, v, unit, lang, qualifier=q, approximate=a)
        if n
        else t("no_data", lang)
        for v, q, a, n in zip(
            rows["value"], rows["qualifier"], rows["approximate"], rows["n_figures"], strict=True
        )
    ]
    city_label = rows["city"] if lang == "zh" else rows["name_en"]
    labelled = len(rows) <= MAP_LABELS  # hundreds of labels overlap into an unreadable smear
    fig = go.Figure(
        go.Scatter(
            x=rows["longitude"].to_numpy(),
            y=rows["latitude"].to_numpy(),
            mode="markers+text" if labelled else "markers",
            text=[f"{c} {v}" for c, v in zip(city_label, labels, strict=True)],
            textposition="middle right",
            marker={
                "size": sizes,
                "color": [OKABE_ITO[0] if n else "#ffffff" for n in rows["n_figures"]],
                "line": {"color": OKABE_ITO[0], "width": 2},
                "opacity": 0.85,
            },
            customdata=np.column_stack([rows["city"], labels]),
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
        )
    )
    fig.update_xaxes(
        range=list(CHINA_LON),
        showgrid=True,
        gridcolor="#eef2f7",
        zeroline=False,
        ticksuffix="°E",
        title=None,
    )
    # One degree of latitude is longer than one of longitude at China's latitudes (~cos 35°).
    fig.update_yaxes(
        # Widened for cities further south than the mainland view (三沙 is at 16.8°N).
        range=[min(CHINA_LAT[0], float(rows["latitude"].min()) - 1.5), CHINA_LAT[1]],
        showgrid=True,
        gridcolor="#eef2f7",
        zeroline=False,
        ticksuffix="°N",
        title=None,
        scaleanchor="x",
        scaleratio=1.22,
    )
    fig.update_layout(showlegend=False, clickmode="event", height=420)
    if not has.any():  # the cities stay clickable, but the reader is told in words
        _say_empty(fig, lang, y=0.95)
    notes = [t("map_note", lang)] + ([] if labelled else [t("map_hover", lang, n=len(rows))])
    return _base(fig, dataset, lang, title, result.source_ids, notes)


CHARTS = {
    "chart-sales": sales_by_city_industry,
    "chart-timeline": event_timeline,
    "chart-targets": targets_against_scale,
    "chart-companies": companies_by_city,
    "chart-map": city_map,
}
"""Each chart of the page: its component id and the function that draws it."""


def draw_chart(
    dataset: Dataset, chart: str, filters: Filters, lang: str, map_metric: str
) -> go.Figure:
    """The figure of the chart whose component id is ``chart``; only the map takes a metric."""
    if chart == "chart-map":
        return city_map(dataset, filters, map_metric, lang)
    return CHARTS[chart](dataset, filters, lang)
