"""Rules that span tables or need the report texts: what a Table Schema cannot say.

Each rule answers one question a reader of the dashboard would ask of a number — is the quote
really in the report, does the raw string say this value, does the wording allow this certainty,
does the date add up — and reports every row that fails, never only the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metrics.errors import NumberParseError, Problem
from metrics.numbers import (
    QUALIFIER_CONTEXT,
    ParsedNumber,
    count_listed_names,
    detect_qualifier,
    parse_number,
    qualifier_bounds,
)
from metrics.schema import Descriptor, ProblemList


@dataclass
class Tables:
    """The typed frames of a data package, by resource name, with their paths for messages.

    ``frames`` are the rows being checked: every row of a package being loaded, or only the
    rows a change adds. ``refs`` are further rows that checked rows may refer to (the stored
    rows a change's rows name: its event, its unit, an existing id it must not repeat); a
    rule that looks something up reads :meth:`ref`, which is both. Loading a whole package
    has no ``refs``: then :meth:`ref` is the frame itself, and nothing is copied.
    """

    frames: dict[str, pd.DataFrame]
    paths: dict[str, str]
    refs: dict[str, pd.DataFrame] = field(default_factory=dict)
    _found: dict[tuple[str, str, str, str], np.ndarray] = field(default_factory=dict, repr=False)
    _joined: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def get(self, name: str) -> pd.DataFrame | None:
        """The rows of ``name`` being checked."""
        return self.frames.get(name)

    def ref(self, name: str) -> pd.DataFrame | None:
        """Every known row of ``name``: those being checked and those they may refer to."""
        if name not in self.refs:
            return self.frames.get(name)
        if name not in self._joined:
            parts = [f for f in (self.frames.get(name), self.refs[name]) if f is not None]
            self._joined[name] = pd.concat(parts) if len(parts) > 1 else parts[0]
        return self._joined[name]

    def path(self, name: str) -> str:
        return self.paths[name]

    def withdrawn(self) -> frozenset[str]:
        """The sources a change withdrew from the live dataset (see ``changes.csv``)."""
        changes = self.ref("changes")
        if changes is None:
            return frozenset()
        return frozenset(
            as_objects(changes["source_id"])[as_objects(changes["action"]) == "withdraw"]
        )

    def found_in(self, name: str, column: str, target: str, ref: str) -> np.ndarray:
        """Whether each value of ``column`` in table ``name`` is a value of ``ref`` in ``target``.

        One hashing of both columns answers the reverse question too, and is kept for it: the
        million figures and their industry links are checked both ways (a foreign key, and
        "every figure has an industry"), and each way alone costs as much as the hashing.
        """
        if (name, column, target, ref) not in self._found:
            one, other = self.ref(name)[column], self.ref(target)[ref]  # type: ignore[index]
            both = np.concatenate([as_objects(one), as_objects(other)])
            codes, distinct = pd.factorize(both, use_na_sentinel=False)
            mine, theirs = codes[: len(one)], codes[len(one) :]
            for key, values, known in (
                ((name, column, target, ref), mine, theirs),
                ((target, ref, name, column), theirs, mine),
            ):
                present = np.zeros(len(distinct), dtype=bool)
                present[known] = True
                self._found[key] = present[values]
        found = self._found[(name, column, target, ref)]
        checked = self.frames.get(name)
        # The rows being checked come first in ref(name): the answer for them is the start.
        return found[: len(checked)] if checked is not None else found


def as_objects(column: pd.Series) -> np.ndarray:
    """The column as an array of Python strings (NaN where missing), for comparing two columns.

    Two categorical columns compare only if their categories are the same; plain arrays of a
    million strings compare in milliseconds.
    """
    return column.to_numpy(dtype=object)


def check_foreign_keys(descriptor: Descriptor, tables: Tables, problems: ProblemList) -> None:
    """Every reference names a row that exists (empty references are allowed: optional).

    A categorical column is looked up by its few categories, not its million rows; a text
    column through :meth:`Tables.found_in`, whose answer a later rule reuses.
    """
    for name, resource in descriptor.resources.items():
        frame = tables.get(name)
        for own, target, ref in resource.foreign_keys:
            target_frame = tables.ref(target)
            if frame is None or target_frame is None:
                continue
            values = frame[own]
            if isinstance(values.dtype, pd.CategoricalDtype):
                found = values.isin(target_frame[ref]).to_numpy()
            else:
                found = tables.found_in(name, own, target, ref)
            bad = (values != "") & ~found
            target_path = descriptor.resources[target].path
            problems.rows(
                resource.path, frame, bad, own, f"not found in {target_path} (column {ref})"
            )


ReadReport = Callable[[str], bytes]
"""Reads a report's bytes by its ``sources.path`` (a file, or a row of the database); raises
``OSError`` (``FileNotFoundError``) when there is none."""


def read_source_texts(read: ReadReport, tables: Tables, problems: ProblemList) -> dict[str, str]:
    """Read each known report's text; it must exist, be UTF-8 and match its recorded SHA-256.

    The rows being checked are checked whole (their files, the original as received too); a
    stored report they refer to was when it was stored, and only its text is read, for the
    quotes of the new rows.
    """
    texts: dict[str, str] = {}
    sources = tables.ref("sources")
    if sources is None:
        return texts
    checked = tables.get("sources")
    file = tables.path("sources")
    for row, source_id, relative, recorded in zip(
        sources.index, sources["source_id"], sources["path"], sources["sha256"], strict=True
    ):
        try:
            data = read(relative)
        except OSError:
            problems.append(Problem(file, int(row), "path", relative, "report file is missing"))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != recorded:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "sha256",
                    recorded,
                    f"the report text has changed (its SHA-256 is now {digest}); reports are kept "
                    "byte for byte as received, so restore it or add it as a new source",
                )
            )
        try:
            texts[source_id] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "path",
                    relative,
                    f"report is not UTF-8 text (offset {exc.start})",
                )
            )
    if checked is not None:
        _check_originals(read, file, checked, problems)
    return texts


def _check_originals(
    read: ReadReport, file: str, sources: pd.DataFrame, problems: ProblemList
) -> None:
    """A report received as a .docx, .pdf or .html file keeps that file too, byte for byte."""
    if "original_path" not in sources:
        return
    for row, relative, recorded in zip(
        sources.index, sources["original_path"], sources["original_sha256"], strict=True
    ):
        if not relative and not recorded:
            continue
        if not relative or not recorded:
            field, value = ("original_sha256", recorded) if recorded else ("original_path", "")
            problems.append(
                Problem(
                    file,
                    int(row),
                    field,
                    value,
                    "original_path and original_sha256 are given together or not at all",
                )
            )
            continue
        try:
            digest = hashlib.sha256(read(relative)).hexdigest()
        except OSError:
            problems.append(
                Problem(file, int(row), "original_path", relative, "original file is missing")
            )
            continue
        if digest != recorded:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "original_sha256",
                    recorded,
                    f"the original file has changed (its SHA-256 is now {digest}); it is kept "
                    "byte for byte as received",
                )
            )


def check_quotes(tables: Tables, texts: dict[str, str], problems: ProblemList) -> None:
    """Every quote is a verbatim substring of its own report."""
    for name in ("figures", "events", "company_roles", "platforms"):
        frame = tables.get(name)
        if frame is None:
            continue
        # A quote whose report is missing or unreadable is checked against itself: that
        # report's problem is already recorded, and the quote cannot be judged without it.
        bad = [
            quote not in texts.get(source, quote)
            for source, quote in zip(
                as_objects(frame["source_id"]), as_objects(frame["quote"]), strict=True
            )
        ]
        problems.rows(
            tables.path(name),
            frame,
            pd.Series(bad, index=frame.index),
            "quote",
            "not found verbatim in the source report (check every character, "
            "including full-width punctuation)",
        )


# A bound as a bit, so that the bounds of a raw and of the words around it combine with "|";
# _MEANING[bits] is the qualifier they imply together, None where two bounds make it ambiguous.
_BOUND_BITS = {"at_least": 1, "more_than": 2, "approx": 4}
_MEANING = np.full(8, None, dtype=object)
_MEANING[0] = "exact"
_MEANING[list(_BOUND_BITS.values())] = list(_BOUND_BITS)


def _bound_bits(bounds: Iterable[str]) -> int:
    return sum(_BOUND_BITS[bound] for bound in bounds)


def _each(
    items: Iterable[Any], read: Callable[[Any], object], dtype: type = np.int64
) -> np.ndarray:
    """``read`` of each item, as an array (of ``dtype`` even when there are no items)."""
    return np.array([read(item) for item in items], dtype=dtype)


def _used(codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The distinct codes of the selected rows, without sorting a million of them."""
    used = np.zeros(codes.max(initial=-1) + 1, dtype=bool)
    used[codes[rows]] = True
    return np.flatnonzero(used)


def _wording_bits(
    quotes: list[str],
    starts: np.ndarray,
    stops: np.ndarray,
    bounds: Callable[[str], frozenset[str]],
) -> np.ndarray:
    """The bound bits of each row's words ``quote[start:stop]``, reading each distinct one once.

    A million quotes repeat a few hundred slices of wording next to their numbers.
    """
    words = [q[a:b] for q, a, b in zip(quotes, starts.tolist(), stops.tolist(), strict=True)]
    codes, distinct = pd.factorize(np.array(words, dtype=object))
    return _each(distinct, lambda text: _bound_bits(bounds(text)))[codes]


def check_figure_numbers(tables: Tables, problems: ProblemList) -> None:
    """raw is in the quote, reads as the value and unit, and the wording allows the qualifier.

    A million figures repeat a few thousand phrases and a few hundred words around them, so
    only finding raw in its quote is done row by row: each distinct raw is parsed once, each
    distinct slice of wording before and after it is read once (see ``qualifier_bounds``), and
    numpy carries the verdicts back to the rows. Problems come out rule by rule, not row by row;
    the final sort puts them in row order, each row's in the order of the rules here.
    """
    figures, units = tables.get("figures"), tables.ref("units")
    if figures is None or units is None:
        return
    file = tables.path("figures")
    rows = figures.index  # the 1-based row of each position
    quotes, raws = figures["quote"].tolist(), figures["raw"].tolist()
    values = figures["value"].to_numpy(dtype=float)
    unit, qualifier = as_objects(figures["unit"]), as_objects(figures["qualifier"])

    def report(
        mask: np.ndarray, field: str, value: Callable[[int], object], message: Callable[[int], str]
    ) -> None:
        """One problem per row of ``mask``, with that row's value and message (by position)."""
        for i in np.flatnonzero(mask):
            problems.append(Problem(file, int(rows[i]), field, value(i), message(i)))

    where = np.array(
        [q.find(r) if r else -1 for q, r in zip(quotes, raws, strict=True)], dtype=np.int64
    )
    found = where >= 0
    report(
        ~found,
        "raw",
        raws.__getitem__,
        lambda i: "not found in the quote; raw must be copied from the quote",
    )
    has_value = ~np.isnan(values)
    codes, distinct = pd.factorize(np.array(raws, dtype=object))

    enumerated = found & (as_objects(figures["derivation"]) == "enumerated")
    counts = np.full(len(distinct), -1)
    for code in _used(codes, enumerated):
        counts[code] = count_listed_names(distinct[code])
    report(
        enumerated & has_value & (values != counts[codes]),
        "value",
        lambda i: float(values[i]),
        lambda i: (
            f"raw lists {counts[codes[i]]} names, so an enumerated value must be {counts[codes[i]]}"
        ),
    )

    stated = found & ~enumerated & has_value
    parsed: list[ParsedNumber | NumberParseError | None] = [None] * len(distinct)
    for code in _used(codes, stated):
        try:
            parsed[code] = parse_number(distinct[code])
        except NumberParseError as exc:
            parsed[code] = exc
    failed = stated & _each(parsed, lambda p: isinstance(p, NumberParseError), bool)[codes]
    report(failed, "raw", raws.__getitem__, lambda i: str(parsed[codes[i]]))
    read = stated & ~failed
    reads_as = _each(parsed, lambda p: getattr(p, "value", np.nan), float)[codes]
    tolerance = 1e-9 * np.maximum(np.maximum(np.abs(reads_as), np.abs(values)), 1.0)
    report(
        read & ~(np.abs(reads_as - values) <= tolerance),
        "value",
        lambda i: float(values[i]),
        lambda i: f"raw {raws[i]!r} reads as {reads_as[i]:g}, not {values[i]:g}",
    )
    counter = _each(parsed, lambda p: getattr(p, "counter", None), object)[codes]
    written = as_objects(
        figures["unit"].map(dict(zip(units["unit"], units["symbol_zh"], strict=True)))
    )
    report(
        read & pd.notna(counter) & pd.notna(written) & (counter != written),
        "unit",
        unit.__getitem__,
        lambda i: (
            f"raw {raws[i]!r} is counted in {counter[i]}, but unit {unit[i]} is written "
            f"{written[i]}"
        ),
    )

    checked = found & ~failed
    kind = as_objects(figures["unit"].map(dict(zip(units["unit"], units["kind"], strict=True))))
    report(
        checked & (kind == "count") & has_value & (values % 1 != 0),
        "value",
        lambda i: float(values[i]),
        lambda i: "a count must be a whole number",
    )

    def raw_bits(raw: str, number: ParsedNumber | NumberParseError | None) -> int:
        # A raw that parsed needs no second reading: its ParsedNumber.qualifier comes from the
        # very words in it that qualifier_bounds reads.
        if isinstance(number, ParsedNumber):
            return _BOUND_BITS.get(number.qualifier, 0)
        return _bound_bits(qualifier_bounds("", raw))

    before_chars, after_chars = QUALIFIER_CONTEXT
    at = np.where(found, where, 0)
    ends = at + _each(distinct, len)[codes] * found
    starts, stops = np.maximum(at - before_chars, 0), ends + after_chars
    bits = _each(zip(distinct, parsed, strict=True), lambda item: raw_bits(*item))[codes]
    bits |= _wording_bits(quotes, starts, at, lambda before: qualifier_bounds(before, ""))
    bits |= _wording_bits(quotes, ends, stops, lambda after: qualifier_bounds("", "", after))
    implied = _MEANING[bits]
    for i in np.flatnonzero(checked & pd.isna(implied)):
        quote = quotes[i]
        try:
            detect_qualifier(quote[starts[i] : at[i]], raws[i], quote[ends[i] : stops[i]])
        except NumberParseError as exc:  # always: these words imply two bounds
            problems.append(Problem(file, int(rows[i]), "qualifier", qualifier[i], str(exc)))
    report(
        checked & pd.notna(implied) & (implied != qualifier),
        "qualifier",
        qualifier.__getitem__,
        lambda i: (
            f"the wording around {raws[i]!r} in the quote means {implied[i]!r}; a figure "
            "may not claim more (or less) certainty than its text"
        ),
    )


def check_metric_units(tables: Tables, problems: ProblemList) -> None:
    """A figure's unit is its metric's unit: only like is ever compared or added."""
    figures, metrics = tables.get("figures"), tables.ref("metrics")
    if figures is None or metrics is None:
        return
    metric = as_objects(figures["metric"])
    unit_of = dict(zip(metrics["metric"], metrics["unit"], strict=True))
    expected = as_objects(figures["metric"].map(unit_of))
    bad = pd.notna(expected) & (as_objects(figures["unit"]) != expected)
    for name, unit in sorted(set(zip(metric[bad], expected[bad], strict=True))):
        problems.rows(
            tables.path("figures"),
            figures,
            bad & (metric == name),
            "unit",
            f"metric {name} is measured in {unit}",
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
    figures, events = tables.get("figures"), tables.ref("events")
    links, sources = tables.ref("figure_industries"), tables.get("sources")
    if figures is not None and links is not None:
        problems.rows(
            tables.path("figures"),
            figures,
            ~tables.found_in("figures", "figure_id", "figure_industries", "figure_id"),
            "figure_id",
            "has no industry: add a row to figure_industries.csv",
        )
    if events is not None:
        city = dict(zip(events["event_id"], events["city"], strict=True))
        for name in ("figures", "platforms"):
            frame = tables.get(name)
            if frame is None:
                continue
            event_city = as_objects(frame["event_id"].map(city))
            bad = pd.notna(event_city) & (event_city != as_objects(frame["city"]))
            problems.rows(
                tables.path(name), frame, bad, "city", "differs from the city of its event"
            )
        checked = tables.get("events")
        if checked is not None:
            problems.rows(
                tables.path("events"),
                checked,
                as_objects(checked["parent_event_id"]) == as_objects(checked["event_id"]),
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
    """A source's event date, inferred flag and city are those of its event."""
    event = {
        event_id: (start, inferred, city)
        for event_id, start, inferred, city in zip(
            events["event_id"],
            events["start"],
            events["date_inferred"],
            events["city"],
            strict=True,
        )
    }
    for row, event_id, date, inferred, city in zip(
        sources.index,
        sources["event_id"],
        sources["event_date"],
        sources["event_date_inferred"],
        sources["city"],
        strict=True,
    ):
        if event_id not in event:
            continue
        event_start, event_inferred, event_city = event[event_id]
        if pd.notna(date) and date != event_start:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "event_date",
                    date,
                    f"differs from the start of event {event_id}",
                )
            )
        if inferred != event_inferred:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "event_date_inferred",
                    inferred,
                    f"differs from date_inferred of event {event_id}",
                )
            )
        if city != event_city:
            problems.append(
                Problem(file, int(row), "city", city, f"differs from the city of event {event_id}")
            )


TABLE_RULES: tuple[Callable[[Tables, ProblemList], None], ...] = (
    check_figure_numbers,
    check_metric_units,
    check_dates,
    check_consistency,
)
