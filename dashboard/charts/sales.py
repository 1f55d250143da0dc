"""Campaign sales per city, one bar per industry; a click on a bar filters by its city and
industry."""

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
    groups,
    id_list,
    industry_colours,
    largest,
    patterns,
    said,
    swatch,
)
from dashboard.i18n import t
from metrics import Dataset
from metrics.present import axis_scale, format_amount, names
from metrics.query import Filters, aggregate

# What the chart can show readably; past it, it says what it left out. At national scale the
# figures table and the workbook hold everything.
CITIES_SHOWN, INDUSTRIES_SHOWN = 12, len(OKABE_ITO)
TICK_CHARS = {"zh": 6, "en": 14}  # a city's name under its bars; the whole name is on hover


def sales_by_city_industry(dataset: Dataset, filters: Filters, lang: str) -> Figure:
    """Campaign sales per city, one bar per industry.

    A figure shared by several industries (the 618 sales of food and appliances together) is the
    pale top segment of each of its industries' bars, so no bar claims it for one industry alone.
    """
    title = t("chart_sales", lang)
    result = aggregate(dataset, "campaign_sales", filters, ids_kept=3)
    if result.cells.empty:
        return empty_figure(dataset, lang, title)
    cities = largest(result.by_city, "city", CITIES_SHOWN)
    industries = largest(result.by_industry, "industry", INDUSTRIES_SHOWN)
    cells = result.cells
    cells = cells[cells["city"].isin(cities) & cells["industry"].isin(industries)]
    divisor, unit_label = axis_scale(dataset, float(cells["value"].max()), result.unit, lang)
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    ticks = category_labels({c: city_names[c] for c in cities}, TICK_CHARS[lang])
    colours = industry_colours(dataset, industries)
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
    # Past a few cities the names stand upright from the start: Plotly's own turn comes only
    # once they already touch, and slanted names still reach into each other's room.
    fig = figure(
        barmode="group",
        clickmode="event",
        bargap=0.3,
        height=440,
        xaxis={"tickangle": -90 if len(cities) > 6 else 0},
        yaxis={
            "title": {"text": t("axis_sales", lang, unit=unit_label)},
            "rangemode": "tozero",
            "gridcolor": GRID,
        },
    )
    for (industry, shared), group in groups(parts, ["industry", "shared"]):
        keys = list(zip(group["city"], group["industry"], strict=True))
        # The total goes on the top segment of each bar: the shared one where there is one.
        text = [totals[k] if shared or k not in has_shared else "" for k in keys]
        name = industry_names[industry] + (t("shared_suffix", lang) if shared else "")
        part_text = [
            format_amount(dataset, v, result.unit, lang, qualifier=q)
            for v, q in zip(group["value"], group["qualifier"], strict=True)
        ]
        bar = {
            "type": "bar",
            "name": name,
            "offsetgroup": industry,
            "x": [ticks[c] for c in group["city"]],
            "y": group["value"] / divisor,
            "text": text,
            "textposition": "inside",
            "insidetextanchor": "end",
            "marker": {
                "color": colours[industry],
                "opacity": 0.45 if shared else 1.0,
                "pattern": patterns(PATTERNS[q] for q in group["qualifier"]),
            },
            "customdata": [
                [c, industry, escape(city_names[c]), p, id_list(ids, n)]
                for c, p, ids, n in zip(
                    group["city"], part_text, group["figure_ids"], group["n_figures"], strict=True
                )
            ],
            "hovertemplate": "%{customdata[2]} · " + escape(name) + "<br>%{customdata[3]}"
            "<br>%{customdata[4]}<extra></extra>",
        }
        if shared:
            bar["base"] = [own.get(k, 0.0) / divisor for k in keys]
        fig["data"].append(bar)
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
    legend = [(swatch(colours[i]), industry_names[i]) for i in industries]
    sources = result.source_ids_where(city=cities, industry=industries)
    ranked = cells.sort_values("value", ascending=False)
    alt = [
        said(f"{city_names[c]} · {industry_names[i]}", totals[(c, i)], lang)
        for c, i in zip(ranked["city"], ranked["industry"], strict=True)
    ]
    return finish(fig, dataset, lang, title, sources, notes, legend, alt, len(result.cells))
