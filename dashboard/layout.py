"""The page skeleton. Every text and number in it is filled in by callbacks from the view state,
so the whole page switches language and follows the URL."""

from __future__ import annotations

from collections.abc import Iterable

from dash import dash_table, dcc, html

from dashboard.panels import PAGE_SIZE
from dashboard.urlstate import DEFAULT_MAP_METRIC
from metrics import Dataset
from metrics.present import FILTER_TABLES, names

# Filter dropdown -> the reference table whose keys are its values and whose names label them.
OPTION_TABLES = dict(FILTER_TABLES)


VERSION_POLL_MS = 10_000
"""How often an open page asks whether the server has a newer dataset version."""

OPTIONS_SHOWN = 400
"""A dropdown sends at most this many options; a longer list (thousands of campaigns at national
scale) is searched on the server as the user types. Every city (338) still fits."""


def options(
    dataset: Dataset,
    table: str,
    lang: str,
    *,
    search: str = "",
    chosen: Iterable[str] = (),
    limit: int | None = None,
) -> list[dict[str, str]]:
    """Dropdown options: the table's keys, labelled in ``lang``, in the table's order.

    With ``limit``, only the first ``limit`` keys whose label or key contains ``search`` (any
    case), and always the ``chosen`` ones, so a selected value keeps its label.
    """
    labelled = names(dataset, table, lang)
    if limit is not None and len(labelled) > limit:
        needle = search.strip().casefold()
        matches = [k for k, v in labelled.items() if needle in f"{k}\n{v}".casefold()]
        keys = set(matches[:limit]) | set(chosen)
        labelled = {k: v for k, v in labelled.items() if k in keys}
    return [{"label": label, "value": key} for key, label in labelled.items()]


def searched_on_server(dataset: Dataset) -> list[str]:
    """The filters whose options are too many to send: their dropdowns search on the server."""
    return [
        name
        for name in FILTER_IDS
        if len(names(dataset, OPTION_TABLES[name], "zh")) > OPTIONS_SHOWN
    ]


FILTER_IDS = tuple(OPTION_TABLES)


def _text(key: str, tag: type = html.Span, **props: object) -> html.Component:
    """A piece of page text that the language callback fills in."""
    return tag(id={"type": "text", "key": key}, **props)


def _graph(graph_id: str) -> dcc.Graph:
    return dcc.Graph(
        id=graph_id,
        config={
            "displaylogo": False,
            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
            "toImageButtonOptions": {"format": "png", "filename": graph_id, "scale": 2},
        },
        className="graph",
    )


def period_bounds(dataset: Dataset, *, withdrawn: bool = False) -> tuple[int, int]:
    """The years the figures and events span: the range of the period slider. With
    ``withdrawn``, the years of withdrawn reports' rows too: what a page made for an earlier
    version may still send."""
    parts = [("figures", "period_start", "period_end"), ("events", "start", "end")]
    tables = [dataset.tables] + ([dataset.withdrawn] if withdrawn else [])
    starts = [t[name][a].min() for t in tables for name, a, _ in parts if name in t]
    ends = [t[name][b].max() for t in tables for name, _, b in parts if name in t]
    return int(min(starts).year), int(max(ends).year)


def build_layout(dataset: Dataset) -> html.Div:
    first, last = period_bounds(dataset)
    filters = [
        html.Div(
            [
                _text(name, html.Label, htmlFor=f"f-{name}"),
                dcc.Dropdown(
                    id=f"f-{name}",
                    multi=True,
                    options=options(dataset, OPTION_TABLES[name], "zh", limit=OPTIONS_SHOWN),
                    value=[],
                    className="dropdown",
                ),
            ],
            className="filter",
        )
        for name in FILTER_IDS
    ]
    filters.append(
        html.Div(
            [
                _text("period", html.Label, htmlFor="f-period"),
                dcc.RangeSlider(
                    id="f-period",
                    min=first,
                    max=last,
                    step=1,
                    value=[first, last],
                    marks={y: str(y) for y in range(first, last + 1)},
                    allowCross=False,
                ),
            ],
            className="filter filter-period",
        )
    )
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="state"),
            # The dataset version the page shows, and the clock that asks for a newer one.
            dcc.Store(id="version"),
            dcc.Interval(id="tick", interval=VERSION_POLL_MS),
            html.Header(
                [
                    html.Div([_text("title", html.H1), _text("subtitle", html.P)]),
                    html.Button(id="lang-toggle", n_clicks=0, className="lang-toggle"),
                ],
                className="top",
            ),
            html.Div(id="notice", role="alert", className="notice", hidden=True),
            html.Section(
                [
                    html.Div(filters, className="filters"),
                    html.Div(
                        [
                            html.Button(
                                id={"type": "text", "key": "reset"}, n_clicks=0, className="reset"
                            ),
                            html.Button(
                                id={"type": "text", "key": "export"},
                                n_clicks=0,
                                className="export",
                            ),
                            dcc.Download(id="download"),
                            html.P(
                                id="active-filters",
                                className="active-filters",
                                **{"aria-live": "polite"},
                            ),
                        ],
                        className="filter-actions",
                    ),
                ],
                className="filter-bar",
                **{"aria-label": "filters"},
            ),
            html.Section(id="kpis", className="kpis"),
            html.Div(id="empty", className="empty", role="status", hidden=True),
            html.Section(
                [
                    html.Div(_graph("chart-sales"), className="card wide"),
                    html.Div(_graph("chart-targets"), className="card"),
                    html.Div(_graph("chart-companies"), className="card"),
                    html.Div(
                        [
                            html.Div(
                                [
                                    _text("map_metric", html.Label, htmlFor="map-metric"),
                                    dcc.Dropdown(
                                        id="map-metric",
                                        clearable=False,
                                        value=DEFAULT_MAP_METRIC,
                                        options=options(dataset, "metrics", "zh"),
                                        className="dropdown",
                                    ),
                                ],
                                className="map-control",
                            ),
                            _graph("chart-map"),
                        ],
                        className="card",
                    ),
                    html.Div(_graph("chart-timeline"), className="card"),
                ],
                className="charts",
            ),
            html.Section(
                [
                    html.Div(
                        [
                            _text("chart_table", html.H2),
                            _text(
                                "search", html.Label, htmlFor="search", className="visually-hidden"
                            ),
                            dcc.Input(
                                id="search",
                                type="search",
                                debounce=True,
                                value="",
                                className="search",
                            ),
                            dash_table.DataTable(
                                id="table",
                                columns=[],
                                data=[],
                                # Paged and sorted on the server: the browser gets one page.
                                page_action="custom",
                                page_current=0,
                                page_size=PAGE_SIZE,
                                sort_action="custom",
                                sort_mode="single",
                                sort_by=[],
                                style_as_list_view=True,
                                cell_selectable=True,
                                style_cell={
                                    "whiteSpace": "normal",
                                    "height": "auto",
                                    "textAlign": "left",
                                    "fontFamily": "inherit",
                                    "padding": "6px",
                                    "maxWidth": "360px",
                                },
                                style_header={"fontWeight": "600", "backgroundColor": "#eef2f7"},
                            ),
                        ],
                        className="card table-card",
                    ),
                    html.Aside(
                        [
                            _text("source_panel", html.H2),
                            html.Button(
                                id={"type": "text", "key": "close"}, n_clicks=0, className="close"
                            ),
                            html.Div(id="source-body"),
                        ],
                        className="card source-panel",
                        id="source-panel",
                    ),
                ],
                className="details",
            ),
            html.Footer(id="footer"),
        ],
        id="root",
        lang="zh-CN",
    )
