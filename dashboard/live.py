"""Live data: the dataset a process serves, replaced as a whole when the store has a new one.

What a process serves is a :class:`Served`: one version of the dataset and everything derived
from it (the checks of what the page may send, the cached charts and cards). A callback reads
``live.current`` once and works on that alone, so every answer comes from one version, even
while the next is coming in.

Who notices a new version depends on how the app runs (see :class:`Watcher`):

- ``make serve`` (gunicorn): the master process polls the store, loads and checks the new
  version, and then replaces its workers (``SIGHUP``, as ``kill -HUP`` does by hand): new
  workers are forked from the master holding the new version, old ones finish their requests
  and exit. Workers share the master's copy, so memory stays that of one dataset, not one per
  worker, and no request is dropped.
- ``make run`` (one process): the process polls and swaps ``current`` itself.

A version that fails to load (a hand edit that breaks a rule, a database that is down) is
logged with its problems and the process goes on serving the version it has.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

import plotly.graph_objects as go

from dashboard import charts, panels
from dashboard.inputs import input_checks
from dashboard.serving import Check
from dashboard.urlstate import ViewState
from metrics import Dataset, MetricsError
from metrics.query import Filters
from metrics.store import Store

POLL_VARIABLE = "METRICS_POLL_SECONDS"
POLL_SECONDS = 2.0  # how often the store is asked for a new version: new data shows in seconds
CACHE_SIZE = 256  # answers per process and kind; a chart is tens of kilobytes at most

log = logging.getLogger("metrics.live")


@dataclass(frozen=True)
class Served:
    """One version of the dataset and what the page needs of it, built once per version."""

    dataset: Dataset
    checks: dict[str, Check]
    metrics: frozenset[str]
    summary: Callable[[Filters, str], list] = field(repr=False)
    figure: Callable[[str, Filters, str, str], go.Figure] = field(repr=False)

    @property
    def version(self) -> int:
        return self.dataset.version


def prepare(dataset: Dataset) -> Served:
    """Everything a version needs before it serves: the arrays every filter and sum runs on,
    and the default view of each chart and the cards, drawn now (before gunicorn forks, so the
    workers share them) rather than for the first visitor."""
    dataset.figure_view  # noqa: B018
    dataset.figure_index  # noqa: B018
    # Each process keeps its latest answers: the default view and popular filters are asked
    # for again and again, and a version never changes once it is served.
    summary = lru_cache(maxsize=CACHE_SIZE)(partial(panels.kpi_cards, dataset))
    figure = lru_cache(maxsize=CACHE_SIZE)(partial(charts.draw_chart, dataset))
    served = Served(
        dataset=dataset,
        checks=input_checks(dataset),
        metrics=frozenset(dataset.tables["metrics"]["metric"].astype(str)),
        summary=summary,
        figure=figure,
    )
    default = ViewState()
    for lang in ("zh", "en"):
        summary(Filters(), lang)
        for chart in charts.CHARTS:
            figure(chart.id, Filters(), lang, default.map_metric if chart.uses_metric else "")
    return served


class LiveData:
    """The :class:`Served` version of ``store`` this process answers from; see the module."""

    def __init__(self, store: Store) -> None:
        self.store = store
        dataset = store.load()  # invalid data raises here: the app refuses to start
        self.current = prepare(dataset)
        self.stamp: Hashable = dataset.stamp
        self._failed: Hashable = None  # a stamp that did not load: not retried until it moves
        self.pending: tuple[Served, Hashable] | None = None

    def fetch(self) -> tuple[Served, Hashable] | None:
        """The store's newer version, loaded, checked and prepared; None when there is none
        (or it cannot be loaded: then the reason is logged and the current one stays)."""
        try:
            stamp = self.store.stamp()
        except MetricsError as exc:
            log.error("cannot ask %s for a new version: %s", self.store.location, exc)
            return None
        if stamp in (self.stamp, self._failed):
            return None
        try:
            # What was added since the current version, joined to it, where the store only
            # gained rows (a few seconds at national scale); else read whole.
            dataset = self.store.refresh(self.current.dataset)
        except MetricsError as exc:
            log.error("a new version of %s cannot be served: %s", self.store.location, exc)
            self._failed = stamp
            return None
        return prepare(dataset), dataset.stamp

    def install(self, new: tuple[Served, Hashable]) -> None:
        """Serve ``new`` from now on (the old version is freed once no request holds it)."""
        old = self.current
        self.current, self.stamp = new
        log.info("now serving version %s (was %s)", self.current.version, old.version)
        del old
        # gunicorn freezes the master's objects before each fork (gunicorn.conf.py); let the
        # collector see the old version's again so that it can be freed.
        gc.unfreeze()
        gc.collect()
        _give_back_memory()


def _give_back_memory() -> None:
    """Return the old version's freed memory to the system (glibc keeps it for reuse
    otherwise), so that the workers forked next do not start from a larger master."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Watcher(threading.Thread):
    """Polls the store every ``interval`` seconds and hands a new version to ``arrive``."""

    def __init__(self, live: LiveData, arrive: Callable[[tuple[Served, Hashable]], Any]):
        super().__init__(name="metrics-live-data", daemon=True)
        self.live, self.arrive = live, arrive
        self.interval = float(os.environ.get(POLL_VARIABLE) or POLL_SECONDS)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            new = self.live.fetch()
            if new is not None:
                self.arrive(new)


def watch_in_process(live: LiveData) -> Watcher:
    """One process serves everything (``make run``): swap the version in place."""
    watcher = Watcher(live, live.install)
    watcher.start()
    return watcher


def watch_in_master(live: LiveData) -> Watcher:
    """gunicorn's master: keep the new version pending and have gunicorn replace its workers
    (``on_reload`` in gunicorn.conf.py installs it first, so the new workers fork with it)."""

    def arrive(new: tuple[Served, Hashable]) -> None:
        live.pending = new
        os.kill(os.getpid(), signal.SIGHUP)

    watcher = Watcher(live, arrive)
    watcher.start()
    return watcher


def promote_pending(live: LiveData) -> None:
    """In gunicorn's master, on reload: serve the version the watcher loaded, if any."""
    if live.pending is not None:
        new, live.pending = live.pending, None
        live.install(new)
