"""Make the README's screenshot of the Chinese view from the running app.

Usage: ``make screenshot`` (or ``.venv/bin/python scripts/screenshot.py [OUT.png]``). Serves the
app on a free loopback port, opens it in Debian's headless chromium at laptop width, waits for
the charts, and saves the picture. CJK glyphs need a CJK font installed
(scripts/install-system-deps.sh installs one).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import server  # noqa: E402 - the app module is found through ROOT

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1366, "height": 1180}


def main(out: Path) -> None:
    http = make_server("127.0.0.1", 0, server, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http.server_port}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
            page.goto(url)
            page.wait_for_selector("#chart-sales .bars path")
            page.wait_for_selector("#kpi-campaign_sales")
            page.wait_for_timeout(800)  # let plotly finish its transitions
            page.screenshot(path=str(out))
            browser.close()
    finally:
        http.shutdown()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot-zh.png")
