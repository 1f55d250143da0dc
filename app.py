"""Entry point: ``python app.py`` for development, ``gunicorn app:server`` in production.

The dataset comes from the store (``$METRICS_DATABASE_URL``, else the data folder) and is
checked by every rule at start-up; if it is invalid the app refuses to start and prints every
problem, so it never serves partly wrong data. New versions of the data are picked up while
the app runs (:mod:`dashboard.live`): by gunicorn's master under ``make serve``, by the process
itself under ``make run``.
"""

from __future__ import annotations

import logging
import os
import sys

from dash import Dash
from flask_compress import Compress

import metrics
from dashboard import serving
from dashboard.callbacks import register
from dashboard.curate import auth
from dashboard.curate.app import create_curate_app
from dashboard.layout import build_layout
from dashboard.live import LiveData, watch_in_process
from metrics.curate.workflow import Curation
from metrics.curate.workspace import open_workspace
from metrics.store import Store, open_store


def create_app(data_dir: str | None = None, store: Store | None = None) -> Dash:
    """Build the Dash app on ``store`` (default: :func:`metrics.store.open_store` on
    ``data_dir``); the app's :class:`LiveData` is ``app.live``."""
    live = LiveData(store or open_store(data_dir))
    app = Dash(
        __name__,
        title="区域数字经济指标",
        serve_locally=True,  # every script from this server: the page must work on an intranet
        update_title=None,
    )
    # The page's language is said on <html> from the first byte (zh-CN, the default); the
    # page keeps it in step with the view (assets/page.js).
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">', 1)
    # A function: each visitor's page is built from the version being served.
    app.layout = lambda: build_layout(live.current.dataset)
    register(app, live)
    # Curation in the browser (/curate), for signed-in curators; accounts and drafts live in
    # the store's workspace. Sign-in guards every route before anything else runs.
    workspace = open_workspace(live.store)
    curate = create_curate_app(app.server, live, Curation(live.store, workspace))
    auth.install(app.server, lambda: workspace)
    # Security headers, request limits, and a 400 (not a 500 and a traceback) for a callback
    # request a page could not have sent; after register: the CSP hashes the callbacks.
    serving.install(app, lambda: live.current.checks, (curate, dict))
    # Brotli/gzip for scripts and callback answers: the first load is 6.9 MB uncompressed,
    # mostly plotly.js, which an office link should not carry raw.
    Compress(app.server)
    app.live = live  # type: ignore[attr-defined]
    return app


try:
    app = create_app()
except (metrics.DataValidationError, metrics.StoreError) as exc:
    sys.exit(f"Refusing to start: the dataset cannot be served.\n{exc}")
server = app.server
live: LiveData = app.live  # type: ignore[attr-defined]

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    watch_in_process(live)
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8050")),
        debug=os.environ.get("DASH_DEBUG", "") == "1",
    )
