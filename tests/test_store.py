"""The store: withdrawals, versions and the change log, changes at the same time, and the
folder's lock and journal — in both stores wherever both promise the same."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import metrics
from metrics.cli import main
from metrics.errors import ConflictError, StoreError
from metrics.export import write_workbook
from metrics.merge import add_report
from metrics.query import Filters
from metrics.store import FolderStore, NewReport, Store
from metrics.store.folder import JOURNAL_NAME, first_column_matches

from .conftest import ROOT
from .test_add import REPORT, ROWS, fingerprint, location_args, state, write_review

SOURCE = "010_anhui_goods_festival"


def add_anhui(store: Store, directory: Path, **change: str) -> None:
    report = directory / f"{SOURCE}.txt"
    report.write_text(REPORT, encoding="utf-8")
    rows = [dict(ROWS[0], **change), ROWS[1]]
    add_report(report, write_review(directory / "review.csv", rows), store=store)


# --- withdrawals --------------------------------------------------------------------------------


def test_a_withdrawn_report_leaves_the_live_data_and_stays_in_the_history(store, tmp_path):
    add_anhui(store, tmp_path)
    result = store.withdraw(SOURCE, "a duplicate of the March report", actor="li.wei")
    assert result.version == 4
    assert set(result.figures) == {
        "chuzhou-2019-goods-festival-sales",
        "chuzhou-2019-goods-festival-companies",
    }
    dataset = store.load()
    assert dataset.version == 4
    assert set(result.figures).isdisjoint(dataset.figures["figure_id"])
    assert SOURCE not in set(dataset.sources["source_id"])
    assert set(dataset.withdrawn["figures"]["figure_id"]) == set(result.figures)
    assert set(dataset.withdrawn["figure_industries"]["figure_id"]) == set(result.figures)
    change = store.history().iloc[-1]
    assert (change["action"], change["actor"], change["source_id"]) == (
        "withdraw",
        "li.wei",
        SOURCE,
    )
    assert change["note"] == "a duplicate of the March report"
    # Gone from exports too: the workbook counts the bundled figures only.
    summary = write_workbook(dataset, Filters(), "zh", tmp_path / "out.xlsx")
    assert summary.figures == 7


@pytest.mark.parametrize(
    ("source", "reason", "words"),
    [
        ("no_such_report", "typo", "there is no report 'no_such_report'"),
        (SOURCE, "   ", "say why"),
    ],
)
def test_a_withdrawal_that_cannot_be_done_changes_nothing(store, tmp_path, source, reason, words):
    add_anhui(store, tmp_path)
    before = state(store)
    with pytest.raises(ConflictError, match=words):
        store.withdraw(source, reason)
    assert state(store) == before


def test_a_report_is_withdrawn_once_and_never_added_back_under_its_id(store, tmp_path):
    add_anhui(store, tmp_path)
    store.withdraw(SOURCE, "wrong city")
    before = state(store)
    with pytest.raises(ConflictError, match="already withdrawn at version 4"):
        store.withdraw(SOURCE, "again")
    with pytest.raises(ConflictError, match="was withdrawn at version 4"):
        add_anhui(store, tmp_path)
    assert state(store) == before


def test_a_report_others_depend_on_is_withdrawn_only_after_them(store, tmp_path):
    """The new report's figure belongs to an event of the Chuzhou report: withdrawing that
    report first would leave a live figure pointing at a withdrawn event."""
    add_anhui(store, tmp_path, event_id="chuzhou-2018-appliance-festival")
    before = state(store)
    with pytest.raises(ConflictError, match=f"withdraw '{SOURCE}' first"):
        store.withdraw("000_0a8ea07d3a04f351", "superseded")
    assert state(store) == before
    store.withdraw(SOURCE, "superseded")
    store.withdraw("000_0a8ea07d3a04f351", "superseded")
    dataset = store.load()
    assert set(dataset.figures["source_id"]) == {"003_fea83e67b8f794f4"}
    assert "chuzhou-2018-appliance-festival" not in set(dataset.events["event_id"])


def test_withdraw_and_history_commands(store, tmp_path, capsys):
    add_anhui(store, tmp_path)
    where = location_args(store)
    assert main(["withdraw", SOURCE, "--reason", "duplicate", *where]) == 0
    assert "2 figures left the live dataset" in capsys.readouterr().out
    assert main(["withdraw", SOURCE, "--reason", "duplicate", *where]) == 2
    assert "Nothing was changed." in capsys.readouterr().err
    assert main(["history", "--format", "json", *where]) == 0
    changes = json.loads(capsys.readouterr().out)
    assert [c["action"] for c in changes] == ["add", "add", "add", "withdraw"]
    assert [c["version"] for c in changes] == ["1", "2", "3", "4"]
    assert main(["validate", *where]) == 0
    out = capsys.readouterr().out
    assert "valid (version 4" in out and "2 figures of withdrawn reports in the history" in out


def test_the_change_log_is_checked_like_any_table(data_copy):
    path = data_copy / "changes.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    bad = [
        rows[0],
        rows[1],
        "1,2026-11-24T00:00:00Z,me,withdraw,003_fea83e67b8f794f4,binzhou-textile-cluster-output,",
        "3,yesterday,me,add,003_fea83e67b8f794f4,chuzhou-2018-618-sales,",
    ]
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(metrics.DataValidationError) as caught:
        metrics.load(data_copy)
    problems = [str(p) for p in caught.value.problems]
    assert any("row 2 (line 3), field 'version'" in p and "duplicate" in p for p in problems)
    assert any("row 2" in p and "must be greater than every earlier version" in p for p in problems)
    assert any("row 2" in p and "a withdrawal says why" in p for p in problems)
    assert any("row 3" in p and "not a valid datetime" in p for p in problems)
    assert any("row 3" in p and "belongs to report '000_0a8ea07d3a04f351'" in p for p in problems)


# --- changes at the same time ------------------------------------------------------------------


def _report_files(directory: Path, n: int, shared_id: str | None = None) -> list[list[str]]:
    """``n`` different reports (own source ids and figure ids), as add command lines."""
    commands = []
    for i in range(n):
        report = directory / f"01{i}_concurrent_{i}.txt"
        report.write_text(REPORT.replace("2019年3月", f"2019年{i + 3}月"), encoding="utf-8")
        rows = [
            dict(ROWS[0], figure_id=shared_id or f"concurrent-{i}-sales"),
            dict(ROWS[1], figure_id=f"concurrent-{i}-companies"),
        ]
        review = write_review(directory / f"review-{i}.csv", rows)
        commands.append(["add", str(report), str(review)])
    return commands


def _run_at_once(commands: list[list[str]], store: Store) -> list[subprocess.CompletedProcess]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "metrics", *command, *location_args(store)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "METRICS_DATA_DIR": "", "METRICS_DATABASE_URL": ""},
        )
        for command in commands
    ]
    return [
        subprocess.CompletedProcess(p.args, p.wait(timeout=300), *p.communicate())
        for p in processes
    ]


def test_adds_at_the_same_time_lose_nothing_they_acknowledged(store, tmp_path):
    results = _run_at_once(_report_files(tmp_path, 6), store)
    assert [r.returncode for r in results] == [0] * 6, [r.stderr for r in results]
    assert all("2 figures added" in r.stdout for r in results)
    dataset = store.load()  # every rule, every row
    for i in range(6):
        assert f"01{i}_concurrent_{i}" in set(dataset.sources["source_id"])
        assert {f"concurrent-{i}-sales", f"concurrent-{i}-companies"} <= set(
            dataset.figures["figure_id"]
        )
    changes = store.history()
    assert list(changes["version"]) == [str(v) for v in range(1, 9)]
    assert sorted(changes["source_id"][2:]) == sorted(f"01{i}_concurrent_{i}" for i in range(6))


def test_adds_at_the_same_time_that_clash_are_refused_whole(store, tmp_path):
    """Four reports claim the same figure id at once: one gets it, the others are refused
    and leave nothing of theirs behind."""
    results = _run_at_once(_report_files(tmp_path, 4, shared_id="contested-sales"), store)
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 2, 2, 2], [r.stderr for r in results]
    winner = next(i for i, r in enumerate(results) if r.returncode == 0)
    dataset = store.load()
    sources = set(dataset.sources["source_id"])
    assert {f"01{i}_concurrent_{i}" for i in range(4)} & sources == {
        f"01{winner}_concurrent_{winner}"
    }
    assert f"concurrent-{winner}-companies" in set(dataset.figures["figure_id"])
    assert dataset.version == 3


# --- the folder's lock and journal ---------------------------------------------------------


def test_an_interrupted_change_is_undone_by_whoever_comes_next(data_copy, tmp_path):
    """What a change killed mid-write leaves: its journal, a report, rows at the ends of the
    tables. The next reader cuts the tables back and deletes the report."""
    before = fingerprint(data_copy)
    sizes = {p: (data_copy / p).stat().st_size for p in ("figures.csv", "changes.csv")}
    (data_copy / JOURNAL_NAME).write_text(
        json.dumps({"sizes": sizes, "created": ["sources/x.txt"]}), encoding="utf-8"
    )
    (data_copy / "sources" / "x.txt").write_text("half a report", encoding="utf-8")
    with (data_copy / "figures.csv").open("a", encoding="utf-8") as f:
        f.write("half-a-row,000_0a8ea07d3a04f351,仅康")
    with (data_copy / "changes.csv").open("a", encoding="utf-8") as f:
        f.write("3,2026-12-01T00:00:00Z,me,add,x,,\n")
    assert metrics.load(data_copy).version == 2
    assert fingerprint(data_copy) == before
    assert not (data_copy / JOURNAL_NAME).exists()


def test_a_failure_while_writing_puts_everything_back(data_copy, tmp_path, monkeypatch):
    import metrics.store.folder as folder

    before = fingerprint(data_copy)
    real, calls = folder._append_rows, []

    def failing(path: Path, rows: list) -> None:
        calls.append(path.name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(path, rows)

    monkeypatch.setattr(folder, "_append_rows", failing)
    with pytest.raises(OSError, match="No space left"):
        add_anhui(FolderStore(data_copy), tmp_path)
    assert len(calls) == 3  # two tables were appended to before the failure
    assert fingerprint(data_copy) == before
    assert not (data_copy / JOURNAL_NAME).exists()


def test_a_folder_that_cannot_be_written_is_read_and_refuses_changes(
    data_copy, tmp_path, monkeypatch
):
    """A read-only mount: opening the lock file fails with EROFS (as it would for root too)."""
    import metrics.store.folder as folder

    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path).endswith(folder.LOCK_NAME):
            raise OSError(30, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(folder.os, "open", read_only)
    store = FolderStore(data_copy)
    assert store.load().version == 2
    with pytest.raises(StoreError, match="read-only"):
        add_anhui(store, tmp_path)


def test_a_change_waits_for_the_lock_then_gives_up_saying_so(data_copy, tmp_path):
    import fcntl

    with (data_copy / ".metrics-lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_SH)  # a reader in the middle of a long read
        with pytest.raises(StoreError, match="busy with another change for 0 s"):
            add_anhui(FolderStore(data_copy, lock_timeout=0.2), tmp_path)
    add_anhui(FolderStore(data_copy), tmp_path)  # and once it is free, it goes through


def test_rows_are_found_by_their_first_field_in_the_bytes(tmp_path, monkeypatch):
    """The scan that checks a new figure's id against a million rows: quoted line breaks and
    quotes do not start rows, and a row split between two chunks is still found."""
    path = tmp_path / "t.csv"
    frame = pd.DataFrame(
        {
            "figure_id": [f"f{i}" for i in range(300)],
            "quote": [
                f'line one\nf{i + 1000},"quoted"' if i % 7 == 0 else "plain" for i in range(300)
            ],
        }
    )
    frame.to_csv(path, index=False, lineterminator="\n")
    import metrics.store.folder as folder

    for chunk in (7, 64, 2**20):
        monkeypatch.setattr(folder, "_CHUNK", chunk)
        count, rows = first_column_matches(path, {"f0", "f150", "f299", "f1000", "f7"})
        assert count == 300
        assert rows.tolist() == [1, 8, 151, 300]


# --- refreshing a loaded dataset -----------------------------------------------------------------


def same_dataset(a: metrics.Dataset, b: metrics.Dataset) -> None:
    assert (a.version, a.texts.keys()) == (b.version, b.texts.keys())
    for part in ("tables", "withdrawn"):
        left, right = getattr(a, part), getattr(b, part)
        assert set(left) == set(right), part
        for name in left:
            pd.testing.assert_frame_equal(left[name], right[name], obj=f"{part}.{name}")
    pd.testing.assert_frame_equal(a.figure_view, b.figure_view, obj="figure_view")


def test_a_refresh_gives_what_a_full_load_gives(store, tmp_path):
    previous = store.load()
    previous.figure_view  # noqa: B018  (made, so that the refresh extends it)
    add_anhui(store, tmp_path)
    refreshed = store.refresh(previous)
    same_dataset(refreshed, store.load())
    assert "figure_view" in refreshed.__dict__  # extended, not made again
    store.withdraw(SOURCE, "a duplicate")
    again = store.refresh(refreshed)
    same_dataset(again, store.load())
    assert again.version == 4 and len(again.withdrawn["figures"]) == 2


def test_a_refresh_after_a_change_around_the_store_reads_it_whole(store, tmp_path, monkeypatch):
    from .test_live import break_store

    previous = store.load()
    break_store(store)
    loads = []
    real = type(store).load
    monkeypatch.setattr(type(store), "load", lambda self: loads.append(1) or real(self))
    with pytest.raises(metrics.DataValidationError, match="not found verbatim"):
        store.refresh(previous)
    assert loads == [1]


def test_a_package_from_before_the_change_log_is_refused_changes_with_what_to_do(data_copy):
    descriptor = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] != "changes"]
    (data_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (data_copy / "changes.csv").unlink()
    assert metrics.load(data_copy).version == 0  # it still reads
    with pytest.raises(StoreError, match=r"no change log.*Add the `changes` resource"):
        FolderStore(data_copy).withdraw("003_fea83e67b8f794f4", "test")


# --- checking before adding, reference rows, original files --------------------------------------


def test_a_check_says_what_an_add_would_say_and_changes_nothing(store):
    from .test_live import hefei_report

    report = hefei_report(1)
    before = state(store)
    assert store.check(report).problems == []
    broken = NewReport(
        report.source_id,
        report.files,
        {**report.rows, "figures": [dict(report.rows["figures"][0], qualifier="exact")]},
        report.references,
    )
    checked = store.check(broken)
    problems = checked.problems
    assert [(p.file, p.row, p.field) for p in problems] == [("figures.csv", 8, "qualifier")]
    assert checked.first_rows["figures"] == 8
    assert state(store) == before
    with pytest.raises(metrics.DataValidationError) as caught:
        store.add(broken)
    assert [str(p) for p in caught.value.problems[:-1]] == [str(p) for p in problems]


def test_a_city_from_the_national_list_is_added_once_and_a_stored_one_kept(store):
    from .test_live import HEFEI, hefei_report

    store.add(hefei_report(1))
    store.add(hefei_report(2))  # needs 合肥 too: already stored, not added again
    other = dict(HEFEI, latitude="31.8")  # the national list's row differs from the stored one
    third = hefei_report(3)
    store.add(NewReport(third.source_id, third.files, third.rows, {"cities": [other]}))
    cities = store.load().cities
    assert list(cities["city"]).count("合肥") == 1
    assert cities.set_index("city").at["合肥", "latitude"] == float(HEFEI["latitude"])


def test_a_report_received_as_a_file_keeps_that_file_byte_for_byte(store):
    from .test_live import hefei_report

    report = hefei_report(1)
    original = b"PK\x03\x04 a .docx as received"
    path = f"sources/originals/{report.source_id}.docx"
    source = dict(
        report.rows["sources"][0],
        original_path=path,
        original_sha256=hashlib.sha256(original).hexdigest(),
    )
    files = {**report.files, path: original}
    wrong = NewReport(
        report.source_id,
        files,
        {**report.rows, "sources": [dict(source, original_sha256="0" * 64)]},
        report.references,
    )
    problems = store.check(wrong).problems
    assert [(p.field, "original file has changed" in p.message) for p in problems] == [
        ("original_sha256", True)
    ]
    store.add(
        NewReport(report.source_id, files, {**report.rows, "sources": [source]}, report.references)
    )
    assert store.read_text()[1][path] == original
    assert store.load().version == 3  # and every rule holds, the original's checksum too
