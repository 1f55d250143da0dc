"""Rules that span tables or need the report texts: what a Table Schema cannot say.

Each rule answers one question a reader of the dashboard would ask of a number — is the quote
really in the report, does the raw string say this value, does the wording allow this certainty,
does the date add up — and reports every row that fails, never only the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from metrics.errors import NumberParseError, Problem
from metrics.numbers import (
    ParsedNumber,
    count_listed_names,
    detect_qualifier,
    parse_number,
    qualifier_context,
)
from metrics.schema import Descriptor, ProblemList


@dataclass
class Tables:
    """The typed frames of a data package, by resource name, with their paths for messages."""

    frames: dict[str, pd.DataFrame]
    paths: dict[str, str]

    def get(self, name: str) -> pd.DataFrame | None:
        return self.frames.get(name)

    def path(self, name: str) -> str:
        return self.paths[name]


def check_foreign_keys(descriptor: Descriptor, tables: Tables, problems: ProblemList) -> None:
    """Every reference names a row that exists (empty references are allowed: optional)."""
    for name, resource in descriptor.resources.items():
        frame = tables.get(name)
        for own, target, ref in resource.foreign_keys:
            target_frame = tables.get(target)
            if frame is None or target_frame is None:
                continue
            values = frame[own].astype(str)
            known = set(target_frame[ref].astype(str))
            bad = (values != "") & ~values.isin(known)
            target_path = descriptor.resources[target].path
            problems.rows(
                resource.path, frame, bad, own, f"not found in {target_path} (column {ref})"
            )


def read_source_texts(data_dir: Path, tables: Tables, problems: ProblemList) -> dict[str, str]:
    """Read each report text; it must exist, be UTF-8 and match its recorded SHA-256."""
    texts: dict[str, str] = {}
    sources = tables.get("sources")
    if sources is None:
        return texts
    file = tables.path("sources")
    for row, record in sources.iterrows():
        path = data_dir / record["path"]
        try:
            data = path.read_bytes()
        except OSError:
            problems.append(
                Problem(file, int(row), "path", record["path"], "report file is missing")
            )
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != record["sha256"]:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "sha256",
                    record["sha256"],
                    f"the report text has changed (its SHA-256 is now {digest}); reports are kept "
                    "byte for byte as received, so restore it or add it as a new source",
                )
            )
        try:
            texts[record["source_id"]] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "path",
                    record["path"],
                    f"report is not UTF-8 text (offset {exc.start})",
                )
            )
    return texts


def check_quotes(tables: Tables, texts: dict[str, str], problems: ProblemList) -> None:
    """Every quote is a verbatim substring of its own report."""
    for name in ("figures", "events", "company_roles", "platforms"):
        frame = tables.get(name)
        if frame is None:
            continue
        bad = [
            source in texts and quote not in texts[source]
            for source, quote in zip(frame["source_id"], frame["quote"], strict=True)
        ]
        problems.rows(
            tables.path(name),
            frame,
            pd.Series(bad, index=frame.index),
            "quote",
            "not found verbatim in the source report (check every character, "
            "including full-width punctuation)",
        )


def check_figure_numbers(tables: Tables, problems: ProblemList) -> None:
    """raw is in the quote, reads as the value and unit, and the wording allows the qualifier.

    Loops over plain column lists with caches keyed on the phrase and its nearby words: this is
    the one rule that must read every row's text, and a million rows must validate in seconds.
    """
    figures, units = tables.get("figures"), tables.get("units")
    if figures is None or units is None:
        return
    file = tables.path("figures")
    symbol = dict(zip(units["unit"], units["symbol_zh"], strict=True))
    kind = dict(zip(units["unit"], units["kind"], strict=True))
    parsed_cache: dict[str, ParsedNumber | NumberParseError] = {}
    qualifier_cache: dict[tuple[str, str, str], str | NumberParseError] = {}
    columns = [
        figures[c].tolist() for c in ("quote", "raw", "derivation", "value", "unit", "qualifier")
    ]
    for row, (quote, raw, derivation, value, unit, qualifier) in enumerate(
        zip(*columns, strict=True), 1
    ):
        where = quote.find(raw) if raw else -1
        if where < 0:
            problems.append(
                Problem(
                    file,
                    row,
                    "raw",
                    raw,
                    "not found in the quote; raw must be copied from the quote",
                )
            )
            continue
        has_value = value == value  # not NaN
        if derivation == "enumerated":
            _check_enumeration(file, row, raw, value, problems)
        elif has_value:
            parsed = parsed_cache.get(raw)
            if parsed is None:
                try:
                    parsed = parse_number(raw)
                except NumberParseError as exc:
                    parsed = exc
                parsed_cache[raw] = parsed
            if isinstance(parsed, NumberParseError):
                problems.append(Problem(file, row, "raw", raw, str(parsed)))
                continue
            if not _same(parsed.value, value):
                problems.append(
                    Problem(
                        file,
                        row,
                        "value",
                        value,
                        f"raw {raw!r} reads as {parsed.value:g}, not {value:g}",
                    )
                )
            if parsed.counter is not None and unit in symbol and parsed.counter != symbol[unit]:
                problems.append(
                    Problem(
                        file,
                        row,
                        "unit",
                        unit,
                        f"raw {raw!r} is counted in {parsed.counter}, but unit {unit} is written "
                        f"{symbol[unit]}",
                    )
                )
        if kind.get(unit) == "count" and has_value and value % 1:
            problems.append(Problem(file, row, "value", value, "a count must be a whole number"))
        before, after = qualifier_context(quote[:where], quote[where + len(raw) :])
        key = (before, raw, after)
        implied = qualifier_cache.get(key)
        if implied is None:
            try:
                implied = detect_qualifier(*key)
            except NumberParseError as exc:
                implied = exc
            qualifier_cache[key] = implied
        if isinstance(implied, NumberParseError):
            problems.append(Problem(file, row, "qualifier", qualifier, str(implied)))
        elif implied != qualifier:
            problems.append(
                Problem(
                    file,
                    row,
                    "qualifier",
                    qualifier,
                    f"the wording around {raw!r} in the quote means {implied!r}; a figure may not "
                    "claim more (or less) certainty than its text",
                )
            )


def _check_enumeration(file: str, row: int, raw: str, value: float, problems: ProblemList) -> None:
    count = count_listed_names(raw)
    if value == value and value != count:
        problems.append(
            Problem(
                file,
                row,
                "value",
                value,
                f"raw lists {count} names, so an enumerated value must be {count}",
            )
        )


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def check_metric_units(tables: Tables, problems: ProblemList) -> None:
    """A figure's unit is its metric's unit: only like is ever compared or added."""
    figures, metrics = tables.get("figures"), tables.get("metrics")
    if figures is None or metrics is None:
        return
    expected = figures["metric"].map(dict(zip(metrics["metric"], metrics["unit"], strict=True)))
    bad = expected.notna() & (figures["unit"] != expected)
    for metric, unit in sorted(set(zip(figures["metric"][bad], expected[bad], strict=True))):
        problems.rows(
            tables.path("figures"),
            figures,
            bad & (figures["metric"] == metric),
            "unit",
            f"metric {metric} is measured in {unit}",
        )


def check_dates(tables: Tables, problems: ProblemList) -> None:
    """Periods run forwards, match their stated precision, and inferred dates give a reason."""
    for name, start, end, precision in (
        ("figures", "period_start", "period_end", "period_precision"),
        ("events", "start", "end", "precision"),
    ):
        frame = tables.get(name)
        if frame is None:
            continue
        file = tables.path(name)
        s, e, p = frame[start], frame[end], frame[precision]
        valid = s.notna() & e.notna()
        problems.rows(file, frame, valid & (s > e), end, f"{end} is before {start}")
        first_of_month = s.dt.day == 1
        last_of_month = e.dt.is_month_end
        same_month = (s.dt.year == e.dt.year) & (s.dt.month == e.dt.month)
        month_bad = (p == "month") & ~(first_of_month & last_of_month & same_month)
        problems.rows(
            file,
            frame,
            valid & month_bad,
            precision,
            f"month precision needs {start} on the 1st and {end} on the last day of the same month",
        )
        jan1 = (s.dt.month == 1) & first_of_month
        dec31 = (e.dt.month == 12) & (e.dt.day == 31)
        year_bad = (p == "year") & ~(jan1 & dec31 & (s.dt.year == e.dt.year))
        plan_bad = (p == "plan_period") & ~(jan1 & dec31)
        problems.rows(
            file,
            frame,
            valid & year_bad,
            precision,
            f"year precision needs {start} on 1 January and {end} on 31 December of the same year",
        )
        problems.rows(
            file,
            frame,
            valid & plan_bad,
            precision,
            f"plan_period precision needs whole years: {start} on 1 January and "
            f"{end} on 31 December",
        )
        inferred, reason = frame["date_inferred"], frame["date_inference"]
        problems.rows(
            file,
            frame,
            inferred & (reason == ""),
            "date_inference",
            "date_inferred is true, so say why: give an inference_id",
        )
        problems.rows(
            file,
            frame,
            ~inferred & (reason != ""),
            "date_inference",
            "a reason is given but date_inferred is false",
        )


def check_consistency(tables: Tables, problems: ProblemList) -> None:
    """Facts recorded in two tables say the same thing."""
    figures, events = tables.get("figures"), tables.get("events")
    links, sources = tables.get("figure_industries"), tables.get("sources")
    if figures is not None and links is not None:
        problems.rows(
            tables.path("figures"),
            figures,
            ~figures["figure_id"].isin(links["figure_id"]),
            "figure_id",
            "has no industry: add a row to figure_industries.csv",
        )
    if events is not None:
        city = dict(zip(events["event_id"], events["city"], strict=True))
        for name in ("figures", "platforms"):
            frame = tables.get(name)
            if frame is None:
                continue
            event_city = frame["event_id"].map(city)
            bad = event_city.notna() & (event_city != frame["city"])
            problems.rows(
                tables.path(name), frame, bad, "city", "differs from the city of its event"
            )
        problems.rows(
            tables.path("events"),
            events,
            events["parent_event_id"] == events["event_id"],
            "parent_event_id",
            "an event cannot be part of itself",
        )
        if sources is not None:
            _check_source_events(tables.path("sources"), sources, events, problems)
    roles = tables.get("company_roles")
    if roles is not None:
        file = tables.path("company_roles")
        award = (roles["award_zh"] != "") & (roles["award_en"] != "")
        winner = roles["role"] == "award_winner"
        problems.rows(
            file,
            roles,
            winner & ~award,
            "award_zh",
            "an award_winner needs the award's name in award_zh and award_en",
        )
        problems.rows(
            file,
            roles,
            ~winner & (roles["award_zh"] != ""),
            "award_zh",
            "only an award_winner has an award",
        )


def _check_source_events(
    file: str, sources: pd.DataFrame, events: pd.DataFrame, problems: ProblemList
) -> None:
    ev = events.set_index("event_id")
    for row, src in sources.iterrows():
        if src["event_id"] not in ev.index:
            continue
        event = ev.loc[src["event_id"]]
        if pd.notna(src["event_date"]) and src["event_date"] != event["start"]:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "event_date",
                    src["event_date"],
                    f"differs from the start of event {src['event_id']}",
                )
            )
        if src["event_date_inferred"] != event["date_inferred"]:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "event_date_inferred",
                    src["event_date_inferred"],
                    f"differs from date_inferred of event {src['event_id']}",
                )
            )
        if src["city"] != event["city"]:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "city",
                    src["city"],
                    f"differs from the city of event {src['event_id']}",
                )
            )


TABLE_RULES: tuple[Callable[[Tables, ProblemList], None], ...] = (
    check_figure_numbers,
    check_metric_units,
    check_dates,
    check_consistency,
)
