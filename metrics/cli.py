"""Command line: ``python -m metrics validate``, ``figures``, ``export``, ``extract``, ``add``,
``withdraw``, ``history``, ``db init|import|dump``, ``synth``.

Every command that reads or changes the data works on the store chosen by ``--database URL``
or ``$METRICS_DATABASE_URL`` (PostgreSQL), else on the folder (``--data DIR``,
``$METRICS_DATA_DIR``, or the bundled ``data/``).

Exit status: 0 success; 1 the dataset is invalid, or a change would make it so (every problem
is printed); 2 a bad command line, filter value or request (nothing was changed); 3 the output
file cannot be written; 4 the store cannot be reached, is busy or is not set up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from metrics.curate.accounts import ROLES, hash_password
from metrics.dataset import DATA_DIR_VARIABLE, Dataset, resolve_data_dir
from metrics.dimensions import DIMENSIONS
from metrics.errors import ConflictError, DataValidationError, QueryError, StoreError
from metrics.i18n import section, text
from metrics.merge import ReviewError, add_report, read_report
from metrics.present import LANGS, figure_records, names
from metrics.query import Filters, resolve_filters
from metrics.store import DATABASE_VARIABLE, Store, database_url, default_actor, open_store
from metrics.table import COLUMNS, MAX_PAGE_SIZE, TableQuery, matching, table_page

EXIT_INVALID_DATA = 1
EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_STORE = 4
PASSWORD_VARIABLE = "METRICS_PASSWORD"  # a new password for `users add|passwd`, for scripts

# Columns of the `figures` table, in order; their headers are in the text catalogue
# (metrics/locale/*.toml, [cli.columns]).
_TABLE_COLUMNS = (
    "figure_id",
    "city",
    "industry",
    "metric_name",
    "display",
    "period_start",
    "period_end",
    "inferred",
    "label",
)


def _split(values: Sequence[str] | None) -> list[str]:
    """Repeated options and comma-separated lists both work: --city 滁州 --city 滨州,滁州."""
    out: list[str] = []
    for value in values or ():
        out += [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]
    return out


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_mutually_exclusive_group()
    where.add_argument(
        "--data",
        metavar="DIR",
        help=f"data directory (default: ${DATA_DIR_VARIABLE}, else the bundled data/)",
    )
    where.add_argument(
        "--database",
        metavar="URL",
        help=f"PostgreSQL database, postgresql://user@host/db (default: ${DATABASE_VARIABLE}; "
        "unset, the data directory is the store)",
    )
    filters = argparse.ArgumentParser(add_help=False)
    for dimension in DIMENSIONS:  # --province, --city, …: named once, in metrics/dimensions.py
        filters.add_argument(
            f"--{dimension.name}",
            action="append",
            metavar=dimension.name.upper(),
            help=f"{dimension.help}; repeat or separate with commas",
        )
    filters.add_argument(
        "--from",
        dest="period_start",
        metavar="YYYY-MM-DD",
        help="only figures whose period ends on or after this day",
    )
    filters.add_argument(
        "--to",
        dest="period_end",
        metavar="YYYY-MM-DD",
        help="only figures whose period starts on or before this day",
    )
    filters.add_argument("--lang", choices=LANGS, default="zh", help="language (default zh)")

    parser = argparse.ArgumentParser(
        prog="python -m metrics",
        description="Curated regional digital-economy figures: validate and query the dataset.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "validate",
        parents=[common],
        help="check every table and rule; exit 1 listing every problem",
    )
    figures = commands.add_parser(
        "figures", parents=[common, filters], help="list figures matching the filters"
    )
    figures.add_argument("--format", choices=("table", "csv", "json"), default="table")
    # The page's table means the same by a search, a sort and a page: metrics.table.
    figures.add_argument(
        "--search",
        default="",
        metavar="TEXT",
        help="only figures with TEXT (any case) in their id, labels, quote, number as written, "
        "city or industries",
    )
    figures.add_argument(
        "--sort",
        choices=COLUMNS,
        default="",
        metavar="COLUMN",
        help=f"sort as the dashboard's table does, by {', '.join(COLUMNS)} (names in --lang; "
        "default: the dataset's order)",
    )
    figures.add_argument("--desc", action="store_true", help="sort in descending order")
    figures.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"print at most N rows, 1 to {MAX_PAGE_SIZE} (default: every matching row)",
    )
    figures.add_argument(
        "--offset",
        type=int,
        default=0,
        metavar="N",
        help="skip the first N matching rows (default 0)",
    )
    export = commands.add_parser(
        "export",
        parents=[common, filters],
        help="write an Excel workbook (summary, figures, sources, about) for the filters",
    )
    export.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE.xlsx",
        help="the workbook to write; a directory gets a name made from the filters and the date",
    )
    extract = commands.add_parser(
        "extract",
        parents=[common],
        help="list candidate figures in a report's text, with guesses, for review",
    )
    extract.add_argument("report", metavar="REPORT.txt", help="the report text, UTF-8")
    extract.add_argument("--source-id", help="id the report will get (default: its file name)")
    extract.add_argument(
        "--format",
        choices=("csv", "xlsx", "table"),
        default="csv",
        help="csv (default, to standard output), xlsx (needs -o) or table",
    )
    extract.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    synth = commands.add_parser(
        "synth", help="write a synthetic national-scale dataset that passes validation"
    )
    synth.add_argument("--figures", type=int, required=True, metavar="N")
    synth.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="an empty or new directory"
    )
    synth.add_argument("--seed", type=int, default=2018, help="random seed (default 2018)")
    add = commands.add_parser(
        "add",
        parents=[common],
        help="copy a report into the dataset and merge its reviewed figures (all or nothing)",
    )
    add.add_argument("report", metavar="REPORT.txt", help="the report text, UTF-8")
    add.add_argument(
        "reviewed",
        metavar="REVIEWED.csv|.xlsx",
        help="the reviewed candidate figures (from extract), one row per figure",
    )
    add.add_argument("--source-id", help="id of the new source (default: the report's file name)")
    add.add_argument("--title", help="the report's Chinese title (default: its first line)")
    add.add_argument("--title-en", help="the report's English title")
    withdraw = commands.add_parser(
        "withdraw",
        parents=[common],
        help="take a report out of the live dataset; it stays in the history",
    )
    withdraw.add_argument("source_id", metavar="SOURCE_ID", help="the report's source id")
    withdraw.add_argument("--reason", required=True, help="why, for the change log")
    history = commands.add_parser(
        "history", parents=[common], help="the change log: every add, withdrawal and import"
    )
    history.add_argument("--format", choices=("table", "csv", "json"), default="table")
    users = commands.add_parser(
        "users", help="accounts of the curation page: add, list, disable, change a password"
    )
    user_commands = users.add_subparsers(dest="users_command", required=True)
    add_user = user_commands.add_parser(
        "add",
        parents=[common],
        help=f"a new account; the password is asked for, or read from ${PASSWORD_VARIABLE}",
    )
    add_user.add_argument("name", metavar="NAME")
    add_user.add_argument("--role", choices=ROLES, required=True)
    user_commands.add_parser("list", parents=[common], help="every account and its role")
    for name, help_text in (
        ("disable", "stop an account from signing in (it stays in the history)"),
        ("enable", "let a disabled account sign in again"),
        ("passwd", "set a new password (asked for, or read from the environment)"),
    ):
        user_command = user_commands.add_parser(name, parents=[common], help=help_text)
        user_command.add_argument("name", metavar="NAME")
    approval = user_commands.add_parser(
        "self-approval",
        parents=[common],
        help="whether a curator may approve their own submission (a small office)",
    )
    approval.add_argument("state", choices=("on", "off", "show"))
    db = commands.add_parser("db", help="the PostgreSQL store: create, load, write out")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database", metavar="URL", help=f"PostgreSQL database (default: ${DATABASE_VARIABLE})"
    )
    db_commands.add_parser(
        "init", parents=[database], help="create the tables, or upgrade them to this version"
    )
    load = db_commands.add_parser(
        "import",
        parents=[database],
        help="load a data-package folder into the database (checked first; again: no change)",
    )
    load.add_argument("directory", metavar="DIR", help="the data-package folder")
    dump = db_commands.add_parser(
        "dump", parents=[database], help="write the database out as a data-package folder"
    )
    dump.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="a new or empty directory"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # Chinese must print even under LANG=C
        stream.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
    args = build_parser().parse_args(argv)
    if args.command == "synth":
        return _synth(args)
    try:
        if args.command == "db":
            return _db(args)
        store = open_store(args.data, args.database)
        if args.command == "users":
            return _users(store, args)
        if args.command == "add":
            return _add(store, args)
        if args.command == "withdraw":
            return _withdraw(store, args)
        if args.command == "history":
            return _history(store, args.format)
        dataset = store.load()
    except DataValidationError as exc:
        print(f"{_location(args)}: INVALID\n{exc}", file=sys.stderr)
        return EXIT_INVALID_DATA
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STORE
    if args.command == "validate":
        return _validate(store, dataset)
    if args.command == "extract":
        return _extract(dataset, args)
    try:
        chosen = {d.name: _split(getattr(args, d.name)) for d in DIMENSIONS}
        filters = resolve_filters(
            dataset, **chosen, period_start=args.period_start, period_end=args.period_end
        )
        if args.command == "export":
            return _export(dataset, filters, args.lang, Path(args.output))
        return _figures(dataset, filters, args)
    except QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _location(args: argparse.Namespace) -> str:
    """The store a command line names, as messages show it (no password)."""
    url = database_url(getattr(args, "database", None))
    if url and not getattr(args, "data", None):
        from metrics.store.postgres import mask_password

        return mask_password(url)
    return str(resolve_data_dir(getattr(args, "data", None)))


# Each command imports what only it needs (openpyxl, the extractor, the generator), so the
# commands a curator runs often — add, withdraw, validate — start quickly.


def _export(dataset: Dataset, filters: Filters, lang: str, output: Path) -> int:
    from metrics.export import export_file, export_filename

    if output.is_dir():
        output = output / export_filename(dataset, filters, lang, dt.date.today())
    elif output.suffix.lower() != ".xlsx":
        print(f"error: {output} should end in .xlsx", file=sys.stderr)
        return EXIT_USAGE
    try:
        summary = export_file(dataset, filters, lang, output)
    except OSError as exc:
        print(f"error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_OUTPUT
    print(f"wrote {output}: {summary.figures} figures; sheets {', '.join(summary.sheets)}")
    return 0


def _extract(dataset: Dataset, args: argparse.Namespace) -> int:
    from metrics.excel import write_table
    from metrics.extract import extract_from_dataset, review_frame

    report = Path(args.report)
    try:
        text, _ = read_report(report)
    except ReviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    frame = review_frame(extract_from_dataset(dataset, text), args.source_id or report.stem)
    if args.format == "xlsx":
        if not args.output:
            print("error: --format xlsx needs -o FILE.xlsx", file=sys.stderr)
            return EXIT_USAGE
        write_table(frame, args.output, "candidates")
    elif args.format == "table":
        _print_table(
            frame[
                [
                    "figure_id",
                    "raw",
                    "value",
                    "unit",
                    "qualifier",
                    "metric",
                    "city",
                    "industry",
                    "period_start",
                    "period_end",
                ]
            ]
        )
    elif args.output:
        frame.to_csv(args.output, index=False, lineterminator="\n")
    else:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    print(f"{len(frame)} candidate figures in {report}", file=sys.stderr)
    return 0


def _print_table(frame: pd.DataFrame) -> None:
    with pd.option_context(
        "display.unicode.east_asian_width", True, "display.width", 250, "display.max_colwidth", 60
    ):
        print(frame.to_string(index=False))


def _synth(args: argparse.Namespace) -> int:
    from metrics.synth import synthesize

    if args.figures < 1:
        print("error: --figures must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        out = synthesize(args.figures, args.output, seed=args.seed)
    except (FileExistsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_OUTPUT
    print(
        f"wrote {args.figures:,} synthetic figures to {out}; check with: "
        f"python -m metrics validate --data {out}"
    )
    return 0


def _add(store: Store, args: argparse.Namespace) -> int:
    try:
        result = add_report(
            args.report,
            args.reviewed,
            store=store,
            source_id=args.source_id,
            title_zh=args.title,
            title_en=args.title_en,
        )
    except (ReviewError, ConflictError) as exc:
        print(f"error: {exc}\nNothing was changed.", file=sys.stderr)
        return EXIT_USAGE
    except DataValidationError as exc:
        print(f"error: the dataset would be invalid.\n{exc}", file=sys.stderr)
        return EXIT_INVALID_DATA
    source = "added" if result.source_added else "already present"
    version = f" (version {result.version})" if result.version else " (nothing changed)"
    print(
        f"source {result.source_id} {source}; {len(result.added)} figures added, "
        f"{len(result.unchanged)} already present{version}"
    )
    return 0


def _withdraw(store: Store, args: argparse.Namespace) -> int:
    try:
        result = store.withdraw(args.source_id, args.reason, actor=default_actor())
    except ConflictError as exc:
        print(f"error: {exc}\nNothing was changed.", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"source {result.source_id} withdrawn: {len(result.figures)} figures left the live "
        f"dataset and stay in the history (version {result.version})"
    )
    return 0


def _history(store: Store, fmt: str) -> int:
    changes = store.history()
    if fmt == "json":
        json.dump(changes.to_dict("records"), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif fmt == "csv":
        changes.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        shown = changes.assign(
            figures=[len(ids.split("|")) if ids else 0 for ids in changes["figure_ids"]]
        )
        _print_table(shown[["version", "at", "actor", "action", "source_id", "figures", "note"]])
    return 0


def _users(store: Store, args: argparse.Namespace) -> int:
    from metrics.curate.accounts import AccountError, new_account
    from metrics.curate.workspace import SELF_APPROVAL, open_workspace

    workspace = open_workspace(store)
    command, actor = args.users_command, default_actor()
    try:
        if command == "list":
            for account in workspace.accounts():
                state = " (disabled)" if account.disabled else ""
                print(f"{account.name}\t{account.role}{state}\t{account.created_at}")
            return 0
        if command == "self-approval":
            if args.state != "show":
                workspace.put_setting(SELF_APPROVAL, args.state)
                workspace.record(actor, "account", note=f"self-approval {args.state}")
            state = workspace.setting(SELF_APPROVAL) or "off"
            print(f"a curator may approve their own submission: {state}")
            return 0
        if command == "add":
            account = new_account(args.name, args.role, _password(args.name))
            workspace.put_account(account, new=True)
            workspace.record(actor, "account", note=f"added {args.name} as {args.role}")
            print(f"account {args.name} added ({args.role}) in {workspace.location}")
            return 0
        account = workspace.account(args.name)
        if account is None:
            print(f"error: there is no account {args.name!r}", file=sys.stderr)
            return EXIT_USAGE
        if command == "passwd":
            changed = replace(account, password_hash=hash_password(_password(args.name)))
        else:
            changed = replace(account, disabled=command == "disable")
        workspace.put_account(changed, new=False)
        workspace.record(actor, "account", note=f"{command} {args.name}")
        print(f"account {args.name}: {command} done")
        return 0
    except (AccountError, ConflictError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _password(name: str) -> str:
    """The new password: from $METRICS_PASSWORD (scripts), else asked for twice, unechoed."""
    from metrics.curate.accounts import AccountError

    given = os.environ.get(PASSWORD_VARIABLE)
    if given:
        return given
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ; nothing was changed")
    return first


def _db(args: argparse.Namespace) -> int:
    url = database_url(args.database)
    if not url:
        print(f"error: name the database: --database URL or ${DATABASE_VARIABLE}", file=sys.stderr)
        return EXIT_USAGE
    from metrics.store.postgres import PostgresStore

    store = PostgresStore(url)
    if args.db_command == "init":
        before, after = store.migrate()
        state = "already at" if before == after else f"upgraded from {before or 'nothing'} to"
        print(f"{store.location}: schema {state} revision {after}")
    elif args.db_command == "import":
        try:
            print(store.import_package(args.directory, actor=default_actor()))
        except DataValidationError as exc:
            print(f"{args.directory}: INVALID; nothing was imported\n{exc}", file=sys.stderr)
            return EXIT_INVALID_DATA
        except ConflictError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    else:
        out = store.dump(args.output)
        print(f"wrote {store.location} to {out}; it validates")
    return 0


def _validate(store: Store, dataset: Dataset) -> int:
    counts = ", ".join(f"{len(frame)} {name}" for name, frame in dataset.tables.items())
    gone = dataset.withdrawn.get("figures")
    kept = f"; {len(gone)} figures of withdrawn reports in the history" if gone is not None else ""
    print(
        f"{store.location}: valid (version {dataset.version}, data package "
        f"{dataset.package_version}): {counts}{kept}"
    )
    return 0


def _figures(dataset: Dataset, filters: Filters, args: argparse.Namespace) -> int:
    """The figures of the view, searched, sorted and paged as the page's table does
    (:func:`metrics.table.table_page`); without --limit or --offset, every matching row."""
    lang, fmt, limit, offset = args.lang, args.format, args.limit, args.offset
    if limit is not None and not 1 <= limit <= MAX_PAGE_SIZE:
        print(
            f"error: --limit is 1 to {MAX_PAGE_SIZE} rows, not {limit}; leave it out for every "
            "matching row, or page with --offset",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if offset < 0:
        print(f"error: --offset is 0 or more, not {offset}", file=sys.stderr)
        return EXIT_USAGE
    if args.desc and not args.sort:
        print(f"error: --desc needs --sort COLUMN ({', '.join(COLUMNS)})", file=sys.stderr)
        return EXIT_USAGE
    query = TableQuery(search=args.search, sort=args.sort, descending=args.desc)
    if limit is None:
        positions = matching(dataset, filters, query, lang)
        total = len(positions)
        records = figure_records(dataset, dataset.figure_view.iloc[positions[offset:]], lang)
    else:
        page = table_page(dataset, filters, query, start=offset, size=limit, lang=lang)
        records, total = page.records, page.total
    if limit is not None or offset:
        if records.empty:
            status = text("cli.rows_none", lang, first=offset + 1, total=total)
        else:
            status = text(
                "cli.rows", lang, first=offset + 1, last=offset + len(records), total=total
            )
        print(status, file=sys.stderr)
    if fmt == "json":
        rows = json.loads(records.to_json(orient="records", force_ascii=False))
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif fmt == "csv":
        out = records.copy()
        for column in ("is_target", "date_inferred"):
            out[column] = out[column].map({True: "true", False: "false"})
        out.to_csv(sys.stdout, index=False, float_format="%.15g", lineterminator="\n")
    elif records.empty:
        if not total:  # a page past the last row prints nothing: the status line says why
            print(text("cli.empty", lang))
    else:
        table = records.copy()
        marks = text("cli.inferred", lang), text("cli.stated", lang)
        table["inferred"] = [marks[0] if x else marks[1] for x in table["date_inferred"]]
        if lang == "en":
            table["city"] = table["city"].map(names(dataset, "cities", "en"))
            english = names(dataset, "industries", "en")
            table["industry"] = [
                " | ".join(english[i] for i in s.split("|")) for s in table["industry"]
            ]
        headers = section("cli.columns", lang)
        _print_table(table[list(_TABLE_COLUMNS)].rename(columns=dict(headers)))
    return 0
