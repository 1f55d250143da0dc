"""Benchmark: the memory of a production server at 1,000,000 figures before and after a new
version of the data, and the time until every worker serves it.

    .venv/bin/python benchmarks/live_bench.py [--figures 1000000] [--store both|folder|postgresql]
                                              [--workers N] [--changes 5] [--adds 3]

The production stack (``deploy/serve.py``: nginx in front of gunicorn with ``gunicorn.conf.py``,
as ``make serve`` runs it; gunicorn's default number of workers unless ``--workers``) serves a
copy of the national synthetic dataset: a copy of the folder (``benchmarks/.cache/live-bench``,
deleted afterwards) or, with ``METRICS_DATABASE_URL``, a copy of the PostgreSQL database that
``store_bench.py`` keeps in ``benchmarks/.cache/pg``. The master polls the store every 2 s
(``METRICS_POLL_SECONDS=2``). Then:

1. Simulated visitors, one per worker at once, each open the page and change the view
   ``--changes`` times (``load_test.Browser``; no exports), so the workers measured are serving
   workers, not freshly forked ones; the CPU time each process used meanwhile shows who served.
2. Memory: the proportional set size (PSS, ``/proc/PID/smaps_rollup``: shared pages divided
   among the processes sharing them) of the gunicorn master and of each worker, and their
   private pages; the sum of PSS is what the server costs the machine (nginx and PostgreSQL's
   own processes aside).
3. ``python -m metrics add`` adds a report of two figures; from the moment it returns, the
   version callback (the one a page polls) is asked 2 × workers times in a row every 0.25 s,
   until every answer is the new version, and the worker pids are watched until none of the old
   workers is left and the count is back to normal.
4. Memory right away, then the visitors come again and memory is measured again: after /
   before is issue #11's "memory after ≤ 2× before"; the seconds until every answer is new its
   "≤ 10 s". Steps 3 and 4 are repeated ``--adds`` times on the same server (the poll interval
   alone makes the wait vary by 2 s), so the table shows each version and the median.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import runpy
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import CACHE, synthetic_data, worker_pids  # noqa: E402
from benchmarks.load_test import Browser, RequestFailed, RequestLog  # noqa: E402
from benchmarks.postgres import postgres_cluster  # noqa: E402
from benchmarks.stack import serve_stack  # noqa: E402
from benchmarks.store_bench import (  # noqa: E402
    PG_DIRECTORY,
    cli_add,
    copy_database,
    national_database,
    small_report,
)

POLL_SECONDS = "2"  # METRICS_POLL_SECONDS: the default, said explicitly
TARGET_SECONDS = 10.0
TARGET_RATIO = 2.0
ROLLOVER_LIMIT = 120.0  # seconds: give up waiting for the new version after this
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Memory:
    """One process's memory (KiB, from smaps_rollup) and CPU time so far (s)."""

    pss: int
    private: int
    rss: int
    cpu: float


def memory_of(pid: int) -> Memory:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    # /proc/PID/stat: the 14th and 15th fields (after the command in parentheses) are the
    # user and system CPU time in clock ticks.
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    private = fields["Private_Clean"] + fields["Private_Dirty"]
    return Memory(fields["Pss"], private, fields["Rss"], cpu)


def snapshot(master: int) -> dict[int, Memory]:
    """Every gunicorn process's memory: the master first, then its workers by pid."""
    return {pid: memory_of(pid) for pid in [master, *sorted(worker_pids(master))]}


def default_workers() -> int:
    """gunicorn.conf.py's number of workers on this machine, WORKERS unset."""
    saved = os.environ.pop("WORKERS", None)
    try:
        return int(runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"])
    finally:
        if saved is not None:
            os.environ["WORKERS"] = saved


def gunicorn_master(serve_pid: int) -> int:
    """deploy/serve.py's child that runs gunicorn (its other child is nginx)."""
    for pid in worker_pids(serve_pid):
        with contextlib.suppress(OSError):
            if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
    raise RuntimeError("serve.py runs no gunicorn")


def wait_for_workers(master: int, count: int, old: set[int], limit: float) -> float:
    """Seconds until the master has ``count`` workers, none of them in ``old``."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        pids = worker_pids(master)
        if len(pids) == count and not pids & old:
            return time.monotonic() - start
        time.sleep(0.1)
    raise TimeoutError(f"gunicorn did not have {count} new workers within {limit:.0f} s")


def served_version(url: str, dependencies: list[dict]) -> int:
    """The version the worker that answers serves: the callback a page polls (its output
    ``version.data``, fed by the interval ``tick``), as the page posts it."""
    output = next(d["output"] for d in dependencies if d["output"] == "version.data")
    body = {
        "output": output,
        "outputs": {"id": "version", "property": "data"},
        "inputs": [{"id": "tick", "property": "n_intervals", "value": 1}],
        "state": [{"id": "version", "property": "data", "value": None}],
        "changedPropIds": ["tick.n_intervals"],
    }
    answer = requests.post(url + "/_dash-update-component", json=body, timeout=30)
    answer.raise_for_status()
    return int(answer.json()["response"]["version"]["data"])


def touch(url: str, users: int, changes: int, seed: int) -> RequestLog:
    """``users`` visitors at once, each opening the page and changing the view ``changes``
    times, so that every worker has served pages and callbacks before it is measured."""
    log = RequestLog()

    def visitor(number: int) -> None:
        browser = Browser(url, log, random.Random(seed + number))
        with contextlib.suppress(RequestFailed):  # counted in the log; shown in the report
            browser.open_page()
            for _ in range(changes):
                browser.change_something()

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return log


@dataclass
class Rollover:
    add_seconds: float  # the `metrics add` command
    all_new: float  # from its return until 2 × workers answers in a row were the new version
    old_gone: float  # from its return until no old worker was left and the count was normal
    version: int


def roll_over(url: str, master: int, workers: int, location: str) -> Rollover:
    """Add a report through the command line and time how long until it is served."""
    dependencies = requests.get(url + "/_dash-dependencies", timeout=30).json()
    before = served_version(url, dependencies)
    old = worker_pids(master)
    with tempfile.TemporaryDirectory(prefix="live-bench-") as scratch:
        report, review = small_report(Path(scratch))
        start = time.monotonic()
        cli_add(location, report, review)
        added = time.monotonic()
    all_new = old_gone = None
    while time.monotonic() - added < ROLLOVER_LIMIT and (all_new is None or old_gone is None):
        # Several answers in a row: during a rollover old and new workers answer side by side.
        if all_new is None and all(
            served_version(url, dependencies) > before for _ in range(2 * workers)
        ):
            all_new = time.monotonic() - added
        pids = worker_pids(master)
        if old_gone is None and len(pids) == workers and not pids & old:
            old_gone = time.monotonic() - added
        time.sleep(0.25)
    if all_new is None or old_gone is None:
        raise TimeoutError(f"the new version was not served within {ROLLOVER_LIMIT:.0f} s")
    return Rollover(added - start, all_new, old_gone, served_version(url, dependencies))


@contextlib.contextmanager
def working_store(kind: str, package: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A throw-away copy of the national dataset in a store of ``kind``: its location (what
    ``metrics add`` is told) and the environment that points a server at it."""
    if kind == "folder":
        work = CACHE / "live-bench"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            shutil.copytree(package, work / "data")
            yield str(work / "data"), {"METRICS_DATA_DIR": str(work / "data")}
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    with postgres_cluster(PG_DIRECTORY) as cluster:
        national_database(cluster, package)
        url, _ = copy_database(cluster, "live_bench")
        try:
            yield url, {"METRICS_DATABASE_URL": url}
        finally:
            # The stack has stopped by now; FORCE ends any connection still open.
            cluster.drop_database("live_bench")


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f}"


def columns(memory: Memory | None) -> str:
    """A process's cells of the table; dashes where there is no such process."""
    if memory is None:
        return "– | – | – | –"
    return f"{mib(memory.pss)} | {mib(memory.private)} | {mib(memory.rss)} | {memory.cpu:.1f}"


def total(memory: dict[int, Memory]) -> int:
    return sum(m.pss for m in memory.values())


@dataclass
class Version:
    """One new version: how it came in, and the memory afterwards."""

    rollover: Rollover
    untouched: dict[int, Memory]  # right after the rollover, before any visitor
    after: dict[int, Memory]  # after the visitors came again


def report(
    kind: str,
    workers: int,
    before: dict[int, Memory],
    versions: list[Version],
    logs: list[RequestLog],
) -> str:
    last = versions[-1]
    lines = [
        f"{kind}: gunicorn master + {workers} workers; memory after simulated visitors used "
        f"every worker, before the first new version and after the last (version "
        f"{last.rollover.version}); workers numbered by pid (the ones after are new processes)",
        "",
        "| process | before: PSS | private | RSS | CPU while visited (s) "
        "| after: PSS | private | RSS | CPU while visited (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, (b, a) in enumerate(itertools.zip_longest(before.values(), last.after.values())):
        name = "master" if n == 0 else f"worker {n}"
        lines.append(f"| {name} | {columns(b)} | {columns(a)} |")
    lines += [
        f"| **master + workers** | **{mib(total(before))}** | "
        f"{mib(sum(m.private for m in before.values()))} | | | **{mib(total(last.after))}** | "
        f"{mib(sum(m.private for m in last.after.values()))} | | |",
        "",
        "Memory in MiB. Each new version, one after the other (a 2-figure `metrics add`):",
        "",
        "| new version | `metrics add` (s) | every answer new (s) | old workers gone (s) "
        "| PSS right after (MiB) | PSS after visitors (MiB) | after / before "
        "| master's RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in versions:
        r = v.rollover
        lines.append(
            f"| {r.version} | {r.add_seconds:.1f} | {r.all_new:.1f} | {r.old_gone:.1f} | "
            f"{mib(total(v.untouched))} | {mib(total(v.after))} | "
            f"{total(v.after) / total(before):.2f}× | {mib(next(iter(v.after.values())).rss)} |"
        )
    seconds = statistics.median(v.rollover.all_new for v in versions)
    worst = max(v.rollover.all_new for v in versions)
    ratio = max(total(v.after) / total(before) for v in versions)
    requests_made = sum(len(v) for log in logs for v in log.latencies.values())
    errors = sum(sum(log.errors.values()) for log in logs)
    lines += [
        "",
        f"Every answer new after a median of **{seconds:.1f} s** (worst {worst:.1f} s; "
        f"target ≤ {TARGET_SECONDS:.0f} s: {verdict(worst <= TARGET_SECONDS)}), counted from "
        f"the moment `metrics add` returned. Memory after / before: at most **{ratio:.2f}×** "
        f"(target ≤ {TARGET_RATIO:.0f}×: {verdict(ratio <= TARGET_RATIO)}). Visitors' requests: "
        f"{requests_made}, errors: {errors}.",
    ]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def run(kind: str, package: Path, workers: int | None, changes: int, adds: int) -> str:
    count = workers or default_workers()
    with working_store(kind, package) as (location, env):
        environment = {
            "METRICS_POLL_SECONDS": POLL_SECONDS,
            # serve_stack sets WORKERS; empty means gunicorn.conf.py's default, as `make serve`
            "WORKERS": str(workers or ""),
            "METRICS_DATA_DIR": "",
            "METRICS_DATABASE_URL": "",
            **env,
        }
        data = env.get("METRICS_DATA_DIR")
        started = time.monotonic()
        with serve_stack(data=data, env=environment, ready_timeout=600) as server:
            master = gunicorn_master(server.process.pid)
            wait_for_workers(master, count, set(), 120)
            print(f"{kind}: serving after {time.monotonic() - started:.0f} s", file=sys.stderr)
            cpu = snapshot(master)
            logs = [touch(server.url, count, changes, seed=0)]
            before = with_cpu_since(snapshot(master), cpu)
            versions = []
            for n in range(1, adds + 1):
                rollover = roll_over(server.url, master, count, location)
                untouched = snapshot(master)
                logs.append(touch(server.url, count, changes, seed=n))
                after = with_cpu_since(snapshot(master), untouched)
                versions.append(Version(rollover, untouched, after))
    return report(kind, count, before, versions, logs)


def with_cpu_since(now: dict[int, Memory], then: dict[int, Memory]) -> dict[int, Memory]:
    """``now`` with each process's CPU time counted from ``then`` (a new process: from 0)."""
    return {
        pid: Memory(m.pss, m.private, m.rss, m.cpu - (then[pid].cpu if pid in then else 0))
        for pid, m in now.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("both", "folder", "postgresql"), default="both")
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument("--changes", type=int, default=5, help="view changes per visitor")
    parser.add_argument("--adds", type=int, default=3, help="new versions, one after the other")
    args = parser.parse_args()
    package = synthetic_data(args.figures)
    kinds = ("folder", "postgresql") if args.store == "both" else (args.store,)
    print(
        f"A new version while serving {args.figures:,} synthetic figures "
        f"(production stack, {os.cpu_count()} CPUs, METRICS_POLL_SECONDS={POLL_SECONDS})\n"
    )
    for kind in kinds:
        print(run(kind, package, args.workers, args.changes, args.adds) + "\n", flush=True)


if __name__ == "__main__":
    main()
