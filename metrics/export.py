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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from metrics.dataset import Dataset
from metrics.excel import TARGET_PREFIX, Column, SheetRows, number_format, save, set_widths
from metrics.present import axis_scale, check_lang, chosen_names, figure_records, names
from metrics.query import Filters, aggregate, select_figures

EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, header included
ROWS_PER_CHUNK = 10_000  # Figures rows made into XML at once: bounded memory at any size

LABELS = {
    "zh": {
        "sheets": ("摘要", "数据", "来源", "说明"),
        "title": "区域数字经济指标",
        "filters": "筛选条件",
        "all": "全部",
        "made": "生成时间",
        "unit": "单位",
        "city": "城市",
        "total": "合计",
        "city_total": "城市合计",
        "target": "目标，不是实绩",
        "legend": "格式说明：≥ 不少于；> 超过；~ 约数；“目标”为规划目标。"
        "数值单元格均为数字，可直接计算。",
        "shared": "同属多个产业的数字在各产业下各计一次；城市合计与总计只计一次。",
        "not_additive": "此指标的数字不可相加：每格只列单项数字，"
        "一格有多项时留空并注明项数，不给合计。",
        "n_figures": "{n}项，不可相加",
        "chart": "各城市、产业的活动销售额（{unit}）",
        "no_figures": "没有符合筛选条件的数据。",
        "yes": "是",
        "no": "否",
        "unknown": "未知",
        "more_ids": "……另有 {n} 项，见“数据”表",
        "qualifiers": {
            "exact": "确数",
            "at_least": "不少于",
            "more_than": "超过",
            "approx": "约数",
        },
        "sources": (
            "来源编号",
            "标题",
            "城市",
            "活动日期",
            "日期推定",
            "发布者",
            "网址",
            "发布日期",
            "文件",
            "SHA-256",
            "支持的数据项数",
            "支持的数据编号",
        ),
        "about": {
            "language": "语言",
            "language_value": "中文",
            "version": "数据版本",
            "version_value": "{version}（数据包 {package}）",
            "validation": "校验状态",
            "validation_value": "已通过全部校验规则（{tables} 张表，{figures} 项数据）",
            "rows": "导出的数据项数",
            "cite": "引用方式",
            "cite_value": "《区域数字经济指标》数据集第 {version} 版（CC BY 4.0），"
            "据京东云城市合作报道整理；引用单个数字时请注明其来源报道与原文（见“数据”表）。",
            "license": "许可",
            "license_value": "整理数据 CC BY 4.0；报道原文版权归原发布者。",
            "columns": "“数据”表各列含义",
            "column": "列",
            "meaning": "含义",
        },
    },
    "en": {
        "sheets": ("Summary", "Figures", "Sources", "About"),
        "title": "Regional digital-economy metrics",
        "filters": "Filters",
        "all": "all",
        "made": "Made at",
        "unit": "Unit",
        "city": "City",
        "total": "Total",
        "city_total": "City total",
        "target": "a target, not an achievement",
        "legend": "Formats: ≥ at least; > more than; ~ approximately; Target = a plan target. "
        "Value cells are numbers and can be calculated with.",
        "shared": "A figure for several industries counts under each of them, but once in city "
        "totals and the total.",
        "not_additive": "Figures of this metric may not be added: a cell shows a single figure; "
        "where it holds several it is left empty with their count, and there are no totals.",
        "n_figures": "{n} figures, not additive",
        "chart": "Campaign sales by city and industry ({unit})",
        "no_figures": "No figures match these filters.",
        "yes": "yes",
        "no": "no",
        "unknown": "unknown",
        "more_ids": " … and {n} more (see the Figures sheet)",
        "qualifiers": {
            "exact": "exact",
            "at_least": "at least",
            "more_than": "more than",
            "approx": "approximately",
        },
        "sources": (
            "Source ID",
            "Title",
            "City",
            "Event date",
            "Date inferred",
            "Publisher",
            "URL",
            "Published",
            "File",
            "SHA-256",
            "Figures supported",
            "Figure IDs",
        ),
        "about": {
            "language": "Language",
            "language_value": "English",
            "version": "Dataset version",
            "version_value": "{version} (data package {package})",
            "validation": "Validation",
            "validation_value": "passed every rule ({tables} tables, {figures} figures)",
            "rows": "Figures exported",
            "cite": "How to cite",
            "cite_value": "Regional digital-economy figures, dataset version {version} "
            "(CC BY 4.0), curated from JD Cloud city cooperation reports; when citing a "
            "figure, name its source report and quote (see the Figures sheet).",
            "license": "Licence",
            "license_value": "Curated data CC BY 4.0; report texts belong to their publishers.",
            "columns": "Columns of the Figures sheet",
            "column": "Column",
            "meaning": "Meaning",
        },
    },
}

# Figures sheet: (record column, zh header, en header, width, zh meaning, en meaning).
FIGURE_COLUMNS = (
    (
        "figure_id",
        "编号",
        "Figure ID",
        34,
        "数据的稳定编号，用于引用和链接",
        "stable id of the figure, for citing and linking",
    ),
    ("label", "说明", "Label", 36, "这个数字是什么", "what the number is"),
    ("city", "城市", "City", 10, "城市", "city"),
    ("province", "省份", "Province", 10, "省份", "province"),
    (
        "industry",
        "产业",
        "Industry",
        16,
        "所属产业，可有多个",
        "industries; a figure may have several",
    ),
    ("campaign", "活动", "Campaign or event", 30, "所属活动或事件", "the campaign or event"),
    ("metric_name", "指标", "Metric", 18, "指标名称", "what kind of number"),
    (
        "metric",
        "指标编号",
        "Metric ID",
        22,
        "指标编号；只有同一指标的数字可比较或相加",
        "metric id; only figures of one metric are compared or added",
    ),
    (
        "value",
        "数值（基本单位）",
        "Value (base unit)",
        18,
        "以元或家计的数值，是数字，可直接计算",
        "the value in yuan or companies, as a number",
    ),
    ("unit", "单位", "Unit", 9, "数值的单位", "unit of the value"),
    (
        "qualifier",
        "确定程度",
        "Certainty",
        12,
        "确数、不少于、超过或约数，依原文措辞",
        "exact, at least, more than or approximately, as the text words it",
    ),
    (
        "is_target",
        "是否目标",
        "Target",
        8,
        "规划目标不是实绩",
        "a plan target is not an achievement",
    ),
    ("display", "显示值", "Display", 20, "带单位与确定程度的显示形式", "the value as displayed"),
    (
        "raw",
        "原文写法",
        "As written",
        16,
        "数字在原文中的写法",
        "the number as the report writes it",
    ),
    (
        "quote",
        "原文",
        "Quote (Chinese original)",
        60,
        "原文中包含该数字的句子，逐字摘录",
        "the report's sentence holding the number, verbatim",
    ),
    (
        "source_id",
        "来源编号",
        "Source ID",
        24,
        "来源报道编号（见“来源”表）",
        "source report id (see the Sources sheet)",
    ),
    ("source_title", "来源报道", "Source report", 40, "来源报道标题", "source report title"),
    (
        "period_start",
        "起始日期",
        "Period start",
        12,
        "数字所涵盖时期的第一天",
        "first day the figure covers",
    ),
    (
        "period_end",
        "截止日期",
        "Period end",
        12,
        "数字所涵盖时期的最后一天",
        "last day the figure covers",
    ),
    (
        "period_precision",
        "时间精度",
        "Precision",
        10,
        "原文给出日期的精度：日、月、年或规划期",
        "how precisely the text dates it: day, month, year or plan period",
    ),
    (
        "date_inferred",
        "日期推定",
        "Date inferred",
        9,
        "原文未写全日期、由整理者推定时为“是”",
        "yes when the text does not give the date in full and it was inferred",
    ),
    (
        "date_inferred_reason",
        "推定理由",
        "Why inferred",
        50,
        "日期推定的理由",
        "why the date was inferred",
    ),
    ("notes", "整理说明", "Curator's notes", 50, "整理者说明", "the curator's remarks"),
)
_PRECISION = {
    "zh": {"day": "日", "month": "月", "year": "年", "plan_period": "规划期"},
    "en": {"day": "day", "month": "month", "year": "year", "plan_period": "plan period"},
}


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
    parts = [LABELS[check_lang(lang)]["title"]]
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
    labels = LABELS[check_lang(lang)]
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
    labels = LABELS[lang]
    headings = _FILTER_HEADINGS[lang]
    separator = "、" if lang == "zh" else ", "
    rows = [
        (headings[dimension], separator.join(chosen) if chosen else labels["all"])
        for dimension, chosen in chosen_names(dataset, filters, lang).items()
    ]
    period = (
        f"{filters.period_start or '…'} – {filters.period_end or '…'}"
        if filters.period_start or filters.period_end
        else labels["all"]
    )
    rows.append((headings["period"], period))
    return rows


_FILTER_HEADINGS = {
    "zh": {
        "province": "省份",
        "city": "城市",
        "industry": "产业",
        "metric": "指标",
        "campaign": "活动",
        "source": "报道",
        "period": "时间",
    },
    "en": {
        "province": "Province",
        "city": "City",
        "industry": "Industry",
        "metric": "Metric",
        "campaign": "Campaign or event",
        "source": "Report",
        "period": "Period",
    },
}


def _summary_sheet(
    rows: SheetRows,
    dataset: Dataset,
    filters: Filters,
    figures: pd.DataFrame,
    lang: str,
    made_at: dt.datetime,
) -> None:
    labels = LABELS[lang]
    set_widths(rows.sheet, [16] + [14] * 12)
    rows.append([rows.text(f"{labels['title']} · {labels['sheets'][0]}", bold=True)])
    colon, separator = ("：", "；") if lang == "zh" else (": ", "; ")
    filter_text = separator.join(
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
        title = metric_names[metric] + (
            f"（{labels['target']}）"
            if lang == "zh" and target
            else f" ({labels['target']})"
            if target
            else ""
        )
        rows.append([])
        colon = "：" if lang == "zh" else ": "
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
    labels: dict,
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
    labels: dict,
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
    labels = LABELS[lang]
    records = figure_records(dataset, figures, lang)
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    province_names = names(dataset, "provinces", lang)
    titles = (
        dataset.tables["sources"]
        .set_index("source_id")["title_zh" if lang == "zh" else "title_en"]
        .to_dict()
    )
    separator = "、" if lang == "zh" else ", "
    records["city"] = records["city"].map(city_names)
    records["province"] = records["province"].map(province_names)
    records["industry"] = records["industry"].map(
        {
            s: separator.join(industry_names[i] for i in s.split("|"))
            for s in records["industry"].unique()
        }
    )
    records["qualifier"] = records["qualifier"].map(labels["qualifiers"])
    records["source_title"] = records["source_id"].map(titles)
    records["period_precision"] = records["period_precision"].map(_PRECISION[lang])
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
    headers = [c[1] if lang == "zh" else c[2] for c in FIGURE_COLUMNS]
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
        set_widths(rows.sheet, [c[3] for c in FIGURE_COLUMNS])
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
    labels = LABELS[lang]
    set_widths(rows.sheet, [24, 40, 10, 12, 10, 12, 12, 12, 34, 66, 12, 60])
    rows.sheet.freeze_panes = "A2"
    rows.append([rows.text(h, bold=True) for h in labels["sources"]])
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


def _id_list(ids: list[str], labels: dict) -> str:
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
    labels, about = LABELS[lang], LABELS[lang]["about"]
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
        (about["cite"], about["cite_value"].format(version=dataset.version)),
        (about["license"], about["license_value"]),
    ]
    rows.append([])
    for heading, value in entries:
        cell = rows.number(value) if isinstance(value, int) else rows.text(value, wrap=True)
        rows.append([rows.text(heading, bold=True), cell])
    rows.append([])
    rows.append([rows.text(about["columns"], bold=True)])
    rows.append([rows.text(about["column"], bold=True), rows.text(about["meaning"], bold=True)])
    for column in FIGURE_COLUMNS:
        header, meaning = (column[1], column[4]) if lang == "zh" else (column[2], column[5])
        rows.append([rows.text(header), rows.text(meaning)])
