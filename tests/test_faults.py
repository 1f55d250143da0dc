"""Faults, injected for real: a gunicorn worker SIGKILLed mid-request, an export or an add
SIGKILLed at chosen points of its work and at moments measured from when it starts writing.

The kill points are set by a hook in the child process (:data:`CHILD`) that kills the process
from inside a library call (``os.replace``, ``zipfile.ZipFile.open``, ``shutil.copyfile``), so
the same point is hit on every run, however fast or loaded the machine. A hook that never fires
fails the test: the code changed and the point must be chosen again.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import openpyxl
import pytest

from benchmarks.common import serve, worker_pids
from benchmarks.load_test import Browser, RequestLog
from metrics.cli import main
from metrics.store import FolderStore, Store

from .conftest import DATA, ROOT
from .test_add import REPORT, ROWS, location_args, state, write_review

T = TypeVar("T")

# Runs ``python -m metrics ARGS`` with hooks: [module:attribute, when, n] kills the process
# before (or after) the n-th call of that function; when "false", the function returns False.
CHILD = """
import importlib, json, os, signal, sys

def hook(spec, when, n):
    module, _, path = spec.partition(":")
    owner = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    real, calls = getattr(owner, name), []

    def hooked(*args, **kwargs):
        if when == "false":
            return False
        calls.append(1)
        if when == "before" and len(calls) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(*args, **kwargs)
        if when == "after" and len(calls) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, hooked)

for spec, when, n in json.loads(sys.argv[1]):
    hook(spec, when, n)
from metrics.cli import main
sys.exit(main(sys.argv[2:]))
"""
Hook = tuple[str, str, int]

# Kill moments, as fractions of the time the command writes (measured on the spot, as machines
# and their load differ). The measured run is the first and so the slowest (cold caches): the
# moments stay in its first 60 %, and the last may still come too late; the others must land.
FRACTIONS = (0, 0.2, 0.4, 0.6)


def run_killed(args: list[str], hooks: list[Hook]) -> subprocess.CompletedProcess[str]:
    """Run the command line with ``hooks``; it must die by SIGKILL."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(hooks), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "METRICS_DATA_DIR": "", "METRICS_DATABASE_URL": ""},
    )
    assert result.returncode == -signal.SIGKILL, (
        f"the hook {hooks} never fired (exit {result.returncode}): {result.stderr[-500:]}"
    )
    return result


def kill_when_writing(args: list[str], watched: Path, delay: float | None) -> tuple[bool, float]:
    """Run ``python -m metrics ARGS`` and SIGKILL it ``delay`` s after something new appears in
    ``watched`` (None: let it finish). Whether the kill landed, and the seconds from that
    appearance to the end of the process."""
    before = set(watched.iterdir())
    process = subprocess.Popen(
        [sys.executable, "-m", "metrics", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "METRICS_DATA_DIR": "", "METRICS_DATABASE_URL": ""},
    )
    try:
        wait_until(lambda: set(watched.iterdir()) != before or process.poll() is not None, 60)
        started = time.monotonic()
        if delay is not None:
            time.sleep(delay)
            process.kill()
    finally:
        returncode = process.wait(timeout=60)
    return returncode == -signal.SIGKILL, time.monotonic() - started


def wait_until(probe: Callable[[], T | None], timeout: float = 30) -> T:
    """Poll ``probe`` every few milliseconds until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        assert time.monotonic() < deadline, f"gave up after {timeout} s"
        time.sleep(0.002)
    return found


def hidden_leftovers(directory: Path, *expected: str) -> list[str]:
    """Names in ``directory`` other than ``expected``; each must be hidden (a temporary)."""
    names = sorted(p.name for p in directory.iterdir() if p.name not in expected)
    assert all(name.startswith(".") for name in names), names
    return names


# --- a gunicorn worker killed mid-request ----------------------------------------------------


def held_request(port: int, body: bytes) -> socket.socket:
    """POST a callback but hold back its last byte: the worker that accepts it waits inside
    the request, so it can be killed mid-request deterministically."""
    head = (
        f"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    client = socket.create_connection(("127.0.0.1", port), timeout=60)
    client.sendall(head.encode() + body[:-1])
    return client


def finish(client: socket.socket, body: bytes) -> tuple[int, bytes]:
    with client:
        client.sendall(body[-1:])
        response = http.client.HTTPResponse(client)
        response.begin()
        return response.status, response.read()


def serving_worker(client: socket.socket, port: int, workers: set[int]) -> int | None:
    """The worker holding the server's end of ``client``'s connection (Linux /proc)."""
    local, remote = f"0100007F:{port:04X}", f"0100007F:{client.getsockname()[1]:04X}"
    rows = (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
    sockets = {f"socket:[{r[9]}]" for r in rows if r[1] == local and r[2] == remote and r[9] != "0"}
    for pid in workers:
        with contextlib.suppress(OSError):  # a worker may exit while we look
            if any(os.readlink(fd) in sockets for fd in Path(f"/proc/{pid}/fd").iterdir()):
                return pid
    return None


def is_workbook(answer: bytes) -> bool:
    """Whether an export callback's answer carries a file that is a zip, as an xlsx is."""
    updates = json.loads(answer)["response"].values()
    download = next(props["data"] for props in updates if "data" in props)
    return base64.b64decode(download["content"]).startswith(b"PK")


@pytest.mark.server
def test_a_worker_killed_mid_request_is_replaced_and_later_requests_succeed():
    with serve(workers=2) as server:
        port, master = urlsplit(server.url).port or 80, server.process.pid
        workers = wait_until(lambda: len(w := worker_pids(master)) == 2 and w)
        page = Browser(server.url, RequestLog(), random.Random(7))
        page.open_page()
        body = json.dumps(page.body(*page.click_export())).encode()

        client = held_request(port, body)
        victim = wait_until(lambda: serving_worker(client, port, workers))
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(ConnectionError):  # the request dies with its worker, visibly
            finish(client, body)

        replacement = wait_until(
            lambda: len(w := worker_pids(master)) == 2 and victim not in w and w - workers, 60
        )
        # Which idle worker accepts a connection is up to the kernel (the one that just served
        # tends to win), so each round first holds a request on one worker: the other, whichever
        # it is, must serve the second. Both workers serve in every round.
        served: list[int] = []

        def worker_of(client: socket.socket) -> int:
            return wait_until(lambda: serving_worker(client, port, worker_pids(master)))

        for _ in range(3):
            clients = [held_request(port, body)]
            served.append(worker_of(clients[0]))
            clients.append(held_request(port, body))
            served.append(worker_of(clients[1]))
            assert served[-1] != served[-2]
            for client in reversed(clients):
                status, answer = finish(client, body)
                assert status == 200, answer[:200]
                assert is_workbook(answer)
        assert replacement <= set(served)
        assert server.process.poll() is None
        assert worker_pids(master) == (workers - {victim}) | replacement
        assert f"Worker (pid:{victim}) was sent SIGKILL" in server.log.read_text(errors="replace")


# --- an export killed at any point -----------------------------------------------------------


def complete_workbook(path: Path) -> bool:
    """openpyxl reads every sheet of it, and none is empty."""
    workbook = openpyxl.load_workbook(path)
    return len(workbook.worksheets) >= 4 and all(sheet.max_row > 1 for sheet in workbook)


@pytest.mark.parametrize(
    ("hook", "written"),
    [
        (("zipfile:ZipFile.open", "before", 3), False),  # mid-workbook: the third part
        (("zipfile:ZipFile.close", "before", 1), False),  # every part, no zip directory
        (("os:replace", "before", 1), False),  # complete under its temporary name
        (("os:replace", "after", 1), True),  # renamed into place
    ],
)
def test_a_killed_export_leaves_no_partial_workbook(tmp_path, hook, written):
    out = tmp_path / "out.xlsx"
    run_killed(["export", "-o", str(out)], [hook])
    assert out.exists() == written
    assert not written or complete_workbook(out)
    hidden_leftovers(tmp_path, "out.xlsx")


def test_an_export_killed_while_writing_leaves_no_partial_workbook(tmp_path):
    _, writing = kill_when_writing(["export", "-o", str(tmp_path / "out.xlsx")], tmp_path, None)
    landed = 0
    for n, fraction in enumerate(FRACTIONS):
        directory = tmp_path / f"killed-{n}"
        directory.mkdir()
        out = directory / "out.xlsx"
        landed += kill_when_writing(["export", "-o", str(out)], directory, fraction * writing)[0]
        assert not out.exists() or complete_workbook(out)
        hidden_leftovers(directory, "out.xlsx")
    assert landed >= len(FRACTIONS) - 1, f"{landed} kills landed in {writing:.2f} s of writing"


# --- an add killed at any point --------------------------------------------------------------


def content(store: Store) -> str:
    """What a store holds, whenever its changes were made."""
    return state(store, times=False)


def add_command(store: Store, directory: Path) -> list[str]:
    """The command line adding the report to ``store``; its files are written to ``directory``."""
    report = directory / "010_anhui_goods_festival.txt"
    report.write_text(REPORT, encoding="utf-8")
    review = write_review(directory / "review.csv", ROWS)
    return ["add", str(report), str(review), *location_args(store)]


def folder_add_command(root: Path) -> tuple[Path, list[str]]:
    """A copy of the data, and the command line adding the report to it."""
    data = root / "data"
    shutil.copytree(DATA, data)
    return data, add_command(FolderStore(data), root)


FOLDER_KILLS = [
    ([("metrics.store.folder:_write_durably", "after", 1)], "old"),  # journal written
    ([("metrics.store.folder:_create", "after", 1)], "old"),  # the report's file written
    ([("metrics.store.folder:_append_rows", "before", 3)], "old"),  # two tables appended
    ([("metrics.store.folder:_append_rows", "after", 4)], "old"),  # all appended, journaled
    ([("metrics.store.folder:_finish", "after", 1)], "new"),  # done: the journal is gone
]
POSTGRES_KILLS = [
    ([("psycopg:Cursor.copy", "after", 2)], "old"),  # one table's rows sent, mid-change
    ([("psycopg:Connection.commit", "before", 1)], "old"),  # every row sent, not committed
    ([("psycopg:Connection.commit", "after", 1)], "new"),  # committed
]


@pytest.mark.parametrize(
    ("store", "hooks", "now"),
    [("folder", *kill) for kill in FOLDER_KILLS]
    + [pytest.param("postgresql", *kill, marks=pytest.mark.server) for kill in POSTGRES_KILLS],
    indirect=["store"],
)
def test_a_killed_add_leaves_the_old_or_the_new_data(store, tmp_path, hooks, now):
    command = add_command(store, tmp_path)
    before = content(store)
    run_killed(command, hooks)
    assert main(["validate", *location_args(store)]) == 0  # a reader undoes a half change
    after = content(store)
    assert main(command) == 0  # the add, run again, completes it (or finds it done)
    added = content(store)
    assert added != before
    assert after == {"old": before, "new": added}[now]
    if isinstance(store, FolderStore):
        assert not list(store.directory.glob(".metrics-journal*"))


def test_an_add_killed_while_working_leaves_the_old_or_the_new_data(tmp_path):
    """Killed at moments measured from when the add starts writing (its journal appears)."""
    data, command = folder_add_command(tmp_path / "measured")
    before = content(FolderStore(data))
    _, working = kill_when_writing(command, data, None)
    added = content(FolderStore(data))
    assert added != before
    landed = 0
    for n, fraction in enumerate(FRACTIONS):
        data, command = folder_add_command(tmp_path / f"killed-{n}")
        content(FolderStore(data))  # takes the lock once: its file is not what we wait for
        landed += kill_when_writing(command, data, fraction * working)[0]
        assert main(["validate", "--data", str(data)]) == 0
        assert content(FolderStore(data)) in (before, added)
        assert main(command) == 0
        assert content(FolderStore(data)) == added
    assert landed >= len(FRACTIONS) - 1, f"{landed} kills landed in {working:.2f} s of work"
