"""What the curation page shows, as pure functions of the workspace, the dataset and a draft.

The list (upload, reports under review, withdraw, history) and the review of one report: its
text with every candidate figure marked, the grid of candidates (dash-ag-grid) with each
problem on its row and field, and the steps that apply to where the draft stands. Everything
shown from a report is text: React writes it into the page as text, so HTML or script in a
report never runs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import dcc, html
from dash_ag_grid import AgGrid

from dashboard.curate.texts import page_text
from metrics.curate.accounts import Account
from metrics.curate.drafts import ROW_FIELDS, Draft, RowProblems, kept, national_cities
from metrics.dataset import Dataset
from metrics.messages import message_text

# The grid's editable columns, in order, with the editor each takes; "text" is free text.
EDITABLE = (
    ("keep", "check"),
    ("figure_id", "text"),
    ("raw", "text"),
    ("value", "text"),
    ("unit", "units"),
    ("qualifier", "qualifiers"),
    ("metric", "metrics"),
    ("city", "cities"),
    ("industry", "text"),
    ("event_id", "events"),
    ("period_start", "text"),
    ("period_end", "text"),
    ("period_precision", "precisions"),
    ("date_inferred", "booleans"),
    ("date_inference", "inferences"),
    ("label_zh", "text"),
    ("label_en", "text"),
    ("notes_zh", "text"),
)
QUALIFIERS = ("exact", "at_least", "more_than", "approx")
PRECISIONS = ("day", "month", "year", "plan_period")
EVENT_KINDS = (
    "partnership",
    "campaign",
    "festival",
    "conference",
    "signing",
    "award_ceremony",
    "plan",
)


def choices(dataset: Dataset, draft: Draft) -> dict[str, list[str]]:
    """The values each select column offers (an empty one first where a value is optional)."""
    events = [str(e) for e in dataset.events["event_id"]] + [e["event_id"] for e in draft.events]
    return {
        "units": [str(u) for u in dataset.units["unit"]],
        "qualifiers": list(QUALIFIERS),
        "metrics": [str(m) for m in dataset.metrics["metric"]],
        "cities": list(national_cities(dataset)["city"]),
        "events": ["", *events],
        "precisions": list(PRECISIONS),
        "booleans": ["false", "true"],
        "inferences": ["", *(str(i) for i in dataset.inferences["inference_id"])],
    }


def column_defs(dataset: Dataset, draft: Draft, lang: str) -> list[dict[str, Any]]:
    editable = draft.status == "draft"
    offered = choices(dataset, draft)
    columns: list[dict[str, Any]] = []
    for name, editor in EDITABLE:
        column: dict[str, Any] = {
            "field": name,
            "headerName": page_text(f"col_{name}", lang),
            "editable": editable,
            "tooltipField": f"_p_{name}",
            # A cell with a problem: its text is in the row's _p_<field> (made by the server);
            # dash-ag-grid reads this rule without eval, so the page's CSP stays strict.
            "cellClassRules": {"cell-problem": f"params.data._p_{name}"},
        }
        if editor == "check":
            column |= {
                "cellDataType": "boolean",
                "width": 80,
                "pinned": "left",
            }
        elif editor != "text":
            column |= {
                "cellEditor": "agSelectCellEditor",
                "cellEditorParams": {"values": offered[editor]},
            }
        if name == "figure_id":
            column["pinned"] = "left"
        columns.append(column)
    columns.append(
        {
            "field": "quote",
            "headerName": page_text("col_quote", lang),
            "editable": False,
            "tooltipField": "quote",
            "width": 360,
        }
    )
    return columns


def grid_rows(draft: Draft, problems: RowProblems, lang: str) -> list[dict[str, Any]]:
    """The draft's rows for the grid: ``_row`` (its place in the draft, the grid's row id),
    ``keep`` as a boolean, and ``_p_<field>`` holding the problems of each field, in ``lang``."""
    rows = []
    for position, row in enumerate(draft.rows):
        data: dict[str, Any] = {name: row.get(name, "") for name in ROW_FIELDS}
        data["keep"] = row in kept(draft)
        data["_row"] = str(position)
        for field, found in problems.rows.get(position, {}).items():
            data[f"_p_{field}"] = "；".join(message_text(p.message, lang) for p in found)
        rows.append(data)
    return rows


def text_view(draft: Draft, selected: int | None = None) -> list[Any]:
    """The report as text, each candidate figure's raw marked (the selected one strongly, a
    rejected one faintly): React puts every part in the page as text, never as HTML."""
    spans: list[tuple[int, int, int]] = []
    for position, row in enumerate(draft.rows):
        try:
            start, end = int(row.get("start") or -1), int(row.get("end") or -1)
        except ValueError:
            continue
        if 0 <= start < end <= len(draft.text):
            spans.append((start, end, position))
    spans.sort()
    parts: list[Any] = []
    at = 0
    kept_rows = kept(draft)
    for start, end, position in spans:
        if start < at:
            continue  # overlapping candidates: the first one is marked
        parts.append(draft.text[at:start])
        state = "kept" if draft.rows[position] in kept_rows else "rejected"
        chosen = " mark-selected" if position == selected else ""
        parts.append(
            html.Mark(
                draft.text[start:end],
                className=f"mark-{state}{chosen}",
                title=draft.rows[position].get("figure_id", ""),
            )
        )
        at = end
    parts.append(draft.text[at:])
    return parts


def sentence_of(draft: Draft, position: int | None, lang: str) -> list[Any]:
    if position is None or not 0 <= position < len(draft.rows):
        return []
    row = draft.rows[position]
    quote, raw = row.get("quote", ""), row.get("raw", "")
    at = quote.find(raw) if raw else -1
    shown: list[Any] = [quote] if at < 0 else [quote[:at], html.Mark(raw), quote[at + len(raw) :]]
    return [html.Strong(page_text("sentence", lang)), *shown]


def problem_list(problems: RowProblems, draft: Draft, lang: str) -> list[Any]:
    if not problems.count:
        return [html.P(page_text("problems_none", lang), className="curate-ok")]
    items = []
    for position in sorted(problems.rows):
        figure = draft.rows[position].get("figure_id", "")
        for field, found in problems.rows[position].items():
            for problem in found:
                text = message_text(problem.message, lang)
                items.append(html.Li(f"{figure} · {page_text(f'col_{field}', lang)}: {text}"))
    items += [html.Li(message_text(p.message, lang)) for p in problems.general]
    return [html.P(page_text("problems_some", lang, n=problems.count)), html.Ul(items)]


def status_text(draft: Draft, lang: str) -> str:
    return page_text(f"status_{draft.status}", lang)


def review(
    draft: Draft,
    problems: RowProblems,
    dataset: Dataset,
    account: Account,
    may_approve: bool,
    lang: str,
) -> html.Div:
    """The review of one report."""
    editable = draft.status == "draft"
    returned = (
        html.P(
            page_text("returned_by", lang, name=draft.reviewed_by, comment=draft.comment),
            className="curate-returned",
        )
        if draft.comment and editable
        else None
    )
    meta = html.Div(
        [
            _field("meta_source", html.Code(draft.source_id), lang),
            _field("meta_file", f"{draft.filename} · SHA-256 {draft.original_sha256[:16]}…", lang),
            _field("meta_status", html.Span(status_text(draft, lang), id="draft-status"), lang),
            html.Label(page_text("meta_title_zh", lang), htmlFor="title-zh"),
            dcc.Input(id="title-zh", value=draft.title_zh, debounce=True, disabled=not editable),
            html.Label(page_text("meta_title_en", lang), htmlFor="title-en"),
            dcc.Input(id="title-en", value=draft.title_en, debounce=True, disabled=not editable),
        ],
        className="curate-meta",
    )
    grid = AgGrid(
        id="grid",
        rowData=grid_rows(draft, problems, lang),
        columnDefs=column_defs(dataset, draft, lang),
        getRowId="params.data._row",
        defaultColDef={"resizable": True, "width": 130, "singleClickEdit": True},
        dashGridOptions={
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "tooltipShowDelay": 200,
            "stopEditingWhenCellsLoseFocus": True,
            # Twenty columns at most: every one in the page, so keyboard and screen readers
            # (and the tests) reach each cell without scrolling it into existence first.
            "suppressColumnVirtualisation": True,
        },
        className="curate-grid",
        style={"height": "460px"},
    )
    # Every control of the review is always in the page (hidden where it does not apply), so
    # that the page's one action callback always has all of its inputs.
    submitted = draft.status == "submitted"
    steps = [
        html.Button(page_text("submit", lang), id="submit", n_clicks=0, hidden=not editable),
        html.Button(
            page_text("approve", lang),
            id="approve",
            n_clicks=0,
            disabled=not may_approve,
            hidden=not submitted,
            title="" if may_approve else page_text("self_approval", lang),
        ),
        html.Div(
            [
                html.Label(page_text("return_comment", lang), htmlFor="comment"),
                dcc.Input(id="comment", value=""),
                html.Button(page_text("return", lang), id="return", n_clicks=0),
            ],
            hidden=not submitted,
            className="curate-return",
        ),
    ]
    return html.Div(
        [
            html.A(page_text("back", lang), href=f"/curate/?lang={lang}", className="curate-back"),
            what_approval_adds(draft, dataset, lang) if submitted else None,
            html.H2(page_text("review_title", lang, title=draft.title_zh or draft.source_id)),
            returned,
            meta,
            html.Div(
                [
                    html.Section(
                        [
                            html.H3(page_text("text_title", lang)),
                            html.P(page_text("text_help", lang), className="curate-help"),
                            html.Div(text_view(draft), id="report-text", className="report-text"),
                        ],
                        className="curate-text",
                    ),
                    html.Section(
                        [
                            html.H3(page_text("grid_title", lang)),
                            html.P(page_text("grid_help", lang), className="curate-help"),
                            html.P(id="sentence", className="curate-sentence"),
                            grid,
                            _quote_form(lang, editable),
                            html.Div(
                                problem_list(problems, draft, lang), id="problems", role="status"
                            ),
                            html.Div(steps, className="curate-steps"),
                            html.Div(id="message", role="alert", className="curate-message"),
                            _event_form(dataset, draft, lang, editable),
                        ],
                        className="curate-grid-side",
                    ),
                ],
                className="curate-review",
            ),
        ]
    )


def what_approval_adds(draft: Draft, dataset: Dataset, lang: str) -> html.Div:
    """What the approver is asked to let into the dataset: the report, its figures, and the
    cities and events it brings that the dataset does not have yet."""
    cities = set(dataset.cities["city"].astype(str))
    new_cities = sorted({r["city"] for r in kept(draft) if r.get("city")} - cities)
    items = [
        page_text("changes_report", lang, source=draft.source_id, chars=len(draft.text)),
        page_text("changes_figures", lang, n=len(kept(draft))),
    ]
    if new_cities:
        items.append(page_text("changes_cities", lang, cities="、".join(new_cities)))
    if draft.events:
        names = "、".join(e.get("name_zh") or e.get("event_id", "") for e in draft.events)
        items.append(page_text("changes_events", lang, events=names))
    return html.Div(
        [html.Strong(page_text("changes_title", lang)), html.Ul([html.Li(i) for i in items])],
        className="curate-changes",
        id="approval-adds",
    )


def _field(key: str, value: Any, lang: str) -> html.P:
    return html.P([html.Strong(page_text(key, lang) + " "), value])


def _quote_form(lang: str, editable: bool) -> html.Div:
    return html.Div(
        [
            html.Label(page_text("quote_label", lang), htmlFor="quote"),
            dcc.Textarea(id="quote", value="", rows=2),
            html.Button(page_text("quote_button", lang), id="add-quote", n_clicks=0),
        ],
        className="curate-quote",
        hidden=not editable,
    )


def _event_form(dataset: Dataset, draft: Draft, lang: str, editable: bool) -> html.Details:
    offered = choices(dataset, draft)

    def labelled(key: str, component: Any) -> list[Any]:
        return [html.Label(page_text(key, lang), htmlFor=component.id), component]

    return html.Details(
        [
            html.Summary(page_text("event_title", lang)),
            html.P(page_text("event_help", lang), className="curate-help"),
            *labelled("event_id", dcc.Input(id="event-id", value="")),
            *labelled("event_name_zh", dcc.Input(id="event-name-zh", value="")),
            *labelled("event_name_en", dcc.Input(id="event-name-en", value="")),
            *labelled(
                "event_kind",
                dcc.Dropdown(id="event-kind", options=list(EVENT_KINDS), value="campaign"),
            ),
            *labelled(
                "event_city", dcc.Dropdown(id="event-city", options=offered["cities"], value=None)
            ),
            *labelled(
                "event_start", dcc.Input(id="event-start", value="", placeholder="2019-03-01")
            ),
            *labelled("event_end", dcc.Input(id="event-end", value="", placeholder="2019-03-31")),
            *labelled(
                "event_precision",
                dcc.Dropdown(id="event-precision", options=list(PRECISIONS), value="month"),
            ),
            *labelled("event_quote", dcc.Textarea(id="event-quote", value="", rows=2)),
            html.Button(page_text("event_button", lang), id="add-event", n_clicks=0),
        ],
        className="curate-event",
        hidden=not editable,
    )


def listing(
    drafts: list[Draft],
    history: pd.DataFrame,
    sources: pd.DataFrame,
    flash: str,
    lang: str,
) -> html.Div:
    """The list view: upload, reports under review, withdraw a report, the history."""
    upload = html.A(
        page_text("upload_submit", lang), href=f"/curate/upload?lang={lang}", id="upload-link"
    )
    rows = [
        html.Tr(
            [
                html.Td(draft.title_zh),
                html.Td(html.Code(draft.source_id)),
                html.Td(page_text(f"status_{draft.status}", lang)),
                html.Td(draft.owner),
                html.Td(draft.updated_at),
                html.Td(
                    html.A(page_text("open", lang), href=f"/curate/?draft={draft.id}&lang={lang}")
                ),
            ]
        )
        for draft in drafts
    ]
    heads = ("col_title", "col_source", "col_status", "col_owner", "col_updated", "open")
    drafts_table = (
        html.Table(
            [html.Thead(html.Tr([html.Th(page_text(k, lang)) for k in heads])), html.Tbody(rows)],
            className="curate-table",
        )
        if rows
        else html.P(page_text("drafts_empty", lang))
    )
    withdraw = html.Div(
        [
            html.P(page_text("withdraw_help", lang), className="curate-help"),
            html.Label(page_text("withdraw_source", lang), htmlFor="withdraw-source"),
            dcc.Dropdown(
                id="withdraw-source",
                options=[
                    {"label": f"{title} ({source})", "value": source}
                    for source, title in zip(sources["source_id"], sources["title_zh"], strict=True)
                ],
            ),
            html.Label(page_text("withdraw_reason", lang), htmlFor="withdraw-reason"),
            dcc.Input(id="withdraw-reason", value=""),
            html.Button(page_text("withdraw_button", lang), id="withdraw", n_clicks=0),
            html.Div(id="withdraw-message", role="alert", className="curate-message"),
        ],
        className="curate-withdraw",
    )
    notice = html.P(flash, role="alert", className="curate-message") if flash else None
    return html.Div(
        [
            notice,
            html.Section(
                [
                    html.H2(page_text("upload_title", lang)),
                    html.P(page_text("upload_help", lang)),
                    upload,
                ],
                className="card",
            ),
            html.Section(
                [html.H2(page_text("drafts_title", lang)), drafts_table], className="card"
            ),
            html.Section([html.H2(page_text("withdraw_title", lang)), withdraw], className="card"),
            html.Section(
                [html.H2(page_text("history_title", lang)), history_table(history, lang)],
                className="card",
            ),
        ]
    )


def history_table(history: pd.DataFrame, lang: str) -> html.Table:
    heads = ("col_at", "col_actor", "col_action", "col_source", "col_figures", "col_note")
    body = [
        html.Tr(
            [
                html.Td(row["at"]),
                html.Td(row["actor"]),
                html.Td(page_text(f"action_{row['action']}", lang)),
                html.Td(html.Code(row["source_id"]) if row["source_id"] else ""),
                html.Td(str(len(row["figure_ids"].split("|"))) if row["figure_ids"] else ""),
                html.Td(row["note"]),
            ]
        )
        for row in history.to_dict("records")
    ]
    return html.Table(
        [html.Thead(html.Tr([html.Th(page_text(k, lang)) for k in heads])), html.Tbody(body)],
        className="curate-table",
    )


def merged_history(audit: list[dict[str, str]], changes: pd.DataFrame) -> pd.DataFrame:
    """The audit trail and the change log as one history, newest first: what happened in
    the browser, and every change the store made (the command line's too)."""
    columns = ["at", "actor", "action", "source_id", "figure_ids", "note"]
    frames = [pd.DataFrame(audit, columns=["draft_id", *columns])[columns]]
    if len(changes):
        log = changes.astype(str).copy()
        log = log[log["action"] != "withdraw"]  # a withdrawal in the browser is in the trail
        frames.append(log[columns])
    history = pd.concat(frames, ignore_index=True).fillna("")
    return history.sort_values("at", ascending=False, kind="stable").head(200)
