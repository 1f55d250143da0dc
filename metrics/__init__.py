"""The data layer of the regional digital-economy dashboard: no Dash in here.

Public API::

    dataset = metrics.load()                       # validated, or DataValidationError
    store = metrics.store.open_store()             # the folder, or PostgreSQL: see store/
    filters = metrics.resolve_filters(dataset, city=["滁州"], industry=["家电"])
    figures = metrics.select_figures(dataset, filters)
    summary = metrics.aggregate(dataset, "campaign_sales", filters)
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

__all__ = [
    "ConflictError",
    "DataValidationError",
    "Dataset",
    "MetricsError",
    "NumberParseError",
    "Problem",
    "QueryError",
    "StoreError",
    "detect_qualifier",
    "format_value",
    "load",
    "parse_number",
    "resolve_data_dir",
]
