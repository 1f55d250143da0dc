"""Run every benchmark of ``make bench`` and write their tables to ``benchmarks/results.md``.

    .venv/bin/python benchmarks/run_all.py

Each benchmark runs as its own process, in the order below; its output (markdown) is shown as it
comes and collected. The results file starts with when, where and at which commit they were
measured, so a table is never read without its conditions. Exits non-zero if any benchmark
failed (the load test fails on any request error); the others still run.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.md"
BENCHMARKS = (
    ("load_bench.py", "--figures", "1000000", "--repeat", "3"),
    # Issue #11: add and load in both stores (~2 min; the first run also imports the national
    # dataset into PostgreSQL, ~1.5 min more), and a new version while serving (~3 min).
    ("store_bench.py", "--figures", "1000000", "--repeat", "3"),
    ("live_bench.py", "--figures", "1000000"),
    ("callback_bench.py", "--figures", "1000000"),
    ("export_bench.py", "--figures", "100000", "--repeat", "3"),
    ("first_load.py", "--figures", "1000000", "--repeat", "5"),
    ("load_test.py", "--duration", "60", "--users", "20", "--workers", "2"),
)


def conditions() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    # Changed files make the commit "-dirty"; this file's previous run does not count.
    changed = git("status", "--porcelain", "--", ".", f":!{RESULTS.relative_to(ROOT)}")
    commit = git("rev-parse", "--short", "HEAD").strip() + ("-dirty" if changed.strip() else "")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit `{commit}` on "
        f"{os.cpu_count()} CPUs, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"load average before the run {os.getloadavg()[0]:.1f}."
    )


def main() -> int:
    sections, failed = [f"# Benchmark results\n\n{conditions()}\n"], []
    for script, *args in BENCHMARKS:
        start = time.monotonic()
        command = [sys.executable, str(ROOT / "benchmarks" / script), *args]
        print(f"$ {' '.join(command[1:])}", flush=True)
        run = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        print(run.stdout, flush=True)
        minutes = (time.monotonic() - start) / 60
        status = "" if run.returncode == 0 else f" — **failed (exit {run.returncode})**"
        sections.append(
            f"<!-- {script} {' '.join(args)}: {minutes:.1f} min{status} -->\n{run.stdout.strip()}\n"
        )
        if run.returncode:
            failed.append(script)
    RESULTS.write_text("\n".join(sections), encoding="utf-8")
    print(
        f"wrote {RESULTS.relative_to(ROOT)}" + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
