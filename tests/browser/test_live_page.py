"""A page left open while a report is added: it shows the new version by itself — the footer,
the figures table, the city and campaign filters — without a reload, and without an error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from benchmarks.stack import serve_stack
from dashboard.layout import VERSION_POLL_MS
from metrics.store import FolderStore

from ..conftest import DATA
from ..test_live import hefei_report
from .test_dashboard import choose, open_page


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("live") / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="module")
def live_server(data: Path) -> Iterator[str]:
    """This module's server, the whole production stack (nginx in front of gunicorn), on a
    copy of the data it can change."""
    with serve_stack(workers=2, data=data, env={"METRICS_POLL_SECONDS": "1"}) as server:
        yield server.url


def test_an_open_page_shows_a_new_report_without_a_reload(page: Page, live_server, data):
    open_page(page, live_server)
    footer = page.locator("#footer")
    expect(footer).to_contain_text("数据版本 2")
    page.evaluate("window.__marker = 'still the same page'")
    FolderStore(data).add(hefei_report(1), actor="li.wei")
    # The server picks it up in a second or two, the page asks every VERSION_POLL_MS.
    wait = VERSION_POLL_MS + 10_000
    expect(footer).to_contain_text("数据版本 3", timeout=wait)
    expect(page.get_by_role("row").filter(has_text="合肥第1届电商节：销售额")).to_be_visible()
    choose(page, "f-city", "合肥")
    expect(page.locator("#kpi-campaign_sales")).to_contain_text(">2亿元")
    assert page.evaluate("window.__marker") == "still the same page"
