"""Reading an uploaded report into the text the dataset keeps.

Curators upload reports as they find them: a text file in whatever Chinese encoding, a Word
.docx, a PDF or a saved web page. The dataset keeps two things per report: the plain text, as
UTF-8, which every figure's quote must be a verbatim substring of, and the original file byte
for byte with its SHA-256, as provenance. :func:`read_upload` turns an upload into both, and
:func:`read_pasted` does the same for text pasted into the page.

Uploads are untrusted files, so every step is bounded (the file's size, a .docx's members and
their uncompressed sizes, a PDF's pages, the text's size) and checked before the next, and
nothing is ever written to disk. A file that cannot be used raises :class:`UploadError`, never
another exception, with a message saying why in English and in Chinese.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath

import docx
import lxml.etree
import pypdf
import trafilatura
from charset_normalizer import from_bytes
from docx.exceptions import PythonDocxError
from docx.opc.exceptions import OpcError
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf.errors import DependencyError, PyPdfError

from metrics.errors import MetricsError
from metrics.merge import MAX_REPORT_BYTES

MAX_UPLOAD_BYTES = 20 * 2**20  # a report, even as a PDF with pictures, is far smaller
MAX_TEXT_BYTES = MAX_REPORT_BYTES  # the stored text is a report text: the same limit as merge's
MIN_TEXT_CHARS = 10  # fewer characters than a single figure's sentence is not a report
SUFFIXES = (".txt", ".docx", ".pdf", ".html")
# A .docx is a zip: what it may hold before python-docx reads it, all of it into memory.
MAX_DOCX_MEMBERS = 1000
MAX_DOCX_UNCOMPRESSED = 100 * 2**20
MAX_DOCX_RATIO = 100  # XML compresses about 10:1; a member far above that is built to explode
MAX_DOCX_RATIO_BYTES = 10 * 2**20  # ...and small members may compress as well as they like
MAX_PDF_PAGES = 500

# The legacy encodings a Chinese text file comes in when it is not UTF-8; charset-normalizer
# picks among these only, so that a binary file is refused rather than read as Latin-1.
# GB18030 is a superset of GBK and GB2312, and decodes what is labelled with either.
_CHINESE_ENCODINGS = ("gb18030", "big5")
_GB_FAMILY = {"gb2312", "gbk", "gb18030"}
# HTML's own rule: a page says its charset in a <meta> near the top (within 1024 bytes by the
# standard; old Chinese sites put long scripts first, hence the larger window).
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_META_WINDOW = 4096
# A PDF line ending in one of these ends a sentence or a heading, not a wrap within a paragraph.
_LINE_ENDS = set("。！？；：…”’」』）】)!?;:.")
# Spaces between two Chinese characters (or full-width signs) in a PDF's text are gaps of its
# layout (目 录, letters spread to fill a line), never words apart: Chinese has no spaces.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")


class UploadError(MetricsError):
    """An uploaded file or pasted text that cannot be used as a report; nothing was kept.

    ``message_en`` and ``message_zh`` say why in one line each, for the page's language;
    ``str()`` is the English one.
    """

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


@dataclass(frozen=True)
class Upload:
    """A report read from an upload: the text to store and the original to keep beside it.

    ``text`` is what a person reads, paragraphs one per line and "\\n" line endings, to be
    stored as UTF-8; ``original`` is the file as uploaded and ``sha256`` its hex digest.
    ``suffix`` is one of :data:`SUFFIXES` (.htm is read as .html). ``encoding`` is the
    character encoding the bytes were decoded from, for .txt and .html (``None`` for .docx and
    .pdf, which carry their own). ``notes`` are what a curator should know about the reading,
    in English.
    """

    text: str
    original: bytes
    sha256: str
    suffix: str
    encoding: str | None
    notes: tuple[str, ...]


# What each reader returns: the text, the encoding it was decoded from, and notes.
_Read = tuple[str, str | None, list[str]]


def read_upload(filename: str, data: bytes) -> Upload:
    """The report in ``data``, read according to ``filename``'s suffix (case-insensitive).

    Raises :class:`UploadError` for a suffix other than :data:`SUFFIXES` (or .htm), an empty
    file or one above :data:`MAX_UPLOAD_BYTES`, a file that is not what its suffix says or is
    damaged, and text that comes out too short or above :data:`MAX_TEXT_BYTES`.
    """
    suffix = PurePath(filename).suffix.lower()
    suffix = ".html" if suffix == ".htm" else suffix
    reader = _READERS.get(suffix)
    if reader is None:
        raise UploadError(
            f"{filename}: a report is uploaded as {', '.join(SUFFIXES)} (or .htm)",
            f"{filename}：报告须为 {'、'.join(SUFFIXES)}（或 .htm）文件",
        )
    if not data:
        raise UploadError(f"{filename} is empty", f"{filename} 是空文件")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"{filename} is {len(data):,} bytes; an upload is at most {MAX_UPLOAD_BYTES:,}",
            f"{filename} 有 {len(data):,} 字节，上传文件最大 {MAX_UPLOAD_BYTES:,} 字节",
        )
    text, encoding, notes = reader(filename, data)
    return _upload((filename, filename), text, data, suffix, encoding, notes)


def read_pasted(text: str) -> Upload:
    """Text pasted into the page as a report; its original is its UTF-8 encoding.

    Raises :class:`UploadError` for text that is empty, too short, above
    :data:`MAX_TEXT_BYTES` or holds NUL characters.
    """
    if "\x00" in text:
        raise UploadError(
            "the pasted text contains NUL characters: it is not a report's text",
            "粘贴的文本含有 NUL 字符，不是报告正文",
        )
    names = ("the pasted text", "粘贴的文本")
    return _upload(names, text, text.encode("utf-8"), ".txt", None, [])


def _upload(
    names: tuple[str, str],
    text: str,
    original: bytes,
    suffix: str,
    encoding: str | None,
    notes: list[str],
) -> Upload:
    """The checks every report text passes, whatever it was read from; ``names`` name it in
    English and in Chinese."""
    name, name_zh = names
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    length = len(text.strip())
    if length == 0:
        raise UploadError(f"{name} has no text", f"{name_zh} 没有文字内容")
    if length < MIN_TEXT_CHARS:
        raise UploadError(
            f"{name} has only {length} characters of text: too short for a report",
            f"{name_zh} 只有 {length} 个字符，不足以构成一篇报告",
        )
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise UploadError(
            f"{name} holds {size:,} bytes of text; a report's text is at most "
            f"{MAX_TEXT_BYTES:,}: split it",
            f"{name_zh} 的文字有 {size:,} 字节，报告正文最大 {MAX_TEXT_BYTES:,} 字节，请拆分",
        )
    digest = hashlib.sha256(original).hexdigest()
    return Upload(text, original, digest, suffix, encoding, tuple(notes))


def _read_txt(filename: str, data: bytes) -> _Read:
    # UTF-16 is full of NUL bytes by design; anything else holding one is not text.
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in data and not utf16:
        raise UploadError(
            f"{filename} is not a text file (it contains NUL bytes)",
            f"{filename} 不是文本文件（含有 NUL 字节）",
        )
    text, encoding, notes = _decode(filename, data, declared=None)
    if "\x00" in text:
        raise UploadError(
            f"{filename} is not a text file (it contains NUL characters)",
            f"{filename} 不是文本文件（含有 NUL 字符）",
        )
    return text, encoding, notes


def _decode(filename: str, data: bytes, declared: str | None) -> _Read:
    """The text of ``data``: by its byte order mark, else UTF-8 if it decodes, else the
    ``declared`` charset, else the Chinese encoding charset-normalizer finds."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8", []
        except UnicodeDecodeError:
            raise _not_text(filename) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_text(filename) from None
        return text, "utf-16", ["read as UTF-16 (it starts with a byte order mark)"]
    # Valid UTF-8 that is not meant as UTF-8 practically never happens with Chinese text, so
    # it wins even over a page's declared charset, which is often stale.
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    notes = []
    if declared:
        codec = _codec(declared)
        if codec:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                notes.append(f"the page says its charset is {declared}, but it is not")
            else:
                return text, declared.lower(), [f"read as {declared}, the charset it declares"]
    match = from_bytes(data, cp_isolation=list(_CHINESE_ENCODINGS)).best()
    if match is None:
        raise _not_text(filename)
    encoding = match.encoding
    notes.append(f"not UTF-8: detected {encoding.upper()}; kept as UTF-8")
    return data.decode(encoding), encoding, notes


def _codec(charset: str) -> str | None:
    """The Python codec to decode a declared charset with, or None for one not to trust."""
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # HTML's rule: bytes read as a page are never UTF-16 by a <meta>
    # Pages labelled GB2312 routinely hold GBK characters; GB18030 reads both.
    return "gb18030" if name in _GB_FAMILY else name


def _not_text(filename: str) -> UploadError:
    return UploadError(
        f"{filename} is neither UTF-8 nor in a Chinese encoding (GB18030/GBK, Big5): "
        "save it as UTF-8",
        f"{filename} 既不是 UTF-8，也不是中文编码（GB18030/GBK、Big5），请另存为 UTF-8",
    )


def _read_docx(filename: str, data: bytes) -> _Read:
    try:
        document = docx.Document(_unzipped(filename, data))
        lines, tables = [], 0
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                lines += block.text.splitlines()
            else:
                lines += _table_rows(block)
                tables += 1
    # What python-docx raises for a package that is not a Word document: a missing part
    # (KeyError), another kind of Office file (ValueError), broken XML; and, as it trusts
    # the XML it parsed to have the shape Word gives it, AttributeError and TypeError.
    except (
        OpcError,
        PythonDocxError,
        KeyError,
        ValueError,
        lxml.etree.LxmlError,
        AttributeError,
        TypeError,
    ):
        raise _bad_docx(filename) from None
    notes = []
    if tables:
        notes.append(f"{tables} table(s) read row by row, one line per row, cells between |")
    return _join_lines(lines), None, notes


def _unzipped(filename: str, data: bytes) -> io.BytesIO:
    """The .docx in ``data`` unpacked here, within bounds, and packed again uncompressed for
    python-docx to open.

    A zip bomb is refused by the sizes its members declare: too many, too big in all, or
    compressed far beyond what a document compresses. That is not enough alone: a member
    may declare a small size and hold gigabytes. :mod:`zipfile` never returns more than the
    declared size, but asked for a whole member, as python-docx asks, it first inflates all
    it can (up to 2 GiB) and then cuts. Read here a mebibyte at a time, a member costs no
    more than it declares, and python-docx then reads stored bytes only.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            _check_declared_sizes(filename, members)
            unpacked = io.BytesIO()
            with zipfile.ZipFile(unpacked, "w", zipfile.ZIP_STORED) as copy:
                for member in members:
                    # Word writes deflated or stored members; zipfile inflates the others
                    # (bzip2, lzma) in one piece, however large.
                    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                        raise _bad_docx(filename)
                    with archive.open(member) as source, copy.open(member.filename, "w") as out:
                        while chunk := source.read(2**20):
                            out.write(chunk)
    # A damaged zip: broken structures or compressed data, a checksum that does not match,
    # an encrypted member (RuntimeError), a zip feature zipfile does not know.
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        ValueError,
        struct.error,
        OSError,
        RuntimeError,
        NotImplementedError,
    ):
        raise _bad_docx(filename) from None
    return unpacked


def _check_declared_sizes(filename: str, members: list[zipfile.ZipInfo]) -> None:
    total = sum(m.file_size for m in members)
    bomb = any(
        m.file_size > MAX_DOCX_RATIO_BYTES
        and m.file_size > MAX_DOCX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if len(members) > MAX_DOCX_MEMBERS or total > MAX_DOCX_UNCOMPRESSED or bomb:
        raise UploadError(
            f"{filename} would unpack to {total:,} bytes in {len(members):,} parts: "
            "not a plain Word document (a .docx is at most "
            f"{MAX_DOCX_UNCOMPRESSED:,} bytes unpacked)",
            f"{filename} 解压后有 {total:,} 字节、{len(members):,} 个部件，"
            "不是正常的 Word 文档，拒绝打开",
        )


def _bad_docx(filename: str) -> UploadError:
    return UploadError(
        f"{filename} is not a valid .docx file (damaged, or another format renamed); "
        "an old .doc must be saved as .docx first",
        f"{filename} 不是有效的 .docx 文件（已损坏或为其他格式改名）；旧版 .doc 请先另存为 .docx",
    )


def _table_rows(table: Table) -> list[str]:
    """A table as a person reads it: a line per row, each cell once, between |.

    python-docx repeats a merged cell in every grid column and row it spans; the <w:tc>
    element behind it tells the repeats apart from equal text in distinct cells.
    """
    rows, seen = [], set()
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            cells.append(" ".join(_cell_lines(cell.iter_inner_content())))
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
    return rows


def _cell_lines(blocks: Iterator[Paragraph | Table]) -> list[str]:
    """A cell's paragraphs and tables, each line break within them made a space (a row of
    the table is one line)."""
    lines = []
    for block in blocks:
        if isinstance(block, Paragraph):
            lines += block.text.splitlines()
        else:
            lines += _table_rows(block)
    return [line.strip() for line in lines if line.strip()]


def _read_pdf(filename: str, data: bytes) -> _Read:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        # pypdf has tried the empty password, which opens a PDF that is only protected from
        # printing or editing; one that needs a password to be read stays shut.
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise UploadError(
                f"{filename} is protected by a password: upload a copy without one",
                f"{filename} 受密码保护，请上传未加密的副本",
            )
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise UploadError(
                f"{filename} has {count:,} pages; at most {MAX_PDF_PAGES} are read: split it",
                f"{filename} 有 {count:,} 页，最多读取 {MAX_PDF_PAGES} 页，请拆分",
            )
        pages, size = [], 0
        for page in reader.pages:
            pages.append(page.extract_text())
            size += len(pages[-1].encode("utf-8"))
            # Far too much already, spaces and all: stop (the text kept is measured later).
            if size > 2 * MAX_TEXT_BYTES:
                break
    except DependencyError:
        # AES needs the `cryptography` package, which the server does not install.
        raise UploadError(
            f"{filename} is encrypted with AES, which cannot be read here: "
            "save or print it as an unprotected PDF",
            f"{filename} 使用 AES 加密，无法读取，请另存或打印为未加密的 PDF",
        ) from None
    # pypdf raises its own errors for most damage, and plain Python ones for the rest: a
    # truncated or garbled file can break any step of its parsing.
    except (
        PyPdfError,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        AssertionError,
        RecursionError,
        OverflowError,
        NotImplementedError,
        zlib.error,
        struct.error,
    ):
        raise UploadError(
            f"{filename} is not a readable PDF (damaged or truncated)",
            f"{filename} 不是可读取的 PDF（已损坏或不完整）",
        ) from None
    page_lines = [[_CJK_GAP.sub("", line.strip()) for line in text.splitlines()] for text in pages]
    page_lines = [[line for line in lines if line] for lines in page_lines]
    if not any(page_lines):
        raise UploadError(
            f"{filename} has no text layer: it is a scan (pages that are only images), and "
            "OCR is not supported; upload a PDF with selectable text, the .docx or the text",
            f"{filename} 没有文字层，是扫描件（页面只是图片），不支持 OCR 识别；"
            "请上传可选中文字的 PDF、.docx 或文本",
        )
    notes = []
    blank = [str(number) for number, lines in enumerate(page_lines, 1) if not lines]
    if blank:
        notes.append(f"page(s) {', '.join(blank)} have no text (scanned?) and were not read")
    joined = _unwrap(page_lines)
    if joined:
        notes.append(f"{joined} line(s) wrapped within a paragraph were joined")
    # A page break is a blank line, as between paragraphs of the example reports.
    return "\n\n".join("\n".join(lines) for lines in page_lines if lines), None, notes


def _unwrap(pages: list[list[str]]) -> int:
    """Join, in place, the lines of a PDF that a paragraph wrapped on; returns how many.

    A PDF has lines, not paragraphs. A line that fills the text's width and does not end a
    sentence goes on in the next one: left as two lines, its sentence would be cut in two
    (number and unit, e.g. 3.55 | 亿元, apart). The width is measured in character cells, a
    Chinese character two, which is how wide they print; a text narrower than 20 Chinese
    characters is left alone, since a few short lines tell no width.
    """
    widest = max(_width(line) for lines in pages for line in lines)
    if widest < 40:
        return 0
    full = 0.8 * widest
    joined = 0
    for lines in pages:
        number = 0
        while number < len(lines) - 1:
            line, following = lines[number], lines[number + 1]
            if _width(line) >= full and line[-1] not in _LINE_ENDS:
                wide = _width(line[-1] + following[0]) > 2
                lines[number : number + 2] = [line + ("" if wide else " ") + following]
                joined += 1
            else:
                number += 1
    return joined


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _read_html(filename: str, data: bytes) -> _Read:
    found = _META_CHARSET.search(data[:_META_WINDOW])
    declared = found.group(1).decode("ascii") if found else None
    html, encoding, notes = _decode(filename, data, declared)
    try:
        # The article only: trafilatura drops menus, footers, comments, scripts and styles.
        # Its default mode, finding a short article or none, falls back to all of the page's
        # text, menus included; the precise mode keeps to the article or finds nothing.
        text = trafilatura.extract(
            html,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            with_metadata=False,
        )
    except (ValueError, lxml.etree.LxmlError):
        text = None
    if not text:
        raise UploadError(
            f"{filename}: no article text found in the page; save the article itself, "
            "or paste its text",
            f"{filename}：网页中找不到正文，请保存文章页面本身，或直接粘贴正文",
        )
    notes.append("the article's main text only: check that nothing of the report is missing")
    return _join_lines(text.splitlines()), encoding, notes


def _join_lines(lines: list[str]) -> str:
    """One paragraph per line, without the blank ones or the spaces around each."""
    return "\n".join(line.strip() for line in lines if line.strip())


_READERS: dict[str, Callable[[str, bytes], _Read]] = {
    ".txt": _read_txt,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".html": _read_html,
}
