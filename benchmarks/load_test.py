"""Load on loopback: simulated users against gunicorn, talking to Dash as the browser does.

    .venv/bin/python benchmarks/load_test.py [--duration 60] [--users 20] [--workers 2]
                                             [--think 1.0] [--data DIR]

Starts ``gunicorn app:server`` itself (with ``-c gunicorn.conf.py`` when the repository has one;
bind and workers are set here) on a free loopback port and waits until it answers. Each user
then opens the page (``/``, the layout, the callback graph), runs the page's initial callbacks,
and until the time is up changes a filter, the period, the language or clicks reset (the state
callback, then every callback the new state triggers, in order) or, one action in ten, exports
(the Excel file must decode to a zip). The requests are built from ``/_dash-dependencies`` and
the layout, not from a list kept here, so the script follows the app when its callbacks change.

Prints a markdown table per request kind (count, throughput, p50/p95/p99 latency, errors) and
stops the server; exits 1 if any request failed (non-2xx, an exception or a timeout). Bounded:
users stop at the deadline, the run is abandoned ``--grace`` seconds after it, and gunicorn's
whole process group is killed in every case.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import json
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import serve  # noqa: E402 - found through ROOT
from dashboard.layout import FIRST_DRAWN  # noqa: E402

REQUEST_TIMEOUT = 30.0  # gunicorn's own worker timeout: a slower answer is an error anyway
EXPORT_SHARE = 0.1  # one action in ten is an export
MAX_CASCADE = 50  # callbacks one action may trigger; more means the graph loops
TARGET_P95_MS = 500.0


# --- a browser's side of Dash ----------------------------------------------------------------


def stringify_id(component_id: str | dict) -> str:
    """Dash's own key for an id (``dash._utils.stringify_id``): dict ids as sorted JSON."""
    if isinstance(component_id, dict):
        return (
            "{"
            + ",".join(
                f"{json.dumps(k)}:{json.dumps(component_id[k])}" for k in sorted(component_id)
            )
            + "}"
        )
    return component_id


def parse_id(text: str) -> str | dict:
    return json.loads(text) if text.startswith("{") else text


def split_outputs(output: str) -> list[tuple[str, str]]:
    """``..a.x...b.y..`` (several outputs) or ``a.x`` into (id, property) pairs."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(part.rsplit(".", 1)) for part in parts]  # type: ignore[misc]


def is_wildcard(spec: str) -> bool:
    return spec.startswith("{") and any(isinstance(v, list) for v in json.loads(spec).values())


class RequestLog:
    """Latencies and errors of every request, shared by all users."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.actions: dict[str, list[float]] = defaultdict(list)  # what a person waits for

    def action(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.actions[kind].append(seconds)

    def record(self, kind: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
        if error:
            self.error(kind, error)

    def error(self, kind: str, message: str) -> None:
        """An error; with no latency when it is not a request's (a bad file, a stuck user)."""
        with self.lock:
            self.errors[kind] += 1
            if len(self.samples) < 10:
                self.samples.append(f"{kind}: {message}")


class RequestFailed(Exception):
    """A request that counted as an error; the user reloads the page and carries on."""


@dataclass
class Browser:
    """One user's page: the components by id, the callback graph, and how a browser fires it.

    A simplified dash-renderer: a changed property fires every other callback that takes it as
    an input, in order; components that a response adds fire the callbacks whose inputs they
    match; wildcard (ALL) ids expand to the components on the page.
    """

    url: str
    log: RequestLog
    rng: random.Random
    session: requests.Session = field(default_factory=requests.Session)
    components: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {type, props}
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    layout: Any = None

    def get(self, path: str) -> requests.Response:
        return self.request("GET " + path, "GET", path)

    def request(self, kind: str, method: str, path: str, body: Any = None) -> requests.Response:
        start = time.perf_counter()
        try:
            response = self.session.request(
                method, self.url + path, json=body, timeout=REQUEST_TIMEOUT
            )
        except requests.RequestException as exc:
            self.log.record(kind, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"[:200])
            raise RequestFailed(kind) from exc
        seconds = time.perf_counter() - start
        if response.status_code not in (200, 204):  # 204: the callback chose not to update
            self.log.record(kind, seconds, f"HTTP {response.status_code}: {response.text[:120]}")
            raise RequestFailed(kind)
        self.log.record(kind, seconds)
        return response

    def open_page(self) -> None:
        self.get("/")
        self.layout = self.get("/_dash-layout").json()
        # The page runs its clientside callbacks itself: only the others reach the server.
        graph = self.get("/_dash-dependencies").json()
        self.callbacks = [cb for cb in graph if not cb.get("clientside_function")]
        self.index()
        initial = [cb for cb in self.callbacks if not cb.get("prevent_initial_call")]
        # Callbacks fed by another callback's output wait for it, as in the browser ...
        upstream = [
            cb
            for cb in initial
            if not any(
                self.input_keys(cb) & self.output_keys(other)
                for other in self.callbacks
                if other is not cb
            )
        ]
        fired = self.run([(cb, []) for cb in upstream])
        # ... and the browser also runs those that nothing upstream ended up triggering.
        self.run([(cb, []) for cb in initial if id(cb) not in fired])
        # The page says when its first chart has drawn (assets/page.js); the rest follow.
        self.set_prop(FIRST_DRAWN, "data", True)
        self.ask_for_rows()

    def set_prop(self, key: str, prop: str, value: Any) -> None:
        """What the page's own script does: set a prop, and run what it triggers."""
        self.components[key]["props"][prop] = value
        changed = f"{key}.{prop}"
        self.run([(cb, [changed]) for cb in self.callbacks if changed in self.input_keys(cb)])

    def ask_for_rows(self) -> None:
        """What an AG Grid with server-side rows does on a new view: ask for its first page."""
        for key, node in self.components.items():
            if node["type"] == "AgGrid" and node["props"].get("rowModelType") == "infinite":
                size = node["props"].get("dashGridOptions", {}).get("cacheBlockSize", 100)
                self.set_prop(key, "getRowsRequest", {"startRow": 0, "endRow": size})

    def index(self) -> set[str]:
        """(Re)index the components on the page; return the ids of components just rendered."""
        before = self.components
        self.components = {}

        def walk(node: Any) -> None:
            if isinstance(node, list):
                for child in node:
                    walk(child)
            elif isinstance(node, dict) and "props" in node and "type" in node:
                if "id" in node["props"]:
                    self.components[stringify_id(node["props"]["id"])] = node
                for value in node["props"].values():
                    walk(value)

        walk(self.layout)
        # A re-rendered component is new to the renderer even when its id was there before.
        return {k for k, node in self.components.items() if before.get(k) is not node}

    def matches(self, spec: str) -> list[str]:
        """Ids on the page that an id spec names (a wildcard spec may name none or many)."""
        if not is_wildcard(spec):
            return [spec]
        pattern = json.loads(spec)
        found = []
        for key in self.components:
            if key.startswith("{"):
                candidate = json.loads(key)
                if candidate.keys() == pattern.keys() and all(
                    isinstance(v, list) or candidate[k] == v for k, v in pattern.items()
                ):
                    found.append(key)
        return found

    def value(self, key: str, prop: str) -> Any:
        if prop == "id":
            return parse_id(key)
        return self.components.get(key, {}).get("props", {}).get(prop)

    def input_keys(self, cb: dict[str, Any]) -> set[str]:
        return {f"{k}.{i['property']}" for i in cb["inputs"] for k in self.matches(i["id"])}

    def output_keys(self, cb: dict[str, Any]) -> set[str]:
        return {f"{k}.{p}" for spec, p in split_outputs(cb["output"]) for k in self.matches(spec)}

    def body(self, cb: dict[str, Any], changed: list[str]) -> dict[str, Any]:
        def entry(spec: str, prop: str, with_value: bool) -> Any:
            def one(key: str) -> dict[str, Any]:
                item: dict[str, Any] = {"id": parse_id(key), "property": prop}
                if with_value:
                    item["value"] = self.value(key, prop)
                return item

            return [one(k) for k in self.matches(spec)] if is_wildcard(spec) else one(spec)

        outputs = [entry(spec, prop, False) for spec, prop in split_outputs(cb["output"])]
        return {
            "output": cb["output"],
            "outputs": outputs if cb["output"].startswith("..") else outputs[0],
            "inputs": [entry(i["id"], i["property"], True) for i in cb["inputs"]],
            "state": [entry(s["id"], s["property"], True) for s in cb.get("state", [])],
            "changedPropIds": changed,
        }

    def label(self, cb: dict[str, Any]) -> str:
        """``callback chart-sales.figure +4``: its first plain output, and how many more."""
        outputs = split_outputs(cb["output"])
        first = next((o for o in outputs if not is_wildcard(o[0])), outputs[0])
        more = f" +{len(outputs) - 1}" if len(outputs) > 1 else ""
        return f"callback {'.'.join(first)}{more}"

    def fire(
        self, cb: dict[str, Any], changed: list[str], kind: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """POST one callback; apply and return what it changed ({id: {property: value}})."""
        specs = [json.loads(i["id"]) for i in cb["inputs"] if is_wildcard(i["id"])]
        if any(v not in (["ALL"],) for spec in specs for v in spec.values() if isinstance(v, list)):
            return {}  # MATCH/ALLSMALLER callbacks are not simulated (the page has none)
        response = self.request(
            kind or self.label(cb), "POST", "/_dash-update-component", self.body(cb, changed)
        )
        if response.status_code == 204:
            return {}
        updates: dict[str, dict[str, Any]] = response.json().get("response", {})
        for key, props in updates.items():
            if key in self.components:
                self.components[key]["props"].update(props)
        return updates

    def run(self, queue: list[tuple[dict[str, Any], list[str]]]) -> set[int]:
        """Fire callbacks and, as the renderer does, every callback their changes trigger."""
        fired: set[int] = set()
        steps = 0
        while queue:
            steps += 1
            if steps > MAX_CASCADE:
                raise RuntimeError(f"more than {MAX_CASCADE} callbacks for one action: a loop?")
            cb, changed = queue.pop(0)
            fired.add(id(cb))
            updates = self.fire(cb, changed)
            new = self.index() if updates else set()
            changed_now = {f"{k}.{p}" for k, props in updates.items() for p in props}
            changed_now |= {
                f"{k}.{i['property']}" for c in self.callbacks for i in c["inputs"] for k in new
            }
            for other in self.callbacks:
                if other is cb:
                    continue  # a callback does not retrigger itself
                trigger = sorted(self.input_keys(other) & changed_now)
                if other.get("prevent_initial_call"):
                    trigger = [t for t in trigger if t.rsplit(".", 1)[0] not in new]
                if not trigger:
                    continue
                queued = next((q for q in queue if q[0] is other), None)
                if queued:
                    queued[1][:] = sorted(set(queued[1]) | set(trigger))
                else:
                    queue.append((other, trigger))
        return fired

    def controls(self) -> list[tuple[str, str]]:
        """What a person can change: dropdowns, sliders and buttons that feed a callback."""
        kinds = {("Dropdown", "value"), ("RangeSlider", "value"), ("Button", "n_clicks")}
        export = self.export_trigger()
        found = {
            (i["id"], i["property"])
            for cb in self.callbacks
            for i in cb["inputs"]
            if i["id"] in self.components
            and (self.components[i["id"]]["type"], i["property"]) in kinds
        }
        return sorted(found - {export[1:]} if export else found)

    def change_something(self) -> None:
        key, prop = self.rng.choice(self.controls())
        node = self.components[key]
        props = node["props"]
        value = props.get(prop)
        if node["type"] == "Dropdown":
            values = [o["value"] if isinstance(o, dict) else o for o in props.get("options") or []]
            if props.get("multi"):
                value = self.rng.sample(values, min(len(values), self.rng.choice((0, 1, 1, 2))))
            elif values:
                value = self.rng.choice(values)
        elif node["type"] == "RangeSlider":
            low, high = sorted(self.rng.randint(props["min"], props["max"]) for _ in range(2))
            value = [low, high]
        else:
            value = (value or 0) + 1
        self.set_prop(key, prop, value)
        self.ask_for_rows()

    def export_trigger(self) -> tuple[dict[str, Any], str, str] | None:
        """The callback that fills a dcc.Download, and the button (n_clicks) that fires it."""
        for cb in self.callbacks:
            targets = [s for s, p in split_outputs(cb["output"]) if p == "data"]
            if any(self.components.get(t, {}).get("type") == "Download" for t in targets):
                for i in cb["inputs"]:
                    if i["property"] == "n_clicks" and not is_wildcard(i["id"]):
                        return cb, i["id"], i["property"]
        return None

    def click_export(self) -> tuple[dict[str, Any], list[str]]:
        """Click the export button: the callback to fire and its changed input."""
        found = self.export_trigger()
        if not found:
            raise RuntimeError("the page has no export (a callback filling a dcc.Download)")
        cb, key, prop = found
        props = self.components[key]["props"]
        props[prop] = (props.get(prop) or 0) + 1
        return cb, [f"{key}.{prop}"]

    def export(self) -> None:
        cb, changed = self.click_export()
        kind = "export " + self.label(cb).removeprefix("callback ")
        updates = self.fire(cb, changed, kind)
        download = next((p["data"] for p in updates.values() if "data" in p), None)
        try:
            content = base64.b64decode(download["content"], validate=True) if download else b""
        except (binascii.Error, TypeError, KeyError):
            content = b""
        if not content.startswith(b"PK"):
            self.log.error(kind, "the answer is not an xlsx (zip) file")


def user(
    url: str, log: RequestLog, seed: int, stop_at: float, think: float, stop: threading.Event
) -> None:
    """One person: open the page, then change the view or export until the time is up."""
    rng = random.Random(seed)
    while time.monotonic() < stop_at and not stop.is_set():
        browser = Browser(url, log, rng)
        try:
            start = time.perf_counter()
            browser.open_page()
            log.action("open the page", time.perf_counter() - start)
            while time.monotonic() < stop_at and not stop.is_set():
                if think:
                    time.sleep(rng.uniform(0.5, 1.5) * think)
                start = time.perf_counter()
                if rng.random() < EXPORT_SHARE:
                    browser.export()
                    log.action("export", time.perf_counter() - start)
                else:
                    browser.change_something()
                    log.action("change the view", time.perf_counter() - start)
        except RequestFailed:
            time.sleep(0.5)  # counted already; a person would reload the page
        except Exception as exc:  # a bug here must show in the report, not end the run
            log.error("user script", f"{type(exc).__name__}: {exc}"[:200])
            time.sleep(1)


# --- the report ------------------------------------------------------------------------------


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return (values[0],) * 3
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def table(log: RequestLog, elapsed: float) -> str:
    """Markdown: a row per request kind, busiest first, all requests together, then each kind of
    user action as a whole (its requests one after another: what the person waits for)."""
    lines = [
        "| request | count | req/s | p50 (ms) | p95 (ms) | p99 (ms) | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    kinds = sorted(set(log.latencies) | set(log.errors), key=lambda k: -len(log.latencies[k]))
    every = [s for values in log.latencies.values() for s in values]
    rows = [(k, log.latencies[k], log.errors.get(k, 0)) for k in kinds]
    for name, values, errors in [*rows, ("**all**", every, sum(log.errors.values()))]:
        p50, p95, p99 = (f"{1000 * v:.0f}" for v in percentiles(values)) if values else ("-",) * 3
        rate = len(values) / elapsed
        lines.append(f"| {name} | {len(values)} | {rate:.1f} | {p50} | {p95} | {p99} | {errors} |")
    for name, values in sorted(log.actions.items()):
        p50, p95, p99 = (f"{1000 * v:.0f}" for v in percentiles(values))
        rate = len(values) / elapsed
        lines.append(f"| *action: {name}* | {len(values)} | {rate:.1f} | {p50} | {p95} | {p99} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean pause between a user's actions, s (default 1; 0 = flat out)",
    )
    parser.add_argument("--data", metavar="DIR", help="data directory (default: the bundled data)")
    parser.add_argument(
        "--grace", type=float, default=60, help="hard stop, s after the deadline (default 60)"
    )
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args(argv)

    log = RequestLog()
    stop_event = threading.Event()
    with serve(args.workers, args.data, ready_timeout=300) as server:
        start = time.monotonic()
        stop_at = start + args.duration
        threads = [
            threading.Thread(
                target=user,
                args=(server.url, log, args.seed + n, stop_at, args.think, stop_event),
                daemon=True,
            )
            for n in range(args.users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, stop_at + args.grace - time.monotonic()))
        stop_event.set()
        elapsed = time.monotonic() - start
        stuck = sum(thread.is_alive() for thread in threads)
        if stuck:
            log.error(
                "user script", f"{stuck} users still busy {args.grace:.0f} s after the deadline"
            )
        with log.lock:
            report = table(log, elapsed)
            errors = sum(log.errors.values())
            every = [s for values in log.latencies.values() for s in values]
            samples = list(log.samples)

    config = "gunicorn.conf.py + " if (ROOT / "gunicorn.conf.py").exists() else ""
    print(
        f"Load on loopback, {dt.date.today().isoformat()}: {args.users} users, "
        f"think {args.think:g} s, {args.duration:g} s, {config}{args.workers} workers, "
        f"data {args.data or 'bundled'}; "
        f"{elapsed:.1f} s measured\n"
    )
    print(report)
    p95 = 1000 * percentiles(every)[1] if every else float("nan")
    verdict = "met" if errors == 0 and p95 <= TARGET_P95_MS else "MISSED"
    print(
        f"\ntarget 0 errors and p95 <= {TARGET_P95_MS:.0f} ms: {verdict} "
        f"({errors} errors, p95 {p95:.0f} ms)"
    )
    for sample in samples:
        print("  error:", sample)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
