"""The data layer of the regional digital-economy dashboard: no Dash in here.

Public API::

    dataset = metrics.load()                       # validated, or DataValidationError
    dataset = metrics.open_store().load()          # the folder, or PostgreSQL: see store/
    filters = metrics.resolve_filters(dataset, city=["滁州"], industry=["家电"])  # or QueryError
    filters = metrics.Filters(city=("滁州",))       # from the dataset's keys, unchecked
    figures = metrics.select_figures(dataset, filters)         # one row per figure
    records = metrics.figure_records(dataset, figures, "en")   # flat, with displayed values
    summary = metrics.aggregate(dataset, "campaign_sales", filters)  # .total, .by_city, …
    query = metrics.TableQuery(search="京东", sort="value", descending=True)
    page = metrics.table_page(dataset, filters, query, start=0, size=20, lang="en")
    page.records, page.total                       # the page's table and the CLI's --limit

    metrics.parse_number("3.55亿元")                # NumberParseError if it is not one number
    metrics.detect_qualifier("超", "1000亿")         # "more_than"
    metrics.format_value(3.55e8, "currency", lang="zh", unit_zh="元", unit_en="CNY")  # 3.55亿元

Errors derive from MetricsError: DataValidationError (its ``problems``, each a Problem),
QueryError, NumberParseError, StoreError and its ConflictError. ``metrics.resolve_data_dir``
names the data folder ``load`` reads; ``metrics.Dataset`` is what it returns.
"""

from metrics.dataset import Dataset, load, resolve_data_dir
from metrics.errors import (
    ConflictError,
    DataValidationError,
    MetricsError,
    NumberParseError,
    Problem,
    QueryError,
    StoreError,
)
from metrics.numbers import detect_qualifier, format_value, parse_number
from metrics.present import figure_records
from metrics.query import Filters, aggregate, resolve_filters, select_figures
from metrics.store import open_store
from metrics.table import ColumnFilter, TablePage, TableQuery, table_page

__all__ = [
    "ColumnFilter",
    "ConflictError",
    "DataValidationError",
    "Dataset",
    "Filters",
    "MetricsError",
    "NumberParseError",
    "Problem",
    "QueryError",
    "StoreError",
    "TablePage",
    "TableQuery",
    "aggregate",
    "detect_qualifier",
    "figure_records",
    "format_value",
    "load",
    "open_store",
    "parse_number",
    "resolve_data_dir",
    "resolve_filters",
    "select_figures",
    "table_page",
]
