"""Benchmark: bytes of the page's first load, on the wire (brotli/gzip) and uncompressed.

    .venv/bin/python benchmarks/first_load.py

Serves the app (bundled data) on a free loopback port, then fetches the page, every script and
style it names, the layout, the callback graph and the scripts Dash loads on demand for the
components on the page, once with ``Accept-Encoding: br, gzip`` and once with ``identity``.
"""

from __future__ import annotations

import re
import sys
import threading
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import server  # noqa: E402 - found through ROOT

# Loaded by Dash after the page starts, for the graph, dropdown, slider and table on it.
ON_DEMAND = (
    "/_dash-layout",
    "/_dash-dependencies",
    "/_dash-component-suites/plotly/package_data/plotly.min.js",
    "/_dash-component-suites/dash/dcc/async-graph.js",
    "/_dash-component-suites/dash/dcc/async-dropdown.js",
    "/_dash-component-suites/dash/dcc/async-slider.js",
    "/_dash-component-suites/dash/dash_table/async-table.js",
    "/_dash-component-suites/dash/dash_table/async-highlight.js",
)


def fetch(url: str, encoding: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(request) as response:
        return response.read()


def main() -> None:
    http = make_server("127.0.0.1", 0, server, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{http.server_port}"
    try:
        page = fetch(base + "/", "identity").decode()
        paths = ["/", *re.findall(r'(?:src|href)="(/[^"]+)"', page), *ON_DEMAND]
        raw = sum(len(fetch(base + p, "identity")) for p in dict.fromkeys(paths))
        wire = sum(len(fetch(base + p, "br, gzip")) for p in dict.fromkeys(paths))
    finally:
        http.shutdown()
    print("First load of the bundled dashboard")
    print("| | MiB |")
    print("|---|---|")
    print(f"| uncompressed | {raw / 2**20:.2f} |")
    print(f"| on the wire (brotli/gzip) | {wire / 2**20:.2f} |")
    print(f"on the wire / uncompressed: {wire / raw:.2f}x")


if __name__ == "__main__":
    main()
