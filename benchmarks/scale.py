"""A dataset of any size made by repeating the bundled figures, for export benchmarks.

It keeps every table and rule of the real dataset (each copy of a figure is a new figure with the
same quote, so the workbook carries real provenance); the national synthetic dataset of issue #6
will replace it.
"""

from __future__ import annotations

import pandas as pd

from metrics import Dataset


def repeated(dataset: Dataset, n_figures: int) -> Dataset:
    """``dataset`` with its figures repeated (new ids) until there are ``n_figures``."""
    figures, links = dataset.tables["figures"], dataset.tables["figure_industries"]
    copies = -(-n_figures // len(figures))
    big = pd.concat([figures] * copies, ignore_index=True).iloc[:n_figures].copy()
    suffix = pd.Series(range(len(big))).astype(str)
    original = big["figure_id"].astype(str)
    big["figure_id"] = original + "-" + suffix
    mapping = pd.DataFrame({"original": original, "figure_id": big["figure_id"]})
    big_links = mapping.merge(
        links.astype({"figure_id": str}),
        left_on="original",
        right_on="figure_id",
        suffixes=("", "_old"),
    )[["figure_id", "industry"]]
    tables = dict(dataset.tables, figures=big, figure_industries=big_links)
    return Dataset(
        directory=dataset.directory, version=dataset.version, tables=tables, texts=dataset.texts
    )
