"""The page's non-chart parts as pure functions of the dataset and the view: KPI cards, the
source passage and the line describing the current filters."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from dashboard.i18n import t
from dashboard.urlstate import ViewState
from metrics import Dataset
from metrics.facts import source_passage, target_rows
from metrics.numbers import QUALIFIER_SYMBOLS
from metrics.present import chosen_names, figure_records, format_amount, names
from metrics.query import Filters, aggregate

LINKS_SHOWN = 10
TARGETS_SHOWN = 5


def _figure_link(figure_id: str, text: str) -> html.Button:
    return html.Button(
        text,
        id={"type": "figure-link", "figure": figure_id},
        className="figure-link",
        title=figure_id,
        n_clicks=0,
    )


def _amount(dataset: Dataset, total: pd.Series, unit: str, lang: str) -> list[Any]:
    """A total as a symbol for its qualifier, with its meaning on hover, and the number; a
    bound summed from approximate parts says so in words below."""
    qualifier = str(total["qualifier"])
    symbol = QUALIFIER_SYMBOLS[qualifier]
    parts: list[Any] = []
    if symbol:
        parts.append(html.Abbr(symbol, title=t(f"q_{qualifier}", lang), className="qualifier"))
    parts.append(format_amount(dataset, float(total["value"]), unit, lang))
    value = html.P(parts, className="kpi-value")
    if bool(total["approximate"]) and qualifier != "approx":
        return [value, html.P(t("kpi_with_approx", lang), className="kpi-note")]
    return [value]


def kpi_cards(dataset: Dataset, filters: Filters, lang: str) -> list[html.Div | html.P]:
    """Campaign sales and companies signed (totals with their qualifier, and how many figures
    and reports stand behind them), the targets, and what the symbols mean."""
    cards: list[html.Div | html.P] = []
    for metric, key in (("campaign_sales", "kpi_sales"), ("companies_signed", "kpi_signed")):
        result = aggregate(dataset, metric, filters, ids_kept=LINKS_SHOWN)
        total = result.total
        n = int(total["n_figures"])
        if n == 0:
            body = [html.P(t("kpi_none", lang), className="kpi-value")]
            detail: list[Any] = []
        else:
            body = _amount(dataset, total, result.unit, lang)
            detail = [t("kpi_basis", lang, n=n, reports=len(result.source_ids))]
        links = [_figure_link(fid, f"[{i}]") for i, fid in enumerate(total["figure_ids"], 1)]
        if n > LINKS_SHOWN:  # the table lists them all; a card names the first few
            links.append(html.Span(t("more_figures", lang, n=n - LINKS_SHOWN)))
        if links:
            detail += [" · ", t("sources", lang) + t("colon", lang), *links]
        cards.append(
            html.Div(
                [html.H3(t(key, lang)), *body, html.P(detail, className="kpi-detail")],
                className="kpi",
                id=f"kpi-{metric}",
            )
        )
    targets = target_rows(dataset, filters)
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
    cards.append(html.P(_legend(lang), className="kpi-legend", id="kpi-legend"))
    return cards


def _legend(lang: str) -> list[Any]:
    """What the symbols before numbers mean, for the cards and every chart."""
    entries: list[tuple[Any, str]] = [
        (html.Abbr(QUALIFIER_SYMBOLS[q], className="qualifier"), t(f"q_{q}", lang))
        for q in ("at_least", "more_than", "approx")
    ]
    entries.append((html.Span(t("target", lang), className="qualifier"), t("q_target", lang)))
    return [part for mark, meaning in entries for part in (mark, f" {meaning}", " ")]


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
