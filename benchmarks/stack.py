"""The whole production stack as `make serve` runs it: deploy/serve.py, nginx in front of
gunicorn, on a free local port. benchmarks/common.py's ``serve`` runs gunicorn alone."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests

from benchmarks.common import ROOT, Server, free_port, stop


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
    with tempfile.NamedTemporaryFile(prefix="stack-", suffix=".log") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "deploy" / "serve.py")],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: one killpg reaches nginx and gunicorn too
        )
        server = Server(f"http://127.0.0.1:{port}", process, Path(log.name))
        try:
            deadline = time.monotonic() + ready_timeout
            while True:
                with contextlib.suppress(requests.RequestException):
                    if requests.get(server.url + "/", timeout=5).status_code == 200:
                        break
                if process.poll() is not None:
                    raise RuntimeError(
                        f"serve.py exited:\n{server.log.read_text('utf-8', 'replace')}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"serve.py did not answer in {ready_timeout:.0f} s")
                time.sleep(0.3)
            yield server
        finally:
            stop(process)
