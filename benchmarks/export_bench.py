"""Benchmark: our Excel export of N figures against pandas ``DataFrame.to_excel`` of the same rows.

    .venv/bin/python benchmarks/export_bench.py [--figures 100000] [--repeat 3] [--data DIR]

The dataset is the national synthetic one (``python -m metrics synth``, seeded), made once
and kept by ``benchmarks/common.py``, or ``--data DIR``. Each
measurement runs in a fresh Python process, so caches and the memory high-water mark of one run
do not leak into the next. Time is wall-clock for the export alone (the dataset is loaded first,
untimed); peak memory is the rise of the process's resident-set high-water mark (VmHWM, reset
through /proc/self/clear_refs just before the export). The baseline is conservative: it is only
``to_excel`` of a ready-made frame holding exactly the rows and columns of our Figures sheet,
while ours is the whole workbook (summary tables, chart, figures, sources, about).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - found through ROOT
    medians_in_fresh_processes,
    memory_kib,
    synthetic_data,
)


def measure(method: str, data: str) -> dict[str, float]:
    """Run one export in this process and return seconds and peak MiB (called in a child)."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    import metrics
    from metrics.export import figures_sheet_frame, write_workbook
    from metrics.query import Filters, select_figures

    dataset = metrics.load(data)
    dataset.figure_view  # noqa: B018 - built once at start-up in the app too, so not timed
    out = Path(tempfile.mkdtemp()) / f"{method}.xlsx"
    if method == "to_excel":
        frame = figures_sheet_frame(dataset, select_figures(dataset, Filters()), "zh")
        for column in ("period_start", "period_end"):
            frame[column] = pd.to_datetime(frame[column])
    Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark
    before = memory_kib("VmRSS")
    start = time.perf_counter()
    if method == "ours":
        write_workbook(dataset, Filters(), "zh", out)
    else:
        frame.to_excel(out, index=False)
    seconds = time.perf_counter() - start
    peak = (memory_kib("VmHWM") - before) / 1024
    return {"seconds": seconds, "peak_mib": peak, "bytes": out.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", help="an existing synthetic data directory to export")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    data = args.data or str(synthetic_data(args.figures))
    medians = medians_in_fresh_processes(__file__, ("ours", "to_excel"), data, args.repeat)
    ours, base = medians["ours"], medians["to_excel"]
    print(f"Excel export of {args.figures:,} synthetic figures, median of {args.repeat} runs\n")
    print("| method | median time (s) | peak memory (MiB) | file size (MiB) |")
    print("|---|---|---|---|")
    for name, label in (
        ("ours", "metrics.export (whole workbook)"),
        ("to_excel", "pandas DataFrame.to_excel (figures only)"),
    ):
        m = medians[name]
        print(f"| {label} | {m['seconds']:.1f} | {m['peak_mib']:.0f} | {m['bytes'] / 2**20:.1f} |")
    print(
        f"ours / to_excel: time {ours['seconds'] / base['seconds']:.2f}x, "
        f"peak memory {ours['peak_mib'] / base['peak_mib']:.2f}x"
    )


if __name__ == "__main__":
    main()
