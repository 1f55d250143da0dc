"""The command line as a user runs it: a real ``python -m metrics`` process."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from metrics.present import RECORD_COLUMNS

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
