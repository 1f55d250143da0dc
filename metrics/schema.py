"""Read the tables of a data package and check each against its Frictionless Table Schema.

The rules live in ``datapackage.json`` (field types, required, enum, pattern, minimum/maximum,
unique, primary keys); this module applies them to pandas frames column by column, so checking a
million-row table costs a few vectorized passes instead of a Python loop per cell
(https://specs.frictionlessdata.io/table-schema/). Cross-table and domain rules are in
:mod:`metrics.rules`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def _as_tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def read_descriptor(path: Path) -> Descriptor:
    """Parse ``datapackage.json``; a missing or malformed descriptor is a single clear problem."""
    from metrics.errors import DataValidationError

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
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
    except FileNotFoundError:
        raise DataValidationError(
            [Problem(str(path), None, None, None, "the data package descriptor is missing")]
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DataValidationError(
            [Problem(str(path), None, None, None, f"not a valid data package descriptor: {exc}")]
        ) from None
    return Descriptor(path=path, version=str(raw.get("version", "")), resources=resources, raw=raw)


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


def read_table(data_dir: Path, resource: Resource, problems: ProblemList) -> pd.DataFrame | None:
    """Read one CSV as text, check it against its schema and return it typed.

    The frame's index is the 1-based data row, so every later problem can name its row. Returns
    ``None`` when the file cannot be read at all (the problem is recorded).
    """
    path = data_dir / resource.path
    name = resource.path
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
    except FileNotFoundError:
        problems.append(Problem(name, None, None, None, "file is missing"))
        return None
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
        return None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.append(Problem(name, None, None, None, f"not a readable CSV table: {exc}"))
        return None
    frame.index = pd.RangeIndex(1, len(frame) + 1)

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
    for spec in resource.fields:
        frame[spec.name] = _check_field(name, frame, spec, problems, is_key=spec.name in key_fields)
    _check_primary_key(name, frame, resource, problems)
    return frame[list(expected)]


def _check_field(
    file: str, frame: pd.DataFrame, spec: Field, problems: ProblemList, *, is_key: bool
) -> pd.Series:
    # Stray spaces break matching in keys, references, codes and typed values; in free text
    # (quotes, labels, notes) they are harmless, and stripping a million quotes costs seconds.
    free_text = (
        spec.type == "string" and not is_key and not ({"enum", "pattern"} & set(spec.constraints))
    )
    text = frame[spec.name] if free_text else frame[spec.name].str.strip()
    if not free_text and not text.equals(frame[spec.name]):
        problems.rows(
            file,
            frame,
            text != frame[spec.name],
            spec.name,
            "leading or trailing spaces; remove them",
        )
    empty = text == ""
    cons = spec.constraints
    if spec.required:
        problems.rows(file, frame, empty, spec.name, "required value is empty")

    typed, bad = _convert(text, spec)
    problems.rows(
        file, frame, bad & ~empty, spec.name, f"not a valid {spec.type}{_HINT[spec.type]}"
    )
    ok = ~empty & ~bad

    if "enum" in cons:
        allowed = cons["enum"]
        problems.rows(
            file,
            frame,
            ok & ~text.isin(allowed),
            spec.name,
            f"must be one of: {', '.join(map(str, allowed))}",
        )
    if "pattern" in cons:
        matches = text.str.fullmatch(cons["pattern"]).fillna(False).astype(bool)
        problems.rows(
            file, frame, ok & ~matches, spec.name, f"does not match the pattern {cons['pattern']}"
        )
    if "minimum" in cons:
        problems.rows(
            file,
            frame,
            ok & (typed < cons["minimum"]),
            spec.name,
            f"must be at least {cons['minimum']}",
        )
    if "maximum" in cons:
        problems.rows(
            file,
            frame,
            ok & (typed > cons["maximum"]),
            spec.name,
            f"must be at most {cons['maximum']}",
        )
    if cons.get("unique"):
        dup = text.duplicated(keep="first") & ~empty
        problems.rows(
            file, frame, dup, spec.name, "duplicate: this value appears in an earlier row"
        )
    return typed


_HINT = {
    "number": " (write digits like 135720000, no units or commas)",
    "integer": " (write a whole number)",
    "boolean": " (write true or false)",
    "date": " (write YYYY-MM-DD)",
    "string": "",
}


def _convert(text: pd.Series, spec: Field) -> tuple[pd.Series, pd.Series]:
    """Return the typed column and a mask of cells that do not parse as the field's type."""
    empty = text == ""
    if spec.type in ("number", "integer"):
        numbers = pd.to_numeric(text.where(~empty), errors="coerce").astype("float64")
        bad = ~np.isfinite(numbers.fillna(0.0)) | (numbers.isna() & ~empty)
        if spec.type == "integer":
            bad |= numbers.notna() & (numbers % 1 != 0)
            return numbers.where(~bad).astype("Int64"), bad
        return numbers.where(~bad), bad
    if spec.type == "boolean":
        truth = text.isin(spec.true_values)
        bad = ~truth & ~text.isin(spec.false_values)
        return truth.astype(bool), bad
    if spec.type == "date":
        dates = pd.to_datetime(text.where(~empty), format="%Y-%m-%d", errors="coerce")
        return dates, dates.isna() & ~empty
    return text, pd.Series(False, index=text.index)


def _check_primary_key(
    file: str, frame: pd.DataFrame, resource: Resource, problems: ProblemList
) -> None:
    key = list(resource.primary_key)
    if len(key) < 2:  # a single-field key is declared unique on the field and checked there
        return
    dup = frame.duplicated(subset=key, keep="first")
    problems.rows(
        file,
        frame,
        dup,
        "+".join(key),
        f"duplicate key ({', '.join(key)}): the same combination appears in an earlier row",
    )
