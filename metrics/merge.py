"""Adding a report: merge reviewed figures into the dataset, all or nothing.

The new dataset is built in a temporary copy of the data directory beside it (a hidden
``.data-add-*`` sibling), validated by the same loader the app uses, and only then swapped in;
a failure at any step leaves the data directory exactly as it was. Adding the same report and
rows again changes nothing.

Even a process killed outright (``kill -9``) leaves the data directory whole: on Linux the swap
is one atomic exchange of the two directories, so at every instant the data directory is the old
version or the new one. An add counts as done once the new version is in place. A kill before
that leaves only the hidden sibling, which the next add deletes; where the system cannot
exchange directories, the swap is two renames, and a kill between them leaves the old version in
the sibling, which the next add puts back (:func:`recover_interrupted_add`). Nothing is fsynced:
a power cut may still lose what the system had not yet written to disk. Run one add at a time
on a data directory.
"""

from __future__ import annotations

import csv
import ctypes
import errno
import hashlib
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from metrics.dataset import load, resolve_data_dir
from metrics.errors import DataValidationError, MetricsError, Problem

MAX_REPORT_BYTES = 5 * 2**20  # far above any news report; a bigger file is not a report
# What a reviewed row may say to drop it, in either language (an empty keep column keeps it).
_DROP = {"no", "n", "false", "0", "否", "不要", "删除"}
_TRUE = {"true", "yes", "y", "1", "是"}
_FALSE = {"false", "no", "n", "0", "否", ""}


# The columns a reviewer fills in, put first in a review file made by ``extract``: whether to
# keep the row, the new figure's id (suggested) and labels, and optional links and notes.
REVIEW_COLUMNS = (
    "keep",
    "figure_id",
    "label_zh",
    "label_en",
    "event_id",
    "date_inference",
    "notes_zh",
    "notes_en",
    "source_id",
)


class ReviewError(MetricsError):
    """The report or the reviewed file cannot be used; nothing was changed."""


@dataclass(frozen=True)
class AddResult:
    source_id: str
    source_added: bool
    added: tuple[str, ...]  # figure ids added
    unchanged: tuple[str, ...]  # figure ids already present, identical


def add_report(
    report: str | Path,
    reviewed: str | Path,
    *,
    data_dir: str | Path | None = None,
    source_id: str | None = None,
    title_zh: str | None = None,
    title_en: str | None = None,
) -> AddResult:
    """Copy ``report`` into the dataset and merge the figures of ``reviewed`` (csv or xlsx).

    Raises :class:`ReviewError` for an unusable report or review file and
    :class:`DataValidationError` when the merged dataset would break a rule; in both cases the
    data directory is untouched.
    """
    directory = resolve_data_dir(data_dir)
    recover_interrupted_add(directory)
    load(directory)  # refuse to merge into a dataset that is already wrong
    report = Path(report)
    text, raw_bytes = read_report(report)
    source_id = source_id or report.stem
    rows = _read_review(Path(reviewed))
    figures_path = directory / "figures.csv"
    figure_columns = _header(figures_path)
    existing = _rows_by_key(figures_path, "figure_id")
    links = {(r["figure_id"], r["industry"]) for r in _rows(directory / "figure_industries.csv")}

    new_figures, new_links, unchanged = [], [], []
    for number, row in enumerate(rows, 1):
        figure = _figure_row(row, number, figure_columns, source_id)
        industries = [i.strip() for i in row.get("industry", "").split("|") if i.strip()]
        old = existing.get(figure["figure_id"])
        if old is not None:
            differences = [c for c in figure_columns if old.get(c, "") != figure[c]]
            if differences:
                column = differences[0]
                raise ReviewError(
                    f"{reviewed}, row {number}: figure_id {figure['figure_id']!r} already exists "
                    f"with a different {column} ({old.get(column, '')!r}, not "
                    f"{figure[column]!r}); give the new figure its own id"
                )
            unchanged.append(figure["figure_id"])
            continue
        if figure["figure_id"] in {f["figure_id"] for f in new_figures}:
            raise ReviewError(
                f"{reviewed}, row {number}: figure_id {figure['figure_id']!r} "
                "appears twice in the review file"
            )
        new_figures.append(figure)
        new_links += [
            {"figure_id": figure["figure_id"], "industry": i}
            for i in industries
            if (figure["figure_id"], i) not in links
        ]

    report_target = directory / "sources" / f"{source_id}.txt"
    source_added = not report_target.exists()
    if not source_added and report_target.read_bytes() != raw_bytes:
        raise ReviewError(
            f"a different report already has the source id {source_id!r} "
            f"({report_target}); choose another --source-id"
        )
    if not new_figures and not source_added:
        return AddResult(source_id, False, (), tuple(unchanged))

    if not rows:
        raise ReviewError(f"{reviewed} keeps no rows: there is nothing to add")
    source_row = None
    if source_added:
        cities = Counter(f["city"] for f in new_figures if f["city"])
        source_row = {
            "source_id": source_id,
            "path": f"sources/{source_id}.txt",
            "sha256": hashlib.sha256(raw_bytes).hexdigest(),
            "title_zh": title_zh or _first_line(text),
            "title_en": title_en or f"Report {source_id}",
            "title_origin": "curator" if title_zh else "first_line",
            "city": cities.most_common(1)[0][0] if cities else "",
            "event_date_inferred": "false",
        }
    _build_and_swap(directory, raw_bytes, report_target.name, source_row, new_figures, new_links)
    return AddResult(
        source_id, source_added, tuple(f["figure_id"] for f in new_figures), tuple(unchanged)
    )


def read_report(path: Path) -> tuple[str, bytes]:
    """A report's text and bytes; refuses what is too big, binary or not UTF-8."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReviewError(f"cannot read the report {path}: {exc.strerror}") from None
    if size > MAX_REPORT_BYTES:
        raise ReviewError(
            f"{path} is {size:,} bytes; a report text is at most "
            f"{MAX_REPORT_BYTES:,} (is it really a text report?)"
        )
    data = path.read_bytes()
    if b"\x00" in data:
        raise ReviewError(f"{path} is not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError as exc:
        raise ReviewError(
            f"{path} is not UTF-8 text (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None


def _read_review(path: Path) -> list[dict[str, str]]:
    """The reviewed rows as text, whatever the reviewer saved: csv (UTF-8) or xlsx."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            raise ReviewError(f"{path}: a review file is .csv or .xlsx")
    except FileNotFoundError:
        raise ReviewError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ReviewError(
            f"{path} is not UTF-8; save the review as UTF-8 CSV or as .xlsx"
        ) from None
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        raise ReviewError(f"{path} cannot be read as a table: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    required = (
        "figure_id",
        "quote",
        "raw",
        "value",
        "unit",
        "qualifier",
        "metric",
        "city",
        "industry",
        "label_zh",
        "label_en",
        "period_start",
        "period_end",
        "period_precision",
    )
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ReviewError(
            f"{path} lacks the column(s) {', '.join(missing)}: fill them in for "
            "every figure to keep (see README, 'How to add a report')"
        )
    rows = [{k: str(v).strip() for k, v in row.items()} for row in frame.to_dict("records")]
    return [r for r in rows if r.get("keep", "").casefold() not in _DROP]


def _figure_row(row: dict[str, str], number: int, columns: list[str], source_id: str) -> dict:
    if row.get("source_id") and row["source_id"] != source_id:
        raise ReviewError(
            f"row {number}: source_id {row['source_id']!r} is not the report being "
            f"added ({source_id!r})"
        )
    if not row.get("figure_id"):
        raise ReviewError(
            f"row {number} ({row.get('raw', '')!r}) has no figure_id: give every "
            "figure you keep an id, or put 否/no in its keep column"
        )
    figure = {column: row.get(column, "") for column in columns}
    figure["source_id"] = source_id
    figure["derivation"] = figure["derivation"] or "stated"
    inferred = row.get("date_inferred", "").casefold()
    if inferred not in _TRUE | _FALSE:
        raise ReviewError(f"row {number}: date_inferred {row['date_inferred']!r} is not true/false")
    figure["date_inferred"] = "true" if inferred in _TRUE else "false"
    value = figure["value"]
    if value.endswith(".0"):  # spreadsheets turn 10 into 10.0; the dataset writes whole numbers
        figure["value"] = value[:-2]
    return figure


def _build_and_swap(
    directory: Path,
    report: bytes,
    report_name: str,
    source_row: dict | None,
    figures: list[dict],
    links: list[dict],
) -> None:
    """Write the merged dataset into a sibling copy, validate it, then swap it in."""
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-add-", dir=directory.parent))
    candidate = staging / directory.name
    try:
        shutil.copytree(directory, candidate)
        (candidate / "sources" / report_name).write_bytes(report)
        if source_row:
            _append(candidate / "sources" / "sources.csv", [source_row])
        _append(candidate / "figures.csv", figures)
        _append(candidate / "figure_industries.csv", links)
        try:
            load(candidate)
        except DataValidationError as exc:
            raise DataValidationError(
                [
                    *exc.problems,
                    Problem(
                        str(directory),
                        None,
                        None,
                        None,
                        "nothing was added: the data directory is unchanged",
                    ),
                ]
            ) from None
        _swap(directory, candidate, staging / "previous")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(directory: Path, candidate: Path, previous: Path) -> None:
    """Put ``candidate`` in the place of ``directory``, which is never missing where the system
    can exchange two directories at once; elsewhere by two renames, undone on any exception."""
    if _exchange(candidate, directory):
        return  # ``candidate`` now holds the old version, deleted with the staging directory
    os.replace(directory, previous)
    try:
        os.replace(candidate, directory)
    except BaseException:  # Ctrl-C too: the old version goes back before the staging is deleted
        os.replace(previous, directory)
        raise


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``, glibc 2.28+).

    False where the system or the file system cannot: the caller falls back to two renames.
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):  # not Linux (or an old C library)
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # no such call, or not here
        return False
    raise OSError(code, os.strerror(code), str(b))


def recover_interrupted_add(data_dir: str | Path | None = None) -> bool:
    """Clean up after an add that was killed; True if the data directory had to be put back.

    A killed add leaves its hidden staging sibling behind: deleted. If it was killed between the
    two renames of the fallback swap, the data directory is missing and its old version is the
    staging's ``previous``: it is put back, since that add never finished (run it again).
    """
    directory = resolve_data_dir(data_dir)
    restored = False
    siblings = directory.parent.iterdir() if directory.parent.is_dir() else ()
    for staging in sorted(p for p in siblings if p.name.startswith(f".{directory.name}-add-")):
        previous = staging / "previous"
        if not directory.exists() and previous.is_dir():
            os.replace(previous, directory)
            restored = True
        shutil.rmtree(staging, ignore_errors=True)
    return restored


def _append(path: Path, rows: list[dict]) -> None:
    """Append rows in the file's own column order, leaving every existing byte as it was."""
    if not rows:
        return
    header = _header(path)
    with path.open("a", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        writer.writerows({c: row.get(c, "") for c in header} for row in rows)


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _rows_by_key(path: Path, key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in _rows(path)}


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().strip("#*").strip()
        if line and not line.startswith("!["):
            return line[:80]
    return "untitled"
