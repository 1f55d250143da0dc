"""The PostgreSQL store on a real server: the schema carries the package's rules, a folder
goes in and comes back out row for row, and a database with wrong rows is refused in the
same words as a folder. (Adds, withdrawals and concurrent changes are tested on both stores
in test_add.py, test_store.py and test_faults.py.)"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import psycopg
import pytest

import metrics
from metrics.cli import main
from metrics.errors import ConflictError, StoreError
from metrics.export import write_workbook
from metrics.query import Filters
from metrics.schema import ProblemList, read_descriptor, read_text_table
from metrics.store import open_store
from metrics.store.postgres import PostgresStore, mask_password

from .conftest import DATA
from .test_add import REPORT, ROWS, write_review
from .test_validation import BAD_ROWS

pytestmark = pytest.mark.server


def files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_db_commands_from_nothing_to_a_dump_that_is_the_same_folder(pg_cluster, tmp_path, capsys):
    url = pg_cluster.create_database("round_trip")
    assert main(["validate", "--database", url]) == 4
    assert "create them with `python -m metrics db init`" in capsys.readouterr().err
    assert main(["db", "init", "--database", url]) == 0
    assert "upgraded from nothing to revision 0002" in capsys.readouterr().out
    assert main(["db", "init", "--database", url]) == 0
    assert "already at revision 0002" in capsys.readouterr().out
    assert main(["validate", "--database", url]) == 4
    assert "db import DIR" in capsys.readouterr().err
    assert main(["db", "import", str(DATA), "--database", url]) == 0
    assert "7 figures" in capsys.readouterr().out
    assert main(["db", "import", str(DATA), "--database", url]) == 0  # again: no change
    assert "nothing to import" in capsys.readouterr().out
    assert main(["validate", "--database", url]) == 0
    assert "valid (version 2, data package 0.2.0)" in capsys.readouterr().out
    out = tmp_path / "dumped"
    assert main(["db", "dump", "-o", str(out), "--database", url]) == 0
    assert files(out) == files(DATA)  # every table, row for row, byte for byte
    assert main(["db", "dump", "-o", str(out), "--database", url]) == 4  # never over data
    assert "not an empty directory" in capsys.readouterr().err


def test_a_database_loads_the_same_dataset_as_the_folder(pg_url):
    folder, database = metrics.load(DATA), PostgresStore(pg_url).load()
    assert database.version == folder.version and database.texts == folder.texts
    assert set(database.tables) == set(folder.tables)
    for name, frame in folder.tables.items():
        pd.testing.assert_frame_equal(database.tables[name], frame, check_categorical=False)


def test_the_same_workbook_from_either_store(pg_url, tmp_path):
    filters = Filters(city=("滁州",))
    a = write_workbook(metrics.load(DATA), filters, "zh", tmp_path / "folder.xlsx")
    b = write_workbook(PostgresStore(pg_url).load(), filters, "zh", tmp_path / "db.xlsx")
    assert a.figures == b.figures == 4
    import openpyxl

    sheets = [openpyxl.load_workbook(tmp_path / n) for n in ("folder.xlsx", "db.xlsx")]
    for left, right in zip(*(s.worksheets for s in sheets), strict=True):
        rows = [[c for c in r if not str(c).startswith("20")] for r in left.values]
        assert rows == [[c for c in r if not str(c).startswith("20")] for r in right.values]


def test_the_schema_carries_every_rule_of_the_descriptor(pg_url):
    """Every key, reference, uniqueness, enum, pattern and bound of datapackage.json is a
    constraint of the database (a new rule in the descriptor needs a migration)."""
    descriptor = read_descriptor(DATA / "datapackage.json")
    with psycopg.connect(pg_url) as connection:
        constraints = {
            name: definition
            for name, definition in connection.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace"
            )
        }
        nullable = {
            (table, column): flag == "YES"
            for table, column, flag in connection.execute(
                "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )
        }
    for name, resource in descriptor.resources.items():
        key = ", ".join(resource.primary_key)
        assert constraints[f"{name}_pkey"] == f"PRIMARY KEY ({key})"
        for own, target, ref in resource.foreign_keys:
            definition = constraints[f"{name}_{own}_fkey"]
            assert f"FOREIGN KEY ({own}) REFERENCES {target}({ref})" in definition
            assert "DEFERRABLE INITIALLY DEFERRED" in definition
        for spec in resource.fields:
            rules = spec.constraints
            assert nullable[(name, spec.name)] == (not spec.required), (name, spec.name)
            if rules.get("unique") and [spec.name] != list(resource.primary_key):
                assert constraints[f"{name}_{spec.name}_key"] == f"UNIQUE ({spec.name})"
            for rule in ("enum", "pattern", "minimum", "maximum"):
                if rule in rules:
                    assert f"{name}_{spec.name}_{rule}" in constraints, (name, spec.name, rule)


# What a database does with each broken row of test_validation.py, written in by SQL (as a
# tool or a person might, around the store): its constraints refuse it, it reads back with the
# very problem a folder gets, or its types cannot hold the bad text at all.
SAME, REFUSED, NORMALIZED, FILE_ONLY = "same problem", "refused", "normalized", "file only"
IN_A_DATABASE = {
    "quote not verbatim": SAME,
    "raw not in quote": SAME,
    "raw does not read as the value": SAME,
    "raw is not a number": SAME,
    "qualifier stronger than the wording": SAME,
    "target claimed exact": SAME,
    "qualifier not in the enum": REFUSED,
    "duplicate figure id": REFUSED,
    "unknown city": REFUSED,
    "unknown metric": REFUSED,
    "metric and unit disagree": SAME,
    "raw's unit word disagrees with the unit": SAME,
    "value is text": REFUSED,
    "value is negative": REFUSED,
    "impossible date": REFUSED,
    "period ends before it starts": SAME,
    "month precision on a partial month": SAME,
    "inferred date without a reason": SAME,
    "boolean that is not one": NORMALIZED,  # PostgreSQL reads 'yes' as true
    "required label empty": REFUSED,
    "figure without an industry": SAME,
    "unknown industry": REFUSED,
    "enumeration miscounted": SAME,
    "event in another city": SAME,
    "award winner without an award": SAME,
    "source event date disagrees": SAME,
    "report text edited": SAME,
    "column missing": REFUSED,
    "not UTF-8": FILE_ONLY,  # a database holds text, not bytes in some encoding
    "untidy spaces": REFUSED,
    "untidy spaces in a number": NORMALIZED,  # numeric '10 ' is 10
    "wording implies two bounds": SAME,
    "industry link to an unknown figure": REFUSED,
    "industry linked twice": REFUSED,
}


def write_around_the_store(url: str, edited: Path) -> str | None:
    """Replace the database's rows by the edited folder's, table by table, in one transaction
    (as an SQL tool would); None, or why the database refused."""
    original = read_descriptor(DATA / "datapackage.json")
    try:
        with psycopg.connect(url) as connection:
            for name, resource in original.resources.items():
                problems = ProblemList()
                text = read_text_table(edited / resource.path, resource.path, problems)
                assert text is not None, problems
                if (DATA / resource.path).read_bytes() == (edited / resource.path).read_bytes():
                    continue
                connection.execute(f'DELETE FROM "{name}"')
                columns = [c for c in resource.field_names if c in text.columns]
                buffer = io.StringIO()
                text[columns].to_csv(buffer, index=False, header=False, lineterminator="\n")
                listed = ", ".join(f'"{c}"' for c in columns)
                with connection.cursor().copy(
                    f'COPY "{name}" ({listed}) FROM STDIN (FORMAT csv)'
                ) as copy:
                    copy.write(buffer.getvalue())
            for report in sorted((edited / "sources").glob("*.txt")):
                connection.execute(
                    "UPDATE reports SET content = %s WHERE path = %s",
                    [report.read_bytes(), f"sources/{report.name}"],
                )
    except psycopg.Error as exc:
        return str(exc).splitlines()[0]
    return None


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_wrong_rows_in_a_database_are_refused_or_named_as_in_a_folder(case, pg_url, data_copy):
    assert set(IN_A_DATABASE) == set(BAD_ROWS)
    edit, file, row, field, words = BAD_ROWS[case]
    edit(data_copy)
    expected = IN_A_DATABASE[case]
    if expected == FILE_ONLY:
        problems = ProblemList()
        assert read_text_table(data_copy / file, file, problems) is None
        return
    refused = write_around_the_store(pg_url, data_copy)
    store = PostgresStore(pg_url)
    if expected == REFUSED:
        assert refused is not None, f"{case}: the database took it"
        store.load()  # and it still holds the valid data
        return
    assert refused is None, refused
    if expected == NORMALIZED:
        assert store.load().version == 2  # what it holds is valid: the bad text is gone
        return
    with pytest.raises(metrics.DataValidationError) as caught:
        store.load()
    folder = {
        (p.file, p.row, p.field, p.message)
        for p in metrics.DataValidationError(_folder_problems(data_copy)).problems
    }
    database = {(p.file, p.row, p.field, p.message) for p in caught.value.problems}
    assert database == folder
    assert any(
        (p.file, p.row, p.field) == (file, row, field) and words in str(p)
        for p in caught.value.problems
    )


def _folder_problems(directory: Path) -> list:
    with pytest.raises(metrics.DataValidationError) as caught:
        metrics.load(directory)
    return caught.value.problems


def test_a_database_that_holds_data_takes_a_folder_s_new_reports_as_one_change(pg_url, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    report = tmp_path / "010_anhui_goods_festival.txt"
    report.write_text(REPORT, encoding="utf-8")
    assert (
        main(
            ["add", str(report), str(write_review(tmp_path / "r.csv", ROWS)), "--data", str(folder)]
        )
        == 0
    )
    assert (
        main(["withdraw", "003_fea83e67b8f794f4", "--reason", "test", "--data", str(folder)]) == 0
    )
    store = PostgresStore(pg_url)
    said = store.import_package(folder, actor="li.wei")
    assert "1 reports and 2 figures added, 1 reports withdrawn" in said
    dataset = store.load()
    assert dataset.version == 4  # an import, then the folder's withdrawal
    assert "010_anhui_goods_festival" in set(dataset.sources["source_id"])
    assert "003_fea83e67b8f794f4" not in set(dataset.sources["source_id"])
    actions = store.history()[["action", "actor"]].values.tolist()
    assert actions[-2:] == [["import", "li.wei"], ["withdraw", "li.wei"]]
    assert "nothing to import" in store.import_package(folder)


def test_a_folder_that_disagrees_with_the_database_is_not_imported(pg_url, data_copy):
    text = (data_copy / "figures.csv").read_text(encoding="utf-8")
    (data_copy / "figures.csv").write_text(
        text.replace("智能家电节：三家企业京东销售额", "智能家电节：三家企业销售额"),
        encoding="utf-8",
    )
    store = PostgresStore(pg_url)
    before = store.read_text()[0]["figures"]
    with pytest.raises(ConflictError, match="chuzhou-2018-appliance-festival-sales"):
        store.import_package(data_copy)
    pd.testing.assert_frame_equal(store.read_text()[0]["figures"], before)


def test_an_invalid_folder_never_gets_in(pg_cluster, data_copy):
    url = pg_cluster.create_database("invalid_import")
    PostgresStore(url).migrate()
    (data_copy / "figures.csv").write_text("figure_id\nx\n", encoding="utf-8")
    with pytest.raises(metrics.DataValidationError):
        PostgresStore(url).import_package(data_copy)
    with pytest.raises(StoreError, match="holds no data package yet"):
        PostgresStore(url).load()


def test_the_environment_chooses_the_store_and_the_command_line_wins(
    pg_url, monkeypatch, data_copy
):
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    assert isinstance(open_store(), PostgresStore)
    assert not isinstance(open_store(data_copy), PostgresStore)
    assert main(["validate"]) == 0
    monkeypatch.delenv("METRICS_DATABASE_URL")
    assert not isinstance(open_store(), PostgresStore)


def test_passwords_never_show_and_an_unreachable_database_is_one_clear_line(capsys):
    url = "postgresql://curator:s3cret@127.0.0.1:9/metrics"
    assert mask_password(url) == "postgresql://curator:***@127.0.0.1:9/metrics"
    assert main(["validate", "--database", url]) == 4
    err = capsys.readouterr().err
    assert err.startswith("error: cannot connect to postgresql://curator:***@127.0.0.1:9/metrics")
    assert "s3cret" not in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_db_commands_need_a_database(capsys, monkeypatch):
    monkeypatch.delenv("METRICS_DATABASE_URL", raising=False)
    assert main(["db", "init"]) == 2
    assert "name the database" in capsys.readouterr().err


def test_a_schema_of_another_revision_is_refused_with_what_to_do(pg_url):
    with psycopg.connect(pg_url) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0000'")
    with pytest.raises(StoreError, match=r"at schema revision 0000.*db init"):
        PostgresStore(pg_url).load()


def test_what_cannot_be_imported_is_said_on_one_line_and_changes_nothing(pg_url, data_copy, capsys):
    store = PostgresStore(pg_url)
    before = store.read_text()[0]
    descriptor = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    figures = next(r for r in descriptor["resources"] if r["name"] == "figures")
    figures["schema"]["fields"].append({"name": "remark", "type": "string"})
    (data_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    text = (data_copy / "figures.csv").read_text(encoding="utf-8").splitlines()
    (data_copy / "figures.csv").write_text(
        "\n".join([text[0] + ",remark"] + [line + "," for line in text[1:]]) + "\n",
        encoding="utf-8",
    )
    assert main(["db", "import", str(data_copy), "--database", pg_url]) == 2
    err = capsys.readouterr().err
    assert "tables of another shape than the database's (figures)" in err
    (data_copy / "figures.csv").write_text("figure_id\nx\n", encoding="utf-8")
    assert main(["db", "import", str(data_copy), "--database", pg_url]) == 1
    assert "INVALID; nothing was imported" in capsys.readouterr().err
    after = store.read_text()[0]
    assert all(before[name].equals(after[name]) for name in before)
