"""Make the README's screenshots from the running app: the Chinese view of the dashboard, and
the curation page reviewing a report.

Usage: ``make screenshot`` (or ``.venv/bin/python scripts/screenshot.py``). Serves the app on a
free loopback port, opens it in Debian's headless chromium at laptop width, waits for the
charts, and saves the picture (docs/screenshot-zh.png). Then the same on a copy of the data,
with a curator who signs in and opens a report uploaded for the picture
(docs/screenshot-curation.png). CJK glyphs need a CJK font installed
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
from metrics.curate.accounts import new_account  # noqa: E402
from metrics.curate.formats import read_upload  # noqa: E402
from metrics.curate.workflow import Curation  # noqa: E402
from metrics.curate.workspace import open_workspace  # noqa: E402
from metrics.store import FolderStore  # noqa: E402

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


def dashboard(browser: object, out: Path) -> None:
    with served(server) as url:
        page = browser.new_page(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
        page.goto(url + "/")
        page.wait_for_selector("#chart-sales .bars path")
        page.wait_for_selector("#kpi-campaign_sales")
        page.wait_for_timeout(800)  # let plotly finish its transitions
        page.screenshot(path=str(out))
    print(f"wrote {out}")


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
        dashboard(browser, ROOT / "docs" / "screenshot-zh.png")
        curation(browser, ROOT / "docs" / "screenshot-curation.png")
        browser.close()


if __name__ == "__main__":
    main()
