"""Adding a report: reviewed rows merge under the same validation, all or nothing, idempotently."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
import pytest

import metrics
from metrics.cli import main
from metrics.merge import ReviewError, add_report, recover_interrupted_add

from .conftest import DATA

REPORT = (
    "2019年3月，滁州市与京东联合举办“皖美好物”电商节。\n\n"
    "活动期间，参与企业在京东的销售额超过2亿元，共有120余家企业参加。\n"
)
ROWS = [
    {
        "keep": "",
        "figure_id": "chuzhou-2019-goods-festival-sales",
        "quote": "活动期间，参与企业在京东的销售额超过2亿元",
        "raw": "超过2亿元",
        "value": "200000000",
        "unit": "CNY",
        "qualifier": "more_than",
        "derivation": "stated",
        "metric": "campaign_sales",
        "city": "滁州",
        "industry": "食品|家电",
        "label_zh": "皖美好物电商节：京东销售额",
        "label_en": "Anhui goods festival: JD sales",
        "period_start": "2019-03-01",
        "period_end": "2019-03-31",
        "period_precision": "month",
        "date_inferred": "false",
    },
    {
        "keep": "是",
        "figure_id": "chuzhou-2019-goods-festival-companies",
        "quote": "共有120余家企业参加",
        "raw": "120余家",
        "value": "120.0",
        "unit": "company",
        "qualifier": "more_than",
        "derivation": "stated",
        "metric": "companies_participating",
        "city": "滁州",
        "industry": "食品",
        "label_zh": "皖美好物电商节：参与企业",
        "label_en": "Anhui goods festival: companies taking part",
        "period_start": "2019-03-01",
        "period_end": "2019-03-31",
        "period_precision": "month",
        "date_inferred": "false",
    },
    {
        "keep": "否",
        "figure_id": "chuzhou-2019-not-a-figure",
        "quote": "2019年3月",
        "raw": "2019",
        "value": "2019",
        "unit": "company",
        "qualifier": "exact",
        "metric": "companies_signed",
        "city": "滁州",
        "industry": "食品",
        "label_zh": "x",
        "label_en": "x",
        "period_start": "2019-03-01",
        "period_end": "2019-03-31",
        "period_precision": "month",
        "date_inferred": "false",
    },
]


def fingerprint(directory: Path) -> str:
    """One hash of every file name and byte below ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(directory)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def write_review(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "010_anhui_goods_festival.txt"
    path.write_text(REPORT, encoding="utf-8")
    return path


def test_reviewed_figures_are_added_and_valid(data_copy, tmp_path, report):
    review = write_review(tmp_path / "review.csv", ROWS)
    result = add_report(report, review, data_dir=data_copy, title_en="Anhui goods festival")
    assert result.source_added and result.source_id == "010_anhui_goods_festival"
    assert result.added == (
        "chuzhou-2019-goods-festival-sales",
        "chuzhou-2019-goods-festival-companies",
    )
    dataset = metrics.load(data_copy)
    figures = dataset.figure_view.set_index("figure_id")
    assert figures.at["chuzhou-2019-goods-festival-sales", "industry"] == "食品|家电"
    assert figures.at["chuzhou-2019-goods-festival-companies", "value"] == 120
    assert "chuzhou-2019-not-a-figure" not in figures.index  # keep=否 dropped it
    assert (data_copy / "sources" / report.name).read_bytes() == report.read_bytes()
    source = dataset.sources.set_index("source_id").loc["010_anhui_goods_festival"]
    assert source["title_zh"] == "2019年3月，滁州市与京东联合举办“皖美好物”电商节。"
    assert source["title_origin"] == "first_line" and source["city"] == "滁州"
    assert source["sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()


def test_existing_rows_keep_every_byte(data_copy, tmp_path, report):
    before = (data_copy / "figures.csv").read_bytes()
    add_report(report, write_review(tmp_path / "review.csv", ROWS), data_dir=data_copy)
    assert (data_copy / "figures.csv").read_bytes().startswith(before)


def test_adding_twice_changes_nothing(data_copy, tmp_path, report):
    review = write_review(tmp_path / "review.csv", ROWS)
    add_report(report, review, data_dir=data_copy)
    after_first = fingerprint(data_copy)
    again = add_report(report, review, data_dir=data_copy)
    assert not again.source_added and again.added == ()
    assert len(again.unchanged) == 2
    assert fingerprint(data_copy) == after_first


def test_review_saved_as_xlsx_works(data_copy, tmp_path, report):
    review = tmp_path / "review.xlsx"
    pd.DataFrame(ROWS).to_excel(review, index=False)
    assert len(add_report(report, review, data_dir=data_copy).added) == 2
    metrics.load(data_copy)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"qualifier": "exact"}, "qualifier", "means 'more_than'"),
        ({"value": "210000000"}, "value", "reads as 2e+08"),
        ({"city": "合肥"}, "city", "not found in cities.csv"),
        ({"quote": "销售额超过2亿元啦"}, "quote", "not found verbatim"),
        ({"industry": "汽车"}, "industry", "not found in industries.csv"),
        ({"period_end": "2019-03-30"}, "period_precision", "last day"),
    ],
)
def test_a_bad_review_changes_nothing_and_says_why(
    data_copy, tmp_path, report, change, field, words
):
    before = fingerprint(data_copy)
    review = write_review(tmp_path / "review.csv", [dict(ROWS[0], **change), ROWS[1]])
    with pytest.raises(metrics.DataValidationError) as caught:
        add_report(report, review, data_dir=data_copy)
    assert any(p.field == field and words in str(p) for p in caught.value.problems), str(
        caught.value
    )
    assert "unchanged" in str(caught.value)
    assert fingerprint(data_copy) == before
    assert [p.name for p in data_copy.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda d: write_review(
                d / "r.csv", [{k: v for k, v in ROWS[0].items() if k != "label_en"}]
            ),
            "lacks the column",
        ),
        (lambda d: write_review(d / "r.csv", [ROWS[0], ROWS[0]]), "appears twice"),
        (lambda d: write_review(d / "r.csv", [dict(ROWS[0], figure_id="")]), "has no figure_id"),
        (
            lambda d: write_review(
                d / "r.csv", [dict(ROWS[0], figure_id="chuzhou-2018-618-sales")]
            ),
            "already exists with a different",
        ),
        (
            lambda d: write_review(d / "r.csv", [dict(ROWS[0], date_inferred="maybe")]),
            "not true/false",
        ),
        (lambda d: write_review(d / "r.csv", [dict(ROWS[0], keep="no")]), "keeps no rows"),
        (lambda d: (d / "r.txt").write_text("x") and d / "r.txt", ".csv or .xlsx"),
        (
            lambda d: (
                (d / "r.csv").write_bytes("figure_id\n滁州".encode("gb18030")) and d / "r.csv"
            ),
            "not UTF-8",
        ),
    ],
)
def test_an_unusable_review_file_changes_nothing(data_copy, tmp_path, report, make, words):
    before = fingerprint(data_copy)
    with pytest.raises(ReviewError, match=words):
        add_report(report, make(tmp_path), data_dir=data_copy)
    assert fingerprint(data_copy) == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (REPORT.encode("gb18030"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file"),
        (b"x" * (5 * 2**20 + 1), "at most"),
    ],
)
def test_a_report_that_is_not_a_text_report_is_refused(data_copy, tmp_path, content, words):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    before = fingerprint(data_copy)
    with pytest.raises(ReviewError, match=words):
        add_report(bad, write_review(tmp_path / "r.csv", ROWS), data_dir=data_copy)
    assert fingerprint(data_copy) == before


def test_a_different_report_under_an_existing_id_is_refused(data_copy, tmp_path, report):
    with pytest.raises(ReviewError, match="already has the source id"):
        add_report(
            report,
            write_review(tmp_path / "r.csv", ROWS),
            data_dir=data_copy,
            source_id="000_0a8ea07d3a04f351",
        )


def test_the_swap_is_one_atomic_exchange_here(data_copy, tmp_path, report, monkeypatch):
    """On Linux the data directory is swapped, never renamed away: it exists at every instant."""
    import metrics.merge as merge

    def no_rename(src, dst):
        raise AssertionError(f"the data directory was renamed away: {src} -> {dst}")

    monkeypatch.setattr(merge.os, "replace", no_rename)
    add_report(report, write_review(tmp_path / "r.csv", ROWS), data_dir=data_copy)
    assert len(metrics.load(data_copy).figures) == len(metrics.load(DATA).figures) + 2
    assert [p.name for p in data_copy.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("failure", [OSError("disk pulled out"), KeyboardInterrupt()])
def test_a_failure_during_the_swap_restores_the_data(
    data_copy, tmp_path, report, monkeypatch, failure
):
    """Where the system cannot exchange directories, two renames; an error or a Ctrl-C between
    them puts the old version back before the staging directory (holding it) is deleted."""
    import metrics.merge as merge

    before = fingerprint(data_copy)
    real_replace = merge.os.replace
    calls = []

    def flaky(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the new dataset moving into place
            raise failure
        return real_replace(src, dst)

    monkeypatch.setattr(merge, "_exchange", lambda a, b: False)
    monkeypatch.setattr(merge.os, "replace", flaky)
    with pytest.raises(type(failure)):
        add_report(report, write_review(tmp_path / "r.csv", ROWS), data_dir=data_copy)
    assert len(calls) == 3  # away, (failed) into place, back
    assert fingerprint(data_copy) == before
    assert [p.name for p in data_copy.parent.iterdir() if p.name.startswith(".")] == []
    metrics.load(data_copy)


def test_the_next_add_puts_back_a_directory_an_interrupted_swap_left_missing(
    data_copy, tmp_path, report
):
    """What a kill between the fallback's two renames leaves: no data directory, its old version
    in the staging sibling. The next add restores it, then adds."""
    before = fingerprint(data_copy)
    staging = data_copy.parent / ".data-add-killed"
    (staging / "data").mkdir(parents=True)  # the validated new version, never moved in
    data_copy.rename(staging / "previous")
    assert recover_interrupted_add(data_copy) is True
    assert fingerprint(data_copy) == before
    assert not staging.exists()
    assert recover_interrupted_add(data_copy) is False  # nothing left to do
    staging.mkdir()  # a kill before the swap leaves only the staging copy
    result = add_report(report, write_review(tmp_path / "r.csv", ROWS), data_dir=data_copy)
    assert len(result.added) == 2 and not staging.exists()


def test_add_command_reports_and_exits_by_outcome(data_copy, tmp_path, report, capsys):
    review = write_review(tmp_path / "review.csv", ROWS)
    args = ["add", str(report), str(review), "--data", str(data_copy)]
    assert main(args) == 0
    assert "2 figures added" in capsys.readouterr().out
    assert main(args) == 0
    assert "0 figures added, 2 already present" in capsys.readouterr().out
    bad = write_review(
        tmp_path / "bad.csv", [dict(ROWS[0], figure_id="new-id", qualifier="approx")]
    )
    assert main(["add", str(report), str(bad), "--data", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert "would be invalid" in err and "unchanged" in err


def test_round_trip_extract_review_add_validate(data_copy, tmp_path, report, capsys):
    """As an analyst works: extract candidates, edit the review file, add it, validate."""
    candidates = tmp_path / "candidates.csv"
    assert main(["extract", str(report), "--data", str(data_copy), "-o", str(candidates)]) == 0
    review = pd.read_csv(candidates, dtype=str, keep_default_na=False)
    assert list(review["raw"]) == ["超过2亿元", "120余家"]
    assert list(review["figure_id"]) == ["010-anhui-goods-festival-1", "010-anhui-goods-festival-2"]
    assert list(review["qualifier"]) == ["more_than", "more_than"]
    # The reviewer's part: labels, the industries and the period the guesses left open.
    review["label_zh"] = ["皖美好物电商节：京东销售额", "皖美好物电商节：参与企业"]
    review["label_en"] = ["Anhui goods festival: JD sales", "Anhui goods festival: companies"]
    review["industry"] = ["食品|家电", "食品"]
    review[["period_start", "period_end", "period_precision"]] = [
        "2019-03-01",
        "2019-03-31",
        "month",
    ]
    review["date_inferred"] = "false"
    edited = tmp_path / "reviewed.csv"
    review.to_csv(edited, index=False)
    args = ["add", str(report), str(edited), "--data", str(data_copy)]
    assert main(args) == 0
    assert main(["validate", "--data", str(data_copy)]) == 0
    figures = metrics.load(data_copy).figure_view.set_index("figure_id")
    assert figures.at["010-anhui-goods-festival-1", "value"] == 200_000_000
    assert figures.at["010-anhui-goods-festival-1", "metric"] == "campaign_sales"
    before = fingerprint(data_copy)
    assert main(args) == 0  # a second add changes nothing
    assert fingerprint(data_copy) == before
    assert "0 figures added, 2 already present" in capsys.readouterr().out


def test_extract_writes_a_formula_safe_xlsx_and_a_table(data_copy, tmp_path, report, capsys):
    out = tmp_path / "candidates.xlsx"
    assert main(["extract", str(report), "--format", "xlsx", "-o", str(out)]) == 0
    frame = pd.read_excel(out, dtype=str)
    assert list(frame["raw"]) == ["超过2亿元", "120余家"]
    assert main(["extract", str(report), "--format", "table"]) == 0
    assert "超过2亿元" in capsys.readouterr().out
    assert main(["extract", str(report), "--format", "xlsx"]) == 2  # xlsx needs -o
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01binary")
    assert main(["extract", str(bad)]) == 2
    assert "not a text file" in capsys.readouterr().err
