"""Bad data is refused with every problem named by file, row, field and value; nothing loads."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import metrics
from metrics.cli import main
from metrics.numbers import detect_qualifier, parse_number, qualifier_bounds

from .conftest import ROOT, read_rows, set_cell, write_rows

FIG = "figures.csv"
# Data rows of figures.csv used below (1-based, as problems report them).
FESTIVAL, FESTIVAL_COMPANIES, SALES_618, PARK, OUTPUT, TARGET, ECOMMERCE = range(1, 8)


def _drop_industry_link(data_dir: Path) -> None:
    path = data_dir / "figure_industries.csv"
    rows = [r for r in read_rows(path) if r["figure_id"] != "chuzhou-2018-park-companies-signed"]
    write_rows(path, rows)


def _drop_column(data_dir: Path) -> None:
    path = data_dir / FIG
    rows = read_rows(path)
    for r in rows:
        del r["qualifier"]
    write_rows(path, rows)


def _reencode_as_gbk(data_dir: Path) -> None:
    path = data_dir / FIG
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))


def _edit_report(data_dir: Path) -> None:
    path = data_dir / "sources" / "003_fea83e67b8f794f4.txt"
    path.write_text(
        path.read_text(encoding="utf-8").replace("1300亿级", "1500亿级"), encoding="utf-8"
    )


def _duplicate_first_figure(data_dir: Path) -> None:
    path = data_dir / FIG
    rows = read_rows(path)
    write_rows(path, [*rows, rows[0]])


def _duplicate_first_industry_link(data_dir: Path) -> None:
    path = data_dir / "figure_industries.csv"
    rows = read_rows(path)
    write_rows(path, [*rows, dict(rows[0], figure_id=f" {rows[0]['figure_id']}")])


# (edit, file, row, field, words the message must contain)
BAD_ROWS = {
    "quote not verbatim": (
        set_cell(
            FIG,
            FESTIVAL,
            quote="仅康佳白电、扬子空调、KKTV三家滁州企业在京东的销售额就达到1.3572亿元",
        ),
        FIG,
        FESTIVAL,
        "quote",
        "not found verbatim",
    ),
    "raw not in quote": (
        set_cell(FIG, SALES_618, raw="3.56亿元"),
        FIG,
        SALES_618,
        "raw",
        "not found in the quote",
    ),
    "raw does not read as the value": (
        set_cell(FIG, FESTIVAL, value="135700000"),
        FIG,
        FESTIVAL,
        "value",
        "reads as 1.3572e+08",
    ),
    "raw is not a number": (set_cell(FIG, SALES_618, raw="京东"), FIG, SALES_618, "raw", "京东"),
    "qualifier stronger than the wording": (
        set_cell(FIG, OUTPUT, qualifier="exact"),
        FIG,
        OUTPUT,
        "qualifier",
        "means 'more_than'",
    ),
    "target claimed exact": (
        set_cell(FIG, TARGET, qualifier="exact"),
        FIG,
        TARGET,
        "qualifier",
        "means 'approx'",
    ),
    "qualifier not in the enum": (
        set_cell(FIG, FESTIVAL, qualifier="maybe"),
        FIG,
        FESTIVAL,
        "qualifier",
        "must be one of",
    ),
    "duplicate figure id": (_duplicate_first_figure, FIG, 8, "figure_id", "duplicate"),
    "unknown city": (
        set_cell(FIG, PARK, city="合肥"),
        FIG,
        PARK,
        "city",
        "not found in cities.csv",
    ),
    "unknown metric": (
        set_cell(FIG, PARK, metric="gdp"),
        FIG,
        PARK,
        "metric",
        "not found in metrics.csv",
    ),
    "metric and unit disagree": (
        set_cell(FIG, PARK, unit="CNY"),
        FIG,
        PARK,
        "unit",
        "measured in company",
    ),
    "raw's unit word disagrees with the unit": (
        set_cell(FIG, FESTIVAL_COMPANIES, metric="campaign_sales", unit="CNY"),
        FIG,
        FESTIVAL_COMPANIES,
        "unit",
        "家",
    ),
    "value is text": (
        set_cell(FIG, FESTIVAL, value="1.3572亿"),
        FIG,
        FESTIVAL,
        "value",
        "not a valid number",
    ),
    "value is negative": (set_cell(FIG, PARK, value="-10"), FIG, PARK, "value", "at least 0"),
    "impossible date": (
        set_cell(FIG, PARK, period_start="2018-13-01"),
        FIG,
        PARK,
        "period_start",
        "YYYY-MM-DD",
    ),
    "period ends before it starts": (
        set_cell(FIG, SALES_618, period_end="2018-05-25"),
        FIG,
        SALES_618,
        "period_end",
        "before period_start",
    ),
    "month precision on a partial month": (
        set_cell(FIG, FESTIVAL, period_end="2018-05-30"),
        FIG,
        FESTIVAL,
        "period_precision",
        "last day",
    ),
    "inferred date without a reason": (
        set_cell(FIG, SALES_618, date_inference=""),
        FIG,
        SALES_618,
        "date_inference",
        "say why",
    ),
    "boolean that is not one": (
        set_cell(FIG, SALES_618, date_inferred="yes"),
        FIG,
        SALES_618,
        "date_inferred",
        "true or false",
    ),
    "required label empty": (
        set_cell(FIG, PARK, label_zh=""),
        FIG,
        PARK,
        "label_zh",
        "required value is empty",
    ),
    "figure without an industry": (_drop_industry_link, FIG, PARK, "figure_id", "no industry"),
    "unknown industry": (
        set_cell("figure_industries.csv", 1, industry="汽车"),
        "figure_industries.csv",
        1,
        "industry",
        "not found in industries.csv",
    ),
    "enumeration miscounted": (
        set_cell(FIG, ECOMMERCE, value="6"),
        FIG,
        ECOMMERCE,
        "value",
        "lists 5 names",
    ),
    "event in another city": (
        set_cell(FIG, PARK, event_id="binzhou-2018-lufang-festival"),
        FIG,
        PARK,
        "city",
        "city of its event",
    ),
    "award winner without an award": (
        set_cell("company_roles.csv", 7, award_zh=""),
        "company_roles.csv",
        7,
        "award_zh",
        "award's name",
    ),
    "source event date disagrees": (
        set_cell("sources/sources.csv", 1, event_date="2018-06-25"),
        "sources/sources.csv",
        1,
        "event_date",
        "differs",
    ),
    "report text edited": (_edit_report, "sources/sources.csv", 2, "sha256", "has changed"),
    "column missing": (_drop_column, FIG, None, "qualifier", "column is missing"),
    "not UTF-8": (_reencode_as_gbk, FIG, None, None, "not UTF-8"),
    "untidy spaces": (set_cell(FIG, PARK, city=" 滁州"), FIG, PARK, "city", "spaces"),
    "untidy spaces in a number": (set_cell(FIG, PARK, value="10 "), FIG, PARK, "value", "spaces"),
    "wording implies two bounds": (
        set_cell(
            FIG,
            TARGET,
            quote="“十三五”期间，滨州市委、市政府提出了“打造超1300亿级纺织产业集群”的目标",
        ),
        FIG,
        TARGET,
        "qualifier",
        "ambiguous wording",
    ),
    "industry link to an unknown figure": (
        set_cell("figure_industries.csv", 2, figure_id="chuzhou-2018-no-such-figure"),
        "figure_industries.csv",
        2,
        "figure_id",
        "not found in figures.csv",
    ),
    "industry linked twice": (
        _duplicate_first_industry_link,
        "figure_industries.csv",
        9,
        "figure_id+industry",
        "duplicate key",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_is_named_by_file_row_and_field(case, data_copy):
    edit, file, row, field, words = BAD_ROWS[case]
    edit(data_copy)
    with pytest.raises(metrics.DataValidationError) as caught:
        metrics.load(data_copy)
    hits = [
        p
        for p in caught.value.problems
        if (p.file, p.row, p.field) == (file, row, field) and words in p.message + str(p)
    ]
    assert hits, "\n".join(map(str, caught.value.problems))


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_validate_command_exits_non_zero_and_names_the_row(case, data_copy, capsys):
    edit, file, row, field, _ = BAD_ROWS[case]
    edit(data_copy)
    assert main(["validate", "--data", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert "INVALID" in err and file in err
    if row is not None:
        assert f"row {row} (line {row + 1})" in err
    if field is not None:
        assert f"field '{field}'" in err


def test_all_problems_are_reported_together(data_copy):
    set_cell(FIG, FESTIVAL, qualifier="maybe")(data_copy)
    set_cell("cities.csv", 2, latitude="north")(data_copy)
    set_cell("events.csv", 1, city="合肥")(data_copy)
    with pytest.raises(metrics.DataValidationError) as caught:
        metrics.load(data_copy)
    located = {(p.file, p.row, p.field) for p in caught.value.problems}
    assert {
        (FIG, FESTIVAL, "qualifier"),
        ("cities.csv", 2, "latitude"),
        ("events.csv", 1, "city"),
    } <= located
    assert str(caught.value).startswith(f"{len(caught.value.problems)} problems")


def test_thousands_of_bad_rows_give_a_bounded_report(data_copy):
    path = data_copy / "cities.csv"
    rows = read_rows(path)
    extra = [
        dict(rows[0], city=f"城{i}", name_en=f"C{i}", adcode=str(100000 + i), latitude="north")
        for i in range(5000)
    ]
    write_rows(path, rows + extra)
    with pytest.raises(metrics.DataValidationError) as caught:
        metrics.load(data_copy)
    latitude = [p for p in caught.value.problems if p.field == "latitude"]
    assert len(latitude) == 21  # 20 rows listed, then one line counting the rest
    assert [p.row for p in latitude[:20]] == list(range(3, 23))
    assert latitude[-1].more_rows == 4980
    assert "4980 more rows" in str(caught.value).splitlines()[-1]


def test_rows_far_apart_in_a_large_table_are_each_named(synthetic, tmp_path):
    """The rules judge each distinct value once and carry the verdict back to its rows; in 3,000
    figures, every broken row is still named exactly, and no other row is."""
    data = tmp_path / "data"
    shutil.copytree(synthetic, data)
    rows = read_rows(data / FIG)
    rows[16]["qualifier"] = "approx" if rows[16]["qualifier"] == "exact" else "exact"
    rows[1233]["value"] = str(float(rows[1233]["value"]) * 2)
    rows[1499]["metric"] = "gdp"
    rows[2221]["raw"] += "X"
    rows[2998]["city"] = f" {rows[2998]['city']}"
    write_rows(data / FIG, rows)
    with pytest.raises(metrics.DataValidationError) as caught:
        metrics.load(data)
    assert [(p.file, p.row, p.field) for p in caught.value.problems] == [
        (FIG, 17, "qualifier"),
        (FIG, 1234, "value"),
        (FIG, 1500, "metric"),
        (FIG, 2222, "raw"),
        (FIG, 2999, "city"),
    ]


# Words around and inside numbers, including the tricky ones: fillers, 签约/附近, full width.
BEFORE = [
    "",
    "产值",
    "超",
    "超过了",
    "约有",
    "签约",
    "附近",
    "近",
    "不少于",
    "已达到",
    "约 ",
    "ＡＢ超",
]
RAW = [
    "10家",
    "超千亿",
    "1300亿级",
    "640余家",
    "约640余家",
    "3至5亿元",
    "３．５５亿元",
    "十家",
    "京东",
]
RAW += ["魏桥纺织、华纺股份等"]
AFTER = ["", "以上", "左右", "余", "多", "级", "。", " 以上", "等", "多家"]


def test_wording_read_in_parts_means_what_it_means_whole():
    """The figure rule reads each distinct raw, and each distinct slice of words before and
    after it, on its own, and combines the bounds: right only because parts and whole agree."""
    for before, raw, after in itertools.product(BEFORE, RAW, AFTER):
        bounds = qualifier_bounds(before, "") | qualifier_bounds("", raw)
        bounds |= qualifier_bounds("", "", after)
        assert bounds == qualifier_bounds(before, raw, after)
        if len(bounds) > 1:
            with pytest.raises(metrics.NumberParseError, match="ambiguous"):
                detect_qualifier(before, raw, after)
        else:
            assert detect_qualifier(before, raw, after) == next(iter(bounds), "exact")
    for raw in RAW:  # a raw that parses is not read a second time for its bounds
        with contextlib.suppress(metrics.NumberParseError):
            assert {parse_number(raw).qualifier} - {"exact"} == qualifier_bounds("", raw)


def test_missing_data_directory_is_a_clear_error(tmp_path):
    with pytest.raises(metrics.DataValidationError, match="does not exist"):
        metrics.load(tmp_path / "nowhere")


def test_broken_descriptor_is_a_clear_error(data_copy):
    (data_copy / "datapackage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(metrics.DataValidationError, match="not a valid data package descriptor"):
        metrics.load(data_copy)


def test_the_app_refuses_to_start_on_invalid_data(data_copy):
    set_cell(FIG, OUTPUT, qualifier="exact")(data_copy)
    done = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"METRICS_DATA_DIR": str(data_copy), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 1
    assert "Refusing to start" in done.stderr
    assert f"figures.csv, row {OUTPUT} (line {OUTPUT + 1}), field 'qualifier'" in done.stderr
