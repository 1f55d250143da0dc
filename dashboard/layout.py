"""The page skeleton. Every text and number in it is filled in by callbacks from the view state,
so the whole page switches language and follows the URL."""

from __future__ import annotations

from collections.abc import Iterable

from dash import dcc, html

from dashboard import table
from dashboard.charts import CHARTS, Chart
from dashboard.urlstate import DEFAULT_MAP_METRIC, ViewState
from metrics import Dataset
from metrics.dimensions import BY_NAME, NAMES
from metrics.present import names

FIRST_DRAWN = "first-chart-drawn"
"""The store the page sets once its first chart has drawn (assets/page.js): the other charts
are asked for then. Drawing all six at once kept the first from the screen for a second on a
national dataset; one at a time, the first is there sooner and the rest follow."""

VERSION_POLL_MS = 10_000
"""How often an open page asks whether the server has a newer dataset version."""

OPTIONS_SHOWN = 400
"""A dropdown sends at most this many options; a longer list (thousands of campaigns at national
scale) is searched on the server as the user types. Every city (338) still fits."""


def options(
    dataset: Dataset,
    dimension: str,
    lang: str,
    *,
    search: str = "",
    chosen: Iterable[str] = (),
    limit: int | None = None,
) -> list[dict[str, str]]:
    """Dropdown options: a dimension's keys, labelled in ``lang``, in its table's order.

    With ``limit``, only the first ``limit`` keys whose label or key contains ``search`` (any
    case), and always the ``chosen`` ones, so a selected value keeps its label.
    """
    labelled = names(dataset, BY_NAME[dimension].table, lang)
    if limit is not None and len(labelled) > limit:
        needle = search.strip().casefold()
        matches = [k for k, v in labelled.items() if needle in f"{k}\n{v}".casefold()]
        keys = set(matches[:limit]) | set(chosen)
        labelled = {k: v for k, v in labelled.items() if k in keys}
    return [{"label": label, "value": key} for key, label in labelled.items()]


def searched_on_server(dataset: Dataset) -> list[str]:
    """The filters whose options are too many to send: their dropdowns search on the server."""
    return [
        name for name in NAMES if len(names(dataset, BY_NAME[name].table, "zh")) > OPTIONS_SHOWN
    ]


def _text(key: str, tag: type = html.Span, **props: object) -> html.Component:
    """A piece of page text that the language callback fills in."""
    return tag(id={"type": "text", "key": key}, **props)


def alt_id(chart: Chart) -> str:
    """The id of the caption that says in words what ``chart`` shows."""
    return f"{chart.id}-alt"


def _graph(chart: Chart) -> html.Figure:
    """A chart and its caption: the sentence a screen reader reads for it, hidden on screen,
    where the chart says the same in its own title and marks."""
    graph = dcc.Graph(
        id=chart.id,
        config={
            "displaylogo": False,
            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
            "toImageButtonOptions": {"format": "png", "filename": chart.id, "scale": 2},
        },
        className="graph",
    )
    caption = html.Figcaption(id=alt_id(chart), className="visually-hidden")
    return html.Figure([graph, caption], className="chart")


def period_bounds(dataset: Dataset, *, withdrawn: bool = False) -> tuple[int, int]:
    """The years the figures and events span: the range of the period slider. With
    ``withdrawn``, the years of withdrawn reports' rows too: what a page made for an earlier
    version may still send. Made once per dataset: every change of view asks."""
    key = ("period_bounds", str(withdrawn))
    if key not in dataset.memo:
        dataset.memo[key] = _period_bounds(dataset, withdrawn)
    return dataset.memo[key]


def _period_bounds(dataset: Dataset, withdrawn: bool) -> tuple[int, int]:
    parts = [("figures", "period_start", "period_end"), ("events", "start", "end")]
    tables = [dataset.tables] + ([dataset.withdrawn] if withdrawn else [])
    starts = [t[name][a].min() for t in tables for name, a, _ in parts if name in t]
    ends = [t[name][b].max() for t in tables for name, _, b in parts if name in t]
    return int(min(starts).year), int(max(ends).year)


def _chart_card(chart: Chart) -> html.Div:
    return html.Div(_graph(chart), className="card wide" if chart.wide else "card")


def _charts(dataset: Dataset) -> list[html.Div]:
    """A card per chart, in the registry's order; the charts of the map's metric share one
    card under its metric control."""
    cards: list[html.Div] = []
    metric_charts = [c for c in CHARTS if c.uses_metric]
    for chart in CHARTS:
        if not chart.uses_metric:
            cards.append(_chart_card(chart))
        elif chart is metric_charts[0]:
            control = html.Div(
                [
                    _text("map_metric", html.Label, htmlFor="map-metric"),
                    dcc.Dropdown(
                        id="map-metric",
                        clearable=False,
                        value=DEFAULT_MAP_METRIC,
                        options=options(dataset, "metric", "zh"),
                        className="dropdown",
                    ),
                ],
                className="map-control",
            )
            graphs = html.Div([_graph(c) for c in metric_charts], className="map-charts")
            cards.append(html.Div([control, graphs], className="card wide map-card"))
    return cards


def build_layout(dataset: Dataset) -> html.Div:
    """The page: a header, the main part (filters, cards, charts, table and source), a
    footer. Every landmark once, each region labelled by a heading."""
    first, last = period_bounds(dataset)
    filters = [
        html.Div(
            [
                _text(name, html.Label, htmlFor=f"f-{name}"),
                dcc.Dropdown(
                    id=f"f-{name}",
                    multi=True,
                    options=options(dataset, name, "zh", limit=OPTIONS_SHOWN),
                    value=[],
                    className="dropdown",
                ),
            ],
            className="filter",
        )
        for name in NAMES
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
                    # Its handles are sliders a keyboard moves; the two number boxes it would
                    # add have no label a screen reader could read.
                    allow_direct_input=False,
                ),
            ],
            className="filter filter-period",
        )
    )
    actions = html.Div(
        [
            html.Button(id={"type": "text", "key": "reset"}, n_clicks=0, className="reset"),
            html.Button(id={"type": "text", "key": "export"}, n_clicks=0, className="export"),
            dcc.Download(id="download"),
        ],
        className="filter-actions",
    )
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="state"),
            # The dataset version the page shows, and the clock that asks for a newer one.
            dcc.Store(id="version"),
            dcc.Interval(id="tick", interval=VERSION_POLL_MS),
            dcc.Store(id="table-columns"),
            dcc.Store(id="table-refreshed"),
            dcc.Store(id="html-lang"),
            dcc.Store(id=FIRST_DRAWN, data=False),
            html.Header(
                [
                    html.Div([_text("title", html.H1), _text("subtitle", html.P)]),
                    html.Button(id="lang-toggle", n_clicks=0, className="lang-toggle"),
                ],
                className="top",
            ),
            html.Main(
                [
                    html.Div(id="notice", role="alert", className="notice", hidden=True),
                    # A panel that a phone shows closed (assets/page.js): the filters take
                    # a screen there.
                    html.Details(
                        [
                            html.Summary(
                                [
                                    _text("filters", html.H2, className="filters-title"),
                                    html.Span(id="active-filters", className="active-filters"),
                                ]
                            ),
                            html.Div(filters, className="filters"),
                            actions,
                        ],
                        id="filter-panel",
                        open=True,
                        className="filter-bar",
                    ),
                    html.Section(
                        [
                            _text("summary", html.H2, className="visually-hidden"),
                            html.Div(id="kpis", className="kpis"),
                        ],
                        className="kpi-section",
                    ),
                    html.Div(id="empty", className="empty", role="status", hidden=True),
                    html.Section(
                        [_text("charts", html.H2, className="visually-hidden"), *_charts(dataset)],
                        className="charts",
                    ),
                    html.Div(
                        [
                            html.Section(
                                [
                                    _text("chart_table", html.H2),
                                    _text(
                                        "search",
                                        html.Label,
                                        htmlFor="search",
                                        className="visually-hidden",
                                    ),
                                    dcc.Input(
                                        id="search",
                                        type="search",
                                        debounce=True,
                                        value="",
                                        className="search",
                                    ),
                                    html.Div(table.grid(ViewState().lang), id="table-holder"),
                                ],
                                className="card table-card",
                            ),
                            html.Aside(
                                [
                                    _text("source_panel", html.H2),
                                    html.Button(
                                        id={"type": "text", "key": "close"},
                                        n_clicks=0,
                                        className="close",
                                    ),
                                    html.Div(id="source-body", **{"aria-live": "polite"}),
                                ],
                                className="card source-panel",
                                id="source-panel",
                            ),
                        ],
                        className="details",
                    ),
                ],
                id="main",
            ),
            html.Footer(id="footer"),
        ],
        id="root",
        lang="zh-CN",
    )
