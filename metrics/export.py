"""Excel summaries an analyst can paste into a report: one builder for the page and the CLI.

The workbook records the filters that made it, keeps every number a number (qualifiers are
number formats), carries each figure's provenance, and writes the Figures rows as XML a chunk at
a time (:mod:`metrics.excel`), so a national-scale export is fast and stays within bounded
memory. More rows than a sheet holds continue on further sheets; nothing is ever cut.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from metrics.dataset import Dataset
from metrics.excel import TARGET_PREFIX, Column, SheetRows, number_format, save, set_widths
from metrics.i18n import licence_name, section
from metrics.present import axis_scale, check_lang, chosen_names, figure_records, names
from metrics.query import Filters, aggregate, select_figures

EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, header included
ROWS_PER_CHUNK = 10_000  # Figures rows made into XML at once: bounded memory at any size

# Figures sheet: (record column, width). Each column's header and meaning, in either language,
# are in the text catalogue (metrics/locale/*.toml, [workbook.columns]).
FIGURE_COLUMNS = (
    ("figure_id", 34),
    ("label", 36),
    ("city", 10),
    ("province", 10),
    ("industry", 16),
    ("campaign", 30),
    ("metric_name", 18),
    ("metric", 22),
    ("value", 18),
    ("unit", 9),
    ("qualifier", 12),
    ("is_target", 8),
    ("display", 20),
    ("raw", 16),
    ("quote", 60),
    ("source_id", 24),
    ("source_title", 40),
    ("period_start", 12),
    ("period_end", 12),
    ("period_precision", 10),
    ("date_inferred", 9),
    ("date_inferred_reason", 50),
    ("notes", 50),
)


def workbook_labels(lang: str) -> Mapping[str, Any]:
    """The workbook's texts in ``lang``: the ``[workbook]`` table of the text catalogue."""
    return section("workbook", lang)


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: for messages and for tests."""

    figures: int
    sheets: tuple[str, ...]
    filename: str


def export_filename(dataset: Dataset, filters: Filters, lang: str, today: dt.date) -> str:
    """A file name that says what the workbook holds and is safe on Windows.

    ``区域数字经济指标_滁州_家电_2026-11-23.xlsx``: the filters' names in the chosen language,
    without characters Windows forbids, shortened so the whole path stays well under 260.
    """
    parts = [workbook_labels(check_lang(lang))["title"]]
    parts += [
        "-".join(chosen) for chosen in chosen_names(dataset, filters, lang).values() if chosen
    ]
    if filters.period_start or filters.period_end:
        parts.append(f"{filters.period_start or ''}~{filters.period_end or ''}")
    stem = "_".join(parts)
    stem = re.sub(r'[<>:"/\\|?*\x00-\x1f]+', "-", stem)
    stem = re.sub(r"\s+", "-" if lang == "en" else "", stem).strip(" .-")[:120]
    return f"{stem}_{today.isoformat()}.xlsx"


def write_workbook(
    dataset: Dataset,
    filters: Filters,
    lang: str,
    output: BinaryIO | str | Path,
    *,
    made_at: dt.datetime | None = None,
    max_rows: int = EXCEL_MAX_ROWS,
) -> ExportSummary:
    """Write the Summary, Figures, Sources and About sheets for ``filters`` to ``output``."""
    labels = workbook_labels(check_lang(lang))
    made_at = made_at or dt.datetime.now().astimezone()
    figures = select_figures(dataset, filters)
    workbook = Workbook(write_only=True)
    summary_name, figures_name, sources_name, about_name = labels["sheets"]
    summary = SheetRows(workbook.create_sheet(summary_name))
    _summary_sheet(summary, dataset, filters, figures, lang, made_at)
    figure_sheets = _figures_sheets(workbook, figures_name, dataset, figures, lang, max_rows)
    sources = SheetRows(workbook.create_sheet(sources_name))
    _sources_sheet(sources, dataset, figures, lang)
    about = SheetRows(workbook.create_sheet(about_name))
    _about_sheet(about, dataset, filters, len(figures), lang, made_at)
    sheets = [summary, *figure_sheets, sources, about]
    save(workbook, sheets, output)
    return ExportSummary(
        figures=len(figures),
        sheets=tuple(rows.sheet.title for rows in sheets),
        filename=export_filename(dataset, filters, lang, made_at.date()),
    )


_TEMPORARY_PREFIX = ".export-"
STALE_AFTER = 3600.0
"""Seconds after which an export's temporary file is a leftover: exports take seconds, and
the server's request timeout is five minutes."""


def export_file(
    dataset: Dataset, filters: Filters, lang: str, path: str | Path, **options: object
) -> ExportSummary:
    """Write the workbook to a temporary file beside ``path`` and rename it into place, so a
    failure (or an interrupted run) never leaves a half-written file under the real name.

    A killed export leaves its hidden temporary file behind; the next export to the directory
    deletes those older than :data:`STALE_AFTER` (a running export is never that old)."""
    path = Path(path)
    for stale in path.parent.glob(f"{_TEMPORARY_PREFIX}*.xlsx"):
        with contextlib.suppress(OSError):  # gone already, or not ours to delete
            if time.time() - stale.stat().st_mtime > STALE_AFTER:
                stale.unlink()
    handle, temporary = tempfile.mkstemp(prefix=_TEMPORARY_PREFIX, suffix=".xlsx", dir=path.parent)
    os.close(handle)
    try:
        summary = write_workbook(dataset, filters, lang, temporary, **options)  # type: ignore[arg-type]
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return summary


def describe_filters(dataset: Dataset, filters: Filters, lang: str) -> list[tuple[str, str]]:
    """(dimension, chosen values) for every filter, "all" where none is set."""
    labels = workbook_labels(lang)
    headings = labels["filter_headings"]
    rows = [
        (headings[dimension], labels["list_sep"].join(chosen) if chosen else labels["all"])
        for dimension, chosen in chosen_names(dataset, filters, lang).items()
    ]
    period = (
        f"{filters.period_start or '…'} – {filters.period_end or '…'}"
        if filters.period_start or filters.period_end
        else labels["all"]
    )
    rows.append((headings["period"], period))
    return rows


def _summary_sheet(
    rows: SheetRows,
    dataset: Dataset,
    filters: Filters,
    figures: pd.DataFrame,
    lang: str,
    made_at: dt.datetime,
) -> None:
    labels = workbook_labels(lang)
    set_widths(rows.sheet, [16] + [14] * 12)
    rows.append([rows.text(f"{labels['title']} · {labels['sheets'][0]}", bold=True)])
    colon = labels["colon"]
    filter_text = labels["clause_sep"].join(
        f"{k}{colon}{v}" for k, v in describe_filters(dataset, filters, lang)
    )
    rows.append([rows.text(labels["filters"]), rows.text(filter_text)])
    rows.append([rows.text(labels["made"]), rows.text(made_at.isoformat(timespec="seconds"))])
    rows.append([rows.text(labels["legend"])])
    row = 5
    if figures.empty:
        rows.append([])
        rows.append([rows.text(labels["no_figures"])])
        return
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    metric_names = names(dataset, "metrics", lang)
    present = set(figures["metric"].astype(str))
    chart_source = None
    for metric in dataset.tables["metrics"]["metric"].astype(str):
        if metric not in present:
            continue
        # The tables show values only: no figure ids, whose lists cost most of an aggregate.
        result = aggregate(dataset, metric, filters, ids_kept=0)
        if result.cells.empty:
            continue
        divisor, unit_label = axis_scale(
            dataset, float(result.cells["value"].max()), result.unit, lang
        )
        decimals = 2 if divisor > 1 else 0
        target = TARGET_PREFIX[lang] if result.is_target else ""
        cities = list(dict.fromkeys(result.cells["city"]))
        present_industries = set(result.cells["industry"])
        industries = [
            i
            for i in dataset.tables["industries"]["industry"].astype(str)
            if i in present_industries
        ]
        title = metric_names[metric]
        if target:
            title = labels["target_title"].format(metric=title)
        rows.append([])
        rows.append([rows.text(f"{title} · {labels['unit']}{colon}{unit_label}", bold=True)])
        header_row = row + 2
        rows.append(
            [
                rows.text(labels["city"], bold=True),
                *[rows.text(industry_names[i], bold=True) for i in industries],
                rows.text(labels["city_total"], bold=True) if result.additive else None,
            ]
        )
        grid = _entries(result.cells, "city", "industry")
        by_city = _entries(result.by_city, "city")
        style = (divisor, decimals, target, labels)
        for city in cities:
            line = [rows.text(city_names[city])]
            for industry in industries:
                line.append(_summary_cell(rows, grid.get((city, industry)), *style))
            if result.additive:
                line.append(_summary_cell(rows, by_city.get(city), *style, bold=True))
            rows.append(line)
        if result.additive:
            by_industry = _entries(result.by_industry, "industry")
            rows.append(
                [
                    rows.text(labels["total"], bold=True),
                    *[
                        _summary_cell(rows, by_industry.get(i), *style, bold=True)
                        for i in industries
                    ],
                    _summary_cell(rows, result.total.to_dict(), *style, bold=True),
                ]
            )
        notes = [labels["shared"]] if result.cell_parts["shared"].any() else []
        if not result.additive:
            notes.append(labels["not_additive"])
        for note in notes:
            rows.append([rows.text(note)])
        last_city_row = header_row + len(cities)
        if metric == "campaign_sales":
            chart_source = (header_row, last_city_row, len(industries), unit_label)
        row = last_city_row + (1 if result.additive else 0) + len(notes) + 1
    if chart_source:
        rows.sheet.add_chart(_sales_chart(rows.sheet, *chart_source, labels), "H2")


def _entries(frame: pd.DataFrame, *keys: str) -> dict[object, dict]:
    """An aggregate's rows by key (a tuple of several keys). A national summary has thousands of
    cells, and a dict look-up is what keeps them cheap: ``.loc`` took about 70 µs each."""
    index = zip(*(frame[k] for k in keys), strict=True) if len(keys) > 1 else frame[keys[0]]
    return dict(zip(index, frame.to_dict("records"), strict=True))


def _summary_cell(
    rows: SheetRows,
    entry: dict | None,
    divisor: float,
    decimals: int,
    target: str,
    labels: Mapping[str, Any],
    *,
    bold: bool = False,
) -> bytes | None:
    if entry is None:
        return None
    if pd.isna(entry["value"]):  # several figures of a metric that may not be added
        return rows.text(labels["n_figures"].format(n=int(entry["n_figures"])))
    fmt = number_format(
        decimals,
        qualifier=entry["qualifier"],
        approximate=bool(entry["approximate"]),
        target=target,
    )
    return rows.number(entry["value"] / divisor, fmt, bold=bold)


def _sales_chart(
    sheet: WriteOnlyWorksheet,
    header_row: int,
    last_row: int,
    n_industries: int,
    unit_label: str,
    labels: Mapping[str, Any],
) -> BarChart:
    """A native Excel column chart of the campaign-sales table: editable in Excel."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = labels["chart"].format(unit=unit_label)
    chart.y_axis.title = unit_label
    chart.x_axis.title = labels["city"]
    data = Reference(
        sheet, min_col=2, max_col=1 + n_industries, min_row=header_row, max_row=last_row
    )
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.height, chart.width = 8, 16
    return chart


def figures_sheet_frame(dataset: Dataset, figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The Figures sheet's columns as plain values, in FIGURE_COLUMNS order; dates stay ISO text."""
    labels = workbook_labels(lang)
    records = figure_records(dataset, figures, lang)
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    province_names = names(dataset, "provinces", lang)
    titles = (
        dataset.tables["sources"]
        .set_index("source_id")["title_zh" if lang == "zh" else "title_en"]
        .to_dict()
    )
    separator = labels["list_sep"]
    records["city"] = records["city"].map(city_names)
    records["province"] = records["province"].map(province_names)
    records["industry"] = records["industry"].map(
        {
            s: separator.join(industry_names[i] for i in s.split("|"))
            for s in records["industry"].unique()
        }
    )
    records["qualifier"] = records["qualifier"].map(dict(labels["qualifiers"]))
    records["source_title"] = records["source_id"].map(titles)
    records["period_precision"] = records["period_precision"].map(dict(labels["precision"]))
    for column in ("is_target", "date_inferred"):
        records[column] = records[column].map({True: labels["yes"], False: labels["no"]})
    return records[[c[0] for c in FIGURE_COLUMNS]]


def _figures_sheets(
    workbook: Workbook,
    name: str,
    dataset: Dataset,
    figures: pd.DataFrame,
    lang: str,
    max_rows: int,
) -> list[SheetRows]:
    """As many Figures sheets as the figures need, never more rows than a sheet holds.

    The rows are made when the workbook is saved, a chunk at a time, so memory stays bounded.
    """
    per_sheet = max_rows - 1
    texts = workbook_labels(lang)["columns"]
    headers = [texts[c[0]]["header"] for c in FIGURE_COLUMNS]
    last_column = get_column_letter(len(headers))
    records = figures_sheet_frame(dataset, figures, lang)
    sheets: list[SheetRows] = []
    for start in range(0, max(len(records), 1), per_sheet):  # an empty export keeps its header
        part = records.iloc[start : start + per_sheet]
        rows = SheetRows(
            workbook.create_sheet(name if not sheets else f"{name} ({len(sheets) + 1})")
        )
        rows.sheet.freeze_panes = "A2"
        rows.sheet.auto_filter.ref = f"A1:{last_column}{len(part) + 1}"
        set_widths(rows.sheet, [c[1] for c in FIGURE_COLUMNS])
        rows.append([rows.text(h, bold=True) for h in headers])
        rows.extend(_figure_chunks(rows, part), len(part))
        sheets.append(rows)
    return sheets


def _figure_chunks(rows: SheetRows, records: pd.DataFrame) -> Iterator[list[Column]]:
    """The Figures rows as columns of cells, ROWS_PER_CHUNK rows at a time."""
    cell = {"value": rows.number, "period_start": rows.date, "period_end": rows.date}
    for start in range(0, len(records), ROWS_PER_CHUNK):
        chunk = records.iloc[start : start + ROWS_PER_CHUNK]
        yield [rows.column(chunk[c], cell.get(c, rows.text)) for c in chunk.columns]


def _sources_sheet(rows: SheetRows, dataset: Dataset, figures: pd.DataFrame, lang: str) -> None:
    labels = workbook_labels(lang)
    set_widths(rows.sheet, [24, 40, 10, 12, 10, 12, 12, 12, 34, 66, 12, 60])
    rows.sheet.freeze_panes = "A2"
    rows.append([rows.text(h, bold=True) for h in labels["source_headers"]])
    used = figures.groupby(figures["source_id"].astype(str))["figure_id"].agg(
        lambda s: list(s.astype(str))
    )
    city_names = names(dataset, "cities", lang)
    title = "title_zh" if lang == "zh" else "title_en"
    for source in dataset.tables["sources"].itertuples():
        ids = used.get(str(source.source_id), [])
        if not ids:
            continue
        rows.append(
            [
                rows.text(source.source_id),
                rows.text(getattr(source, title), wrap=True),
                rows.text(city_names[str(source.city)]),
                rows.date(source.event_date.date() if pd.notna(source.event_date) else None),
                rows.text(labels["yes"] if source.event_date_inferred else labels["no"]),
                rows.text(source.publisher or labels["unknown"]),
                rows.text(source.url or labels["unknown"]),
                rows.date(source.published.date())
                if pd.notna(source.published)
                else rows.text(labels["unknown"]),
                rows.text(source.path),
                rows.text(source.sha256),
                rows.number(len(ids)),
                rows.text(_id_list(ids, labels), wrap=True),
            ]
        )


# An Excel cell holds at most 32,767 characters; a national export can cite far more ids than
# that, so the list is cut explicitly, saying how many are left out (the Figures sheet has all).
IDS_LISTED = 200


def _id_list(ids: list[str], labels: Mapping[str, Any]) -> str:
    listed = ", ".join(ids[:IDS_LISTED])
    if len(ids) > IDS_LISTED:
        listed += labels["more_ids"].format(n=len(ids) - IDS_LISTED)
    return listed


def _about_sheet(
    rows: SheetRows,
    dataset: Dataset,
    filters: Filters,
    count: int,
    lang: str,
    made_at: dt.datetime,
) -> None:
    labels = workbook_labels(lang)
    about, licence = labels["about"], licence_name(dataset, lang)
    set_widths(rows.sheet, [22, 90])
    rows.append([rows.text(labels["title"], bold=True)])
    rows.append([rows.text(labels["filters"], bold=True)])
    for heading, value in describe_filters(dataset, filters, lang):
        rows.append([rows.text(heading), rows.text(value)])
    entries = [
        (about["language"], about["language_value"]),
        (
            about["version"],
            about["version_value"].format(version=dataset.version, package=dataset.package_version),
        ),
        (
            about["validation"],
            about["validation_value"].format(
                tables=len(dataset.tables), figures=len(dataset.tables["figures"])
            ),
        ),
        (labels["made"], made_at.isoformat(timespec="seconds")),
        (about["rows"], count),
        (about["cite"], about["cite_value"].format(version=dataset.version, licence=licence)),
        (about["license"], about["license_value"].format(licence=licence)),
    ]
    rows.append([])
    for heading, value in entries:
        cell = rows.number(value) if isinstance(value, int) else rows.text(value, wrap=True)
        rows.append([rows.text(heading, bold=True), cell])
    rows.append([])
    rows.append([rows.text(about["columns"], bold=True)])
    rows.append([rows.text(about["column"], bold=True), rows.text(about["meaning"], bold=True)])
    for column, _ in FIGURE_COLUMNS:
        texts = labels["columns"][column]
        rows.append([rows.text(texts["header"]), rows.text(texts["meaning"])])
