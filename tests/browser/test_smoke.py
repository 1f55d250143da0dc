"""The page works in a real browser, from the app's own server alone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import foreign_requests


def test_page_renders_the_figures(page: Page, live_server: str) -> None:
    # Dash builds the table in the browser from /_dash-layout, so wait for it to appear.
    page.goto(live_server + "/")
    expect(page).to_have_title("区域数字经济指标")
    expect(page.get_by_role("row").filter(has_text="1.36亿元")).to_be_visible()


def test_requests_to_other_hosts_are_caught() -> None:
    base_url = "http://127.0.0.1:8123"
    urls = [
        "http://example.com/x",
        "https://fonts.googleapis.com/css",
        f"{base_url}/_dash-layout",
        "data:image/png;base64,iVBORw0KGgo=",
        "blob:http://127.0.0.1:8123/0b3f",
        "http://127.0.0.1:8124/other-port",
        "http://localhost:8123/same-machine-other-name",
    ]
    assert foreign_requests(urls, base_url) == [
        "http://example.com/x",
        "https://fonts.googleapis.com/css",
        "http://127.0.0.1:8124/other-port",
        "http://localhost:8123/same-machine-other-name",
    ]
