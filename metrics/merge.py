"""Adding a report: turn a report and its reviewed figures into a change of the store.

The review file (``extract``'s candidates, kept and completed by a curator) becomes the
report's rows: its source row, figures and their industries. The store then checks and saves
them as one change, all or nothing (see :mod:`metrics.store`); adding the same report and rows
again changes nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pandas as pd

from metrics.errors import MetricsError
from metrics.store import AddResult, NewReport, Store, open_store

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


def add_report(
    report: str | Path,
    reviewed: str | Path,
    *,
    store: Store | None = None,
    data_dir: str | Path | None = None,
    source_id: str | None = None,
    title_zh: str | None = None,
    title_en: str | None = None,
    actor: str | None = None,
) -> AddResult:
    """Add ``report`` and the figures of ``reviewed`` (csv or xlsx) to the store as one change.

    ``store`` defaults to :func:`metrics.store.open_store` on ``data_dir``. Raises
    :class:`ReviewError` for an unusable report or review file, :class:`ConflictError` when
    they clash with what is stored and :class:`DataValidationError` when a rule is broken; in
    every case the store is unchanged.
    """
    store = store or open_store(data_dir)
    report = Path(report)
    text, raw_bytes = read_report(report)
    source_id = source_id or report.stem
    rows = _read_review(Path(reviewed))
    if not rows:
        raise ReviewError(f"{reviewed} keeps no rows: there is nothing to add")
    figures, links = [], []
    for number, row in enumerate(rows, 1):
        figure = _figure_row(row, number, source_id)
        if figure["figure_id"] in {f["figure_id"] for f in figures}:
            raise ReviewError(
                f"{reviewed}, row {number}: figure_id {figure['figure_id']!r} "
                "appears twice in the review file"
            )
        figures.append(figure)
        industries = dict.fromkeys(i.strip() for i in row.get("industry", "").split("|"))
        links += [{"figure_id": figure["figure_id"], "industry": i} for i in industries if i]
    cities = Counter(f["city"] for f in figures if f["city"])
    source = {
        "source_id": source_id,
        "path": f"sources/{source_id}.txt",
        "sha256": hashlib.sha256(raw_bytes).hexdigest(),
        "title_zh": title_zh or _first_line(text),
        "title_en": title_en or f"Report {source_id}",
        "title_origin": "curator" if title_zh else "first_line",
        "city": cities.most_common(1)[0][0] if cities else "",
        "event_date_inferred": "false",
    }
    rows_by_table = {"sources": [source], "figures": figures, "figure_industries": links}
    files = {source["path"]: raw_bytes}
    return store.add(NewReport(source_id, files, rows_by_table), actor=actor)


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


def _figure_row(row: dict[str, str], number: int, source_id: str) -> dict[str, str]:
    """The figure a reviewed row describes (the review's other columns are ignored by the
    store, which keeps the columns of ``figures.csv``)."""
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
    figure = dict(row, source_id=source_id, derivation=row.get("derivation") or "stated")
    inferred = row.get("date_inferred", "").casefold()
    if inferred not in _TRUE | _FALSE:
        raise ReviewError(f"row {number}: date_inferred {row['date_inferred']!r} is not true/false")
    figure["date_inferred"] = "true" if inferred in _TRUE else "false"
    value = figure.get("value", "")
    if value.endswith(".0"):  # spreadsheets turn 10 into 10.0; the dataset writes whole numbers
        figure["value"] = value[:-2]
    return figure


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().strip("#*").strip()
        if line and not line.startswith("!["):
            return line[:80]
    return "untitled"
