"""Read the tables of a data package and check each against its Frictionless Table Schema.

The rules live in ``datapackage.json`` (field types, required, enum, pattern, minimum/maximum,
unique, primary keys); this module applies them to pandas frames column by column, so checking a
million-row table costs a few vectorized passes instead of a Python loop per cell
(https://specs.frictionlessdata.io/table-schema/). Cross-table and domain rules are in
:mod:`metrics.rules`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from metrics.errors import Problem

# A file with thousands of broken rows must still produce a readable report: list this many rows
# per rule and column, then one line counting the rest.
ROWS_LISTED_PER_RULE = 20


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    constraints: dict[str, Any]
    true_values: tuple[str, ...] = ("true",)
    false_values: tuple[str, ...] = ("false",)

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...]  # (field, resource, field)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass
class Descriptor:
    path: Path
    version: str
    resources: dict[str, Resource] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # as written, so that a copy of the package is byte for byte the same


def _as_tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def read_descriptor(path: Path) -> Descriptor:
    """Parse ``datapackage.json``; a missing or malformed descriptor is a single clear problem."""
    from metrics.errors import DataValidationError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataValidationError(
            [Problem(str(path), None, None, None, "the data package descriptor is missing")]
        ) from None
    return parse_descriptor(text, path)


def parse_descriptor(text: str, path: Path) -> Descriptor:
    """The descriptor in ``text`` (read from ``path``, or kept in a database under that name)."""
    from metrics.errors import DataValidationError

    try:
        raw = json.loads(text)
        resources = {}
        for res in raw["resources"]:
            schema = res["schema"]
            fields = tuple(
                Field(
                    name=f["name"],
                    type=f.get("type", "string"),
                    constraints=f.get("constraints", {}),
                    true_values=tuple(f.get("trueValues", ["true"])),
                    false_values=tuple(f.get("falseValues", ["false"])),
                )
                for f in schema["fields"]
            )
            fks = []
            for fk in schema.get("foreignKeys", []):
                target = fk["reference"]["resource"] or res["name"]  # "" means self (the spec)
                for own, ref in zip(
                    _as_tuple(fk["fields"]), _as_tuple(fk["reference"]["fields"]), strict=True
                ):
                    fks.append((own, target, ref))
            resources[res["name"]] = Resource(
                name=res["name"],
                path=res["path"],
                fields=fields,
                primary_key=_as_tuple(schema.get("primaryKey", [])),
                foreign_keys=tuple(fks),
            )
    except (ValueError, KeyError, TypeError) as exc:
        raise DataValidationError(
            [Problem(str(path), None, None, None, f"not a valid data package descriptor: {exc}")]
        ) from None
    return Descriptor(
        path=path, version=str(raw.get("version", "")), resources=resources, raw=raw, text=text
    )


class ProblemList(list[Problem]):
    """Problems found so far, with a cap on how many rows one rule may list."""

    def rows(
        self, file: str, frame: pd.DataFrame, mask: pd.Series, field: str | None, message: str
    ) -> None:
        """Add one problem per row where ``mask`` is true, naming the row and the cell value."""
        hits = frame.index[np.asarray(mask, dtype=bool)]
        for row in hits[:ROWS_LISTED_PER_RULE]:
            value = frame.at[row, field] if field is not None and field in frame else None
            self.append(Problem(file, int(row), field, value, message))
        if len(hits) > ROWS_LISTED_PER_RULE:
            more = len(hits) - ROWS_LISTED_PER_RULE
            self.append(Problem(file, None, field, None, message, more_rows=more))


def read_text_table(
    source: Path | IO[bytes], name: str, problems: ProblemList
) -> pd.DataFrame | None:
    """Read one CSV table as text: every cell a string, a missing cell the empty string.

    ``source`` is a file (the folder store) or a stream of CSV bytes (PostgreSQL's COPY); a
    table that cannot be read at all is one problem named ``name``, and None comes back.
    """
    try:
        return pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            engine="c",
        )
    except FileNotFoundError:
        problems.append(Problem(name, None, None, None, "file is missing"))
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                name,
                None,
                None,
                None,
                f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                "save it as UTF-8 CSV",
            )
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.append(Problem(name, None, None, None, f"not a readable CSV table: {exc}"))
    return None


def check_table(
    frame: pd.DataFrame,
    resource: Resource,
    problems: ProblemList,
    categorical: Collection[str] = (),
    first_row: int = 1,
) -> pd.DataFrame | None:
    """Check a table read as text against its schema and return it typed.

    The frame's index becomes the 1-based data row, starting at ``first_row`` (rows being
    added to a table of n rows start at n + 1), so every problem names the row it would have
    in the file. Text columns named in ``categorical`` come back as categoricals (categories
    sorted, as ``astype("category")`` makes them), built from the codes the checks computed
    anyway. Returns ``None`` when columns are missing (the problem is recorded).
    """
    name = resource.path
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))

    expected = resource.field_names
    missing = [f for f in expected if f not in frame.columns]
    for column in missing:
        problems.append(Problem(name, None, column, None, "required column is missing"))
    for column in frame.columns:
        if column not in expected:
            problems.append(
                Problem(name, None, column, None, "unknown column: not in datapackage.json")
            )
    if missing:
        return None

    key_fields = set(resource.primary_key) | {own for own, _, _ in resource.foreign_keys}
    columns: dict[str, pd.Series] = {}
    codes: dict[str, np.ndarray | None] = {}
    for spec in resource.fields:
        columns[spec.name], codes[spec.name] = _check_field(
            name,
            frame,
            spec,
            problems,
            is_key=spec.name in key_fields,
            categorical=spec.name in categorical,
        )
    _check_primary_key(name, frame, resource, codes, problems)
    # The columns are new or the text as read: no need for a second copy.
    return pd.DataFrame(columns, index=frame.index, copy=False)


def _check_field(
    file: str,
    frame: pd.DataFrame,
    spec: Field,
    problems: ProblemList,
    *,
    is_key: bool,
    categorical: bool,
) -> tuple[pd.Series, np.ndarray | None]:
    """Check one column; return it typed and, unless it is free text, a code per row that is
    equal where the typed values are (what a primary key compares)."""
    column = frame[spec.name]
    cons = spec.constraints
    # Stray spaces break matching in keys, references, codes and typed values; in free text
    # (quotes, labels, notes) they are harmless, and stripping a million quotes costs seconds.
    if spec.type == "string" and not is_key and not ({"enum", "pattern"} & set(cons)):
        empty = column.to_numpy(dtype=object) == ""
        if spec.required:
            problems.rows(file, frame, empty, spec.name, "required value is empty")
        if cons.get("unique"):
            dup = column.duplicated(keep="first") & ~empty
            problems.rows(
                file, frame, dup, spec.name, "duplicate: this value appears in an earlier row"
            )
        return (column.astype("category") if categorical else column), None

    # Keys, codes, numbers and dates repeat a few distinct values over many rows: every rule
    # below judges each distinct value once, and ``codes`` carries the verdicts back to rows.
    # Plain arrays of Python strings: pandas' string methods cost several times more per value.
    codes, text = pd.factorize(column.to_numpy(dtype=object), sort=categorical)

    def flag(bad: Any, message: str) -> None:
        bad = np.asarray(bad, dtype=bool)
        if bad.any():
            problems.rows(file, frame, bad[codes], spec.name, message)

    stripped = np.array([value.strip() for value in text], dtype=object)
    spaced = stripped != text
    if spaced.any():
        flag(spaced, "leading or trailing spaces; remove them")
        inner, text = pd.factorize(stripped, sort=categorical)
        codes = inner[codes]
    empty = text == ""
    if spec.required:
        flag(empty, "required value is empty")

    values, bad = _convert(pd.Series(text, dtype=column.dtype), spec)
    flag(bad & ~empty, f"not a valid {spec.type}{_HINT[spec.type]}")
    ok = ~empty & ~bad
    if "enum" in cons:
        allowed = cons["enum"]
        flag(ok & ~np.isin(text, allowed), f"must be one of: {', '.join(map(str, allowed))}")
    if "pattern" in cons:
        pattern = re.compile(cons["pattern"])
        matches = [pattern.fullmatch(value) is not None for value in text]
        flag(ok & ~np.array(matches, dtype=bool), f"does not match the pattern {cons['pattern']}")
    if "minimum" in cons:
        flag(ok & (values < cons["minimum"]), f"must be at least {cons['minimum']}")
    if "maximum" in cons:
        flag(ok & (values > cons["maximum"]), f"must be at most {cons['maximum']}")
    if cons.get("unique") and len(text) < len(codes):
        dup = pd.Series(codes).duplicated(keep="first").to_numpy() & ~empty[codes]
        problems.rows(
            file, frame, dup, spec.name, "duplicate: this value appears in an earlier row"
        )
    if spec.type == "string" and categorical:
        categories = pd.Index(text, dtype=column.dtype)
        typed = pd.Categorical.from_codes(codes, categories=categories, validate=False)
        return pd.Series(typed, index=frame.index), codes
    if spec.type == "string" and not spaced.any():
        return column, codes  # the same text: no copy of a million strings
    typed = pd.Series(values.array.take(codes), index=frame.index)
    # Different texts may be one typed value (1 and 1.0): a key compares the typed values.
    return (typed.astype("category") if categorical else typed), pd.factorize(values)[0][codes]


_HINT = {
    "number": " (write digits like 135720000, no units or commas)",
    "integer": " (write a whole number)",
    "boolean": " (write true or false)",
    "date": " (write YYYY-MM-DD)",
    "datetime": " (write YYYY-MM-DDThh:mm:ssZ, in UTC)",
    "string": "",
}


# Table Schema's default formats; a datetime is UTC ("Z"), kept naive like the dates.
_DATE_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%SZ"}


def _convert(text: pd.Series, spec: Field) -> tuple[pd.Series, np.ndarray]:
    """Return the typed column and a mask of cells that do not parse as the field's type."""
    empty = text == ""
    if spec.type in ("number", "integer"):
        numbers = pd.to_numeric(text.where(~empty), errors="coerce").astype("float64")
        bad = ~np.isfinite(numbers.fillna(0.0)) | (numbers.isna() & ~empty)
        if spec.type == "integer":
            bad |= numbers.notna() & (numbers % 1 != 0)
            return numbers.where(~bad).astype("Int64"), bad.to_numpy()
        return numbers.where(~bad), bad.to_numpy()
    if spec.type == "boolean":
        truth = text.isin(spec.true_values)
        bad = ~truth & ~text.isin(spec.false_values)
        return truth.astype(bool), bad.to_numpy()
    if spec.type in ("date", "datetime"):
        dates = pd.to_datetime(text.where(~empty), format=_DATE_FORMATS[spec.type], errors="coerce")
        return dates, (dates.isna() & ~empty).to_numpy()
    return text, np.zeros(len(text), dtype=bool)


def _check_primary_key(
    file: str,
    frame: pd.DataFrame,
    resource: Resource,
    codes: dict[str, np.ndarray | None],
    problems: ProblemList,
) -> None:
    key = list(resource.primary_key)
    if len(key) < 2:  # a single-field key is declared unique on the field and checked there
        return
    # Key fields are never free text, so each has its codes: comparing integers is fast.
    dup = pd.DataFrame({field: codes[field] for field in key}).duplicated(keep="first")
    problems.rows(
        file,
        frame,
        dup.to_numpy(),
        "+".join(key),
        f"duplicate key ({', '.join(key)}): the same combination appears in an earlier row",
    )
