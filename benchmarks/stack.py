"""The whole production stack as `make serve` runs it: deploy/serve.py, nginx in front of
gunicorn, on a free local port. benchmarks/common.py's ``serve`` runs gunicorn alone."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from benchmarks.common import ROOT, Server, free_port, running


@contextlib.contextmanager
def serve_stack(
    workers: int = 2,
    data: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    ready_timeout: float = 120,
) -> Iterator[Server]:
    """Run deploy/serve.py in its own process group until the block ends, then stop the group
    (SIGTERM: serve.py stops nginx and gunicorn gracefully; SIGKILL for what is left).

    ``data`` sets METRICS_DATA_DIR (None: the bundled data, whatever the caller's shell says);
    ``env`` adds or overrides variables. ``Server.process`` is serve.py; ``Server.log`` (a
    temporary file, deleted afterwards) holds what all three print, nginx's access log too.
    """
    port = free_port()
    environment = {
        **os.environ,
        "METRICS_DATA_DIR": str(data) if data else "",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": str(workers),
        **(env or {}),
    }
    command = [sys.executable, str(ROOT / "deploy" / "serve.py")]
    with running(command, port, environment, ready_timeout) as server:
        yield server
