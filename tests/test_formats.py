"""Reading uploaded reports: the text comes out as a person reads it, in every format and
encoding, and every file that cannot be used is refused with a message in both languages.

Every test file is made here: .docx with python-docx, a PDF with a real text layer by
LibreOffice (installed by ``make test``), the rest byte by byte.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import random
import re
import shutil
import struct
import subprocess
import tempfile
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import docx
import openpyxl
import pypdf
import pytest
from openpyxl.styles import Alignment
from openpyxl.worksheet.pagebreak import Break

from metrics.curate.formats import (
    MAX_DOCX_MEMBERS,
    MAX_PDF_PAGES,
    MAX_UPLOAD_BYTES,
    SUFFIXES,
    Upload,
    UploadError,
    read_pasted,
    read_upload,
)
from metrics.merge import MAX_REPORT_BYTES

TITLE = "滁州市数字经济发展报告"
SENTENCES = [
    "6月26日，数字经济产业合作开放大会在滁州成功举办。",
    "全年线上销售额达到3.55亿元，同比增长12.5%。",
    "120余家企业入驻滁州经济技术开发区。",
]
REPORT = "\n".join([TITLE, *SENTENCES]) + "\n"
HEADING = "发展概况"
# Long enough to wrap over several lines in a PDF: the reading must join them again.
PARAGRAPH = (
    "2023年，滁州市数字经济核心产业增加值持续增长，全年线上销售额达到3.55亿元，"
    "同比增长12.5%，新增120余家企业入驻滁州经济技术开发区，带动就业超过5000人，"
    "数字经济核心产业增加值占地区生产总值的比重达到8.6%。"
)
# The PDF's text: a blank line for the page break, the heading's spread and the wraps undone.
PDF_TEXT = f"{REPORT}\n{HEADING}\n{PARAGRAPH}"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def refused(filename: str, data: bytes, word: str) -> UploadError:
    """The error reading ``data`` raises, checked to say ``word`` and to have a Chinese twin."""
    with pytest.raises(UploadError) as caught:
        read_upload(filename, data)
    error = caught.value
    assert word in error.message_en and str(error) == error.message_en
    assert CHINESE.search(error.message_zh), error.message_zh
    assert "\n" not in error.message_en + error.message_zh
    return error


@pytest.fixture(autouse=True)
def no_files_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reading writes no file: not in the working directory, not in the temporary one."""
    work, temp = tmp_path / "cwd", tmp_path / "tmp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    yield
    assert list(work.iterdir()) == list(temp.iterdir()) == []


# --- .txt -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "encoding", "note"),
    [
        (REPORT.encode("utf-8"), "utf-8", None),
        (codecs.BOM_UTF8 + REPORT.encode("utf-8"), "utf-8", None),
        (REPORT.replace("\n", "\r\n").encode("gbk"), "gb18030", "GB18030"),
        ("𠮷".join([REPORT, "鿏\n"]).encode("gb18030"), "gb18030", "GB18030"),
        (REPORT.encode("utf-16"), "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE + REPORT.encode("utf-16-be"), "utf-16", "UTF-16"),
        ("臺北市數位經濟銷售額達到3.55億元，120餘家企業進駐。\n".encode("big5"), "big5", "BIG5"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk-crlf", "gb18030", "utf-16-le", "utf-16-be", "big5"],
)
def test_text_files_in_every_chinese_encoding_come_out_as_the_text(encoded, encoding, note):
    upload = read_upload("报告.TXT", encoded)
    expected = encoded.decode(encoding if encoding != "utf-8" else "utf-8-sig")
    assert upload.text == expected.replace("\r\n", "\n")
    assert "\ufeff" not in upload.text and "\r" not in upload.text
    assert upload.encoding == encoding and upload.suffix == ".txt"
    assert upload.original == encoded
    assert upload.sha256 == hashlib.sha256(encoded).hexdigest()
    if note:
        assert any(note in n for n in upload.notes), upload.notes
    else:
        assert upload.notes == ()


def test_pasted_text_is_kept_as_its_utf8_bytes():
    pasted = REPORT.replace("\n", "\r\n")
    upload = read_pasted(pasted)
    assert upload == Upload(
        text=REPORT,
        original=pasted.encode("utf-8"),
        sha256=hashlib.sha256(pasted.encode("utf-8")).hexdigest(),
        suffix=".txt",
        encoding=None,
        notes=(),
    )


@pytest.mark.parametrize(
    ("pasted", "word", "word_zh"),
    [
        ("  \n\t", "no text", "粘贴"),
        ("3.55亿元", "too short", "粘贴"),
        ("a\x00b" * 9, "NUL", "NUL"),
    ],
)
def test_unusable_pasted_text_is_refused(pasted, word, word_zh):
    with pytest.raises(UploadError) as caught:
        read_pasted(pasted)
    assert word in caught.value.message_en and word_zh in caught.value.message_zh


@pytest.mark.parametrize(
    ("data", "word"),
    [
        (b"", "empty"),
        (b" \n\r\n\t ", "no text"),
        ("销售额3.55亿元".encode("gbk"), "too short"),
        (REPORT.encode("utf-8")[:-1] + b"\x00", "NUL"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL"),
        (random.Random(7).randbytes(4000).replace(b"\x00", b"\xff"), "neither UTF-8"),
        (codecs.BOM_UTF8 + "报告".encode("gbk") * 10, "neither UTF-8"),
        (codecs.BOM_UTF16_LE + "报告\x00正文内容很长很长".encode("utf-16-le"), "NUL"),
        (bytes(MAX_UPLOAD_BYTES + 1), f"at most {MAX_UPLOAD_BYTES:,}"),
    ],
    ids=["empty", "blank", "short", "nul", "png", "random", "bad-bom", "utf16-nul", "oversized"],
)
def test_unusable_text_files_are_refused(data, word):
    refused("report.txt", data, word)


def test_text_above_the_report_limit_is_refused_after_decoding():
    """GBK takes two bytes a character and UTF-8 three: the limit is on the stored UTF-8."""
    sentence = SENTENCES[1] + "\n"
    text = sentence * (MAX_REPORT_BYTES // len(sentence.encode("utf-8")) + 1)
    data = text.encode("gbk")
    assert len(data) < MAX_REPORT_BYTES < len(text.encode("utf-8"))
    refused("report.txt", data, "split it")


def test_an_oversized_file_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch):
    """Twenty megabytes of what would be a PDF: refused for its size, not parsed."""
    monkeypatch.setattr(pypdf, "PdfReader", lambda *_: pytest.fail("the PDF was parsed"))
    error = refused("report.pdf", b"%PDF-1.7\n" + bytes(MAX_UPLOAD_BYTES), "bytes")
    assert f"{MAX_UPLOAD_BYTES:,}" in error.message_en


@pytest.mark.parametrize("filename", ["report.doc", "report.xlsx", "report", "report.txt.zip"])
def test_other_suffixes_are_refused_naming_the_accepted_ones(filename):
    error = refused(filename, REPORT.encode("utf-8"), ".docx")
    assert all(suffix in error.message_en for suffix in SUFFIXES)


# --- .docx ----------------------------------------------------------------------------------


def make_docx() -> bytes:
    """A report as Word writes one: a styled title, an empty paragraph, runs in bold and italic,
    a line break, and between paragraphs a table with cells merged down and across."""
    document = docx.Document()
    document.add_heading(TITLE, level=1)
    document.add_paragraph(SENTENCES[0])
    document.add_paragraph("")
    paragraph = document.add_paragraph()
    paragraph.add_run("全年线上销售额").bold = True
    paragraph.add_run("达到3.55亿元，").italic = True
    paragraph.add_run("同比增长12.5%。")
    table = document.add_table(rows=4, cols=3)
    texts = [
        ("类别", "指标", "数值"),
        ("数字经济", "线上销售额", "3.55亿元"),
        ("", "入驻企业", "120余家"),
    ]
    for row, cells in zip(table.rows, texts, strict=False):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(3, 0).merge(table.cell(3, 2)).text = "数据来源：滁州市统计局"
    document.add_paragraph(SENTENCES[2] + "\n" + "（完）")
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def test_docx_paragraphs_and_tables_come_out_in_reading_order():
    data = make_docx()
    upload = read_upload("报告.docx", data)
    assert upload.text == "\n".join(
        [
            TITLE,
            SENTENCES[0],
            SENTENCES[1],
            "| 类别 | 指标 | 数值 |",
            "| 数字经济 | 线上销售额 | 3.55亿元 |",
            "| 入驻企业 | 120余家 |",  # 数字经济 spans this row too: it is read once
            "| 数据来源：滁州市统计局 |",
            SENTENCES[2],
            "（完）",
        ]
    )
    assert upload.suffix == ".docx" and upload.encoding is None and upload.original == data
    assert any("table" in note for note in upload.notes)


def zip_with(members: dict[str, bytes], *, zeros: int = 0) -> bytes:
    """A zip of ``members``, plus ``zeros`` MiB of zeros as word/media/zeros.bin, streamed so
    that it is never in memory whole."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        if zeros:
            with archive.open("word/media/zeros.bin", "w", force_zip64=True) as member:
                chunk = bytes(2**20)
                for _ in range(zeros):
                    member.write(chunk)
    return stream.getvalue()


def docx_members() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(make_docx())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_zip_bomb_docx_is_refused_before_it_is_opened():
    """200 MiB of zeros squeezed into a few hundred kilobytes beside a valid document."""
    data = zip_with(docx_members(), zeros=200)
    assert len(data) < 2**20
    error = refused("bomb.docx", data, "unpack")
    assert "不是正常的 Word 文档" in error.message_zh


def lying_zip(members: dict[str, bytes], name: str, mib: int, declared: int) -> bytes:
    """A zip whose member ``name`` holds ``mib`` MiB of zeros but declares ``declared`` bytes,
    with the checksum of those: zipfile reads it without an error."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w") as member:
            for _ in range(mib):
                member.write(bytes(2**20))
        for other, content in members.items():
            archive.writestr(other, content)
    data = bytearray(stream.getvalue())
    crc = zlib.crc32(bytes(declared))
    # The first member's local header, then its entry in the central directory.
    struct.pack_into("<I", data, 14, crc)
    struct.pack_into("<I", data, 22, declared)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 16, crc)
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def test_a_zip_bomb_lying_about_its_size_costs_no_memory():
    """The document part declares 1 KB and inflates to 200 MiB: read a mebibyte at a time,
    it costs what it declares (python-docx reading it whole would take 400 MiB and more)."""
    members = docx_members()
    del members["word/document.xml"]
    data = lying_zip(members, "word/document.xml", mib=200, declared=1000)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("word/document.xml").file_size == 1000
    tracemalloc.start()
    try:
        refused("bomb.docx", data, "not a valid .docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30 * 2**20, f"{peak:,} bytes"


def test_a_docx_compressed_other_than_word_does_is_refused():
    """zipfile inflates a bzip2 or lzma member in one piece: such a .docx is not Word's."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_BZIP2) as archive:
        for name, content in docx_members().items():
            archive.writestr(name, content)
    refused("report.docx", stream.getvalue(), "not a valid .docx")


def test_a_docx_of_too_many_parts_is_refused():
    members = docx_members() | {f"word/media/{n}.xml": b"<a/>" for n in range(MAX_DOCX_MEMBERS)}
    refused("many.docx", zip_with(members), "parts")


def workbook_bytes() -> bytes:
    stream = io.BytesIO()
    openpyxl.Workbook().save(stream)
    return stream.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        make_docx()[:5000],
        b"PK\x03\x04" + random.Random(3).randbytes(3000),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),  # an old binary .doc
        workbook_bytes(),  # a spreadsheet renamed
        zip_with({"hello.txt": REPORT.encode("utf-8")}),
        zip_with(docx_members() | {"word/document.xml": b"<w:document><w:body>"}),
    ],
    ids=["truncated", "garbage", "doc", "xlsx", "other-zip", "broken-xml"],
)
def test_a_damaged_or_foreign_docx_is_refused(data):
    refused("report.docx", data, "not a valid .docx")


def test_a_docx_cut_anywhere_is_refused():
    data = make_docx()
    for end in range(1, len(data), len(data) // 40):
        refused("report.docx", data[:end], "not a valid .docx")


def mutated(data: bytes, rng: random.Random) -> bytes:
    """``data`` with a few bytes changed, cut out or repeated elsewhere."""
    changed = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at, action = rng.randrange(len(changed)), rng.random()
        if action < 0.4:
            changed[at] = rng.choice(b'<>/="[]() azw:0')
        elif action < 0.7:
            del changed[at : at + rng.randint(1, 40)]
        else:
            changed[at:at] = changed[rng.randrange(len(changed)) :][: rng.randint(1, 60)]
    return bytes(changed)


def test_a_docx_of_mangled_xml_is_refused_or_read_and_never_crashes():
    """python-docx trusts its XML to be as Word writes it; whatever breaks is a refusal."""
    rng, members = random.Random(11), docx_members()
    parts = [
        "word/document.xml",
        "word/_rels/document.xml.rels",
        "[Content_Types].xml",
        "_rels/.rels",
    ]
    for _ in range(150):
        part = rng.choice(parts)
        try:
            read_upload("report.docx", zip_with(members | {part: mutated(members[part], rng)}))
        except UploadError as error:
            assert "not a valid .docx" in error.message_en


# --- .pdf -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A two-page report rendered by LibreOffice with a CJK font: a real text layer.

    make test installs LibreOffice's spreadsheet (scripts/install-system-deps.sh), so the
    report is a sheet: page 1 a title and sentences, page 2 a heading spread over its cell's
    width (发 展 概 况) and a paragraph wrapped in its cell.
    """
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: run make test, which installs it"
    folder = tmp_path_factory.mktemp("pdf")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row, text in enumerate([TITLE, *SENTENCES], 1):
        sheet.cell(row=row, column=1, value=text)
    heading = sheet.cell(row=len(SENTENCES) + 2, column=1, value=HEADING)
    heading.alignment = Alignment(horizontal="distributed")
    cell = sheet.cell(row=len(SENTENCES) + 3, column=1, value=PARAGRAPH)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 60
    sheet.row_dimensions[cell.row].height = 120
    sheet.row_breaks.append(Break(id=len(SENTENCES) + 1))
    workbook.save(folder / "report.xlsx")
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{folder / 'profile'}",  # parallel runs never collide
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(folder / "report.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    pdf = folder / "report.pdf"
    assert done.returncode == 0 and pdf.exists(), f"LibreOffice made no PDF: {done.stderr}"
    return pdf.read_bytes()


def test_pdf_text_comes_out_verbatim_with_page_breaks_and_wraps_joined(report_pdf):
    upload = read_upload("report.PDF", report_pdf)
    assert upload.text == PDF_TEXT
    assert upload.suffix == ".pdf" and upload.encoding is None and upload.original == report_pdf
    assert any("joined" in note for note in upload.notes), upload.notes


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()


def test_a_pdf_that_needs_a_password_is_refused(report_pdf):
    refused("report.pdf", encrypted(report_pdf, "secret"), "password")


def test_a_pdf_only_protected_from_editing_is_read(report_pdf):
    assert read_upload("report.pdf", encrypted(report_pdf, "")).text == PDF_TEXT


def image_only_pdf(pages: int) -> bytes:
    """A scan: pages that only paint an image (grey pixels), with no text at all."""
    pixels = bytes(range(64, 192)) * 64
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 3 * n} 0 R" for n in range(pages)).encode()
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    for n in range(pages):
        image, content = 4 + 3 * n, 5 + 3 * n
        paint = b"q 595 0 0 842 0 0 cm /Scan Do Q"
        objects += [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /XObject << /Scan %d 0 R >> >> >>" % (content, image),
            b"<< /Type /XObject /Subtype /Image /Width 128 /Height 64 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream" % (len(pixels), pixels),
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(paint), paint),
        ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return pdf


def test_a_pdf_of_too_many_pages_is_refused():
    writer = pypdf.PdfWriter()
    for _ in range(MAX_PDF_PAGES + 1):
        writer.add_blank_page(595, 842)
    stream = io.BytesIO()
    writer.write(stream)
    refused("book.pdf", stream.getvalue(), f"at most {MAX_PDF_PAGES}")


def test_a_scanned_pdf_is_refused_saying_ocr_is_not_supported():
    data = image_only_pdf(2)
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 2  # a valid PDF, just no text
    error = refused("scan.pdf", data, "scan")
    assert "OCR" in error.message_en and "扫描" in error.message_zh


def test_a_pdf_with_some_scanned_pages_says_which(report_pdf):
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(report_pdf))
    writer.append(pypdf.PdfReader(io.BytesIO(image_only_pdf(1))))
    stream = io.BytesIO()
    writer.write(stream)
    upload = read_upload("report.pdf", stream.getvalue())
    assert upload.text == PDF_TEXT
    assert any("page(s) 3 have no text" in note for note in upload.notes), upload.notes


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\n" + random.Random(5).randbytes(5000), b"not a pdf at all", b"%PDF-1.4\n%%EOF"],
    ids=["garbage", "not-pdf", "hollow"],
)
def test_a_broken_pdf_is_refused(data):
    refused("report.pdf", data, "not a readable PDF")


def test_a_truncated_pdf_is_refused(report_pdf):
    for end in range(1, report_pdf.rindex(b"%%EOF"), len(report_pdf) // 40):
        refused("report.pdf", report_pdf[:end], "not a readable PDF")


def test_a_pdf_of_damaged_bytes_is_refused_or_read_and_never_crashes(report_pdf):
    rng = random.Random(13)
    for _ in range(150):
        try:
            read_upload("report.pdf", mutated(report_pdf, rng))
        except UploadError as error:
            assert "PDF" in error.message_en


# --- .html ----------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>滁州新闻网</title>
<style>.nav {{ color: red }} body {{ font: 12px 宋体 }}</style>
<script>var tracker = "统计脚本不应出现"; document.title = "脚本改标题";</script>
</head><body>
<nav><ul><li><a href="/">首页</a></li><li><a href="/news">新闻中心</a></li>
<li><a href="/gov">政务公开</a></li></ul></nav>
<div class="menu"><a href="/map">网站导航</a> | <a href="/contact">联系我们</a></div>
{article}
<footer><p>版权所有 滁州市人民政府 皖ICP备12345678号</p><p>联系电话：0550-1234567</p></footer>
<script>document.write("页脚脚本文字");</script>
</body></html>
"""
ARTICLE = PAGE.format(
    article=f"<article><h1>{TITLE}</h1>"
    + "".join(f"<p>{sentence}</p>" for sentence in SENTENCES)
    + "<table><tr><td>线上销售额</td><td>3.55亿元</td></tr></table></article>"
)


@pytest.mark.parametrize(
    ("filename", "data", "encoding"),
    [
        ("新闻.html", ARTICLE.encode("gb18030"), "gb2312"),
        ("新闻.HTM", ARTICLE.replace("gb2312", "utf-8").encode("utf-8"), "utf-8"),
        ("新闻.htm", ARTICLE.replace("charset=gb2312", "").encode("gbk"), "gb18030"),
        ("新闻.html", ARTICLE.replace("gb2312", "utf-8").encode("gbk"), "gb18030"),
    ],
    ids=["meta-gb2312", "utf-8", "undeclared-gbk", "mislabelled-gbk"],
)
def test_html_gives_the_article_without_menus_footers_or_scripts(filename, data, encoding):
    upload = read_upload(filename, data)
    assert upload.text == "\n".join([TITLE, *SENTENCES, "| 线上销售额 | 3.55亿元 |"])
    for chrome in ("新闻网", "首页", "网站导航", "版权所有", "联系电话", "脚本", "color", "宋体"):
        assert chrome not in upload.text
    assert upload.suffix == ".html" and upload.encoding == encoding and upload.original == data
    assert any("main text" in note for note in upload.notes), upload.notes


@pytest.mark.parametrize(
    "html",
    [
        PAGE.format(article=""),  # menus, footer and scripts: no article
        "<html><head><script>var a = '销售额达到3.55亿元，同比增长12.5%';</script></head></html>",
        "\ufeff   ",
    ],
    ids=["menus-only", "script-only", "blank"],
)
def test_a_page_without_an_article_is_refused(html):
    refused("page.html", html.encode("utf-8"), "no article text")


def test_unusable_html_bytes_are_refused():
    refused("page.html", random.Random(9).randbytes(3000).replace(b"\x00", b"\xfe"), "UTF-8")
