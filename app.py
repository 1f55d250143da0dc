"""Entry point: ``python app.py`` for development, ``gunicorn app:server`` in production.

The dataset is loaded and validated once, at start-up; if it is invalid the app refuses to start
and prints every problem, so it never serves partly wrong data.
"""

from __future__ import annotations

import os
import sys

from dash import Dash
from flask_compress import Compress

import metrics
from dashboard import serving
from dashboard.callbacks import register
from dashboard.inputs import input_checks
from dashboard.layout import build_layout


def create_app(data_dir: str | None = None) -> Dash:
    """Build the Dash app on the dataset in ``data_dir`` (default: see :func:`metrics.load`)."""
    dataset = metrics.load(data_dir)
    # Built once at start-up, not on the first request: the joined view and the array index
    # every filter and sum runs on (the callbacks also draw the default view in advance).
    dataset.figure_view  # noqa: B018
    dataset.figure_index  # noqa: B018
    app = Dash(
        __name__,
        title="区域数字经济指标",
        serve_locally=True,  # every script from this server: the page must work on an intranet
        update_title=None,
    )
    app.layout = build_layout(dataset)
    register(app, dataset)
    # Security headers, request limits, and a 400 (not a 500 and a traceback) for a callback
    # request the page could not have sent; after register: the CSP hashes the callbacks.
    serving.install(app, input_checks(dataset))
    # Brotli/gzip for scripts and callback answers: the first load is 6.9 MB uncompressed,
    # mostly plotly.js, which an office link should not carry raw.
    Compress(app.server)
    return app


try:
    app = create_app()
except metrics.DataValidationError as exc:
    sys.exit(f"Refusing to start: the dataset is invalid.\n{exc}")
server = app.server

if __name__ == "__main__":
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8050")),
        debug=os.environ.get("DASH_DEBUG", "") == "1",
    )
