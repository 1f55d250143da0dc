"""What the benchmarks and the HTTP tests share: the synthetic national dataset, made once per
size and kept, and gunicorn run as production runs it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"  # git-ignored; `make clean` removes it
SEED = 2018


def memory_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM, ...), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def medians_in_fresh_processes(
    script: str, methods: tuple[str, ...], data: str, repeat: int
) -> dict[str, dict[str, float]]:
    """Each method's median of each measured quantity over ``repeat`` runs of ``script``.

    Every run is a fresh process (``script --child METHOD DATA``, printing a JSON object of
    measurements as its last line), so one run's caches and memory high-water mark never reach
    the next; the methods are interleaved, so drift in the machine's load hits them alike.
    """
    runs: dict[str, list[dict[str, float]]] = {method: [] for method in methods}
    for _ in range(repeat):
        for method in methods:
            child = subprocess.run(
                [sys.executable, script, "--child", method, data],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            runs[method].append(json.loads(child.stdout.strip().splitlines()[-1]))
    return {
        method: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for method, results in runs.items()
    }


def synthetic_data(figures: int) -> Path:
    """A data directory of ``figures`` synthetic figures (seeded, so the same on every machine).

    Generating a million figures takes about half a minute, so each size is made once and kept;
    ``metrics synth`` writes to a temporary name and the rename marks it complete.
    """
    target = CACHE / f"synth-{figures}-seed{SEED}-{_generator_digest()}"
    if not target.is_dir():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted run
        partial.parent.mkdir(parents=True, exist_ok=True)
        synth = ["synth", "--figures", str(figures), "--seed", str(SEED), "-o", str(partial)]
        # Its progress goes to stderr: a benchmark's stdout is the table run_all.py keeps.
        subprocess.run(
            [sys.executable, "-m", "metrics", *synth], check=True, cwd=ROOT, stdout=sys.stderr
        )
        partial.rename(target)
    return target


def _generator_digest() -> str:
    """A digest of what the synthetic data is made from (the generator, its reference tables,
    the bundled data it copies): a change to any of them makes new data, never stale data."""
    sha = hashlib.sha256()
    inputs = [ROOT / "metrics" / "synth.py", *sorted((ROOT / "metrics" / "resources").iterdir())]
    for path in [*inputs, *sorted((ROOT / "data").glob("*.csv")), ROOT / "data/datapackage.json"]:
        sha.update(path.name.encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()[:12]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(workers: int, port: int, app: str = "app:server") -> list[str]:
    """Production's command line: the repository's gunicorn.conf.py if any, our bind and workers
    (the command line overrides the file)."""
    command = [str(Path(sys.executable).parent / "gunicorn"), app]
    if (ROOT / "gunicorn.conf.py").exists():
        command += ["-c", "gunicorn.conf.py"]
    return [*command, "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]


@contextlib.contextmanager
def serve(
    workers: int = 2,
    data: str | Path | None = None,
    ready_timeout: float = 120,
    app: str = "app:server",
) -> Iterator[Server]:
    """Run gunicorn in its own process group until the block ends, then kill the whole group.

    ``data`` sets METRICS_DATA_DIR; None serves the bundled data whatever the caller's shell
    says. The log goes to a temporary file (``Server.log``, deleted afterwards), not a pipe,
    so a chatty server can never block on it.
    """
    port = free_port()
    env = {**os.environ, "METRICS_DATA_DIR": str(data) if data else ""}
    with running(gunicorn_command(workers, port, app), port, env, ready_timeout) as server:
        yield server


@contextlib.contextmanager
def running(
    command: list[str], port: int, env: dict[str, str], ready_timeout: float
) -> Iterator[Server]:
    """Run ``command`` (a server on ``port``) in its own process group, logging to a temporary
    file, until ``GET /`` answers 200; stop the group when the block ends."""
    name = Path(command[1] if command[0] == sys.executable else command[0]).name
    with tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: one killpg ends it and all its children
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
                        f"{name} exited:\n{server.log.read_text('utf-8', 'replace')}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} did not answer in {ready_timeout:.0f} s")
                time.sleep(0.3)
            yield server
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the group (gunicorn's graceful stop), SIGKILL whatever is left after 20 s."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # workers orphaned by a dead master
        os.killpg(process.pid, signal.SIGKILL)


def worker_pids(master: int) -> set[int]:
    """The gunicorn master's children: its workers (Linux /proc, no dependency needed)."""
    pids: set[int] = set()
    for children in Path(f"/proc/{master}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids |= {int(p) for p in children.read_text().split()}
    return pids
