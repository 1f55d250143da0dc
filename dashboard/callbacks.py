"""Callbacks: turn what the user did into a :class:`ViewState`, and a view state into the page.

One callback owns the state: it reads the URL, the filters, clicks on charts and the table, and
writes the state, the URL and the controls back, so they can never disagree. The render
callbacks are thin: each calls one pure function of ``(dataset, state)``.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import panels, table
from dashboard.charts import BY_ID, CHARTS
from dashboard.charts.base import alt_text
from dashboard.i18n import TEXT, t
from dashboard.layout import (
    FIRST_DRAWN,
    OPTIONS_SHOWN,
    alt_id,
    options,
    period_bounds,
    searched_on_server,
)
from dashboard.live import LiveData
from dashboard.urlstate import Notice, ViewState, parse_query, to_query
from metrics import Dataset
from metrics.dimensions import BY_NAME, NAMES
from metrics.export import write_workbook
from metrics.i18n import licence_name
from metrics.present import names


def transition(
    dataset: Dataset,
    current: ViewState,
    trigger: str | dict | None,
    *,
    search: str | None = None,
    controls: dict[str, Any] | None = None,
    click: dict | None = None,
    selected: list[dict] | None = None,
) -> tuple[ViewState, list[Notice]]:
    """The next view state after ``trigger`` (a component id, or None on page load)."""
    if trigger in (None, "url"):
        return parse_query(dataset, search)
    if trigger == "lang-toggle":
        return replace(current, lang="en" if current.lang == "zh" else "zh"), []
    if isinstance(trigger, dict) and trigger.get("key") == "reset":
        return ViewState(lang=current.lang, map_metric=current.map_metric), []
    if isinstance(trigger, dict) and trigger.get("key") == "close":
        return replace(current, figure=""), []
    if isinstance(trigger, dict) and trigger.get("type") == "figure-link":
        return replace(current, figure=str(trigger["figure"])), []
    if trigger == "table":  # a row chosen in the table opens its source passage
        return (replace(current, figure=str(selected[0]["id"])) if selected else current), []
    if isinstance(trigger, str) and trigger in BY_ID:
        return _cross_filter(current, trigger, click), []
    return _from_controls(dataset, current, controls or {}), []


def _cross_filter(current: ViewState, chart: str, click: dict | None) -> ViewState:
    """A click on a mark narrows the view to what was clicked: the keys its customdata starts
    with, one per dimension the chart's clicks filter by."""
    points = (click or {}).get("points") or []
    data = points[0].get("customdata") if points else None
    dimensions = BY_ID[chart].click
    if not data or not dimensions:
        return current
    return replace(current, **{d: (str(v),) for d, v in zip(dimensions, data, strict=False)})


def _from_controls(dataset: Dataset, current: ViewState, controls: dict[str, Any]) -> ViewState:
    first, last = period_bounds(dataset)
    period = controls.get("period") or [first, last]
    start = "" if period[0] <= first else f"{int(period[0])}-01-01"
    end = "" if period[1] >= last else f"{int(period[1])}-12-31"
    lists = {name: tuple(controls.get(name) or ()) for name in NAMES}
    return replace(
        current,
        **lists,
        start=start,
        end=end,
        map_metric=controls.get("map_metric") or current.map_metric,
        q=(controls.get("q") or "")[:200],
    )


def control_values(dataset: Dataset, state: ViewState) -> dict[str, Any]:
    """What each control shows for ``state``, by the names the state callback gives them."""
    first, last = period_bounds(dataset)
    period = [
        int(state.start[:4]) if state.start else first,
        int(state.end[:4]) if state.end else last,
    ]
    lists = {name: list(getattr(state, name)) for name in NAMES}
    return {**lists, "period": period, "map_metric": state.map_metric, "q": state.q}


def notice_children(notices: list[Notice], lang: str) -> list:
    if not notices:
        return []
    return [
        html.Strong(t("notice_title", lang)),
        html.Ul([html.Li(t(n.key, lang, **n.values)) for n in notices]),
    ]


def _controls(kind: type[Input] | type[Output]) -> dict[str, Any]:
    """The page's controls by the names :func:`control_values` gives them, as ``kind``: the
    state callback reads them all and sets them all."""
    return {
        **{name: kind(f"f-{name}", "value") for name in NAMES},
        "period": kind("f-period", "value"),
        "map_metric": kind("map-metric", "value"),
        "q": kind("search", "value"),
    }


def register(app: Dash, live: LiveData) -> None:
    """Attach every callback of the page to ``app``; each answers from ``live.current``, read
    once, so from one version of the dataset."""
    clickable = [chart for chart in CHARTS if chart.click]

    @app.callback(
        output={
            "url": Output("url", "search"),
            "controls": _controls(Output),
            "state": Output("state", "data"),
            "notice": Output("notice", "children"),
            "quiet": Output("notice", "hidden"),
        },
        inputs={
            "search": Input("url", "search"),
            "controls": _controls(Input),
            "buttons": (
                Input("lang-toggle", "n_clicks"),
                Input({"type": "text", "key": "reset"}, "n_clicks"),
                Input({"type": "text", "key": "close"}, "n_clicks"),
            ),
            "clicks": {chart.id: Input(chart.id, "clickData") for chart in clickable},
            "selected": Input("table", "selectedRows"),
            "links": Input({"type": "figure-link", "figure": ALL}, "n_clicks"),
            "stored": State("state", "data"),
        },
    )
    def sync_state(search, controls, buttons, clicks, selected, links, stored):
        dataset = live.current.dataset
        current = ViewState.from_dict(stored)
        trigger = ctx.triggered_id
        unchanged = {
            "url": no_update,
            "controls": dict.fromkeys(controls, no_update),
            "state": no_update,
            "notice": no_update,
            "quiet": no_update,
        }
        if isinstance(trigger, dict) and trigger.get("type") == "figure-link" and not any(links):
            return unchanged  # links re-rendered, not clicked
        state, notices = transition(
            dataset,
            current,
            trigger,
            search=search,
            controls=controls,
            click=clicks.get(trigger) if isinstance(trigger, str) else None,
            selected=selected,
        )
        from_url = trigger in (None, "url")
        if not from_url and state == current:
            # Controls re-emit their values (a dropdown does when its options change); that is
            # no change of view, and must neither push history nor clear the URL's notice.
            return unchanged
        # A control already showing its value is left alone: set again, each re-renders, and
        # a dropdown of hundreds of options takes a moment a new page's first chart waits for.
        shown = control_values(dataset, state)
        return {
            "url": no_update if from_url else to_query(state),
            "controls": {k: no_update if v == controls[k] else v for k, v in shown.items()},
            "state": state.to_dict(),
            "notice": notice_children(notices, state.lang),
            "quiet": not notices,
        }

    # A page open when a new version arrives follows it: every few seconds it asks which
    # version this server has, and everything drawn from the data is drawn again when the
    # answer is newer than what the page shows.
    @app.callback(
        Output("version", "data"),
        Input("tick", "n_intervals"),
        State("version", "data"),
    )
    def follow_version(_, shown):
        version = live.current.version
        return version if shown is None or version > shown else no_update

    @app.callback(
        Output({"type": "text", "key": ALL}, "children"),
        Output("root", "lang"),
        Output("lang-toggle", "children"),
        Output("search", "placeholder"),
        Output("footer", "children"),
        Input("state", "data"),
        Input("version", "data"),
        State({"type": "text", "key": ALL}, "id"),
    )
    def render_text(data, _, ids):
        dataset = live.current.dataset
        state = ViewState.from_dict(data)
        lang = state.lang
        footer = t(
            "footer",
            lang,
            version=dataset.version,
            package=dataset.package_version,
            figures=len(dataset.figures),
            sources=len(dataset.sources),
            licence=licence_name(dataset, lang),
        )
        return (
            [TEXT[lang][i["key"]] for i in ids],
            "zh-CN" if lang == "zh" else "en",
            t("lang_switch", lang),
            t("search", lang),
            footer,
        )

    @app.callback(
        *[Output(f"f-{name}", "options") for name in NAMES],
        *[Output(f"f-{name}", "placeholder") for name in NAMES],
        Output("map-metric", "options"),
        Input("state", "data"),
        Input("version", "data"),
    )
    def render_options(data, _):
        dataset = live.current.dataset
        state = ViewState.from_dict(data)
        lang = state.lang
        labelled = [
            options(
                dataset,
                name,
                lang,
                chosen=getattr(state, name),
                limit=OPTIONS_SHOWN,
            )
            for name in NAMES
        ]
        searched = searched_on_server(dataset)
        placeholders = [
            t("all_search", lang, n=len(names(dataset, BY_NAME[name].table, lang)))
            if name in searched
            else t("all", lang)
            for name in NAMES
        ]
        return (*labelled, *placeholders, options(dataset, "metric", lang))

    # Every filter can grow past what a page is sent as the data grows: each searches on the
    # server when its list is too long to send (and leaves the search to the page otherwise).
    for name in NAMES:

        @app.callback(
            Output(f"f-{name}", "options", allow_duplicate=True),
            Input(f"f-{name}", "search_value"),
            State(f"f-{name}", "value"),
            State("state", "data"),
            prevent_initial_call=True,
        )
        def search_options(search, chosen, data, name=name):
            """The options matching what the user types, and the chosen ones."""
            dataset = live.current.dataset
            if name not in searched_on_server(dataset):
                return no_update
            lang = ViewState.from_dict(data).lang
            return options(
                dataset,
                name,
                lang,
                search=search or "",
                chosen=chosen or (),
                limit=OPTIONS_SHOWN,
            )

    @app.callback(
        Output("kpis", "children"),
        Output("active-filters", "children"),
        Output("empty", "children"),
        Output("empty", "hidden"),
        Input("state", "data"),
        Input("version", "data"),
    )
    def render_summary(data, _):
        served = live.current
        state = ViewState.from_dict(data)
        matching = int(served.dataset.figure_index.mask(state.filters()).sum())
        return (
            served.summary(state.filters(), state.lang),
            panels.active_filters(served.dataset, state),
            t("empty", state.lang),
            matching > 0,
        )

    # One callback per chart: the browser asks for them at once, so workers draw them in
    # parallel and each chart appears as soon as it is ready. On a page's first view, all
    # but the first wait until it has drawn (layout.FIRST_DRAWN).
    for chart in CHARTS:

        @app.callback(
            Output(chart.id, "figure"),
            Output(alt_id(chart), "children"),
            Input("state", "data"),
            Input("version", "data"),
            *([Input(FIRST_DRAWN, "data")] if chart is not CHARTS[0] else []),
        )
        def render_chart(data, _, first_drawn=True, chart=chart):
            if not first_drawn:
                raise PreventUpdate
            served = live.current
            state = ViewState.from_dict(data)
            metric = state.map_metric if chart.uses_metric else ""
            if metric and metric not in served.metrics:  # a tampered store, not the page's own
                metric = ViewState().map_metric
            fig = served.figure(chart.id, state.filters(), state.lang, metric)
            return fig, alt_text(fig)

    # The table asks for each page it shows (dashboard/table.py); the page picks the columns
    # that fit its screen and empties the table when the view or the version changes
    # (assets/table.js).
    @app.callback(
        Output("table-columns", "data"),
        Output("table-holder", "children"),
        Input("state", "data"),
        State("table-columns", "data"),
    )
    def table_columns(data, shown):
        # New columns only with a new language: redrawing them would lose a person's widths.
        # A grid is made in one language (the layout's in the default): another is a new grid.
        lang = ViewState.from_dict(data).lang
        columns = table.column_defs(lang)
        if columns == shown:
            return no_update, no_update
        made_in = (shown or {}).get("lang", ViewState().lang)
        return columns, no_update if lang == made_in else table.grid(lang)

    app.clientside_callback(
        ClientsideFunction("page", "htmlLang"),
        Output("html-lang", "data"),
        Input("root", "lang"),
    )
    app.clientside_callback(  # once, as the page opens: closed on a phone
        ClientsideFunction("page", "filtersOpen"),
        Output("filter-panel", "open"),
        Input("filter-panel", "id"),
    )
    app.clientside_callback(
        ClientsideFunction("table", "columns"),
        Output("table", "columnDefs"),
        Output("table", "dashGridOptions"),
        Input("table-columns", "data"),
        State("table", "dashGridOptions"),
    )
    app.clientside_callback(
        ClientsideFunction("table", "refresh"),
        Output("table-refreshed", "data"),
        Input("state", "data"),
        Input("version", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("table", "getRowsResponse"),
        Input("table", "getRowsRequest"),
        State("state", "data"),
    )
    def table_rows(request, data):
        if not request:
            return no_update
        return table.rows_response(live.current.dataset, ViewState.from_dict(data), request)

    @app.callback(
        Output("download", "data"),
        Input({"type": "text", "key": "export"}, "n_clicks"),
        State("state", "data"),
        prevent_initial_call=True,
    )
    def export(clicks, data):
        if not clicks:
            return no_update
        state = ViewState.from_dict(data)
        buffer = io.BytesIO()
        summary = write_workbook(live.current.dataset, state.filters(), state.lang, buffer)
        return dcc.send_bytes(buffer.getvalue(), summary.filename)

    @app.callback(
        Output("source-body", "children"), Input("state", "data"), Input("version", "data")
    )
    def render_source(data, _):
        return panels.source_panel(live.current.dataset, ViewState.from_dict(data))
