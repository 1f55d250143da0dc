"""Callbacks: turn what the user did into a :class:`ViewState`, and a view state into the page.

One callback owns the state: it reads the URL, the filters, clicks on charts and the table, and
writes the state, the URL and the controls back, so they can never disagree. The render
callbacks are thin: each calls one pure function of ``(dataset, state)``.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard import panels
from dashboard.charts import CHARTS
from dashboard.i18n import TEXT, t
from dashboard.layout import (
    FILTER_IDS,
    OPTION_TABLES,
    OPTIONS_SHOWN,
    options,
    period_bounds,
    searched_on_server,
)
from dashboard.live import LiveData
from dashboard.urlstate import Notice, ViewState, parse_query, to_query
from metrics import Dataset
from metrics.export import write_workbook
from metrics.present import names


def transition(
    dataset: Dataset,
    current: ViewState,
    trigger: str | dict | None,
    *,
    search: str | None = None,
    controls: dict[str, Any] | None = None,
    click: dict | None = None,
    active_cell: dict | None = None,
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
    if trigger == "table" and active_cell and active_cell.get("row_id"):
        return replace(current, figure=str(active_cell["row_id"])), []
    if trigger in ("chart-sales", "chart-companies", "chart-map"):
        return _cross_filter(current, trigger, click), []
    return _from_controls(dataset, current, controls or {}), []


def _cross_filter(current: ViewState, chart: str, click: dict | None) -> ViewState:
    """A click on a bar or marker narrows the view to what was clicked."""
    points = (click or {}).get("points") or []
    data = points[0].get("customdata") if points else None
    if not data:
        return current
    if chart == "chart-sales":
        return replace(current, city=(str(data[0]),), industry=(str(data[1]),))
    return replace(current, city=(str(data[0]),))


def _from_controls(dataset: Dataset, current: ViewState, controls: dict[str, Any]) -> ViewState:
    first, last = period_bounds(dataset)
    period = controls.get("period") or [first, last]
    start = "" if period[0] <= first else f"{int(period[0])}-01-01"
    end = "" if period[1] >= last else f"{int(period[1])}-12-31"
    lists = {name: tuple(controls.get(name) or ()) for name in FILTER_IDS}
    return replace(
        current,
        **lists,
        start=start,
        end=end,
        map_metric=controls.get("map_metric") or current.map_metric,
        q=(controls.get("q") or "")[:200],
    )


def control_values(dataset: Dataset, state: ViewState) -> list[Any]:
    """What each control shows for ``state``, in the order of the state callback's outputs."""
    first, last = period_bounds(dataset)
    period = [
        int(state.start[:4]) if state.start else first,
        int(state.end[:4]) if state.end else last,
    ]
    return [list(getattr(state, name)) for name in FILTER_IDS] + [period, state.map_metric, state.q]


def notice_children(notices: list[Notice], lang: str) -> list:
    if not notices:
        return []
    return [
        html.Strong(t("notice_title", lang)),
        html.Ul([html.Li(t(n.key, lang, **n.values)) for n in notices]),
    ]


def register(app: Dash, live: LiveData) -> None:
    """Attach every callback of the page to ``app``; each answers from ``live.current``, read
    once, so from one version of the dataset."""
    control_outputs = [Output(f"f-{name}", "value") for name in FILTER_IDS] + [
        Output("f-period", "value"),
        Output("map-metric", "value"),
        Output("search", "value"),
    ]

    @app.callback(
        Output("url", "search"),
        *control_outputs,
        Output("state", "data"),
        Output("notice", "children"),
        Output("notice", "hidden"),
        Input("url", "search"),
        *[Input(f"f-{name}", "value") for name in FILTER_IDS],
        Input("f-period", "value"),
        Input("map-metric", "value"),
        Input("search", "value"),
        Input("lang-toggle", "n_clicks"),
        Input({"type": "text", "key": "reset"}, "n_clicks"),
        Input({"type": "text", "key": "close"}, "n_clicks"),
        Input("chart-sales", "clickData"),
        Input("chart-companies", "clickData"),
        Input("chart-map", "clickData"),
        Input("table", "active_cell"),
        Input({"type": "figure-link", "figure": ALL}, "n_clicks"),
        State("state", "data"),
    )
    def sync_state(search, *args):
        dataset = live.current.dataset
        n = len(FILTER_IDS)
        filter_values, (period, map_metric, q) = args[:n], args[n : n + 3]
        sales_click, companies_click, map_click, active_cell = args[n + 6 : n + 10]
        current = ViewState.from_dict(args[-1])
        trigger = ctx.triggered_id
        if (
            isinstance(trigger, dict)
            and trigger.get("type") == "figure-link"
            and not any(args[n + 10] or [])
        ):
            return (no_update,) * (len(control_outputs) + 4)  # links re-rendered, not clicked
        clicks = {
            "chart-sales": sales_click,
            "chart-companies": companies_click,
            "chart-map": map_click,
        }
        controls = dict(zip(FILTER_IDS, filter_values, strict=True))
        controls.update(period=period, map_metric=map_metric, q=q)
        state, notices = transition(
            dataset,
            current,
            trigger,
            search=search,
            controls=controls,
            click=clicks.get(trigger) if isinstance(trigger, str) else None,
            active_cell=active_cell,
        )
        from_url = trigger in (None, "url")
        if not from_url and state == current:
            # Controls re-emit their values (a dropdown does when its options change); that is
            # no change of view, and must neither push history nor clear the URL's notice.
            return (no_update,) * (len(control_outputs) + 4)
        return (
            no_update if from_url else to_query(state),
            *control_values(dataset, state),
            state.to_dict(),
            notice_children(notices, state.lang),
            not notices,
        )

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
        )
        return (
            [TEXT[lang][i["key"]] for i in ids],
            "zh-CN" if lang == "zh" else "en",
            t("lang_switch", lang),
            t("search", lang),
            footer,
        )

    @app.callback(
        *[Output(f"f-{name}", "options") for name in FILTER_IDS],
        *[Output(f"f-{name}", "placeholder") for name in FILTER_IDS],
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
                OPTION_TABLES[name],
                lang,
                chosen=getattr(state, name),
                limit=OPTIONS_SHOWN,
            )
            for name in FILTER_IDS
        ]
        searched = searched_on_server(dataset)
        placeholders = [
            t("all_search", lang, n=len(names(dataset, OPTION_TABLES[name], lang)))
            if name in searched
            else t("all", lang)
            for name in FILTER_IDS
        ]
        return (*labelled, *placeholders, options(dataset, "metrics", lang))

    # Every filter can grow past what a page is sent as the data grows: each searches on the
    # server when its list is too long to send (and leaves the search to the page otherwise).
    for name in FILTER_IDS:

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
                OPTION_TABLES[name],
                lang,
                search=search or "",
                chosen=chosen or (),
                limit=OPTIONS_SHOWN,
            )

    @app.callback(
        Output("kpis", "children"),
        Output("active-filters", "children"),
        Input("state", "data"),
        Input("version", "data"),
    )
    def render_summary(data, _):
        served = live.current
        state = ViewState.from_dict(data)
        return (
            served.summary(state.filters(), state.lang),
            panels.active_filters(served.dataset, state),
        )

    # One callback per chart: the browser asks for them at once, so workers draw them in
    # parallel and each chart appears as soon as it is ready.
    for chart in CHARTS:

        @app.callback(Output(chart, "figure"), Input("state", "data"), Input("version", "data"))
        def render_chart(data, _, chart=chart):
            served = live.current
            state = ViewState.from_dict(data)
            metric = state.map_metric if chart == "chart-map" else ""
            if metric and metric not in served.metrics:  # a tampered store, not the page's own
                metric = ViewState().map_metric
            return served.figure(chart, state.filters(), state.lang, metric)

    @app.callback(
        Output("table", "columns"),
        Output("table", "data"),
        Output("table", "page_current"),
        Output("table", "page_count"),
        Output("table", "style_data_conditional"),
        Output("empty", "children"),
        Output("empty", "hidden"),
        Input("state", "data"),
        Input("version", "data"),
        Input("table", "page_current"),
        Input("table", "sort_by"),
    )
    def render_table(data, _, page, sort_by):
        state = ViewState.from_dict(data)
        page = 0 if ctx.triggered_id == "state" else page  # a new view starts on its first page
        result = panels.table_page(live.current.dataset, state, page, sort_by)
        selected = (
            [{"if": {"filter_query": f'{{id}} = "{state.figure}"'}, "backgroundColor": "#fff3c4"}]
            if state.figure
            else []
        )
        return (
            result.columns,
            result.rows,
            result.page,
            result.page_count,
            selected,
            t("empty", state.lang),
            result.total > 0,
        )

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
