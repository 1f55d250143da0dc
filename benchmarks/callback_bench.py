"""Benchmark: each callback's time through gunicorn at national scale, against bare pandas.

    .venv/bin/python benchmarks/callback_bench.py [--figures 1000000] [--data DIR]

Serves the app with one gunicorn worker on a synthetic dataset (``metrics synth``, seeded), opens
the page as a browser does (``benchmarks/load_test.py``'s simulated dash-renderer), then makes
typical filter changes: one city, one province, one industry, one campaign, a metric, a period.
Each change is posted to ``/_dash-update-component`` exactly as the page posts it: the state
callback, then every callback the new state triggers, then the table's request for its first
page of rows. The time of each request is measured on
loopback, so it includes HTTP, JSON and compression. Every query is new to the worker (its
answers are not cached yet); then the same queries are asked again (cached).

Baseline: the same queries in bare pandas (``benchmarks/pandas_server.py``: filter the figures
joined with their industries, sum by city and industry, the least any dashboard must compute for
that view's sales chart), timed in this process and served by the same gunicorn over HTTP; the
ratio is against the latter, like for like.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import serve, synthetic_data  # noqa: E402 - found through ROOT
from benchmarks.load_test import Browser, RequestLog  # noqa: E402
from benchmarks.pandas_server import Query, baseline  # noqa: E402

PANDAS_APP = "benchmarks.pandas_server:app"


def typical_queries(data: Path, rng: random.Random) -> list[Query]:
    """Filter changes a person makes, with values drawn from the dataset (seeded)."""
    cities = pd.read_csv(data / "cities.csv", dtype=str)
    industries = pd.read_csv(data / "industries.csv", dtype=str)["industry"]
    events = pd.read_csv(data / "events.csv", dtype=str, usecols=["event_id"])["event_id"]
    metrics = pd.read_csv(data / "metrics.csv", dtype=str)["metric"]
    provinces = sorted(set(cities["province"]))
    return [
        *[("f-city", [c]) for c in rng.sample(list(cities["city"]), 6)],
        *[("f-province", [p]) for p in rng.sample(provinces, 4)],
        *[("f-industry", [i]) for i in rng.sample(list(industries), 4)],
        *[("f-campaign", [e]) for e in rng.sample(list(events), 2)],
        *[("f-metric", [m]) for m in rng.sample(list(metrics), 2)],
        *[("f-period", [y, y + 1]) for y in rng.sample(range(2016, 2024), 2)],
    ]


def ask(browser: Browser, queries: list[Query]) -> None:
    """Make each change on a page whose filters are otherwise cleared, as a person would."""
    for control, value in queries:
        for key, node in browser.components.items():
            if key.startswith("f-") and node["type"] == "Dropdown":
                node["props"]["value"] = []
            elif key.startswith("f-") and node["type"] == "RangeSlider":
                node["props"]["value"] = [node["props"]["min"], node["props"]["max"]]
        browser.set_prop(control, "value", value)
        browser.ask_for_rows()  # the table empties on a new view and asks for its first page


def medians(log: RequestLog) -> dict[str, float]:
    return {
        kind.removeprefix("callback "): statistics.median(values) * 1000
        for kind, values in log.latencies.items()
        if kind.startswith("callback ")
    }


def pandas_over_http(url: str, queries: list[Query]) -> list[float]:
    """Milliseconds for each query posted to the bare pandas server, after one pass to warm the
    worker up as the dashboard's is by opening the page (pandas caches nothing: the second pass
    computes every query again)."""
    session = requests.Session()
    for _ in range(2):
        times = []
        for control, value in queries:
            start = time.perf_counter()
            body = {"control": control, "value": value}
            session.post(url, json=body, timeout=60).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, help="a data directory instead of synthetic data")
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args()
    data = args.data or synthetic_data(args.figures)
    queries = typical_queries(data, random.Random(args.seed))

    query, in_process = baseline(data), []
    for item in queries:
        start = time.perf_counter()
        query(item)
        in_process.append((time.perf_counter() - start) * 1000)
    with serve(workers=1, data=data, app=PANDAS_APP) as server:
        over_http = statistics.median(pandas_over_http(server.url, queries))

    started = time.perf_counter()
    with serve(workers=1, data=data, ready_timeout=900) as server:
        ready = time.perf_counter() - started
        page = Browser(server.url, RequestLog(), random.Random(args.seed))
        page.open_page()
        fresh, cached = RequestLog(), RequestLog()
        page.log = fresh
        ask(page, queries)
        page.log = cached
        ask(page, queries)
        errors = sum(fresh.errors.values()) + sum(cached.errors.values())

    figures = sum(1 for _ in (data / "figures.csv").open(encoding="utf-8")) - 1
    print(f"## Callbacks at {figures:,} figures\n")
    print(
        f"{len(queries)} typical filter changes through one gunicorn worker (ready {ready:.0f} s "
        "after start). Baseline, the same queries in bare pandas (filter, then sum by city and "
        f"industry): median **{statistics.median(in_process):.1f} ms** in process, "
        f"**{over_http:.1f} ms** served by the same gunicorn over HTTP.\n"
    )
    print("| callback | median, new query (ms) | × pandas over HTTP | median, cached (ms) |")
    print("|---|---|---|---|")
    new, again = medians(fresh), medians(cached)
    for name in sorted(new, key=lambda k: -new[k]):
        print(f"| {name} | {new[name]:.0f} | {new[name] / over_http:.1f}× | {again[name]:.0f} |")
    print(f"\nerrors: {errors}")


if __name__ == "__main__":
    main()
