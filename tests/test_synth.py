"""The synthetic national dataset is valid, reproducible, national, and usable by the CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

import metrics
from metrics.cli import main
from metrics.query import Filters, aggregate
from metrics.synth import synthesize


def digest(directory: Path) -> str:
    total = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            total.update(path.name.encode() + path.read_bytes())
    return total.hexdigest()


def test_synthetic_data_passes_the_same_validation(synthetic):
    dataset = metrics.load(synthetic)
    assert len(dataset.figures) == 3000
    assert set(dataset.figures["metric"].astype(str)) == {
        "campaign_sales",
        "companies_signed",
        "companies_participating",
        "industry_output",
        "output_target",
    }
    assert set(dataset.figures["qualifier"].astype(str)) == {
        "exact",
        "more_than",
        "approx",
        "at_least",
    }
    assert dataset.figure_industries["figure_id"].duplicated().any()  # some two-industry figures


def test_it_uses_real_prefecture_level_cities(synthetic):
    cities = pd.read_csv(synthetic / "cities.csv", dtype=str)
    assert len(cities) == 338 and cities["adcode"].is_unique
    chuzhou = cities.set_index("city").loc["滁州"]
    assert (chuzhou["adcode"], chuzhou["province"], chuzhou["name_en"]) == (
        "341100",
        "安徽",
        "Chuzhou",
    )
    assert cities["province"].nunique() == 31
    lat, lon = cities["latitude"].astype(float), cities["longitude"].astype(float)
    assert lat.between(3, 54).all() and lon.between(73, 136).all()  # 三沙 is at 16.8°N
    assert cities.set_index("city").loc["三沙", "province"] == "海南"


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    first = synthesize(500, tmp_path / "a", seed=1)
    second = synthesize(500, tmp_path / "b", seed=1)
    third = synthesize(500, tmp_path / "c", seed=2)
    assert digest(first) == digest(second) != digest(third)


def test_refuses_to_write_into_a_non_empty_directory(tmp_path):
    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        synthesize(10, tmp_path)
    assert (tmp_path / "x.txt").read_text() == "keep me"


def test_synth_then_export_through_the_cli(tmp_path, capsys):
    data = tmp_path / "national"
    assert main(["synth", "--figures", "2000", "-o", str(data), "--seed", "3"]) == 0
    assert main(["validate", "--data", str(data)]) == 0
    out = tmp_path / "national.xlsx"
    assert main(["export", "--data", str(data), "--metric", "campaign_sales", "-o", str(out)]) == 0
    dataset = metrics.load(data)
    summary = aggregate(dataset, "campaign_sales", Filters())
    assert f"{summary.total['n_figures']} figures" in capsys.readouterr().out
