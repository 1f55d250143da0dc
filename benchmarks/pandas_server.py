"""The callback benchmark's baseline: bare pandas answering the same queries over HTTP.

    METRICS_DATA_DIR=DIR gunicorn benchmarks.pandas_server:app

A WSGI app with nothing but pandas: at start-up it reads the figures and their industries and
joins them; a POST of ``{"control": "f-city", "value": ["滁州"]}`` filters the joined rows as
that control would and sums the values by city and industry (what the sales chart of the view
needs), answered as JSON. Served by the same gunicorn over the same loopback, it costs what HTTP
costs, so the dashboard's callbacks can be compared with it like for like.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

Query = tuple[str, object]  # a control (component id) and the value a person gives it


def baseline(data: Path) -> Callable[[Query], pd.Series]:
    """Read and join once, as a server would at start-up; return the query, which is timed."""
    figures = pd.read_csv(
        data / "figures.csv",
        usecols=["figure_id", "value", "metric", "city", "event_id", "period_start", "period_end"],
        dtype={"city": "category", "metric": "category", "event_id": "category"},
        parse_dates=["period_start", "period_end"],
    )
    links = pd.read_csv(data / "figure_industries.csv", dtype={"industry": "category"})
    province = pd.read_csv(data / "cities.csv", dtype=str).set_index("city")["province"]
    figures["province"] = figures["city"].map(province).astype("category")
    joined = links.merge(figures, on="figure_id")

    def query(item: Query) -> pd.Series:
        control, value = item
        if control == "f-period":
            low, high = value  # type: ignore[misc]
            keep = (joined["period_end"] >= f"{low}-01-01") & (
                joined["period_start"] <= f"{high}-12-31"
            )
        else:
            column = {"f-campaign": "event_id"}.get(control, control.removeprefix("f-"))
            keep = joined[column].isin(value)  # type: ignore[arg-type]
        return joined[keep].groupby(["city", "industry"], observed=True)["value"].sum()

    return query


def _make_app() -> Callable:
    query = baseline(Path(os.environ["METRICS_DATA_DIR"]))

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        asked = json.loads(environ["wsgi.input"].read(length) or b"{}")
        if not asked:  # a GET: the readiness probe
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ready"]
        answer = query((asked["control"], asked["value"])).reset_index().to_json(orient="split")
        body = answer.encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


app = _make_app() if "METRICS_DATA_DIR" in os.environ else None
