"""The command line as a user runs it: a real ``python -m metrics`` process."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from metrics import i18n
from metrics.dimensions import DIMENSIONS
from metrics.index import SEARCHED
from metrics.present import RECORD_COLUMNS
from metrics.query import Filters, resolve_filters, select_figures
from metrics.table import MAX_PAGE_SIZE, MAX_TEXT, TableQuery, table_page

from .conftest import ROOT, set_cell

CHUZHOU_FIGURES = {
    "chuzhou-2018-appliance-festival-sales",
    "chuzhou-2018-appliance-festival-companies",
    "chuzhou-2018-618-sales",
    "chuzhou-2018-park-companies-signed",
}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metrics", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, "LANG": "C", **(env or {})},
    )


def test_figures_city_csv_prints_the_chuzhou_figures():
    done = run("figures", "--city", "滁州", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["figure_id"] for r in rows} == CHUZHOU_FIGURES
    assert tuple(rows[0]) == RECORD_COLUMNS
    sales = next(r for r in rows if r["figure_id"] == "chuzhou-2018-618-sales")
    assert sales["value"] == "355000000"  # base unit, a plain number
    assert sales["industry"] == "食品|家电"
    assert (sales["city"], sales["province"], sales["unit"]) == ("滁州", "安徽", "CNY")
    assert sales["date_inferred"] == "true" and sales["period_end"] == "2018-06-25"
    assert sales["quote"] == "截至本月25日，在滁相关企业在京东销售额已达到3.55亿元"


def test_figures_json_in_english_keeps_chinese_keys_and_english_display():
    done = run("figures", "--industry", "textiles", "--lang", "en", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {r["figure_id"]: r for r in json.loads(done.stdout)}
    output = rows["binzhou-textile-cluster-output"]
    assert output["city"] == "滨州" and output["industry"] == "纺织"
    assert output["value"] == 100_000_000_000 and output["qualifier"] == "more_than"
    assert output["display"] == ">CNY 100 billion"
    target = rows["binzhou-13th-fyp-textile-target"]
    assert target["is_target"] is True and target["display"] == "Target ~CNY 130 billion"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", ["1.36亿元", "3.55亿元", "推定", "城市"]),
        ("en", ["CNY 135.7 million", "CNY 355 million", "inferred", "Chuzhou"]),
    ],
)
def test_figures_table_is_readable_in_each_language(lang, expected):
    done = run("figures", "--city", "chuzhou", "--lang", lang)
    assert done.returncode == 0, done.stderr
    for text in expected:
        assert text in done.stdout


def test_multi_select_by_repeat_and_comma():
    done = run("figures", "--metric", "companies_signed", "--city", "滁州,滨州", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["city"] for r in rows} == {"滁州", "滨州"}
    repeated = run("figures", "--city", "滁州", "--city", "滨州", "--format", "csv").stdout
    assert len(list(csv.DictReader(io.StringIO(repeated)))) == 7


def test_empty_result_says_so_in_words():
    done = run("figures", "--city", "滨州", "--metric", "campaign_sales")
    assert done.returncode == 0
    assert "没有符合筛选条件的数据" in done.stdout


def test_unknown_filter_value_exits_2_with_the_choices():
    done = run("figures", "--city", "合肥")
    assert done.returncode == 2
    assert "unknown city '合肥'" in done.stderr and "滁州" in done.stderr
    assert "Traceback" not in done.stderr


def test_data_directory_from_option_and_environment(data_copy):
    set_cell("figures.csv", 1, label_zh="改过的标签")(data_copy)
    by_option = run("figures", "--data", str(data_copy), "--format", "csv")
    by_env = run("figures", "--format", "csv", env={"METRICS_DATA_DIR": str(data_copy)})
    assert "改过的标签" in by_option.stdout and "改过的标签" in by_env.stdout
    assert "改过的标签" not in run("figures", "--format", "csv").stdout


def test_validate_passes_on_the_bundled_data():
    done = run("validate")
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout and "7 figures" in done.stdout


def test_validate_on_invalid_data_exits_1_without_traceback(data_copy):
    set_cell("figures.csv", 5, qualifier="exact")(data_copy)
    done = run("validate", "--data", str(data_copy))
    assert done.returncode == 1
    assert "figures.csv, row 5 (line 6), field 'qualifier'" in done.stderr
    assert "Traceback" not in done.stderr


# ---- the filters are the dimensions', the table options the page table's --------------------


def _ids(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The figure ids of a `figures --format csv` run, in the order printed."""
    assert done.returncode == 0, done.stderr
    return [row["figure_id"] for row in csv.DictReader(io.StringIO(done.stdout))]


@pytest.mark.parametrize("dimension", DIMENSIONS, ids=lambda d: d.name)
def test_every_dimension_is_an_option_that_filters(dataset, dimension):
    """--province, --city, …: one option per dimension, with its help, taking an English name
    (or the key) as the page's filter does."""
    wide = {"COLUMNS": "500"}  # argparse's help, one line per option
    for command in ("figures", "export"):
        lines = run(command, "--help", env=wide).stdout.splitlines()
        option = f"--{dimension.name} {dimension.name.upper()}"
        assert any(line.strip().startswith(option) and dimension.help in line for line in lines)
    everything = len(dataset.figure_view)
    for typed in dataset.tables[dimension.frame][dimension.english].astype(str):  # as typed
        expected = select_figures(dataset, resolve_filters(dataset, **{dimension.name: [typed]}))
        if 0 < len(expected) < everything:  # a value that narrows the figures
            break
    else:
        pytest.fail(f"no {dimension.name} in the bundled data narrows the figures")
    found = _ids(run("figures", f"--{dimension.name}", typed, "--format", "csv"))
    assert found == expected["figure_id"].tolist()


def test_search_narrows_the_rows_to_the_figures_holding_the_text(dataset):
    everything = _ids(run("figures", "--format", "csv"))
    view = dataset.figure_view
    for needle in ("家电", "SMART-appliance"):  # any case
        hit = np.zeros(len(view), dtype=bool)
        for column in SEARCHED:
            cells = view[column].astype(str).str.casefold()
            hit |= cells.str.contains(needle.casefold(), regex=False).to_numpy()
        expected = view["figure_id"][hit].tolist()
        found = _ids(run("figures", "--search", needle, "--format", "csv"))
        assert 0 < len(found) < len(everything)
        assert found == expected
    done = run("figures", "--search", "家电", "--city", "滨州")  # a search within the filters
    assert done.returncode == 0 and i18n.text("cli.empty", "zh") in done.stdout


def test_sort_by_value_orders_the_numbers_both_ways():
    def values(*args: str) -> list[float]:
        done = run("figures", "--sort", "value", *args, "--format", "csv")
        assert done.returncode == 0, done.stderr
        return [float(row["value"]) for row in csv.DictReader(io.StringIO(done.stdout))]

    descending, ascending = values("--desc"), values()
    assert len(set(descending)) > 1 and descending == sorted(descending, reverse=True)
    assert ascending == sorted(ascending)
    assert sorted(descending) == sorted(ascending) == sorted(values("--lang", "en"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_limit_and_offset_page_through_the_rows_of_table_page(dataset, lang):
    query = TableQuery(sort="value", descending=True)
    total = table_page(dataset, Filters(), query, lang=lang).total
    size = 3
    assert total > size  # more than one page
    seen: list[str] = []
    for start in range(0, total, size):
        done = run(
            *("figures", "--sort", "value", "--desc", "--lang", lang),
            *("--limit", str(size), "--offset", str(start)),
        )
        page = table_page(dataset, Filters(), query, start=start, size=size, lang=lang)
        csv_done = run(
            *("figures", "--sort", "value", "--desc", "--lang", lang, "--format", "csv"),
            *("--limit", str(size), "--offset", str(start)),
        )
        assert _ids(csv_done) == page.records["figure_id"].tolist()
        last = min(start + size, total)
        status = i18n.text("cli.rows", lang, first=start + 1, last=last, total=total)
        assert csv_done.stderr.strip() == status
        assert done.returncode == 0 and all(i in done.stdout for i in page.records["figure_id"])
        seen += _ids(csv_done)
    assert seen == _ids(run("figures", "--sort", "value", "--desc", "--format", "csv"))
    assert run("figures", "--format", "csv").stderr == ""  # no page asked for, no status line


def test_a_page_past_the_last_row_is_empty_and_says_where_it_started(dataset):
    total = len(dataset.figure_view)
    done = run("figures", "--offset", str(total + 5), "--limit", "10", "--lang", "en")
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr.strip() == i18n.text("cli.rows_none", "en", first=total + 6, total=total)
    rest = _ids(run("figures", "--offset", "2", "--format", "csv"))  # --offset alone: the rest
    assert rest == _ids(run("figures", "--format", "csv"))[2:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--sort", "population"), "argument --sort: invalid choice: 'population'"),
        (("--limit", "ten"), "argument --limit: invalid int value: 'ten'"),
        (("--limit", "0"), f"error: --limit is 1 to {MAX_PAGE_SIZE} rows, not 0"),
        (
            ("--limit", str(MAX_PAGE_SIZE + 1)),
            f"error: --limit is 1 to {MAX_PAGE_SIZE} rows, not {MAX_PAGE_SIZE + 1}",
        ),
        (("--offset", "-1"), "error: --offset is 0 or more, not -1"),
        (("--desc",), "error: --desc needs --sort COLUMN"),
        (("--search", "x" * (MAX_TEXT + 1)), f"error: a search is at most {MAX_TEXT} characters"),
    ],
)
def test_a_bad_table_option_exits_2_with_a_message_and_no_traceback(args, message):
    done = run("figures", *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
