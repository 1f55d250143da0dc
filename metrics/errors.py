"""The one error hierarchy of the metrics package.

Callers catch :class:`MetricsError` to handle anything this package refuses; the subclasses say
what was wrong: the data files, a number phrase, or a query.
"""

from __future__ import annotations

from dataclasses import dataclass


class MetricsError(Exception):
    """Base class of every error the metrics package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file, located precisely enough to fix it by hand.

    ``row`` is the 1-based data row (the header is not counted), so it is the line number in a
    spreadsheet minus one; ``None`` when the problem concerns the whole file. ``more_rows``
    counts further rows with the same problem that were not listed one by one.
    """

    file: str
    row: int | None
    field: str | None
    value: object
    message: str
    more_rows: int = 0

    @property
    def sort_key(self) -> tuple[str, int, int]:
        """File by file: whole-file problems, then rows in order, then the counts of the rest."""
        rank = 2 if self.more_rows else (0 if self.row is None else 1)
        return (self.file, rank, self.row or 0)

    def __str__(self) -> str:
        if self.more_rows:
            return f"{self.file}, field '{self.field}': {self.more_rows} more rows: {self.message}"
        where = self.file
        if self.row is not None:
            where += f", row {self.row} (line {self.row + 1})"
        if self.field is not None:
            where += f", field '{self.field}'"
        if self.value is not None and self.value != "":
            where += f", value {self.value!r}"
        return f"{where}: {self.message}"


class DataValidationError(MetricsError):
    """The dataset breaks one or more rules; every problem found is listed, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the dataset:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class NumberParseError(MetricsError, ValueError):
    """A phrase that should hold a number (如 1.3572亿元) could not be read as one."""


class QueryError(MetricsError, ValueError):
    """A filter names something the dataset does not have, or is malformed."""


class StoreError(MetricsError):
    """The store cannot be read or changed: unreachable, busy, not set up, or read-only.

    Nothing was changed; the message says why and what to do.
    """


class ConflictError(StoreError):
    """A change clashes with what is stored (an id taken by other data, a withdrawn report);
    nothing was changed."""
