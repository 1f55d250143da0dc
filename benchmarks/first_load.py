"""Benchmark: the page's first load in headless Chromium: bytes on the wire, time to first chart.

    .venv/bin/python benchmarks/first_load.py [--figures 1000000] [--repeat 5]

Serves the app with gunicorn (production's command) on the bundled data and on a synthetic
national dataset, then opens the page in Debian's Chromium, each time in a fresh browser context
(empty cache), as a new visitor would. Measured: the bytes of every response as they came over
the wire (compressed; Chromium's own count of body and headers) against the same bodies
uncompressed, and the time from navigation start until the first chart has drawn its bars.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import serve, synthetic_data  # noqa: E402 - found through ROOT
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

# The sales chart has drawn when its plot holds traces and bars are on the page.
CHART_DRAWN = """() => {
    const plot = document.querySelector('#chart-sales .js-plotly-plot');
    return plot && plot.data && plot.data.length > 0 && plot.querySelector('.bars path');
}"""


def visit(browser, url: str) -> tuple[float, int, int]:
    """One first visit: (ms to the first chart, bytes on the wire, bytes uncompressed)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url)
    page.wait_for_function(CHART_DRAWN, timeout=120_000)
    first_chart = page.evaluate("performance.now()")  # ms since navigation started
    page.wait_for_load_state("networkidle")
    wire = raw = 0
    for response in responses:
        sizes = response.request.sizes()
        wire += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        raw += len(response.body()) if response.status == 200 else 0
    context.close()
    return first_chart, wire, raw


def measure(data: Path | None, repeat: int) -> tuple[float, float, float]:
    with serve(workers=2, data=data, ready_timeout=900) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        visit(browser, server.url)  # the server's first answers are not a visitor's
        runs = [visit(browser, server.url) for _ in range(repeat)]
        browser.close()
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        statistics.median(r[2] for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"## First load in headless Chromium (median of {args.repeat} fresh visitors)\n")
    print("| dataset | first chart (ms) | on the wire (MiB) | uncompressed (MiB) | wire / raw |")
    print("|---|---|---|---|---|")
    for name, data in (
        ("bundled (7 figures)", None),
        (f"synthetic ({args.figures:,} figures)", synthetic_data(args.figures)),
    ):
        ms, wire, raw = measure(data, args.repeat)
        print(f"| {name} | {ms:.0f} | {wire / 2**20:.2f} | {raw / 2**20:.2f} | {wire / raw:.2f} |")


if __name__ == "__main__":
    main()
