"""Make the README's screenshots from the running app: the dashboard in Chinese and in
English, the whole page on a national dataset, and the curation page reviewing a report.

Usage: ``make screenshot`` (or ``.venv/bin/python scripts/screenshot.py``). Serves the app on a
free loopback port, opens it in Debian's headless chromium at laptop width, waits for every
chart, and saves the pictures (docs/screenshot-zh.png, docs/screenshot-en.png). Then the whole
page on 100,000 synthetic figures (``metrics synth``, seeded: docs/screenshot-national.png).
Then the same on a copy of the data, with a curator who signs in and opens a report uploaded
for the picture (docs/screenshot-curation.png). CJK glyphs need a CJK font installed
(scripts/install-system-deps.sh installs one).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, server  # noqa: E402 - the app module is found through ROOT
from dashboard.charts import CHARTS  # noqa: E402
from metrics.curate.accounts import new_account  # noqa: E402
from metrics.curate.formats import read_upload  # noqa: E402
from metrics.curate.workflow import Curation  # noqa: E402
from metrics.curate.workspace import open_workspace  # noqa: E402
from metrics.store import FolderStore  # noqa: E402
from metrics.synth import synthesize  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1366, "height": 1180}
PASSWORD = "screenshot-only-password"
# A report written for the picture: a festival's sales, companies that signed and took part.
REPORT = (
    "2019年3月，合肥市与京东联合举办“徽风皖韵”家电节。\n\n"
    "2019年3月活动期间，参与家电企业在京东的销售额超过2亿元，较上年增长约三成。\n\n"
    "2019年3月，首批35家家电企业签约入驻京东合肥馆，并全部参加了本次家电节。\n"
)


@contextmanager
def served(wsgi: object) -> Iterator[str]:
    http = make_server("127.0.0.1", 0, wsgi, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()


NATIONAL_FIGURES = 100_000


def dashboard(browser: object, wsgi: object, path: str, out: Path, *, whole: bool = False) -> None:
    """The page at ``path``, once every chart has drawn: the top of it, or ``whole``."""
    with served(wsgi) as url:
        page = browser.new_page(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
        page.goto(url + path)
        page.wait_for_selector("#kpi-campaign_sales .kpi-value")
        for chart in CHARTS:
            page.wait_for_selector(f"#{chart.id} .gtitle")
        if whole:  # a window as tall as the page: a full-page capture resizes the window,
            # and the grid, redrawing its rows for the new size, is caught empty
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.wait_for_selector("#table .ag-center-cols-container .ag-row .ag-cell")  # the rows
        page.wait_for_timeout(800)  # let plotly and the grid finish drawing
        page.screenshot(path=str(out))
    print(f"wrote {out}")


def national(browser: object, out: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data = synthesize(NATIONAL_FIGURES, Path(scratch) / "data")
        os.environ["METRICS_INSTANCE_DIR"] = str(Path(scratch) / "instance")
        dashboard(browser, create_app(str(data)).server, "/", out, whole=True)


def curation(browser: object, out: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copytree(ROOT / "data", Path(scratch) / "data")
        os.environ["METRICS_INSTANCE_DIR"] = str(Path(scratch) / "instance")
        store = FolderStore(Path(scratch) / "data")
        workspace = open_workspace(store)
        workspace.put_account(new_account("li.wei", "curator", PASSWORD), new=True)
        app = create_app(store=store)
        draft = Curation(store, workspace).upload(
            workspace.account("li.wei"),
            read_upload("hefei_festival.txt", REPORT.encode("gb18030")),
            store.load(),
            filename="hefei_festival.txt",
        )
        with served(app.server) as url:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
            page.goto(url + "/login")
            page.fill("#username", "li.wei")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{url}/curate/?draft={draft.id}")
            page.wait_for_selector(".ag-row")
            page.locator(".ag-center-cols-container .ag-row").first.click()
            page.wait_for_timeout(800)
            page.screenshot(path=str(out))
    print(f"wrote {out}")


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        docs = ROOT / "docs"
        dashboard(browser, server, "/", docs / "screenshot-zh.png")
        dashboard(browser, server, "/?lang=en", docs / "screenshot-en.png")
        national(browser, docs / "screenshot-national.png")
        curation(browser, docs / "screenshot-curation.png")
        browser.close()


if __name__ == "__main__":
    main()
