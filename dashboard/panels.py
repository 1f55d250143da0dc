"""The page's non-chart parts as pure functions of the dataset and the view: KPI cards, the
figures table, the source passage and the line describing the current filters."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from dash import html

from dashboard.i18n import t
from dashboard.urlstate import ViewState
from metrics import Dataset
from metrics.facts import source_passage
from metrics.present import chosen_names, figure_records, format_amount, names
from metrics.query import Filters, aggregate

LINKS_SHOWN = 10
TARGETS_SHOWN = 5
TABLE_COLUMNS = ("city", "industry", "metric", "value", "period", "label", "quote", "source")


def _figure_link(figure_id: str, text: str) -> html.Button:
    return html.Button(
        text,
        id={"type": "figure-link", "figure": figure_id},
        className="figure-link",
        title=figure_id,
        n_clicks=0,
    )


def kpi_cards(dataset: Dataset, filters: Filters, lang: str) -> list[html.Div]:
    """Campaign sales and companies signed (totals with their qualifier), and the targets."""
    cards = []
    for metric, key in (("campaign_sales", "kpi_sales"), ("companies_signed", "kpi_signed")):
        result = aggregate(dataset, metric, filters, ids_kept=LINKS_SHOWN)
        total = result.total
        n = int(total["n_figures"])
        if n == 0:
            value, detail = t("kpi_none", lang), ""
        else:
            value = format_amount(
                dataset,
                total["value"],
                result.unit,
                lang,
                qualifier=total["qualifier"],
                approximate=total["approximate"],
            )
            detail = t("kpi_figures", lang, n=n)
        links = [_figure_link(fid, f"[{i}]") for i, fid in enumerate(total["figure_ids"], 1)]
        if n > LINKS_SHOWN:  # the table lists them all; a card names the first few
            links.append(html.Span(t("more_figures", lang, n=n - LINKS_SHOWN)))
        cards.append(
            html.Div(
                [
                    html.H3(t(key, lang)),
                    html.P(value, className="kpi-value", id=f"kpi-{metric}"),
                    html.P(
                        [
                            detail,
                            " · " if links else "",
                            html.Span(t("sources", lang) + t("colon", lang) if links else ""),
                            *links,
                        ],
                        className="kpi-detail",
                    ),
                ],
                className="kpi",
            )
        )
    targets = np.flatnonzero(dataset.figure_index.mask(replace(filters, metric=("output_target",))))
    records = figure_records(dataset, dataset.figure_view.iloc[targets[:TARGETS_SHOWN]], lang)
    city_names = names(dataset, "cities", lang)
    items = [
        html.Li(
            [
                html.Span(rec["display"], className="kpi-target"),
                " ",
                f"{city_names[rec['city']]} · {rec['label']} ",
                _figure_link(rec["figure_id"], t("source_link", lang)),
            ]
        )
        for rec in records.to_dict("records")
    ]
    if len(targets) > TARGETS_SHOWN:  # targets never add up: name a few, count the rest
        items.append(html.Li(t("more_figures", lang, n=len(targets) - TARGETS_SHOWN)))
    cards.append(
        html.Div(
            [
                html.H3(t("kpi_targets", lang)),
                html.Ul(items, className="kpi-targets")
                if items
                else html.P(t("kpi_none", lang), className="kpi-value"),
            ],
            className="kpi",
            id="kpi-targets",
        )
    )
    return cards


PAGE_SIZE = 10
# Table column -> the figures column it sorts by (numbers by value, periods by their start).
SORT_KEYS = {
    "city": "city",
    "industry": "industry",
    "metric": "metric",
    "value": "value",
    "period": "period_start",
    "label": "label_zh",
    "quote": "quote",
    "source": "source_id",
}


@dataclass(frozen=True)
class TablePage:
    """One page of the figures table: all the browser is sent, however many figures match."""

    columns: list[dict]
    rows: list[dict]
    page: int
    page_count: int
    total: int


def table_page(
    dataset: Dataset, state: ViewState, page: int = 0, sort_by: list[dict] | None = None
) -> TablePage:
    """The rows of page ``page`` of the figures table, sorted on the server.

    Only the page's figures are formatted and sent, so a million matching figures cost the
    browser ten rows.
    """
    lang = state.lang
    index = dataset.figure_index
    chosen = index.mask(state.filters())
    if state.q.strip():
        chosen = index.search(state.q.strip(), chosen)
    column = SORT_KEYS.get((sort_by or [{}])[0].get("column_id", ""))
    if column:
        order = index.order(column)
        if sort_by[0].get("direction") == "desc":  # type: ignore[index]
            order = order[::-1]
        positions = order[chosen[order]]  # the sorted order, keeping the chosen figures
    else:
        positions = np.flatnonzero(chosen)
    page_count = max(1, -(-len(positions) // PAGE_SIZE))
    page = min(max(0, int(page or 0)), page_count - 1)
    shown = dataset.figure_view.iloc[positions[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
    records = figure_records(dataset, shown, lang)
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    inferred = t("inferred", lang)
    rows = [
        {
            "id": rec["figure_id"],
            "city": city_names[rec["city"]],
            "industry": t("list_sep", lang).join(
                industry_names[i] for i in rec["industry"].split("|")
            ),
            "metric": rec["metric_name"],
            "value": rec["display"],
            "period": f"{rec['period_start']} – {rec['period_end']}"
            + (f" ({inferred})" if rec["date_inferred"] else ""),
            "label": rec["label"],
            "quote": rec["quote"],
            "source": rec["source_id"],
        }
        for rec in records.to_dict("records")
    ]
    columns = [{"id": c, "name": t(f"col_{c}", lang)} for c in TABLE_COLUMNS]
    return TablePage(columns, rows, page, page_count, len(positions))


def source_panel(dataset: Dataset, state: ViewState) -> list:
    """The paragraph the selected figure comes from, its quote highlighted, and its provenance."""
    lang = state.lang
    passage = source_passage(dataset, state.figure) if state.figure else None
    if passage is None:
        return [html.P(t("source_hint", lang), className="hint")]
    row = dataset.figure_index.position(state.figure)
    record = figure_records(dataset, dataset.figure_view.iloc[[row]], lang).iloc[0]
    reason = record["date_inferred_reason"]
    title = passage.title_zh if lang == "zh" else passage.title_en
    facts = [
        (t("col_value", lang), record["display"]),
        (t("raw", lang), record["raw"]),
        (t("qualifier", lang), t(f"q_{record['qualifier']}", lang)),
        (t("period_label", lang), f"{record['period_start']} – {record['period_end']}"),
    ]
    if reason:
        facts.append((t("inferred_long", lang), reason))
    if record["notes"]:
        facts.append((t("notes", lang), record["notes"]))
    return [
        html.H3(record["label"]),
        html.P(
            [
                t("report", lang),
                t("colon", lang),
                html.Cite(title),
                " ",
                html.Code(passage.source_id),
            ],
            className="source-title",
        ),
        html.Blockquote(
            [passage.before, html.Mark(passage.quote, id="source-quote"), passage.after],
            lang="zh-CN",
            className="passage",
        ),
        html.Dl(
            [part for label, value in facts for part in (html.Dt(label), html.Dd(value))],
            className="facts",
        ),
    ]


def active_filters(dataset: Dataset, state: ViewState) -> str:
    """One line saying what the view is filtered by, in the view's language."""
    lang = state.lang
    parts = [
        f"{t(dimension, lang)}{t('colon', lang)}{t('list_sep', lang).join(chosen)}"
        for dimension, chosen in chosen_names(dataset, state, lang).items()
        if chosen
    ]
    if state.start or state.end:
        period = f"{state.start or '…'} – {state.end or '…'}"
        parts.append(f"{t('period', lang)}{t('colon', lang)}{period}")
    if not parts:
        return t("no_filters", lang)
    return f"{t('active_filters', lang)} · " + t("clause_sep", lang).join(parts)
