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

from dashboard.i18n import TEXT
from dashboard.layout import FILTER_IDS, OPTION_TABLES, options, period_bounds
from dashboard.serving import Check
from dashboard.urlstate import MAX_QUERY_LENGTH, MAX_SELECTED, MAX_TEXT, ViewState, is_state_data
from metrics import Dataset

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


def _cell(value: Any) -> bool:
    """The table's active cell: row and column numbers, the column's id and the row's id."""
    return (
        isinstance(value, dict)
        and set(value) <= {"row", "column", "column_id", "row_id"}
        and all(_optional(_count)(value.get(k)) for k in ("row", "column"))
        and _optional(_text(MAX_TEXT))(value.get("column_id"))
        and _optional(_text(MAX_TEXT))(value.get("row_id"))
    )


def _sort_by(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= 10
        and all(
            isinstance(s, dict)
            and _text(MAX_TEXT)(s.get("column_id"))
            and s.get("direction") in ("asc", "desc")
            for s in value
        )
    )


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
        name: frozenset(o["value"] for o in options(dataset, OPTION_TABLES[name], "zh"))
        | _withdrawn_keys(dataset, OPTION_TABLES[name])
        for name in FILTER_IDS
    }
    metrics = frozenset(o["value"] for o in options(dataset, "metrics", "zh"))

    def view(value: Any) -> bool:
        """The stored view: as the page stores it, naming only what the dataset has."""
        if not is_state_data(value):
            return False
        state = ViewState.from_dict(value)
        return state.map_metric in metrics and all(
            set(getattr(state, name)) <= known[name] for name in FILTER_IDS
        )

    clicks = _optional(_count)
    checks: dict[str, Check] = {
        # A longer query than MAX_QUERY_LENGTH gets a notice on the page, not an error; the
        # server's request-line limit (gunicorn.conf.py) keeps URLs far below this.
        "url.search": _optional(_text(4 * MAX_QUERY_LENGTH)),
        **{f"f-{name}.value": _optional(_some_of(known[name])) for name in FILTER_IDS},
        **{f"f-{name}.search_value": _optional(_text(MAX_TEXT)) for name in FILTER_IDS},
        "f-period.value": _optional(_years(*period_bounds(dataset, withdrawn=True))),
        "map-metric.value": _optional(_one_of(metrics)),
        "search.value": _optional(_text(MAX_QUERY_LENGTH)),  # the callback keeps 200
        "lang-toggle.n_clicks": clicks,
        "chart-sales.clickData": _optional(_click(known["city"], known["industry"])),
        "chart-companies.clickData": _optional(_click(known["city"])),
        "chart-map.clickData": _optional(_click(known["city"])),
        "table.active_cell": _optional(_cell),
        "table.page_current": _count,
        "table.sort_by": _optional(_sort_by),
        "tick.n_intervals": clicks,
        "version.data": clicks,
        "state.data": _optional(view),
        _dependency({"type": "figure-link", "figure": ALL}, "n_clicks"): clicks,
        _dependency({"type": "text", "key": ALL}, "id"): _text_id,
    }
    for key in ("reset", "close", "export"):
        checks[_dependency({"type": "text", "key": key}, "n_clicks")] = clicks
    return checks
