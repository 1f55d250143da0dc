"""Fixtures for the browser tests: the app under gunicorn, Debian's chromium, and a page that
fails its test if it reaches outside the app's own server or logs an error.

The dashboard must work on a closed intranet, so any request to another host is a bug even when
it happens to succeed here. Playwright's own browser download is unavailable (and would not be
the browser users have), so the tests drive /usr/bin/chromium, which ``make test`` installs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from ..conftest import start_gunicorn

CHROMIUM = Path("/usr/bin/chromium")

# Headless in a container as root: chromium refuses to start as root with its sandbox (Playwright
# drops it by default too; explicit here), and there is no GPU. The rest stop chromium's own
# traffic (updates, sync, QUIC) so that only the page uses the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Inline data the page makes itself; it never leaves the browser.
_LOCAL_SCHEMES = {"data", "blob"}


def foreign_requests(urls: Iterable[str], base_url: str) -> list[str]:
    """The URLs, in order, that went to a host:port other than ``base_url``'s.

    A page that loads a font, script or style from elsewhere breaks on an intranet, so this is
    what the ``page`` fixture refuses; ``data:`` and ``blob:`` URLs stay in the browser.
    """
    own = urlsplit(base_url).netloc
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in _LOCAL_SCHEMES and urlsplit(url).netloc != own
    ]


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The base URL of the app under gunicorn, started once for all browser tests."""
    with start_gunicorn() as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless chromium; a missing one is an error, never a silent skip."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make test`, which installs chromium "
            "(scripts/install-system-deps.sh)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """The page's console errors and uncaught exceptions so far.

    A test that expects one removes it from this list; whatever remains fails the test.
    """
    return []


@pytest.fixture
def page(browser: Browser, live_server: str, console_errors: list[str]) -> Iterator[Page]:
    """A fresh zh-CN page at laptop size; its test fails if the page requested anything outside
    ``live_server`` or logged an error (see ``console_errors``)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            source = message.location["url"]
            console_errors.append(
                f"console error: {message.text}" + (f" ({source})" if source else "")
            )

    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(f"page error: {error}"))
    yield page
    context.close()

    problems = [
        f"request outside the app: {url}" for url in foreign_requests(requested, live_server)
    ]
    problems += console_errors
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
