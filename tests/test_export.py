"""Excel exports read back with openpyxl: every figure, right totals, numbers as numbers, no
formulas from data, filters recorded, rows never cut."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

import metrics
import metrics.export as export_module
from metrics.cli import main
from metrics.excel import EXCEL_MAX_CHARS, SheetRows, save
from metrics.export import export_file, export_filename, figures_sheet_frame, write_workbook
from metrics.query import Filters, aggregate, resolve_filters, select_figures

from .conftest import set_cell

MADE = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HYPERLINK = '=HYPERLINK("http://example.com/steal","点击")'


def export(dataset, tmp_path: Path, lang: str = "zh", filters: Filters | None = None, **kw):
    path = tmp_path / f"out-{lang}.xlsx"
    summary = write_workbook(dataset, filters or Filters(), lang, path, made_at=MADE, **kw)
    return load_workbook(path), summary, path


def figure_rows(sheet) -> dict[str, dict]:
    rows = sheet.iter_rows(values_only=False)
    header = [c.value for c in next(rows)]
    return {row[0].value: dict(zip(header, row, strict=True)) for row in rows}


@pytest.mark.parametrize(
    ("lang", "names"),
    [("zh", ["摘要", "数据", "来源", "说明"]), ("en", ["Summary", "Figures", "Sources", "About"])],
)
def test_sheet_names_follow_the_language(dataset, tmp_path, lang, names):
    workbook, summary, _ = export(dataset, tmp_path, lang)
    assert workbook.sheetnames == names
    assert list(summary.sheets) == names


def test_every_filtered_figure_is_a_row_with_its_value_as_a_number(dataset, tmp_path):
    filters = resolve_filters(dataset, city=["滁州"])
    workbook, summary, _ = export(dataset, tmp_path, filters=filters)
    rows = figure_rows(workbook["数据"])
    expected = dataset.figures[dataset.figures["city"] == "滁州"].set_index("figure_id")
    assert set(rows) == set(expected.index) and summary.figures == len(expected)
    for figure_id, row in rows.items():
        value = row["数值（基本单位）"]
        assert value.data_type == "n" and value.value == expected.at[figure_id, "value"]
        assert row["原文"].value == expected.at[figure_id, "quote"]
        assert isinstance(row["起始日期"].value, dt.datetime)
        assert row["起始日期"].number_format == "yyyy-mm-dd"
    sales = rows["chuzhou-2018-618-sales"]
    assert sales["产业"].value == "食品、家电" and sales["日期推定"].value == "是"
    assert sales["显示值"].value == "3.55亿元" and sales["确定程度"].value == "确数"


def test_figures_sheet_has_frozen_header_autofilter_and_widths(dataset, tmp_path):
    workbook, _, _ = export(dataset, tmp_path)
    sheet = workbook["数据"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}8"
    assert sheet.column_dimensions["A"].width >= 30
    assert sheet["A1"].font.bold


def _summary_table(sheet, title: str) -> tuple[list[str], dict[str, list]]:
    """Header and rows (by first cell) of the summary table under ``title``."""
    rows = list(sheet.iter_rows(values_only=False))
    start = next(i for i, r in enumerate(rows) if str(r[0].value).startswith(f"{title} · 单位"))
    header = [c.value for c in rows[start + 1] if c.value is not None]
    table = {}
    for row in rows[start + 2 :]:
        if row[0].value is None or len([c for c in row if c.value is not None]) == 1:
            break
        table[row[0].value] = list(row)
    return header, table


def test_summary_totals_equal_the_metrics_package_totals(dataset, tmp_path):
    workbook, _, _ = export(dataset, tmp_path)
    sheet = workbook["摘要"]
    header, table = _summary_table(sheet, "活动销售额")
    assert header == ["城市", "食品", "家电", "城市合计"]
    result = aggregate(dataset, "campaign_sales")
    total = table["合计"][3]
    assert total.data_type == "n"
    assert total.value * 1e8 == pytest.approx(result.total["value"])  # 3.55亿 counted once
    assert table["滁州"][2].value * 1e8 == pytest.approx(135_720_000 + 355_000_000)
    header, table = _summary_table(sheet, "签约入驻企业数")
    assert table["合计"][3].value == aggregate(dataset, "companies_signed").total["value"] == 15
    assert table["合计"][3].number_format == '"≥"#,##0'  # 10 + at least 5: still a number
    assert table["滨州"][1].number_format == '"≥"#,##0'


def test_targets_and_lower_bounds_are_marked_by_format_not_text(dataset, tmp_path):
    workbook, _, _ = export(dataset, tmp_path)
    sheet = workbook["摘要"]
    _, target = _summary_table(sheet, "产值目标（目标，不是实绩）")
    assert target["滨州"][1].value == 1300 and target["滨州"][1].number_format.startswith(
        '"目标 ~"'
    )
    _, output = _summary_table(sheet, "产业集群产值")
    assert output["滨州"][1].value == 1000 and output["滨州"][1].number_format.startswith('">"')
    assert "合计" not in output  # a non-additive metric gets no total


def test_summary_has_a_native_excel_chart_of_campaign_sales(dataset, tmp_path):
    workbook, _, path = export(dataset, tmp_path)
    with zipfile.ZipFile(path) as package:
        charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = package.read(charts[0]).decode()
    assert "<barChart>" in xml and "各城市、产业的活动销售额（亿元）" in xml
    references = re.findall(r"<f>'摘要'!\$?([A-Z])\$?(\d+)</f>", xml)
    sheet = workbook["摘要"]
    cells = {sheet[f"{col}{row}"].value for col, row in references}
    assert {"食品", "家电", "滁州", 3.55} <= cells  # series names, category, a value


def test_filters_language_version_and_columns_are_recorded_in_about(dataset, tmp_path):
    filters = resolve_filters(dataset, city=["滁州"], industry=["家电"])
    workbook, _, _ = export(dataset, tmp_path, "en", filters)
    rows = list(workbook["About"].iter_rows(values_only=True))
    end = next(i for i, r in enumerate(rows) if r[0] == "Columns of the Figures sheet")
    about = {r[0]: r[1] for r in rows[:end] if r[0]}
    meanings = {r[0]: r[1] for r in rows[end + 2 :]}
    assert about["City"] == "Chuzhou" and about["Industry"] == "Home appliances"
    assert about["Province"] == "all"
    assert about["Language"] == "English" and about["Dataset version"] == "2 (data package 0.2.0)"
    assert about["Made at"] == "2026-11-23T09:30:00+08:00"
    assert about["Figures exported"] == 3
    assert "passed every rule" in about["Validation"]
    assert meanings["Value (base unit)"].startswith("the value in yuan")
    assert len(meanings) == len(workbook["Figures"][1])  # every column is explained


def test_sources_sheet_lists_each_report_used_and_its_figures(dataset, tmp_path):
    workbook, _, _ = export(dataset, tmp_path, filters=resolve_filters(dataset, city=["滨州"]))
    rows = list(workbook["来源"].iter_rows(values_only=True))
    assert len(rows) == 2  # header + the Binzhou report only
    source = dict(zip(rows[0], rows[1], strict=True))
    assert source["来源编号"] == "003_fea83e67b8f794f4"
    assert source["发布者"] == "未知" and source["网址"] == "未知"
    assert source["支持的数据项数"] == 3


def test_text_from_data_never_becomes_a_formula(data_copy, tmp_path):
    set_cell("figures.csv", 1, label_zh=HYPERLINK, notes_zh="+1+1", label_en="@SUM(A1)")(data_copy)
    dataset = metrics.load(data_copy)
    for lang, column in (("zh", "说明"), ("en", "Label")):
        workbook, _, path = export(dataset, tmp_path, lang)
        row = figure_rows(workbook.worksheets[1])["chuzhou-2018-appliance-festival-sales"]
        cell = row[column]
        assert cell.data_type == "s" and cell.value in (HYPERLINK, "@SUM(A1)")
        assert cell.quotePrefix
        if lang == "zh":
            assert row["整理说明"].value == "+1+1" and row["整理说明"].quotePrefix
        with zipfile.ZipFile(path) as package:
            assert "<f>" not in package.read("xl/worksheets/sheet2.xml").decode()


def test_more_rows_than_a_sheet_holds_continue_on_further_sheets(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "ROWS_PER_CHUNK", 2)  # rows streamed in several chunks
    workbook, summary, _ = export(dataset, tmp_path, max_rows=4)  # 3 figures per sheet
    assert summary.sheets == ("摘要", "数据", "数据 (2)", "数据 (3)", "来源", "说明")
    seen = []
    for name, rows in (("数据", 3), ("数据 (2)", 3), ("数据 (3)", 1)):
        sheet = workbook[name]
        assert sheet.cell(1, 1).value == "编号" and sheet.freeze_panes == "A2"
        assert sheet.max_row == rows + 1 and sheet.auto_filter.ref == f"A1:W{rows + 1}"
        seen += list(figure_rows(sheet))
    assert seen == list(dataset.figures["figure_id"])  # in order, none lost or repeated


def test_empty_export_says_so(dataset, tmp_path):
    filters = resolve_filters(dataset, city=["滨州"], metric=["campaign_sales"])
    workbook, summary, _ = export(dataset, tmp_path, filters=filters)
    assert summary.figures == 0
    cells = [c for row in workbook["摘要"].iter_rows(values_only=True) for c in row if c]
    assert "没有符合筛选条件的数据。" in cells


def test_file_name_carries_filters_and_date_and_is_safe_on_windows(dataset):
    filters = resolve_filters(
        dataset,
        city=["滁州"],
        industry=["家电", "食品"],
        campaign=["binzhou-13th-fyp-textile-plan"],
    )
    name = export_filename(dataset, filters, "zh", dt.date(2026, 11, 23))
    assert name.startswith("区域数字经济指标_滁州_") and name.endswith("_2026-11-23.xlsx")
    assert "家电-食品" in name or "食品-家电" in name
    assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)
    english = export_filename(dataset, filters, "en", dt.date(2026, 11, 23))
    assert english.startswith("Regional-digital-economy-metrics_Chuzhou_") and " " not in english


def test_a_failed_export_leaves_no_file(dataset, tmp_path, monkeypatch):
    import metrics.export as export_module

    def explode(*args, **kwargs):
        Path(args[3]).write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "write_workbook", explode)
    target = tmp_path / "report.xlsx"
    with pytest.raises(OSError, match="disk full"):
        export_file(dataset, Filters(), "zh", target)
    assert list(tmp_path.iterdir()) == []


def test_an_export_clears_what_killed_exports_left_but_not_running_ones(dataset, tmp_path):
    from metrics.export import STALE_AFTER

    killed, running = tmp_path / ".export-killed.xlsx", tmp_path / ".export-running.xlsx"
    for leftover in (killed, running):
        leftover.write_bytes(b"half a workbook")
    an_hour_ago = time.time() - STALE_AFTER - 60
    os.utime(killed, (an_hour_ago, an_hour_ago))
    export_file(dataset, Filters(), "zh", tmp_path / "report.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".export-running.xlsx", "report.xlsx"]


def test_export_command_writes_the_filtered_workbook(tmp_path, capsys):
    assert main(["export", "--city", "滁州", "--lang", "en", "-o", str(tmp_path)]) == 0
    written = list(tmp_path.iterdir())
    assert len(written) == 1 and written[0].name.startswith(
        "Regional-digital-economy-metrics_Chuzhou_"
    )
    workbook = load_workbook(written[0])
    assert len(figure_rows(workbook["Figures"])) == 4
    assert "4 figures" in capsys.readouterr().out


def test_export_command_refuses_bad_output_paths(tmp_path, capsys):
    assert main(["export", "-o", str(tmp_path / "x.csv")]) == 2
    assert main(["export", "-o", str(tmp_path / "missing" / "x.xlsx")]) == 3
    assert "cannot write" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_libreoffice_opens_the_workbook_and_renders_its_chinese(data_copy, tmp_path):
    """A second spreadsheet program reads our files: LibreOffice converts one to PDF."""
    import shutil
    import subprocess

    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    assert soffice and pdftotext, "run make test: it installs libreoffice-calc-nogui and poppler"
    set_cell("figures.csv", 2, label_zh='<计入&"销售额">', notes_zh="响铃\x07=1")(data_copy)
    _, _, path = export(metrics.load(data_copy), tmp_path)
    profile = tmp_path / "lo-profile"  # a private profile: runs in parallel never collide
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = path.with_suffix(".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stderr
    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # the Summary's numbers in their formats, and the streamed Figures sheet's text and numbers
    for expected in ("活动销售额", "滁州", "≥5", ">1,000.00", "目标 ~1,300.00", "1.3572亿元"):
        assert expected in text, expected
    assert "135720000" in text and '<计入&"销售额">' in text


def test_figures_sheet_holds_exactly_the_records_of_a_national_dataset(synthetic_dataset, tmp_path):
    """Every cell of the streamed sheet, read back, against the frame it was written from."""
    dataset = synthetic_dataset
    workbook, _, _ = export(dataset, tmp_path, "en")
    expected = figures_sheet_frame(dataset, select_figures(dataset, Filters()), "en")
    rows = list(workbook["Figures"].iter_rows(min_row=2))
    assert len(rows) == len(expected) == len(dataset.figures)
    for row, record in zip(rows, expected.itertuples(index=False), strict=True):
        for cell, (column, value) in zip(row, record._asdict().items(), strict=True):
            if column in ("period_start", "period_end"):
                assert cell.value == dt.datetime.fromisoformat(value), (cell.coordinate, value)
                assert cell.number_format == "yyyy-mm-dd"
            elif column == "value":
                assert cell.data_type == "n" and cell.value == value
                assert cell.number_format == "General"
            else:
                assert cell.value == (value or None), (cell.coordinate, column, value)


def _streamed(tmp_path: Path, values: list) -> list:
    """``values`` written as one streamed column (as the Figures sheet is), read back."""
    workbook = Workbook(write_only=True)
    rows = SheetRows(workbook.create_sheet("s"))
    column = pd.Series(values, dtype=object)
    rows.extend([[rows.column(column, rows.value)]], len(values))
    save(workbook, [rows], tmp_path / "s.xlsx")
    sheet = load_workbook(tmp_path / "s.xlsx")["s"]
    return [sheet.cell(row, 1) for row in range(1, len(values) + 1)]


def test_streamed_text_is_xml_escaped_and_reads_back_exactly(tmp_path):
    texts = [
        "<b>&\"'</b>",
        "]]> &amp; &#13;",
        " leading and trailing spaces ",
        " ",
        "line\nbreaks\r\nkept\rtoo",
        "中文「引号」、全角　空格",
        "emoji 😀 and 𠀀",
    ]
    cells = _streamed(tmp_path, texts)
    assert [c.value for c in cells] == texts
    assert all(c.data_type == "s" and not c.quotePrefix for c in cells)


def test_control_characters_are_dropped_so_the_file_stays_valid(tmp_path):
    # openpyxl refuses these (IllegalCharacterError); XML 1.0 cannot hold them at all.
    cells = _streamed(tmp_path, ["a\x00b\x07c\x1bd\x0b\x0ce\ufffe", "\x01\x02", "tab\tkept"])
    assert [c.value for c in cells] == ["abcde", None, "tab\tkept"]


def test_text_longer_than_a_cell_holds_is_cut_visibly(tmp_path):
    fits, too_long = "长" * EXCEL_MAX_CHARS, "x" * (EXCEL_MAX_CHARS + 10)
    cells = _streamed(tmp_path, [fits, too_long])
    assert cells[0].value == fits
    assert len(cells[1].value) == EXCEL_MAX_CHARS and cells[1].value.endswith("x…")


def test_formula_like_text_is_quoted_text_in_streamed_cells(tmp_path):
    texts = ["=1+1", "+86 550", "-5%", "@SUM(A1)", "\t=1", "\r=1", "a=1"]
    cells = _streamed(tmp_path, texts)
    assert [c.value for c in cells] == texts
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True] * 6 + [False]
    with zipfile.ZipFile(tmp_path / "s.xlsx") as package:
        assert "<f>" not in package.read("xl/worksheets/sheet1.xml").decode()


def test_missing_and_infinite_numbers_are_empty_cells_not_text(tmp_path):
    values = [1.5, math.nan, math.inf, -math.inf, None, 0, 10**15, 0.1 + 0.2]
    cells = _streamed(tmp_path, values)
    assert [c.value for c in cells] == [1.5, None, None, None, None, 0, 10**15, 0.3]
    assert [c.data_type for c in cells] == ["n"] * len(values)


def test_booleans_and_dates_keep_their_types(tmp_path):
    cells = _streamed(tmp_path, [True, False, dt.date(2018, 6, 26), "2018-06-26"])
    assert [c.value for c in cells[:3]] == [True, False, dt.datetime(2018, 6, 26)]
    assert cells[2].number_format == "yyyy-mm-dd" and cells[3].value == "2018-06-26"


def test_a_style_first_needed_while_saving_is_refused_not_silently_wrong(tmp_path):
    workbook = Workbook(write_only=True)
    rows = SheetRows(workbook.create_sheet("s"))

    def bold(value: object) -> bytes:
        return rows.text(value, bold=True)

    rows.extend(([rows.column(pd.Series(["x"]), bold)] for _ in range(1)), 1)  # made lazily
    with pytest.raises(RuntimeError, match="after the style table"):
        save(workbook, [rows], tmp_path / "s.xlsx")


def test_small_parts_are_plain_zip_entries(dataset, tmp_path):
    """No Zip64 records below 2 GiB: Excel asks to repair a small part written with them."""
    _, _, path = export(dataset, tmp_path)
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        for info in package.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert b"\x01\x00" not in info.extra[:2], info.filename  # the Zip64 extra field


def test_a_part_over_the_zip64_limit_gets_zip64_and_reads_back(dataset, tmp_path, monkeypatch):
    import metrics.excel

    monkeypatch.setattr(metrics.excel, "SPOOL_BYTES", 0)  # spilled to a temporary file
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 8_000)  # as if the Figures part passed 2 GiB
    workbook, _, path = export(dataset, tmp_path)
    assert sorted(figure_rows(workbook["数据"])) == sorted(dataset.figures["figure_id"])
    with zipfile.ZipFile(path) as package:
        assert package.getinfo("xl/worksheets/sheet2.xml").extra[:2] == b"\x01\x00"
