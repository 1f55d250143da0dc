"""Writing cells an analyst can trust: numbers stay numbers, text never runs as a formula.

Qualifiers are shown by the number format, not by turning the number into text: 5 with the
format ``"≥"0`` displays as ≥5 and still sums, sorts and charts as 5 in Excel and LibreOffice.
Text that starts like a formula (=, +, -, @, or a tab/CR that some programs strip first) is
stored as a string with Excel's quote prefix, so neither opening nor editing the cell evaluates
it (https://owasp.org/www-community/attacks/CSV_Injection).

openpyxl builds the package: the sheets' settings (widths, frozen panes, autofilter), charts and
the style table. The rows are written here, as worksheet XML that :func:`save` splices into the
sheets openpyxl saved empty. openpyxl spends about 7 µs on each cell object (17 s for the
2.3 million cells of 100,000 figures); here a cell is a bytes fragment, made once per distinct
value of a column, and a chunk of rows is one ``bytes.join``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUALIFIER_PREFIX = {"exact": "", "at_least": "≥", "more_than": ">", "approx": "~"}
TARGET_PREFIX = {"zh": "目标 ", "en": "Target "}
DATE_FORMAT = "yyyy-mm-dd"
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
# XML 1.0 cannot hold these at all (openpyxl raises IllegalCharacterError on them); tab, LF and
# CR are allowed and kept.
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A column's cells: codes into its distinct fragments, where -1 picks the last, b"".
Column = tuple[np.ndarray, list[bytes]]
SPOOL_BYTES = 256 << 20  # a sheet's XML kept in memory up to this size while it is spliced
EXCEL_MAX_CHARS = 32_767  # in one cell; Excel declares a file with a longer string corrupt


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


def clean_text(text: str) -> str:
    """``text`` as a cell can hold it: control characters dropped, cut to Excel's limit.

    The dropped characters (NUL, BEL, ESC, ...) carry nothing in a report's sentence, and
    Excel's own escape for them (``_x0007_``) would read back as those seven characters in
    openpyxl and pandas. An over-long text ends in "…" rather than making Excel refuse the file.
    """
    if not text.isprintable():  # a fast test that passes almost every text
        text = ILLEGAL_XML.sub("", text)
    if len(text) > EXCEL_MAX_CHARS:
        text = text[: EXCEL_MAX_CHARS - 1] + "…"
    return text


class SheetRows:
    """The rows of one openpyxl write-only sheet, kept as worksheet XML until :func:`save`.

    A cell is the fragment of ``<c r="B7" ...>...</c>`` after its reference, ``b""`` for an
    empty cell; its style is registered with openpyxl, so the ids match the saved style table.
    """

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self.count = 0  # rows so far
        self._parts: list[bytes | Iterator[bytes]] = []
        self._styles: dict[tuple[str, bool, bool, bool], bytes] = {}
        self._sealed = False
        # The rows given to extend are made while saving, after the style table is written:
        # the styles their cells can take are registered now.
        for fmt, quote in (("General", False), ("General", True), (DATE_FORMAT, False)):
            self._style(fmt, quote=quote)

    def text(self, value: object, *, bold: bool = False, wrap: bool = False) -> bytes:
        """An inline string, XML-escaped; formula-like text keeps Excel's quote prefix."""
        text = "" if value is None else clean_text(str(value))
        if not text:
            return b""
        quote = text.startswith(FORMULA_STARTS)
        style = self._style(bold=bold, wrap=wrap, quote=quote) if bold or wrap or quote else b""
        space = b' xml:space="preserve"' if text != text.strip() else b""
        # A literal CR is escaped too: XML parsers read it back as LF.
        body = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body = body.replace("\r", "&#13;").encode()
        return b'%s t="inlineStr"><is><t%s>%s</t></is></c>' % (style, space, body)

    def number(self, value: float | None, fmt: str = "General", *, bold: bool = False) -> bytes:
        """A number shown with ``fmt``; missing (None, NaN) or infinite stays an empty cell."""
        if value is None or not math.isfinite(value):
            return b""
        return b"%s><v>%s</v></c>" % (self._style(fmt, bold=bold), b"%.16g" % value)

    def date(self, value: dt.date | str | None) -> bytes:
        """A date (or ISO date text, as figure records hold it) as Excel's date serial."""
        if not value:
            return b""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        return b"%s><v>%.16g</v></c>" % (self._style(DATE_FORMAT), to_excel(value))

    def value(self, value: object) -> bytes:
        """A cell for a plain value, typed as openpyxl types it: text, boolean, date, number."""
        if value is None or isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool | np.bool_):
            return b' t="b"><v>%d</v></c>' % value
        if isinstance(value, dt.date):
            return self.date(value)
        return self.number(value)  # type: ignore[arg-type]

    def append(self, cells: Sequence[bytes | None]) -> None:
        """One row; ``None`` or ``b""`` leaves its column empty."""
        self.count += 1
        body = b"".join(
            b'<c r="%s%d"%s' % (get_column_letter(column).encode(), self.count, cell)
            for column, cell in enumerate(cells, 1)
            if cell
        )
        self._parts.append(b'<row r="%d">%s</row>' % (self.count, body))

    @staticmethod
    def column(values: pd.Series, cell: Callable[[Any], bytes]) -> Column:
        """``cell`` of every value, made once per distinct value: columns repeat most values."""
        codes, distinct = pd.factorize(values)  # a missing value gets -1: the last, empty cell
        return codes, [*map(cell, distinct.tolist()), b""]

    def extend(self, chunks: Iterable[list[Column]], count: int) -> None:
        """``count`` rows given as chunks of aligned :meth:`column` s, made when saved."""
        self._parts.append(_rows_xml(chunks, self.count + 1))
        self.count += count

    def xml(self) -> Iterator[bytes]:
        """The rows' XML, for :func:`save`; no new style can be registered from here on."""
        self._sealed = True
        for part in self._parts:
            if isinstance(part, bytes):
                yield part
            else:
                yield from part

    def _style(
        self, fmt: str = "General", *, bold: bool = False, wrap: bool = False, quote: bool = False
    ) -> bytes:
        key = (fmt, bold, wrap, quote)
        if key not in self._styles:
            if self._sealed:
                raise RuntimeError(f"style {key} registered after the style table was saved")
            cell = WriteOnlyCell(self.sheet)
            cell.number_format = fmt
            cell.quotePrefix = quote
            if bold:
                cell.font = BOLD
            if wrap:
                cell.alignment = WRAP
            self._styles[key] = b' s="%d"' % cell.style_id if cell.style_id else b""
        return self._styles[key]


def _rows_xml(chunks: Iterable[list[Column]], first_row: int) -> Iterator[bytes]:
    """``<row>`` elements for chunks of aligned columns, numbered from ``first_row``.

    A chunk's rows are laid out as pieces in one object array, joined at once: the row tags, and
    for each cell its reference (``<c r="B``), row number and fragment; an empty cell has none.
    A column with no empty cell in the chunk has its reference appended to the pieces before it
    (the row's start, or the previous column's fragments, once per distinct fragment): a third
    fewer pieces, the join's main cost.
    """
    for columns in chunks:
        n = len(columns[0][0])
        numbers = np.arange(first_row, first_row + n).astype("S")
        quoted = np.char.add(numbers, b'"').astype(object)  # 7" closes r="A7"
        empty = [np.array([not f for f in fragments])[codes] for codes, fragments in columns]
        references = [f'<c r="{get_column_letter(i)}'.encode() for i in range(1, len(columns) + 1)]
        # What ends the pieces before each cell: its reference when it can be fused there.
        # The last column's fragments end the row.
        ends = [b"" if e.any() else r for e, r in zip(empty, references, strict=True)]
        ends.append(b"</row>")
        pieces: list[bytes | np.ndarray] = [b'<row r="', quoted, b">" + ends[0]]
        for index, (codes, fragments) in enumerate(columns):
            if not ends[index]:
                pieces.append(np.where(empty[index], b"", references[index]))
                pieces.append(np.where(empty[index], b"", quoted))
            else:
                pieces.append(quoted)
            end = ends[index + 1]
            pieces.append(np.array([f + end for f in fragments], dtype=object)[codes])
        parts = np.empty((n, len(pieces)), dtype=object)
        for index, piece in enumerate(pieces):
            parts[:, index] = piece
        yield b"".join(parts.ravel().tolist())
        first_row += n


def save(workbook: Workbook, sheets: Iterable[SheetRows], output: IO[bytes] | str | Path) -> None:
    """Save ``workbook`` to ``output`` with the rows of ``sheets`` in their worksheet parts.

    openpyxl saves first (to memory: without rows its parts are small); the package is then
    copied, each sheet's rows spliced into its empty ``sheetData``. A spliced part is spooled
    (in memory up to SPOOL_BYTES, then in a temporary file) so that its size is known when its
    entry opens, which is when zipfile decides on Zip64: only a part over 2 GiB gets it (Excel
    asks to repair small parts written with Zip64). Compression is level 1, three times faster
    than the default for a file about a quarter bigger.
    """
    package = io.BytesIO()
    workbook.save(package)  # numbers the sheets, and so names their parts
    rows = {sheet.sheet.path.lstrip("/"): sheet for sheet in sheets}
    with (
        zipfile.ZipFile(package) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename not in rows:
                target.writestr(info.filename, data)
                continue
            empty = re.search(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>", data)
            if empty is None:
                raise ValueError(f"{info.filename}: rows were also written through openpyxl")
            with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as xml:
                xml.write(data[: empty.start()] + b"<sheetData>")
                for chunk in rows[info.filename].xml():
                    xml.write(chunk)
                xml.write(b"</sheetData>" + data[empty.end() :])
                zip64 = xml.tell() * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own margin
                xml.seek(0)
                with target.open(info.filename, "w", force_zip64=zip64) as entry:
                    shutil.copyfileobj(xml, entry, 1 << 20)


def set_widths(sheet: WriteOnlyWorksheet, widths: list[float]) -> None:
    """Column widths in characters (a CJK character counts about two)."""
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def write_table(frame: pd.DataFrame, path: str | Path, sheet_name: str) -> None:
    """One sheet with ``frame``: bold frozen header, autofilter, formula-safe text cells."""
    workbook = Workbook(write_only=True)
    rows = SheetRows(workbook.create_sheet(sheet_name))
    rows.sheet.freeze_panes = "A2"
    rows.sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
    rows.append([rows.text(column, bold=True) for column in frame.columns])
    for values in frame.itertuples(index=False, name=None):
        rows.append([rows.value(v) for v in values])
    save(workbook, [rows], path)
