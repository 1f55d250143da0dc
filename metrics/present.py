"""Figures as a reader sees them: names in the chosen language and values with their qualifiers.

The CLI, the page and the exports all show figures through these functions, so a lower bound or
a target looks the same everywhere.
"""

from __future__ import annotations

import pandas as pd

from metrics.dataset import Dataset
from metrics.dimensions import BY_TABLE, DIMENSIONS
from metrics.numbers import format_value

LANGS = ("zh", "en")

# Columns of a figure record (csv/json output), in order. City, province and industry keep their
# Chinese names, the dataset's keys; the ``*_name`` columns and ``display`` follow the language.
RECORD_COLUMNS = (
    "figure_id",
    "source_id",
    "city",
    "province",
    "industry",
    "campaign_id",
    "campaign",
    "metric",
    "metric_name",
    "value",
    "unit",
    "qualifier",
    "is_target",
    "display",
    "label",
    "raw",
    "quote",
    "period_start",
    "period_end",
    "period_precision",
    "date_inferred",
    "date_inferred_reason",
    "notes",
)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    return lang


def names(dataset: Dataset, table: str, lang: str) -> dict[str, str]:
    """Display names of the keys a dimension's values are listed under (``table``, such as
    "cities"; see :data:`metrics.dimensions.DIMENSIONS`), in ``lang``. Made once per dataset:
    the caller must not change it."""
    if ("names", table, lang) not in dataset.memo:
        dataset.memo["names", table, lang] = _names(dataset, table, lang)
    return dataset.memo["names", table, lang]


def _names(dataset: Dataset, table: str, lang: str) -> dict[str, str]:
    dimension = BY_TABLE[table]
    frame = dataset.tables[dimension.frame]
    label = dimension.english if lang == "en" else dimension.chinese
    # tolist(): iterating a pandas string column boxes each value (ms for 10,000 campaigns).
    keys = frame[dimension.key].astype(str).tolist()
    labels = frame[label].astype(str).tolist()
    return dict(zip(keys, labels, strict=True))


def format_amount(
    dataset: Dataset,
    value: float,
    unit: str,
    lang: str,
    *,
    qualifier: str = "exact",
    target: bool = False,
    approximate: bool = False,
) -> str:
    """A value in ``unit`` formatted for ``lang`` (1.36亿元, CNY 135.7 million, ≥5家)."""
    info = dataset.unit_info[unit]
    return format_value(
        value,
        info["kind"],
        lang=check_lang(lang),
        unit_zh=info["symbol_zh"],
        unit_en=info["symbol_en"],
        qualifier=qualifier,
        target=target,
        approximate=approximate,
    )


def figure_records(dataset: Dataset, figures: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """One flat record per figure with its provenance, for csv/json output and tables."""
    check_lang(lang)
    suffix = "_en" if lang == "en" else "_zh"
    events = names(dataset, "events", lang)
    metric_names = names(dataset, "metrics", lang)
    reasons = dataset.tables["inferences"].set_index("inference_id")["reason" + suffix]
    records = pd.DataFrame(
        {
            "figure_id": figures["figure_id"].astype(str),
            "source_id": figures["source_id"].astype(str),
            "city": figures["city"].astype(str),
            "province": figures["province"].astype(str),
            "industry": figures["industry"].astype(str),
            "campaign_id": figures["event_id"].astype(str),
            "metric": figures["metric"].astype(str),
            "value": figures["value"],
            "unit": figures["unit"].astype(str),
            "qualifier": figures["qualifier"].astype(str),
            "is_target": figures["is_target"],
            "label": figures["label" + suffix],
            "raw": figures["raw"],
            "quote": figures["quote"],
            "period_start": figures["period_start"].dt.strftime("%Y-%m-%d"),
            "period_end": figures["period_end"].dt.strftime("%Y-%m-%d"),
            "period_precision": figures["period_precision"].astype(str),
            "date_inferred": figures["date_inferred"],
            "date_inferred_reason": figures["date_inference"].astype(str).map(reasons).fillna(""),
            "notes": figures["notes" + suffix],
        }
    )
    records["campaign"] = records["campaign_id"].map(events).fillna("")
    records["metric_name"] = records["metric"].map(metric_names)
    # Formatting is the slow part of an export (Babel, per value); national data repeats values
    # (a third are distinct at 100,000 figures), so each distinct one is formatted once.
    keys = ["value", "unit", "qualifier", "is_target"]
    distinct = records[keys].drop_duplicates()
    distinct["display"] = [
        format_amount(dataset, value, unit, lang, qualifier=qualifier, target=bool(target))
        for value, unit, qualifier, target in distinct.itertuples(index=False)
    ]
    records = records.merge(distinct, on=keys, how="left")
    return records[list(RECORD_COLUMNS)].reset_index(drop=True)


# Units for chart axes: the largest unit that keeps the biggest value at one or more. Chinese
# readers count in 万 and 亿; English readers in millions and billions.
_AXIS_UNITS = {
    "zh": ((1e8, "亿元"), (1e4, "万元"), (1.0, "元")),
    "en": ((1e9, "CNY billion"), (1e6, "CNY million"), (1.0, "CNY")),
}


def axis_scale(dataset: Dataset, max_value: float, unit: str, lang: str) -> tuple[float, str]:
    """``(divisor, unit label)`` for an axis whose largest value is ``max_value``."""
    info = dataset.tables["units"].set_index("unit").loc[unit]
    if info["kind"] != "currency":
        return 1.0, str(info["symbol_zh"] if check_lang(lang) == "zh" else info["symbol_en"])
    for divisor, label in _AXIS_UNITS[lang]:
        if max_value >= divisor:
            return divisor, label
    return 1.0, _AXIS_UNITS[lang][-1][1]


def chosen_names(dataset: Dataset, filters: object, lang: str) -> dict[str, list[str]]:
    """The display names of each filter dimension's chosen values ([] where none is chosen).

    ``filters`` is anything with the dimensions as attributes: query Filters or a page view.
    """
    return {
        d.name: [names(dataset, d.table, lang)[key] for key in getattr(filters, d.name)]
        for d in DIMENSIONS
    }
