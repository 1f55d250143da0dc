"""A report under review: its text, its candidate figures as a curator edits them, and what the
store would say of them — the same rules as ``validate``, before anything is submitted.

A :class:`Draft` is what the curation page saves after every edit (in the workspace: it
survives a reload or a closed tab). It holds the uploaded report's text and the file's
provenance, one row per candidate figure (the extractor's, and those a curator adds from a
quote), new events, and where it stands: ``draft`` (being reviewed), ``submitted`` (waiting
for a second curator), ``approved`` (in the dataset, with the version that added it).
:func:`report_of` turns it into the store's :class:`~metrics.store.NewReport`, and
:func:`problems_by_row` says what is wrong on which row and field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from metrics.curate.formats import Upload
from metrics.dataset import BUNDLED_DATA_DIR, Dataset
from metrics.errors import MetricsError, Problem
from metrics.extract import extract
from metrics.present import format_amount
from metrics.schema import read_descriptor
from metrics.store import NewReport

PREFECTURES = Path(__file__).resolve().parent.parent / "resources" / "prefectures.csv"
STATUSES = ("draft", "submitted", "approved")


def _columns(table: str) -> tuple[str, ...]:
    """A table's columns as the bundled data package defines them, less the report they come
    from (a draft is one report): so a draft carries every column a later schema adds."""
    resource = read_descriptor(BUNDLED_DATA_DIR / "datapackage.json").resources[table]
    return tuple(name for name in resource.field_names if name != "source_id")


# A candidate row: whether it is kept, the figure's columns (with its industries, which the
# package keeps in a link table), and where its raw is in the text.
FIGURE_FIELDS = (*_columns("figures"), "industry")
ROW_FIELDS = ("keep", *FIGURE_FIELDS, "start", "end")
EVENT_FIELDS = _columns("events")


class DraftError(MetricsError):
    """A draft cannot be changed as asked (a quote not in the text, a submitted draft edited)."""


@dataclass(frozen=True)
class Draft:
    id: str
    owner: str
    source_id: str
    title_zh: str
    title_en: str
    filename: str
    suffix: str
    encoding: str
    original_sha256: str
    text: str
    rows: tuple[dict[str, str], ...] = ()
    events: tuple[dict[str, str], ...] = ()
    status: str = "draft"
    revision: int = 0
    created_at: str = ""
    updated_at: str = ""
    submitted_by: str = ""
    submitted_at: str = ""
    reviewed_by: str = ""
    reviewed_at: str = ""
    comment: str = ""  # why it was sent back, by whom
    version: int = 0  # the dataset version that added it, once approved
    notes: tuple[str, ...] = field(default_factory=tuple)  # what reading the file noticed
    original_is_text: bool = False  # the file is byte for byte the text kept (UTF-8 .txt)

    @property
    def text_path(self) -> str:
        return f"sources/{self.source_id}.txt"

    @property
    def original_path(self) -> str:
        """Where the file as received is kept: only when it is not the stored text itself
        (a .docx, a PDF, a page, a text in GBK or with Windows line ends)."""
        if self.original_is_text:
            return ""
        return f"sources/originals/{self.source_id}{self.suffix}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rows"], data["events"] = list(self.rows), list(self.events)
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Draft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["rows"] = tuple(dict(r) for r in known.get("rows", ()))
        known["events"] = tuple(dict(e) for e in known.get("events", ()))
        known["notes"] = tuple(known.get("notes", ()))
        return cls(**known)


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def national_cities(dataset: Dataset) -> pd.DataFrame:
    """Every city a figure may name: the dataset's and the country's prefecture-level ones
    (``metrics/resources/prefectures.csv``), the dataset's row first where both have one."""
    country = pd.read_csv(PREFECTURES, dtype=str, keep_default_na=False)
    mine = dataset.tables["cities"].astype(str)
    return pd.concat([mine, country[~country["city"].isin(mine["city"])]], ignore_index=True)


def new_draft(
    upload: Upload,
    dataset: Dataset,
    owner: str,
    *,
    filename: str,
    source_id: str = "",
    title_zh: str = "",
    title_en: str = "",
) -> Draft:
    """A draft of an uploaded report, its candidates found by the extractor."""
    draft_id = uuid.uuid4().hex[:12]
    source_id = source_id or suggest_source_id(filename, draft_id)
    check_source_id(source_id)
    cities = national_cities(dataset)
    candidates = extract(
        upload.text,
        cities=dict(zip(cities["city"], cities["province"], strict=True)),
        industries=dataset.industries["industry"].astype(str),
        metrics=dataset.metrics["metric"].astype(str),
    )
    stem = re.sub(r"[^a-z0-9]+", "-", source_id.lower()).strip("-") or "report"
    rows = tuple(
        _row(
            {
                "keep": "yes",
                "figure_id": f"{stem}-{n}",
                "quote": c.quote,
                "raw": c.raw,
                "value": _number(c.value),
                "unit": c.unit,
                "qualifier": c.qualifier,
                "derivation": c.derivation,
                "metric": c.metric,
                "city": c.city,
                "industry": c.industry,
                "period_start": c.period_start,
                "period_end": c.period_end,
                "period_precision": c.period_precision,
                "date_inferred": "true" if c.date_inferred else "false",
                **suggested_labels(dataset, c.metric, c.value, c.unit, c.qualifier),
                "start": str(c.start),
                "end": str(c.end),
            }
        )
        for n, c in enumerate(candidates, 1)
    )
    first = next((line.strip() for line in upload.text.splitlines() if line.strip()), "")
    at = now()
    return Draft(
        id=draft_id,
        owner=owner,
        source_id=source_id,
        title_zh=title_zh or first[:80],
        title_en=title_en or f"Report {source_id}",
        filename=filename,
        suffix=upload.suffix,
        encoding=upload.encoding or "",
        original_sha256=upload.sha256,
        text=upload.text,
        rows=rows,
        created_at=at,
        updated_at=at,
        notes=tuple(upload.notes),
        original_is_text=upload.original == upload.text.encode("utf-8"),
    )


def suggested_labels(
    dataset: Dataset, metric: str, value: float, unit: str, qualifier: str
) -> dict[str, str]:
    """Labels to start from: the metric and the value as the dashboard writes them ("活动销售额：
    超过2亿元"); the curator makes them say what the figure is about."""
    metrics = dataset.metrics.set_index(dataset.metrics["metric"].astype(str))
    if metric not in metrics.index or unit not in dataset.unit_info:
        return {}
    labels = {}
    for lang, column in (("zh", "name_zh"), ("en", "name_en")):
        amount = format_amount(dataset, value, unit, lang, qualifier=qualifier)
        separator = "：" if lang == "zh" else ": "
        labels[f"label_{lang}"] = f"{metrics.at[metric, column]}{separator}{amount}"
    return labels


def suggest_source_id(filename: str, draft_id: str) -> str:
    stem = re.sub(r"[^0-9A-Za-z_]+", "_", Path(filename).stem).strip("_")
    return stem[:60] if stem else f"upload_{draft_id}"


def check_source_id(source_id: str) -> None:
    if not re.fullmatch(r"[0-9A-Za-z_]{1,80}", source_id):
        raise DraftError(
            f"a source id is letters, digits and '_' (it names the report's file), "
            f"not {source_id!r}"
        )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _row(values: Mapping[str, str]) -> dict[str, str]:
    return {name: str(values.get(name, "")) for name in ROW_FIELDS}


def edit_rows(draft: Draft, rows: list[Mapping[str, Any]]) -> Draft:
    """The draft with its rows as the grid now holds them (only the known fields kept)."""
    if draft.status != "draft":
        raise DraftError(f"this report is {draft.status}: it can no longer be edited")
    return replace(draft, rows=tuple(_row({k: _text(v) for k, v in r.items()}) for r in rows))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def add_from_quote(draft: Draft, quote: str, dataset: Dataset) -> Draft:
    """A figure the extractor missed, from a sentence the curator selected or pasted: it must
    be in the text word for word; its number phrases become rows (or one empty row to fill)."""
    quote = quote.strip()
    start = draft.text.find(quote) if quote else -1
    if start < 0:
        raise DraftError("the quote is not in the report word for word: copy it from the text")
    cities = national_cities(dataset)
    found = extract(
        quote,
        cities=dict(zip(cities["city"], cities["province"], strict=True)),
        industries=dataset.industries["industry"].astype(str),
        metrics=dataset.metrics["metric"].astype(str),
    )
    taken = {r["figure_id"] for r in draft.rows}
    stem = re.sub(r"[^a-z0-9]+", "-", draft.source_id.lower()).strip("-") or "report"
    n = len(draft.rows)
    new: list[dict[str, str]] = []
    # What the sentence does not say, the nearest candidate before it usually does (the
    # city, the industries, the period, the event): a start the curator checks.
    before = [r for r in draft.rows if r.get("start", "").isdigit() and int(r["start"]) <= start]
    context = {k: before[-1].get(k, "") for k in _CONTEXT} if before else {}
    for candidate in found or [None]:
        n += 1
        while f"{stem}-{n}" in taken:
            n += 1
        values: dict[str, str] = {
            "keep": "yes",
            "figure_id": f"{stem}-{n}",
            "quote": quote,
            "derivation": "stated",
            **context,
        }
        if candidate is not None:
            values |= {
                "raw": candidate.raw,
                "value": _number(candidate.value),
                "unit": candidate.unit,
                "qualifier": candidate.qualifier,
                "derivation": candidate.derivation,
                "metric": candidate.metric,
                "city": candidate.city,
                "industry": candidate.industry,
                "start": str(start + candidate.start),
                "end": str(start + candidate.end),
                **suggested_labels(
                    dataset, candidate.metric, candidate.value, candidate.unit, candidate.qualifier
                ),
            }
        else:
            values |= {"start": str(start), "end": str(start + len(quote))}
        new.append(_row(values))
    return replace(draft, rows=(*draft.rows, *new))


_CONTEXT = (
    "city",
    "industry",
    "event_id",
    "period_start",
    "period_end",
    "period_precision",
    "date_inferred",
    "date_inference",
)


def kept(draft: Draft) -> list[dict[str, str]]:
    return [r for r in draft.rows if r.get("keep", "yes").casefold() not in ("no", "false", "否")]


def report_of(draft: Draft, dataset: Dataset) -> NewReport:
    """The store's change that approving ``draft`` makes: its source row and files (the text
    as UTF-8, the file as received), its kept figures and their industries, its new events,
    and the rows of the cities it names that the dataset lacks."""
    text = draft.text.encode("utf-8")
    source = {
        "source_id": draft.source_id,
        "path": draft.text_path,
        "sha256": hashlib.sha256(text).hexdigest(),
        "original_path": draft.original_path,
        "original_sha256": draft.original_sha256 if draft.original_path else "",
        "title_zh": draft.title_zh,
        "title_en": draft.title_en,
        "title_origin": "curator",
        "city": _main_city(draft),
        "event_date_inferred": "false",
    }
    figures, links = [], []
    for row in kept(draft):
        figure = {name: row.get(name, "") for name in FIGURE_FIELDS if name != "industry"}
        figure["source_id"] = draft.source_id
        figure["derivation"] = figure["derivation"] or "stated"
        figures.append(figure)
        industries = dict.fromkeys(i.strip() for i in row.get("industry", "").split("|"))
        links += [{"figure_id": row["figure_id"], "industry": i} for i in industries if i]
    events = [dict(e, source_id=draft.source_id) for e in draft.events]
    rows = {"sources": [source], "figures": figures, "figure_industries": links, "events": events}
    cities = national_cities(dataset)
    named = {f["city"] for f in figures} | {e["city"] for e in events} | {source["city"]}
    files = {draft.text_path: text}
    return NewReport(
        draft.source_id,
        files,
        rows,
        references={"cities": cities[cities["city"].isin(named)].to_dict("records")},
    )


def with_original(report: NewReport, draft: Draft, original: bytes) -> NewReport:
    """``report`` with the file as received, where the draft keeps one."""
    if not draft.original_path:
        return report
    return replace(report, files={**report.files, draft.original_path: original})


def _main_city(draft: Draft) -> str:
    cities = [r.get("city", "") for r in kept(draft) if r.get("city")]
    return max(set(cities), key=cities.count) if cities else ""


@dataclass(frozen=True)
class RowProblems:
    """What is wrong with a draft: by grid row and field, and what belongs to no row."""

    rows: dict[int, dict[str, list[Problem]]]
    general: list[Problem]

    @property
    def count(self) -> int:
        return len(self.general) + sum(len(v) for r in self.rows.values() for v in r.values())


def problems_by_row(
    draft: Draft, problems: list[Problem], first_rows: Mapping[str, int]
) -> RowProblems:
    """Each problem of a check of ``draft`` on the grid row and field it is about.

    The check numbers the draft's figures and links as the store would (``first_rows``: the
    row number of each table's first new row); a link's problem is its figure's, under the
    industry column.
    """
    positions = [i for i, r in enumerate(draft.rows) if r in kept(draft)]
    links: list[int] = []
    for position in positions:
        row = draft.rows[position]
        industries = dict.fromkeys(i.strip() for i in row.get("industry", "").split("|"))
        links += [position] * len([i for i in industries if i])
    found: dict[int, dict[str, list[Problem]]] = {}
    general: list[Problem] = []
    for problem in problems:
        where = None
        if problem.file == "figures.csv" and problem.row is not None:
            index = problem.row - first_rows.get("figures", 1)
            where = (positions[index], problem.field) if 0 <= index < len(positions) else None
        elif problem.file == "figure_industries.csv" and problem.row is not None:
            index = problem.row - first_rows.get("figure_industries", 1)
            where = (links[index], "industry") if 0 <= index < len(links) else None
        if where is None:
            general.append(problem)
            continue
        position, column = where
        column = "industry" if column in ("figure_id+industry",) else (column or "figure_id")
        found.setdefault(position, {}).setdefault(column, []).append(problem)
    return RowProblems(found, general)
