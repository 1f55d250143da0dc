"""Adding a report from the browser, as two curators do it, on the whole production stack
(nginx in front of gunicorn) with each store: sign in, upload a .docx and a GBK .txt, review
beside the text, edit a candidate, add a figure the search missed, submit; a second curator
approves; the dashboard and its export show the new figures; a withdrawal takes them away."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docx
import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

from benchmarks.stack import serve_stack

from ..conftest import DATA, ROOT
from .conftest import foreign_requests

PASSWORD = "correct-horse-battery"
CURATORS = ("li.wei", "zhang.min")
DOCX_PARAGRAPHS = (
    "2019年3月，合肥市与京东联合举办“徽风皖韵”家电节。",
    "2019年3月活动期间，参与家电企业在京东的销售额超过2亿元。",
    "2019年3月，首批35家家电企业签约入驻京东合肥馆，并全部参加了本次家电节。",
)
GBK_TEXT = "2019年4月，滁州市与京东共同举办“亭城好物”食品节，线上销售额达到8600万元。\n"


@pytest.fixture(scope="module", params=["folder", pytest.param("postgresql")])
def site(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The stack on a store of each kind, with two curators; its URL and a scratch folder."""
    root = tmp_path_factory.mktemp(f"curation-{request.param}")
    env = {"METRICS_INSTANCE_DIR": str(root / "instance"), "METRICS_POLL_SECONDS": "1"}
    if request.param == "folder":
        shutil.copytree(DATA, root / "data")
        where = ["--data", str(root / "data")]
        data: Path | None = root / "data"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database("curation", template=request.getfixturevalue("pg_bundled"))
        env["METRICS_DATABASE_URL"] = url
        where, data = ["--database", url], None
    for name in CURATORS:
        subprocess.run(
            [sys.executable, "-m", "metrics", "users", "add", name, "--role", "curator", *where],
            cwd=ROOT,
            env={**os.environ, **env, "METRICS_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )
    with serve_stack(workers=2, data=data, env=env) as server:
        yield server.url, root


@pytest.fixture
def person(browser: Browser, site) -> Iterator[Page]:
    """A browser of one person (its own cookies); fails on any request to another host and
    on any console error, as the dashboard's page fixture does."""
    url, _ = site
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    requested: list[str] = []
    errors: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    problems = foreign_requests(requested, url) + errors
    assert not problems, problems


def sign_in(page: Page, url: str, name: str) -> None:
    page.goto(url + "/curate/")
    expect(page).to_have_url(re.compile(r"/login\?next=/curate/"))
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".curate-account")).to_contain_text(name)


def upload(page: Page, path: Path) -> None:
    page.click("#upload-link")
    page.set_input_files("#upload-file", str(path))
    page.click("#upload-button")
    expect(page).to_have_url(re.compile(r"draft=[0-9a-f]{12}"))
    expect(page.locator(".ag-row").first).to_be_visible()


def cell(page: Page, row: int, column: str):
    return page.locator(f'.ag-center-cols-container .ag-row[row-id="{row}"] [col-id="{column}"]')


def edit(page: Page, row: int, column: str, value: str) -> None:
    """Type into a grid cell as a person does: click, type, Enter; wait until it is saved."""
    saved = page.locator("#message").inner_text() if page.locator("#message").count() else ""
    cell(page, row, column).click()
    editor = page.locator(".ag-cell-inline-editing input")
    editor.fill(value)
    editor.press("Enter")
    expect(cell(page, row, column)).to_have_text(value)
    expect(page.locator("#message")).not_to_have_text(saved)


def choose_in(page: Page, row: int, column: str, value: str) -> None:
    """Pick a value in a grid cell's list, as a person does: open the cell, open its list."""
    saved = page.locator("#message").inner_text()
    cell(page, row, column).click()
    page.locator(".ag-cell-inline-editing .ag-picker-field-wrapper").click()
    page.get_by_role("option", name=value, exact=True).click()
    expect(cell(page, row, column)).to_have_text(value)
    expect(page.locator("#message")).not_to_have_text(saved)


def test_two_curators_take_a_report_live_and_out_again(person: Page, browser: Browser, site):
    url, root = site
    report = root / "hefei_festival.docx"
    document = docx.Document()
    for paragraph in DOCX_PARAGRAPHS:
        document.add_paragraph(paragraph)
    document.save(report)
    gbk = root / "chuzhou_food.txt"
    gbk.write_bytes(GBK_TEXT.encode("gbk"))

    page = person
    sign_in(page, url, CURATORS[0])
    # A GBK text is read as Chinese, its figure found.
    upload(page, gbk)
    expect(page.locator("#report-text")).to_contain_text("亭城好物")
    expect(cell(page, 0, "raw")).to_have_text("8600万元")
    # The .docx: reviewed, edited, completed, submitted.
    page.click(".curate-back")
    upload(page, report)
    expect(page.locator("#report-text")).to_contain_text(DOCX_PARAGRAPHS[1])
    expect(page.locator("#report-text mark")).to_have_count(2)  # 超过2亿元, 35家
    expect(cell(page, 0, "raw")).to_have_text("超过2亿元")
    # Two cells typed one after the other, without waiting for the first save: both land.
    for column, value in (
        ("label_zh", "徽风皖韵家电节：京东销售额"),
        ("label_en", "Huifeng Wanyun appliance festival: JD sales"),
    ):
        cell(page, 0, column).click()
        page.locator(".ag-cell-inline-editing input").fill(value)
        page.locator(".ag-cell-inline-editing input").press("Enter")
    # Both saves land. Which answer the page shows last is the one the server finished last:
    # on PostgreSQL the second edit's save may finish first (第 2 版), the first's then makes
    # 第 3 版 — so the stored draft is read back until it holds both, as a person reloading.
    expect(page.locator("#message")).to_contain_text("已保存", timeout=15_000)
    labels = ("徽风皖韵家电节：京东销售额", "Huifeng Wanyun appliance festival: JD sales")
    for _ in range(20):
        page.reload()  # the review is saved on the server: nothing is lost with the tab
        expect(cell(page, 0, "raw")).to_have_text("超过2亿元")
        if (
            cell(page, 0, "label_zh").inner_text(),
            cell(page, 0, "label_en").inner_text(),
        ) == labels:
            break
        page.wait_for_timeout(250)
    expect(cell(page, 0, "label_zh")).to_have_text(labels[0])
    expect(cell(page, 0, "label_en")).to_have_text(labels[1])
    page.locator(".ag-row[row-id='1']").first.click()
    expect(page.locator("#sentence")).to_contain_text("首批35家家电企业签约入驻")
    # The same words say a second thing the search did not make a row of: 35 companies
    # also took part in the festival.
    page.fill("#quote", "2019年3月，首批35家家电企业签约入驻京东合肥馆，并全部参加了本次家电节")
    before = page.locator("#message").inner_text()
    page.click("#add-quote")
    expect(page.locator("#message")).not_to_have_text(before, timeout=15_000)
    expect(page.locator("#message")).to_contain_text("已保存")  # else: the reason it was not
    expect(page.locator(".ag-center-cols-container .ag-row")).to_have_count(3)
    choose_in(page, 2, "metric", "companies_participating")
    edit(page, 2, "label_zh", "徽风皖韵家电节：参加的签约企业")
    edit(page, 2, "label_en", "Huifeng Wanyun festival: signed companies taking part")
    expect(page.locator("#problems")).to_contain_text("没有问题")
    page.click("#submit")
    expect(page.locator("#draft-status")).to_have_text("待批准")
    expect(page.locator("#approve")).to_be_disabled()  # not by the one who submitted it
    draft_url = page.url

    # The second curator approves; the dashboard shows the report's figures.
    other = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        second = other.new_page()
        sign_in(second, url, CURATORS[1])
        second.goto(draft_url)
        expect(second.locator("#approval-adds")).to_contain_text("3 项数字")
        expect(second.locator("#approval-adds")).to_contain_text("新城市：合肥")
        expect(second.locator("#approve")).to_be_enabled()
        second.click("#approve")
        expect(second.locator("#message")).to_contain_text("已入库")
        second.click("#approved-link")
        expect(second).to_have_url(re.compile(r"\?source=hefei_festival"))
        table = second.locator("#table")
        expect(table).to_contain_text("徽风皖韵家电节：京东销售额", timeout=20_000)
        expect(table).to_contain_text("徽风皖韵家电节：参加的签约企业")
        with second.expect_download() as download:
            second.get_by_role("button", name="导出 Excel").click()
        workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        figures = workbook.worksheets[1]
        ids = {row[0] for row in figures.iter_rows(min_row=2, values_only=True)}
        assert {"hefei-festival-1", "hefei-festival-3"} <= ids

        # A withdrawal takes them out of the dashboard again.
        second.goto(url + "/curate/")
        second.locator("#withdraw-source").click()
        second.locator(".dash-dropdown-content [role=option]", has_text="hefei_festival").click()
        second.fill("#withdraw-reason", "a test report")
        second.click("#withdraw")
        expect(second.locator("#withdraw-message")).to_contain_text("已撤下 hefei_festival")
        second.goto(url + "/")
        expect(second.locator("#footer")).to_contain_text("数据版本 4", timeout=20_000)
        expect(second.locator("#table")).not_to_contain_text("徽风皖韵")
    finally:
        other.close()


def test_html_and_script_in_a_report_stay_text(person: Page, site):
    url, _ = site
    page = person
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, url, CURATORS[0])
    page.click("#upload-link")
    hostile = (
        "2019年5月，蚌埠市举办电商节，线上销售额超过3亿元。"
        '<script>alert("report")</script><img src=x onerror="alert(1)"><b>加粗</b>\n'
    )
    page.fill("#upload-pasted", hostile)
    page.click("#upload-button")
    expect(page.locator("#report-text")).to_contain_text('<script>alert("report")</script>')
    expect(page.locator("#report-text")).to_contain_text("<b>加粗</b>")
    assert page.locator("#report-text script, #report-text img, #report-text b").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == []
