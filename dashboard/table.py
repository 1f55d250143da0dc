"""The figures table: an AG Grid that asks the server for one page at a time.

The grid uses AG Grid's infinite row model with pagination: for each page it sends its
``getRowsRequest`` (the rows wanted, its sort and its column filters), and the server answers
with those rows only (:func:`rows_response`, through :func:`metrics.table.table_page`). So a
view of a million figures costs the browser one page. A new view or a new dataset version
empties the grid's cache (``assets/table.js``), and it asks again.

On a phone the columns give way to one column of cards, a figure each (the same rows, drawn
by ``FigureCard`` in ``assets/table.js``): the page is told both sets of columns and picks.
"""

from __future__ import annotations

from typing import Any

from dash import html
from dash_ag_grid import AgGrid

from dashboard.i18n import t
from dashboard.urlstate import ViewState
from metrics import Dataset, QueryError
from metrics.i18n import section
from metrics.present import names
from metrics.table import COLUMNS, ColumnFilter, TableQuery, table_page

PAGE_SIZE = 10
ROW_HEIGHT, CARD_HEIGHT = 44, 150
# A grid filter's condition -> the table's; one condition per column (maxNumConditions).
_CONDITIONS = {
    "contains": "contains",
    "greaterThanOrEqual": "at_least",
    "lessThanOrEqual": "at_most",
}
_WIDTHS = {
    "city": 110,
    "industry": 120,
    "metric": 150,
    "value": 140,
    "period": 230,
    "label": 260,
    "quote": 380,
    "source": 170,
}


def grid(lang: str) -> html.Div:
    """The table's component in ``lang``; its columns come with the view (``assets/table.js``
    picks those that fit the screen). AG Grid words its pager and filters once, as it is made:
    a grid for another language is a new grid, in a holder whose id names the language, so
    the page makes it anew rather than changing the old one's words (which it ignores)."""
    return html.Div(_grid(lang), id=f"table-in-{lang}")


def _grid(lang: str) -> AgGrid:
    return AgGrid(
        id="table",
        rowModelType="infinite",
        columnDefs=[],
        getRowId="params.data.id",
        defaultColDef={"resizable": True, "sortable": True},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_SIZE,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": PAGE_SIZE,  # one request per page, of that page's rows
            "maxBlocksInCache": 20,
            "rowHeight": ROW_HEIGHT,
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "tooltipShowDelay": 300,
            "enableCellTextSelection": True,
            "ensureDomOrder": True,  # a screen reader reads the cells in the order shown
            "localeText": dict(section("page.grid", lang)),
        },
        className="figures-grid",
        style={"height": f"{PAGE_SIZE * ROW_HEIGHT + 110}px"},
    )


def column_defs(lang: str) -> dict[str, Any]:
    """The grid's columns for a wide screen, the one column of cards for a phone, and the
    height of their rows."""
    wide = []
    for column in COLUMNS:
        numeric = column == "value"
        wide.append(
            {
                "field": column,
                "headerName": t(f"col_{column}", lang),
                "width": _WIDTHS[column],
                "pinned": "left" if column == "city" else None,
                "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
                "filterParams": {
                    "filterOptions": (
                        ["greaterThanOrEqual", "lessThanOrEqual"] if numeric else ["contains"]
                    ),
                    "maxNumConditions": 1,
                    "buttons": ["reset"],
                    "debounceMs": 400,
                },
                # The quote in a readable width, whole on hover and in the source panel.
                "tooltipField": "quote" if column in ("quote", "label") else None,
                "cellClass": "num" if numeric else None,
            }
        )
    card = {
        "field": "label",
        "headerName": t("chart_table", lang),
        "flex": 1,
        "cellRenderer": "FigureCard",
        "sortable": False,
        "filter": "agTextColumnFilter",
        "filterParams": {"filterOptions": ["contains"], "maxNumConditions": 1, "debounceMs": 400},
    }
    return {
        "lang": lang,
        "wide": wide,
        "narrow": [card],
        "heights": {"wide": ROW_HEIGHT, "narrow": CARD_HEIGHT},
    }


def table_query(state: ViewState, request: dict[str, Any]) -> TableQuery:
    """The table query of the page's search box and the grid's sort and column filters.
    ``request`` has passed :mod:`dashboard.inputs`; a query :mod:`metrics.table` refuses
    raises :class:`~metrics.QueryError`."""
    sort = (request.get("sortModel") or [{}])[0]
    filters = tuple(
        ColumnFilter(column, _CONDITIONS[spec["type"]], spec["filter"])
        for column, spec in (request.get("filterModel") or {}).items()
        if spec.get("filter") not in (None, "")
    )
    return TableQuery(
        search=state.q,
        sort=sort.get("colId", ""),
        descending=sort.get("sort") == "desc",
        filters=filters,
    )


def rows_response(dataset: Dataset, state: ViewState, request: dict[str, Any]) -> dict[str, Any]:
    """The rows a ``getRowsRequest`` asks for, and how many there are in all."""
    start = int(request.get("startRow") or 0)
    size = max(1, min(int(request.get("endRow") or PAGE_SIZE) - start, PAGE_SIZE * 5))
    try:
        query = table_query(state, request)
    except QueryError:  # a grid filter the table cannot apply: no rows, rather than wrong ones
        return {"rowData": [], "rowCount": 0}
    page = table_page(dataset, state.filters(), query, start=start, size=size, lang=state.lang)
    return {"rowData": rows(dataset, page.records, state.lang), "rowCount": page.total}


def rows(dataset: Dataset, records: Any, lang: str) -> list[dict[str, str]]:
    """Table rows of figure records: names in ``lang``, the value with its qualifier."""
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    source_names = names(dataset, "sources", lang)
    inferred = t("inferred", lang)
    return [
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
            "source": source_names.get(rec["source_id"], rec["source_id"]),
        }
        for rec in records.to_dict("records")
    ]
