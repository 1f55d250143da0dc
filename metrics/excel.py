"""Writing cells an analyst can trust: numbers stay numbers, text never runs as a formula.

Qualifiers are shown by the number format, not by turning the number into text: 5 with the
format ``"≥"0`` displays as ≥5 and still sums, sorts and charts as 5 in Excel and LibreOffice.
Text that starts like a formula (=, +, -, @, or a tab/CR that some programs strip first) is
stored as a string with Excel's quote prefix, so neither opening nor editing the cell evaluates
it (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUALIFIER_PREFIX = {"exact": "", "at_least": "≥", "more_than": ">", "approx": "~"}
TARGET_PREFIX = {"zh": "目标 ", "en": "Target "}
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def number_format(
    decimals: int, *, qualifier: str = "exact", approximate: bool = False, target: str = ""
) -> str:
    """An Excel number format that shows the qualifier (and a target mark) before the number."""
    prefix = QUALIFIER_PREFIX[qualifier]
    if approximate and prefix != "~":
        prefix += "~"
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = target + prefix
    return f'"{text}"{digits}' if text else digits


class CellWriter:
    """Makes the cells of one write-only sheet; reuses styled cells, which write-only allows."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet

    def text(self, value: object, *, bold: bool = False, wrap: bool = False) -> Any:
        """A text cell; formula-like text is forced to stay text."""
        text = "" if value is None else str(value)
        if not (bold or wrap or text.startswith(FORMULA_STARTS)):
            return text
        cell = WriteOnlyCell(self.sheet, value=text)
        if text.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True
        if bold:
            cell.font = BOLD
        if wrap:
            cell.alignment = WRAP
        return cell

    def number(self, value: float | None, fmt: str = "General", *, bold: bool = False) -> Any:
        """A numeric cell with ``fmt``; a missing value stays an empty cell, never text."""
        if value is None or value != value:  # NaN
            return None
        cell = WriteOnlyCell(self.sheet, value=float(value) if value % 1 else int(value))
        cell.number_format = fmt
        if bold:
            cell.font = BOLD
        return cell

    def date(self, value: dt.date | None) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell


def guard(value: object) -> object:
    """For bulk rows written without WriteOnlyCell: is this text safe as a plain string?"""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def set_widths(sheet: WriteOnlyWorksheet, widths: list[float]) -> None:
    """Column widths in characters (a CJK character counts about two)."""
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def write_table(frame: pd.DataFrame, path: str | Path, sheet_name: str) -> None:
    """One sheet with ``frame``: bold frozen header, autofilter, formula-safe text cells."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    sheet.freeze_panes = "A2"
    cells = CellWriter(sheet)
    sheet.append([cells.text(column, bold=True) for column in frame.columns])
    for values in frame.itertuples(index=False, name=None):
        sheet.append([cells.text(v) if guard(v) else v for v in values])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
    workbook.save(path)
