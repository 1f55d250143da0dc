"""Excel summaries an analyst can paste into a report: one builder for the page and the CLI.

The workbook records the filters that made it, keeps every number a number (qualifiers are
number formats), carries each figure's provenance, and streams its rows (openpyxl write-only),
so a national-scale export stays within bounded memory. More rows than a sheet holds continue on
further sheets; nothing is ever cut.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
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
from metrics.excel import TARGET_PREFIX, CellWriter, guard, number_format, set_widths
from metrics.present import axis_scale, check_lang, chosen_names, figure_records, names
from metrics.query import Filters, aggregate, select_figures

EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, header included

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
            "validation": "校验状态",
            "validation_value": "已通过全部校验规则（{tables} 张表，{figures} 项数据）",
            "rows": "导出的数据项数",
            "cite": "引用方式",
            "cite_value": "《区域数字经济指标》数据集 v{version}（CC BY 4.0），"
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
            "validation": "Validation",
            "validation_value": "passed every rule ({tables} tables, {figures} figures)",
            "rows": "Figures exported",
            "cite": "How to cite",
            "cite_value": "Regional digital-economy figures, dataset v{version} (CC BY 4.0), "
            "curated from JD Cloud city cooperation reports; when citing a figure, name its "
            "source report and quote (see the Figures sheet).",
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
    _summary_sheet(workbook.create_sheet(summary_name), dataset, filters, figures, lang, made_at)
    figure_sheets = _figures_sheets(workbook, figures_name, dataset, figures, lang, max_rows)
    _sources_sheet(workbook.create_sheet(sources_name), dataset, figures, lang)
    _about_sheet(workbook.create_sheet(about_name), dataset, filters, len(figures), lang, made_at)
    workbook.save(output)
    return ExportSummary(
        figures=len(figures),
        sheets=(summary_name, *figure_sheets, sources_name, about_name),
        filename=export_filename(dataset, filters, lang, made_at.date()),
    )


def export_file(
    dataset: Dataset, filters: Filters, lang: str, path: str | Path, **options: object
) -> ExportSummary:
    """Write the workbook to a temporary file beside ``path`` and rename it into place, so a
    failure (or an interrupted run) never leaves a half-written file under the real name."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".xlsx", dir=path.parent)
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
    headings = {
        "zh": ("省份", "城市", "产业", "指标", "活动", "时间"),
        "en": ("Province", "City", "Industry", "Metric", "Campaign or event", "Period"),
    }
    separator = "、" if lang == "zh" else ", "
    rows = [
        (heading, separator.join(chosen) if chosen else labels["all"])
        for heading, chosen in zip(
            headings[lang], chosen_names(dataset, filters, lang).values(), strict=False
        )
    ]
    period = (
        f"{filters.period_start or '…'} – {filters.period_end or '…'}"
        if filters.period_start or filters.period_end
        else labels["all"]
    )
    rows.append((headings[lang][-1], period))
    return rows


def _summary_sheet(
    sheet: WriteOnlyWorksheet,
    dataset: Dataset,
    filters: Filters,
    figures: pd.DataFrame,
    lang: str,
    made_at: dt.datetime,
) -> None:
    labels = LABELS[lang]
    cells = CellWriter(sheet)
    set_widths(sheet, [16] + [14] * 12)
    sheet.append([cells.text(f"{labels['title']} · {labels['sheets'][0]}", bold=True)])
    colon, separator = ("：", "；") if lang == "zh" else (": ", "; ")
    filter_text = separator.join(
        f"{k}{colon}{v}" for k, v in describe_filters(dataset, filters, lang)
    )
    sheet.append([cells.text(labels["filters"]), cells.text(filter_text)])
    sheet.append([cells.text(labels["made"]), cells.text(made_at.isoformat(timespec="seconds"))])
    sheet.append([cells.text(labels["legend"])])
    row = 5
    if figures.empty:
        sheet.append([])
        sheet.append([cells.text(labels["no_figures"])])
        return
    city_names, industry_names = names(dataset, "cities", lang), names(dataset, "industries", lang)
    metric_names = names(dataset, "metrics", lang)
    present = set(figures["metric"].astype(str))
    chart_source = None
    for metric in dataset.tables["metrics"]["metric"].astype(str):
        if metric not in present:
            continue
        result = aggregate(dataset, metric, filters)
        if result.cells.empty:
            continue
        divisor, unit_label = axis_scale(
            dataset, float(result.cells["value"].max()), result.unit, lang
        )
        decimals = 2 if divisor > 1 else 0
        target = TARGET_PREFIX[lang] if result.is_target else ""
        cities = list(dict.fromkeys(result.cells["city"]))
        industries = [
            i
            for i in dataset.tables["industries"]["industry"].astype(str)
            if i in set(result.cells["industry"])
        ]
        title = metric_names[metric] + (
            f"（{labels['target']}）"
            if lang == "zh" and target
            else f" ({labels['target']})"
            if target
            else ""
        )
        sheet.append([])
        colon = "：" if lang == "zh" else ": "
        sheet.append([cells.text(f"{title} · {labels['unit']}{colon}{unit_label}", bold=True)])
        header_row = row + 2
        sheet.append(
            [
                cells.text(labels["city"], bold=True),
                *[cells.text(industry_names[i], bold=True) for i in industries],
                cells.text(labels["city_total"], bold=True) if result.additive else None,
            ]
        )
        grid = result.cells.set_index(["city", "industry"])
        by_city = result.by_city.set_index("city")
        for city in cities:
            line = [cells.text(city_names[city])]
            for industry in industries:
                line.append(
                    _summary_cell(cells, grid, (city, industry), divisor, decimals, target, labels)
                )
            if result.additive:
                line.append(
                    _summary_cell(
                        cells, by_city, city, divisor, decimals, target, labels, bold=True
                    )
                )
            sheet.append(line)
        if result.additive:
            by_industry = result.by_industry.set_index("industry")
            total = result.total
            sheet.append(
                [
                    cells.text(labels["total"], bold=True),
                    *[
                        _summary_cell(
                            cells, by_industry, i, divisor, decimals, target, labels, bold=True
                        )
                        for i in industries
                    ],
                    cells.number(
                        total["value"] / divisor,
                        number_format(
                            decimals,
                            qualifier=total["qualifier"],
                            approximate=bool(total["approximate"]),
                            target=target,
                        ),
                        bold=True,
                    ),
                ]
            )
        notes = [labels["shared"]] if result.cell_parts["shared"].any() else []
        if not result.additive:
            notes.append(labels["not_additive"])
        for note in notes:
            sheet.append([cells.text(note)])
        last_city_row = header_row + len(cities)
        if metric == "campaign_sales":
            chart_source = (header_row, last_city_row, len(industries), unit_label)
        row = last_city_row + (1 if result.additive else 0) + len(notes) + 1
    if chart_source:
        sheet.add_chart(_sales_chart(sheet, *chart_source, labels), "H2")


def _summary_cell(
    cells: CellWriter,
    frame: pd.DataFrame,
    key: object,
    divisor: float,
    decimals: int,
    target: str,
    labels: dict,
    *,
    bold: bool = False,
) -> object:
    if key not in frame.index:
        return None
    entry = frame.loc[key]
    if pd.isna(entry["value"]):  # several figures of a metric that may not be added
        return cells.text(labels["n_figures"].format(n=int(entry["n_figures"])))
    fmt = number_format(
        decimals,
        qualifier=entry["qualifier"],
        approximate=bool(entry["approximate"]),
        target=target,
    )
    return cells.number(entry["value"] / divisor, fmt, bold=bold)


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


def _figure_rows(dataset: Dataset, figures: pd.DataFrame, lang: str) -> Iterator[list]:
    """The Figures sheet's rows as plain values, in FIGURE_COLUMNS order."""
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
    records["industry"] = [
        separator.join(industry_names[i] for i in s.split("|")) for s in records["industry"]
    ]
    records["qualifier"] = records["qualifier"].map(labels["qualifiers"])
    records["source_title"] = records["source_id"].map(titles)
    records["period_precision"] = records["period_precision"].map(_PRECISION[lang])
    for column in ("is_target", "date_inferred"):
        records[column] = records[column].map({True: labels["yes"], False: labels["no"]})
    for column in ("period_start", "period_end"):
        records[column] = pd.to_datetime(records[column]).dt.date
    columns = [c[0] for c in FIGURE_COLUMNS]
    yield from records[columns].itertuples(index=False, name=None)


def _figures_sheets(
    workbook: Workbook, name: str, dataset: Dataset, figures: pd.DataFrame, lang: str, max_rows: int
) -> list[str]:
    """Stream the figures into as many sheets as it takes: never more rows than a sheet holds."""
    per_sheet = max_rows - 1
    headers = [c[1] if lang == "zh" else c[2] for c in FIGURE_COLUMNS]
    widths = [c[3] for c in FIGURE_COLUMNS]
    sheet_names: list[str] = []
    sheet = cells = None
    written = 0

    def new_sheet() -> None:
        nonlocal sheet, cells, written
        if sheet is not None:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{written + 1}"
        title = name if not sheet_names else f"{name} ({len(sheet_names) + 1})"
        sheet = workbook.create_sheet(title)
        sheet_names.append(title)
        sheet.freeze_panes = "A2"
        set_widths(sheet, widths)
        cells = CellWriter(sheet)
        sheet.append([cells.text(h, bold=True) for h in headers])
        written = 0

    new_sheet()
    for values in _figure_rows(dataset, figures, lang):
        if written == per_sheet:
            new_sheet()
        # Plain values where they are safe: openpyxl's per-cell objects cost most of the time.
        # Numbers are written as numbers and dates get Excel's date format from openpyxl; only
        # formula-like text needs a styled cell, and empty text is no cell at all.
        sheet.append([cells.text(v) if guard(v) else (v if v != "" else None) for v in values])
        written += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{written + 1}"
    return sheet_names


def _sources_sheet(
    sheet: WriteOnlyWorksheet, dataset: Dataset, figures: pd.DataFrame, lang: str
) -> None:
    labels = LABELS[lang]
    cells = CellWriter(sheet)
    set_widths(sheet, [24, 40, 10, 12, 10, 12, 12, 12, 34, 66, 12, 60])
    sheet.freeze_panes = "A2"
    sheet.append([cells.text(h, bold=True) for h in labels["sources"]])
    used = figures.groupby(figures["source_id"].astype(str))["figure_id"].agg(
        lambda s: list(s.astype(str))
    )
    city_names = names(dataset, "cities", lang)
    title = "title_zh" if lang == "zh" else "title_en"
    for source in dataset.tables["sources"].itertuples():
        ids = used.get(str(source.source_id), [])
        if not ids:
            continue
        sheet.append(
            [
                cells.text(source.source_id),
                cells.text(getattr(source, title), wrap=True),
                cells.text(city_names[str(source.city)]),
                cells.date(source.event_date.date() if pd.notna(source.event_date) else None),
                cells.text(labels["yes"] if source.event_date_inferred else labels["no"]),
                cells.text(source.publisher or labels["unknown"]),
                cells.text(source.url or labels["unknown"]),
                cells.date(source.published.date())
                if pd.notna(source.published)
                else cells.text(labels["unknown"]),
                cells.text(source.path),
                cells.text(source.sha256),
                cells.number(len(ids)),
                cells.text(_id_list(ids, labels), wrap=True),
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
    sheet: WriteOnlyWorksheet,
    dataset: Dataset,
    filters: Filters,
    count: int,
    lang: str,
    made_at: dt.datetime,
) -> None:
    labels, about = LABELS[lang], LABELS[lang]["about"]
    cells = CellWriter(sheet)
    set_widths(sheet, [22, 90])
    sheet.append([cells.text(labels["title"], bold=True)])
    sheet.append([cells.text(labels["filters"], bold=True)])
    for heading, value in describe_filters(dataset, filters, lang):
        sheet.append([cells.text(heading), cells.text(value)])
    rows = [
        (about["language"], about["language_value"]),
        (about["version"], dataset.version),
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
    sheet.append([])
    for heading, value in rows:
        cell = cells.number(value) if isinstance(value, int) else cells.text(value, wrap=True)
        sheet.append([cells.text(heading, bold=True), cell])
    sheet.append([])
    sheet.append([cells.text(about["columns"], bold=True)])
    sheet.append([cells.text(about["column"], bold=True), cells.text(about["meaning"], bold=True)])
    for column in FIGURE_COLUMNS:
        header, meaning = (column[1], column[4]) if lang == "zh" else (column[2], column[5])
        sheet.append([cells.text(header), cells.text(meaning)])
