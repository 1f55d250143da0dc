"""Benchmark: add a small report to 1,000,000 figures, and load them, in both stores.

    .venv/bin/python benchmarks/store_bench.py [--figures 1000000] [--repeat 3]
                                               [--store both|folder|postgresql]

The dataset is the national synthetic one (``benchmarks/common.py``). The folder store works on
a copy of it (``benchmarks/.cache/store-bench/``, deleted afterwards); PostgreSQL on a copy
(``CREATE DATABASE … TEMPLATE national``) of a database ``national`` that holds the same
package, kept with its cluster in ``benchmarks/.cache/pg`` because importing a million figures
takes a minute and a half (``--fresh-database`` imports it again). Each measurement is a fresh
process; each add is a new report (its own source id and figure ids) of two figures, so every
store grows by a few rows during the run. Measured, as medians:

- the add alone, in process (``metrics.merge.add_report``): wall time, and the peak resident
  set above the resident set just before the call (the peak is reset first through
  ``/proc/self/clear_refs``, so the imports do not count);
- the whole ``python -m metrics add REPORT REVIEW --data DIR|--database URL`` command, what a
  curator waits for: wall time and the command's peak resident set;
- the baseline, what an add used to cost: a full ``store.load()`` of the same store (every
  table read and checked), its time, its peak above the resident set before and its peak;
- ``store.refresh(previous)`` after an add of two figures, the incremental path a live server
  takes (``previous`` has its figure view, as a server's version has): time and peak above
  the resident set before (which holds ``previous``). It runs in the process that has just
  measured the full load, which is ``previous``: one load per run instead of two.

PostgreSQL's own processes (its server, caches) are not in these numbers: only the client's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - found through ROOT
    CACHE,
    medians_in_fresh_processes,
    memory_kib,
    synthetic_data,
)
from benchmarks.postgres import Cluster, postgres_cluster  # noqa: E402

PG_DIRECTORY = CACHE / "pg"  # the cluster kept between runs: the import is the slow part
NATIONAL = "national"  # the database holding the synthetic package, never changed
TARGET_SECONDS = 2.0
TARGET_MIB = 300e6 / 2**20  # issue #11: 300 MB of extra memory for an add
METHODS = ("add", "add-cli", "load-refresh")
T = TypeVar("T")

# A report of two figures about 滁州 (食品, 家电: both in the synthetic data), as
# tests/test_add.py adds it; ``{tag}`` makes each run's report and ids its own.
REPORT = (
    "2019年3月，滁州市与京东联合举办“皖美好物”电商节。\n\n"
    "活动期间，参与企业在京东的销售额超过2亿元，共有120余家企业参加。\n"
    "（基准测试 {tag}）\n"
)
FIGURE = {
    "keep": "",
    "source_id": "",
    "derivation": "stated",
    "city": "滁州",
    "period_start": "2019-03-01",
    "period_end": "2019-03-31",
    "period_precision": "month",
    "date_inferred": "false",
}
FIGURES = (
    {
        "figure_id": "bench-{tag}-sales",
        "quote": "活动期间，参与企业在京东的销售额超过2亿元",
        "raw": "超过2亿元",
        "value": "200000000",
        "unit": "CNY",
        "qualifier": "more_than",
        "metric": "campaign_sales",
        "industry": "食品|家电",
        "label_zh": "皖美好物电商节：京东销售额",
        "label_en": "Anhui goods festival: JD sales",
    },
    {
        "figure_id": "bench-{tag}-companies",
        "quote": "共有120余家企业参加",
        "raw": "120余家",
        "value": "120",
        "unit": "company",
        "qualifier": "more_than",
        "metric": "companies_participating",
        "industry": "食品",
        "label_zh": "皖美好物电商节：参与企业",
        "label_en": "Anhui goods festival: companies taking part",
    },
)


def small_report(directory: Path) -> tuple[Path, Path]:
    """A report and its review file (two figures) that no store holds yet: the source id is
    the file name, both carry a tag made of the clock and the process id."""
    tag = f"{time.time_ns():x}{os.getpid():x}"
    report = directory / f"bench_{tag}.txt"
    report.write_text(REPORT.format(tag=tag), encoding="utf-8")
    rows = [{**FIGURE, **f, "figure_id": f["figure_id"].format(tag=tag)} for f in FIGURES]
    review = directory / f"review_{tag}.csv"
    header = list(rows[0])
    with review.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return report, review


def store_args(location: str) -> list[str]:
    """The ``metrics`` command-line options naming the store at ``location``."""
    if location.startswith("postgresql://"):
        return ["--database", location]
    return ["--data", location]


def cli_add(location: str, report: Path, review: Path) -> subprocess.CompletedProcess[str]:
    """``python -m metrics add`` as a curator runs it; the environment names no other store."""
    env = {**os.environ, "METRICS_DATA_DIR": "", "METRICS_DATABASE_URL": ""}
    command = [sys.executable, "-m", "metrics", "add", str(report), str(review)]
    return subprocess.run(
        [*command, *store_args(location)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


# --- the PostgreSQL copy of the package --------------------------------------------------------


def national_database(cluster: Cluster, package: Path, fresh: bool = False) -> str:
    """The name of the cluster's database that holds ``package``, made when missing or when it
    holds anything else with ``migrate`` and ``import_package`` (what ``metrics db init`` and
    ``db import`` run)."""
    from metrics.store.postgres import PostgresStore

    # The database is labelled with the package's name (which carries a digest of what made
    # it, benchmarks/common.py) once the import is complete: another label means other data.
    label = cluster.psql(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
        f"WHERE datname = '{NATIONAL}'"
    ).strip()
    if label == package.name and not fresh:
        return NATIONAL
    cluster.drop_database(NATIONAL)
    store = PostgresStore(cluster.create_database(NATIONAL))
    store.migrate()
    start = time.monotonic()
    print(f"importing {package} into PostgreSQL (once; kept in {PG_DIRECTORY})", file=sys.stderr)
    store.import_package(package)
    print(f"imported in {time.monotonic() - start:.0f} s", file=sys.stderr)
    cluster.psql("VACUUM ANALYZE", NATIONAL)  # as a database that has lived a while would be
    cluster.psql(f"COMMENT ON DATABASE {NATIONAL} IS '{package.name}'")
    return NATIONAL


def copy_database(cluster: Cluster, name: str) -> tuple[str, float]:
    """A fresh copy of the national database (dropped first if a previous run left it); its
    URL and the seconds the copy took. FILE_COPY copies the files whole: PostgreSQL 15's
    default (WAL_LOG) writes every block to the write-ahead log as well."""
    cluster.drop_database(name)
    start = time.monotonic()
    cluster.psql(f'CREATE DATABASE "{name}" TEMPLATE {NATIONAL} STRATEGY FILE_COPY')
    return cluster.url(name), time.monotonic() - start


# --- one measurement, in a fresh process -------------------------------------------------------


def reset_peak() -> int:
    """Reset this process's peak resident set (VmHWM) to its resident set now, which it
    returns (KiB): a peak measured afterwards is that of what follows, not of the imports."""
    Path("/proc/self/clear_refs").write_text("5")
    return memory_kib("VmRSS")


def timed(action: Callable[[], T]) -> tuple[T, dict[str, float]]:
    """``action()``'s result, its wall time, its peak resident set above the resident set just
    before it, and the process's peak resident set (MiB)."""
    before = reset_peak()
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    peak = memory_kib("VmHWM")
    return result, {
        "seconds": seconds,
        "above_mib": (peak - before) / 1024,
        "peak_mib": peak / 1024,
    }


def measure(method: str, location: str) -> dict[str, float]:
    from metrics.merge import add_report
    from metrics.store import FolderStore, Store

    store: Store
    if location.startswith("postgresql://"):
        from metrics.store.postgres import PostgresStore

        store = PostgresStore(location)
    else:
        store = FolderStore(location)
    with tempfile.TemporaryDirectory(prefix="store-bench-") as scratch:
        report, review = small_report(Path(scratch))
        if method == "add-cli":
            start = time.perf_counter()
            cli_add(location, report, review)
            seconds = time.perf_counter() - start
            # Linux gives KiB; the only child this process waited for is the command.
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            return {"seconds": seconds, "above_mib": float("nan"), "peak_mib": peak / 1024}
        if method == "add":
            result, numbers = timed(lambda: add_report(report, review, store=store))
            assert len(result.added) == 2, result
            return numbers
        if method != "load-refresh":
            raise ValueError(method)
        # The full load comes first in its fresh process, so it is measured as load_bench.py
        # measures it; the refresh then starts from it, as a server's next version does.
        previous, load = timed(store.load)
        previous.figure_view  # noqa: B018 - a served version has it, and refresh extends it
        add_report(report, review, store=store)
        dataset, refresh = timed(lambda: store.refresh(previous))
        assert dataset.version == previous.version + 1, (dataset.version, previous.version)
    # Make sure the incremental path was the one taken, not a full load in disguise.
    assert store._added_since(previous) is not None, "refresh read the store whole"
    return {
        **{f"load {key}": value for key, value in load.items()},
        **{f"refresh {key}": value for key, value in refresh.items()},
    }


def by_method(medians: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The children's medians with the load and the refresh of one child apart."""
    both = medians.pop("load-refresh")
    for method in ("load", "refresh"):
        medians[method] = {
            key.split()[1]: value for key, value in both.items() if key.startswith(method)
        }
    return medians


# --- the report ---------------------------------------------------------------------------------


def verdict(seconds: float, mib: float) -> str:
    met = seconds <= TARGET_SECONDS and mib <= TARGET_MIB
    return "met" if met else "**missed**"


def add_table(results: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    lines = [
        "| store | what | median time (s) | peak memory above RSS before (MiB) | "
        "peak RSS (MiB) | target ≤ 2 s, ≤ 300 MB |",
        "|---|---|---|---|---|---|",
    ]
    for kind, r in results.items():
        add, cli, load = r["add"], r["add-cli"], r["load"]
        lines += [
            f"| {kind} | `add_report`, in process | {add['seconds']:.2f} | "
            f"{add['above_mib']:.0f} | {add['peak_mib']:.0f} | "
            f"{verdict(add['seconds'], add['above_mib'])} |",
            f"| {kind} | `python -m metrics add` command | {cli['seconds']:.2f} | – | "
            f"{cli['peak_mib']:.0f} | {verdict(cli['seconds'], cli['peak_mib'])} (whole RSS) |",
            f"| {kind} | baseline: full `store.load()` | {load['seconds']:.2f} | "
            f"{load['above_mib']:.0f} | {load['peak_mib']:.0f} | |",
        ]
    lines.append("")
    for kind, r in results.items():
        add, load = r["add"], r["load"]
        lines.append(
            f"{kind}: add / full load: time {add['seconds'] / load['seconds']:.2f}×, "
            f"memory above RSS before {add['above_mib'] / load['above_mib']:.2f}×  "
        )
    return lines


def load_table(results: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    lines = [
        "| store | `load()` median (s) | `load()` peak RSS (MiB) | `refresh()` after a "
        "2-figure add (s) | `refresh()` peak above RSS before (MiB) |",
        "|---|---|---|---|---|",
    ]
    for kind, r in results.items():
        load, refresh = r["load"], r["refresh"]
        lines.append(
            f"| {kind} | {load['seconds']:.2f} | {load['peak_mib']:.0f} | "
            f"{refresh['seconds']:.2f} | {refresh['above_mib']:.0f} |"
        )
    if {"folder", "postgresql"} <= set(results):
        pg, folder = results["postgresql"], results["folder"]

        def ratio(method: str, key: str) -> str:
            return f"{pg[method][key] / folder[method][key]:.2f}×"

        lines += [
            "",
            f"PostgreSQL / folder: load time {ratio('load', 'seconds')}, load peak RSS "
            f"{ratio('load', 'peak_mib')}; refresh time {ratio('refresh', 'seconds')}, "
            f"refresh memory {ratio('refresh', 'above_mib')}",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", choices=("both", "folder", "postgresql"), default="both")
    parser.add_argument(
        "--fresh-database", action="store_true", help="import the package into PostgreSQL again"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    package = synthetic_data(args.figures)
    kinds = ("folder", "postgresql") if args.store == "both" else (args.store,)
    results: dict[str, dict[str, dict[str, float]]] = {}
    notes: list[str] = []
    work = CACHE / "store-bench"
    if "folder" in kinds:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            folder = work / "data"
            start = time.monotonic()
            shutil.copytree(package, folder)
            notes.append(f"folder copy made in {time.monotonic() - start:.1f} s")
            results["folder"] = by_method(
                medians_in_fresh_processes(__file__, METHODS, str(folder), args.repeat)
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if "postgresql" in kinds:
        with postgres_cluster(PG_DIRECTORY) as cluster:
            national_database(cluster, package, args.fresh_database)
            url, seconds = copy_database(cluster, "store_bench")
            notes.append(f"database copy (`CREATE DATABASE … TEMPLATE`) made in {seconds:.1f} s")
            try:
                results["postgresql"] = by_method(
                    medians_in_fresh_processes(__file__, METHODS, url, args.repeat)
                )
            finally:
                cluster.drop_database("store_bench")
    print(
        f"Add a 2-figure report to {args.figures:,} synthetic figures, median of {args.repeat} "
        f"runs, each a fresh process; {'; '.join(notes)}\n"
    )
    print("\n".join(add_table(results)))
    print(f"\nLoad {args.figures:,} figures, and refresh after an add, median of {args.repeat}\n")
    print("\n".join(load_table(results)))


if __name__ == "__main__":
    main()
