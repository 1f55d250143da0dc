"""Companies signed into a park, awarded and taking part, per city; a click filters by city."""

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
    patterns,
    said,
    swatch,
)
from dashboard.i18n import t
from metrics import Dataset
from metrics.facts import company_summary, timeline, unnamed_company_counts
from metrics.present import format_amount, names
from metrics.query import Filters

ROLE_ORDER = ("park_signing", "award_winner", "campaign_participant")
ROLE_COLOURS = dict(zip(ROLE_ORDER, OKABE_ITO[4:], strict=False))
TICK_CHARS = {"zh": 6, "en": 14}


def companies_by_city(dataset: Dataset, filters: Filters, lang: str) -> Figure:
    """Per city and role, the report's count of companies, or the companies it names."""
    title = t("chart_companies", lang)
    summary = company_summary(dataset, filters)
    if summary.empty:
        # Reports may count companies without naming them: the cards and the table have those.
        counted = unnamed_company_counts(dataset, filters)
        why = t("companies_unnamed", lang, n=counted) if counted else ""
        return empty_figure(dataset, lang, title, why)
    city_names = names(dataset, "cities", lang)
    ticks = category_labels({c: city_names[c] for c in summary["city"]}, TICK_CHARS[lang])
    alt: list[tuple[float, str]] = []
    fig = figure(
        barmode="group",
        clickmode="event",
        height=400,
        yaxis={
            "title": {"text": t("axis_companies", lang)},
            "rangemode": "tozero",
            "gridcolor": GRID,
        },
    )
    roles = [role for role in ROLE_ORDER if (summary["role"] == role).any()]
    for role in roles:
        group = summary[summary["role"] == role]
        labels = [
            format_amount(dataset, v, "company", lang, qualifier=q)
            for v, q in zip(group["value"], group["qualifier"], strict=True)
        ]
        alt += [
            (v, said(f"{city_names[c]} · {t(f'role_{role}', lang)}", label, lang))
            for c, v, label in zip(group["city"], group["value"], labels, strict=True)
        ]
        names_col = group["names_zh" if lang == "zh" else "names_en"]
        hover = [
            "<br>".join(escape(x) for x in n)
            + ("" if basis == "figure" else f"<br>({t('basis_named', lang)})")
            for n, basis in zip(names_col, group["basis"], strict=True)
        ]
        fig["data"].append(
            {
                "type": "bar",
                "name": t(f"role_{role}", lang),
                "x": [ticks[c] for c in group["city"]],
                "y": group["value"].to_numpy(),
                "text": labels,
                "textposition": "inside",
                "insidetextanchor": "end",
                "marker": {
                    "color": ROLE_COLOURS[role],
                    "pattern": patterns(PATTERNS[q] for q in group["qualifier"]),
                },
                "customdata": [
                    [c, escape(city_names[c]), h] for c, h in zip(group["city"], hover, strict=True)
                ],
                "hovertemplate": "%{customdata[1]} · "
                + escape(t(f"role_{role}", lang))
                + " %{text}<br>%{customdata[2]}<extra></extra>",
            }
        )
    legend = [(swatch(ROLE_COLOURS[r]), t(f"role_{r}", lang)) for r in roles]
    events = timeline(dataset, filters)
    notes = [t("companies_note", lang)]
    largest_first = [text for _, text in sorted(alt, key=lambda pair: -pair[0])]
    return finish(fig, dataset, lang, title, events["source_id"], notes, legend, largest_first)
