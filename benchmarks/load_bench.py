"""Benchmark: load and validate a synthetic dataset, against bare pandas reading the same CSVs.

    .venv/bin/python benchmarks/load_bench.py [--figures 1000000] [--repeat 3] [--data DIR]

The dataset is the national synthetic one (``python -m metrics synth``, seeded), made once
and kept by ``benchmarks/common.py``, or ``--data DIR``.
Each measurement is a fresh process: wall time of the load alone, and the peak resident set of
that process (VmHWM), which is what a server worker holds after start-up.
"""

from __future__ import annotations

import argparse
import json
import sys
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
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    import metrics

    start = time.perf_counter()
    if method == "metrics.load":
        metrics.load(data)
    else:  # the floor: reading every table as text, no typing, no rules
        for path in sorted(Path(data).rglob("*.csv")):
            pd.read_csv(path, dtype=str, keep_default_na=False)
    return {"seconds": time.perf_counter() - start, "peak_mib": memory_kib("VmHWM") / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", help="an existing synthetic data directory to load")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    data = args.data or str(synthetic_data(args.figures))
    methods = ("metrics.load", "pandas.read_csv")
    medians = medians_in_fresh_processes(__file__, methods, data, args.repeat)
    ours, base = medians["metrics.load"], medians["pandas.read_csv"]
    print(f"Load + validate {args.figures:,} synthetic figures, median of {args.repeat} runs\n")
    print("| method | median time (s) | peak resident memory (MiB) |")
    print("|---|---|---|")
    print(f"| metrics.load (typed, every rule) | {ours['seconds']:.1f} | {ours['peak_mib']:.0f} |")
    print(f"| pandas.read_csv, text only | {base['seconds']:.1f} | {base['peak_mib']:.0f} |")
    print(
        f"metrics.load / read_csv: time {ours['seconds'] / base['seconds']:.2f}x, "
        f"memory {ours['peak_mib'] / base['peak_mib']:.2f}x"
    )


if __name__ == "__main__":
    main()
