"""Adding a report: reviewed rows merge under the same validation, all or nothing, idempotently,
in either store (the folder and PostgreSQL answer alike)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
import pytest

import metrics
from metrics.cli import main
from metrics.errors import ConflictError
from metrics.merge import ReviewError, add_report
from metrics.store import FolderStore, Store
from metrics.store.postgres import PostgresStore

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
    """One hash of every file name and byte below ``directory`` (the folder's lock aside: an
    empty file that any reader may create)."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name != ".metrics-lock":
            digest.update(str(path.relative_to(directory)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def state(store: Store, *, times: bool = True) -> str:
    """Everything a store holds, as one hash: every byte of a folder, every row and report of
    a database. Without ``times``, when each change was made is left out (an add run twice is
    the same add at another second)."""
    if times and isinstance(store, FolderStore):
        return fingerprint(store.directory)
    text, reports, descriptor = store.read_text()
    if not times:
        text["changes"] = text["changes"].assign(at="")
    digest = hashlib.sha256(descriptor.text.encode())
    for name in sorted(text):
        digest.update(name.encode() + text[name].to_csv(index=False).encode())
    for path in sorted(reports):
        digest.update(path.encode() + reports[path])
    return digest.hexdigest()


def write_review(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def location_args(store: Store) -> list[str]:
    """The command-line options naming ``store``."""
    if isinstance(store, PostgresStore):
        return ["--database", store.url]
    assert isinstance(store, FolderStore)
    return ["--data", str(store.directory)]


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "010_anhui_goods_festival.txt"
    path.write_text(REPORT, encoding="utf-8")
    return path


def test_reviewed_figures_are_added_and_valid(store, tmp_path, report):
    review = write_review(tmp_path / "review.csv", ROWS)
    result = add_report(
        report, review, store=store, title_en="Anhui goods festival", actor="li.wei"
    )
    assert result.source_added and result.source_id == "010_anhui_goods_festival"
    assert result.added == (
        "chuzhou-2019-goods-festival-sales",
        "chuzhou-2019-goods-festival-companies",
    )
    assert result.version == 3
    dataset = store.load()
    assert dataset.version == 3
    figures = dataset.figure_view.set_index("figure_id")
    assert figures.at["chuzhou-2019-goods-festival-sales", "industry"] == "食品|家电"
    assert figures.at["chuzhou-2019-goods-festival-companies", "value"] == 120
    assert "chuzhou-2019-not-a-figure" not in figures.index  # keep=否 dropped it
    assert dataset.texts["010_anhui_goods_festival"] == REPORT
    source = dataset.sources.set_index("source_id").loc["010_anhui_goods_festival"]
    assert source["title_zh"] == "2019年3月，滁州市与京东联合举办“皖美好物”电商节。"
    assert source["title_origin"] == "first_line" and source["city"] == "滁州"
    assert source["sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()
    change = store.history().iloc[-1]
    assert (change["version"], change["actor"], change["action"]) == ("3", "li.wei", "add")
    assert change["source_id"] == "010_anhui_goods_festival"
    assert change["figure_ids"].split("|") == list(result.added)


def test_existing_rows_keep_every_byte(data_copy, tmp_path, report):
    tables = ("figures.csv", "figure_industries.csv", "sources/sources.csv", "changes.csv")
    before = {name: (data_copy / name).read_bytes() for name in tables}
    add_report(report, write_review(tmp_path / "review.csv", ROWS), data_dir=data_copy)
    for name, content in before.items():
        after = (data_copy / name).read_bytes()
        assert after.startswith(content) and len(after) > len(content), name


def test_adding_twice_changes_nothing(store, tmp_path, report):
    review = write_review(tmp_path / "review.csv", ROWS)
    add_report(report, review, store=store)
    after_first = state(store)
    again = add_report(report, review, store=store)
    assert not again.source_added and again.added == () and again.version is None
    assert len(again.unchanged) == 2
    assert state(store) == after_first


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
        ({"event_id": "no-such-event"}, "event_id", "not found in events.csv"),
        ({"figure_id": "Bad Id"}, "figure_id", "does not match the pattern"),
    ],
)
def test_a_bad_review_changes_nothing_and_says_why(store, tmp_path, report, change, field, words):
    before = state(store)
    review = write_review(tmp_path / "review.csv", [dict(ROWS[0], **change), ROWS[1]])
    with pytest.raises(metrics.DataValidationError) as caught:
        add_report(report, review, store=store)
    assert any(p.field == field and words in str(p) for p in caught.value.problems), str(
        caught.value
    )
    # Numbered as `validate` would number the row once added: the 8th figure, or 9th link.
    assert any(
        "row 8 (line 9)" in str(p) or "row 9 (line 10)" in str(p) for p in caught.value.problems
    )
    assert "the store is unchanged" in str(caught.value)
    assert state(store) == before


def test_both_stores_refuse_a_bad_review_in_the_same_words(pg_url, data_copy, tmp_path, report):
    review = write_review(
        tmp_path / "review.csv",
        [dict(ROWS[0], qualifier="exact", city="合肥", period_end="2019-03-30"), ROWS[1]],
    )
    messages = []
    for store in (FolderStore(data_copy), PostgresStore(pg_url)):
        with pytest.raises(metrics.DataValidationError) as caught:
            add_report(report, review, store=store)
        messages.append([str(p) for p in caught.value.problems[:-1]])  # the last names the store
    assert messages[0] == messages[1] and len(messages[0]) >= 3


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
    ("rows", "source_id", "words"),
    [
        (
            [dict(ROWS[0], figure_id="chuzhou-2018-618-sales")],
            None,
            "already stored with a different source_id",
        ),
        (ROWS, "000_0a8ea07d3a04f351", "already has the source id"),
    ],
)
def test_what_clashes_with_the_store_changes_nothing(
    store, tmp_path, report, rows, source_id, words
):
    before = state(store)
    with pytest.raises(ConflictError, match=words):
        add_report(report, write_review(tmp_path / "r.csv", rows), store=store, source_id=source_id)
    assert state(store) == before


def test_a_stored_figure_keeps_its_industries(store, tmp_path, report):
    add_report(report, write_review(tmp_path / "r.csv", ROWS), store=store)
    before = state(store)
    more = write_review(tmp_path / "more.csv", [dict(ROWS[1], industry="食品|家电")])
    with pytest.raises(ConflictError, match="already stored with the industries '食品'"):
        add_report(report, more, store=store)
    assert state(store) == before


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


def test_add_command_reports_and_exits_by_outcome(store, tmp_path, report, capsys):
    review = write_review(tmp_path / "review.csv", ROWS)
    args = ["add", str(report), str(review), *location_args(store)]
    assert main(args) == 0
    assert "2 figures added, 0 already present (version 3)" in capsys.readouterr().out
    assert main(args) == 0
    assert "0 figures added, 2 already present (nothing changed)" in capsys.readouterr().out
    bad = write_review(
        tmp_path / "bad.csv", [dict(ROWS[0], figure_id="new-id", qualifier="approx")]
    )
    assert main(["add", str(report), str(bad), *location_args(store)]) == 1
    err = capsys.readouterr().err
    assert "would be invalid" in err and "the store is unchanged" in err
    clash = write_review(tmp_path / "clash.csv", [dict(ROWS[0], value="1")])
    assert main(["add", str(report), str(clash), *location_args(store)]) == 2
    assert "Nothing was changed." in capsys.readouterr().err


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
