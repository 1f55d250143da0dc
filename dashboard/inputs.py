"""What the page's components can send to a callback, one check per input and state.

The callbacks are written for what the page sends: a dropdown's values are keys of the dataset,
the slider's years lie between its ends, a chart click carries the customdata the chart set.
A forged request can send anything else (a dict for a filter, ten thousand values, a city that
does not exist), so :mod:`dashboard.serving` checks every value against this table first and
answers 400 instead of letting a callback fail on it. A test keeps the table complete.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from dash import ALL
from dash.dependencies import Input

from dashboard.charts import CHARTS
from dashboard.i18n import TEXT
from dashboard.layout import FIRST_DRAWN, options, period_bounds
from dashboard.serving import Check
from dashboard.urlstate import MAX_QUERY_LENGTH, MAX_SELECTED, MAX_TEXT, ViewState, is_state_data
from metrics import Dataset
from metrics.dimensions import BY_NAME, NAMES
from metrics.table import COLUMNS

MAX_COUNT = 10**9  # clicks: a number any real page stays far below
MAX_POINTS = 10_000  # points in one chart click (a box selection sends many)


def _optional(check: Check) -> Check:
    return lambda value: value is None or check(value)


def _text(limit: int) -> Check:
    return lambda value: isinstance(value, str) and len(value) <= limit


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_COUNT


def _one_of(known: Collection[str]) -> Check:
    return lambda value: isinstance(value, str) and value in known


def _some_of(known: Collection[str]) -> Check:
    return lambda value: (
        isinstance(value, list)
        and len(value) <= MAX_SELECTED
        and all(isinstance(v, str) and v in known for v in value)
    )


def _years(first: int, last: int) -> Check:
    """The range slider's value: two years between its ends, in order."""

    def check(value: Any) -> bool:
        return (
            isinstance(value, list)
            and len(value) == 2
            and all(type(v) in (int, float) and math.isfinite(v) for v in value)
            and first <= value[0] <= value[1] <= last
        )

    return check


def _click(*dimensions: Collection[str]) -> Check:
    """A chart click: Plotly's points; the first one's customdata starts with the keys the
    chart put there (city, then industry for the sales chart) or is absent."""

    def check(value: Any) -> bool:
        if not isinstance(value, dict) or not isinstance(value.get("points"), list):
            return False
        points = value["points"]
        if len(points) > MAX_POINTS or not all(isinstance(p, dict) for p in points):
            return False
        data = points[0].get("customdata") if points else None
        if data is None:
            return True
        return (
            isinstance(data, list)
            and len(data) >= len(dimensions)
            and all(_one_of(known)(v) for v, known in zip(data, dimensions, strict=False))
        )

    return check


def _selected_rows(value: Any) -> bool:
    """The table's selected rows: at most one (single selection), each a row the server sent."""
    return (
        isinstance(value, list)
        and len(value) <= 1
        and all(isinstance(r, dict) and _text(MAX_TEXT)(r.get("id")) for r in value)
    )


def _rows_request(value: Any) -> bool:
    """The grid's request for a page: row numbers, a sort by one column, a filter per column
    of the kinds the table's columns offer (dashboard/table.py)."""
    if not isinstance(value, dict) or not set(value) <= _REQUEST_KEYS:
        return False
    start, end = value.get("startRow"), value.get("endRow")
    if not (_count(start) and _count(end) and start < end):
        return False
    sort = value.get("sortModel") or []
    if not isinstance(sort, list) or len(sort) > 1:
        return False
    if any(
        not isinstance(s, dict) or s.get("colId") not in COLUMNS or s.get("sort") not in _SORTS
        for s in sort
    ):
        return False
    filters = value.get("filterModel") or {}
    return isinstance(filters, dict) and all(
        column in COLUMNS and _column_filter(column, spec) for column, spec in filters.items()
    )


# dash-ag-grid also sends "api" (an empty object: the grid API does not serialise).
_REQUEST_KEYS = {"startRow", "endRow", "sortModel", "filterModel", "context", "api"}
_SORTS = ("asc", "desc")


def _column_filter(column: str, spec: Any) -> bool:
    if not isinstance(spec, dict) or not set(spec) <= {"filterType", "type", "filter"}:
        return False
    if column == "value":
        number = spec.get("filter")
        return spec.get("type") in ("greaterThanOrEqual", "lessThanOrEqual") and (
            number is None or (type(number) in (int, float) and math.isfinite(number))
        )
    return spec.get("type") == "contains" and _optional(_text(MAX_TEXT))(spec.get("filter"))


def _text_id(value: Any) -> bool:
    """An id of a piece of page text (the language callback fills each by its key)."""
    return (
        isinstance(value, dict) and isinstance(value.get("key"), str) and value["key"] in TEXT["zh"]
    )


def _withdrawn_keys(dataset: Dataset, table: str) -> frozenset[str]:
    rows = dataset.withdrawn.get(table)
    if rows is None:
        return frozenset()
    key = dataset.descriptor.resources[table].primary_key[0]
    return frozenset(rows[key].astype(str))


def _dependency(component_id: str | dict, prop: str) -> str:
    """The dependency as Dash names it: ``'{"key":["ALL"],"type":"text"}.id'``."""
    return f"{Input(component_id, prop).component_id_str()}.{prop}"


def input_checks(dataset: Dataset) -> dict[str, Check]:
    """The check of every input and state of the page's callbacks, for ``dataset``."""
    # What this version offers, and what withdrawn reports offered: a page made for an
    # earlier version may still send those, and gets an empty view rather than an error.
    known = {
        name: frozenset(o["value"] for o in options(dataset, name, "zh"))
        | _withdrawn_keys(dataset, BY_NAME[name].frame)
        for name in NAMES
    }
    metrics = frozenset(o["value"] for o in options(dataset, "metric", "zh"))

    def view(value: Any) -> bool:
        """The stored view: as the page stores it, naming only what the dataset has."""
        if not is_state_data(value):
            return False
        state = ViewState.from_dict(value)
        return state.map_metric in metrics and all(
            set(getattr(state, name)) <= known[name] for name in NAMES
        )

    clicks = _optional(_count)
    checks: dict[str, Check] = {
        # A longer query than MAX_QUERY_LENGTH gets a notice on the page, not an error; the
        # server's request-line limit (gunicorn.conf.py) keeps URLs far below this.
        "url.search": _optional(_text(4 * MAX_QUERY_LENGTH)),
        **{f"f-{name}.value": _optional(_some_of(known[name])) for name in NAMES},
        **{f"f-{name}.search_value": _optional(_text(MAX_TEXT)) for name in NAMES},
        "f-period.value": _optional(_years(*period_bounds(dataset, withdrawn=True))),
        "map-metric.value": _optional(_one_of(metrics)),
        "search.value": _optional(_text(MAX_QUERY_LENGTH)),  # the callback keeps 200
        "lang-toggle.n_clicks": clicks,
        **{
            f"{chart.id}.clickData": _optional(_click(*(known[d] for d in chart.click)))
            for chart in CHARTS
            if chart.click
        },
        "table.selectedRows": _optional(_selected_rows),
        "table.getRowsRequest": _optional(_rows_request),
        "tick.n_intervals": clicks,
        "version.data": clicks,
        "state.data": _optional(view),
        # Only compared with the columns the server would send: any other value sends them.
        "table-columns.data": lambda value: value is None or isinstance(value, dict),
        f"{FIRST_DRAWN}.data": lambda value: isinstance(value, bool),
        _dependency({"type": "figure-link", "figure": ALL}, "n_clicks"): clicks,
        _dependency({"type": "text", "key": ALL}, "id"): _text_id,
    }
    for key in ("reset", "close", "export"):
        checks[_dependency({"type": "text", "key": key}, "n_clicks")] = clicks
    return checks
