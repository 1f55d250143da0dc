"""Production serving: ``make serve``, or ``gunicorn app:server`` run from this directory (gunicorn
reads ./gunicorn.conf.py by itself). HOST, PORT and WORKERS come from the environment; any
other setting can be overridden on the command line or in GUNICORN_CMD_ARGS.

Dash's debug mode and dev tools stay off: they are switched on only by ``app.run(debug=True)``,
which gunicorn never calls.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8050'}"

# Sync workers, one request each, behind nginx (make serve), which takes the slow clients so
# that a worker never waits on one. The workers share the master's copy of the dataset (about
# 1 GB at a million figures) but each touches some of it, so the usual 2 × cores + 1 is capped.
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = int(os.environ.get("WORKERS") or min(2 * (_cores or 1) + 1, 8))

# Load and validate the dataset once, in the master, before forking: invalid data stops the
# server with the list of problems, and the workers share the loaded tables copy-on-write.
preload_app = True


def pre_fork(server: object, worker: object) -> None:
    """Move the loaded dataset out of the garbage collector's reach before each fork, so that
    collections in the workers do not write to (and so copy) the pages they share."""
    gc.freeze()


def when_ready(server: Any) -> None:
    """The master is up with the app loaded: watch the store for new versions of the data.

    A new version is loaded and checked in the master, then the master reloads (SIGHUP): new
    workers fork holding it, old ones finish their requests and leave (dashboard/live.py).
    """
    import app
    from dashboard.live import log, watch_in_master

    log.handlers, log.propagate = server.log.error_log.handlers, False
    log.setLevel(logging.INFO)
    watch_in_master(app.live)


def on_reload(server: object) -> None:
    """Before a reload forks new workers: serve the version the watcher loaded, if any."""
    import app
    from dashboard.live import promote_pending

    promote_pending(app.live)


# An Excel export is one request: 100,000 figures take about 3 s on a 2-core machine
# (benchmarks/README.md), a whole national dataset minutes.
timeout = 300
graceful_timeout = 30
max_requests = 2000  # a fresh worker now and then (forked from the loaded master: cheap)
max_requests_jitter = 200

# Request limits. A URL may be as long as gunicorn allows (8190 bytes) so that a too-long view
# query reaches the page and gets its notice (dashboard/urlstate.py); the body limit is the
# app's (MAX_CONTENT_LENGTH, dashboard/serving.py).
limit_request_line = 8190
limit_request_fields = 60  # a client's 50, and the few nginx adds (X-Forwarded-For, …)
limit_request_field_size = 8190

# No control socket (gunicorn ≥ 25 opens one in ~/.gunicorn by default): instances of the same
# user would share its path, and signals (HUP to reload, TERM to stop) already manage the server.
control_socket_disable = True

# The access log goes to standard output, errors to standard error. The access log leaves out
# query strings, referrers and user agents: a query is the user's view (what they filtered and
# searched for); %(U)s is the path alone.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
