"""`make serve` as production runs it: nginx (deploy/nginx.conf) in front of gunicorn, both
started, reloaded and stopped by deploy/serve.py (benchmarks/stack.py runs it on a free port).

The first test is the reason for nginx: forty clients that send their request headers one line
every two seconds hold every sync worker of a bare gunicorn, and the page goes unanswered; behind
nginx it answers at once.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import importlib.util
import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest

from benchmarks.common import Server, serve, worker_pids
from benchmarks.stack import serve_stack
from dashboard.serving import MAX_REQUEST_BYTES

from .conftest import ROOT

pytestmark = pytest.mark.server

SLOW_CLIENTS = 40
TRICKLE = 2.0  # seconds between a slow client's header lines
PROMPT = 3.0  # what "answered at once" allows, with the slow clients trickling
PLOTLY = "/assets/plotly-cartesian-4.1.1.min.js"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture(scope="module")
def stack() -> Iterator[Server]:
    with serve_stack(workers=2) as server:
        yield server


def fetch(
    url: str,
    path: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request, the path sent exactly as given (``..`` and all), the body as it came on the
    wire (not decompressed)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def post_kpi_callback(url: str, timeout: float) -> tuple[http.client.HTTPMessage, dict]:
    """The KPI callback's headers and answer, requested as the page does."""
    status, _, content = fetch(url, "/_dash-dependencies", timeout=timeout)
    assert status == 200
    callback = next(d for d in json.loads(content) if "kpis.children" in d["output"])
    outputs = [  # "..a.b...c.d..": a callback with more than one output
        dict(zip(("id", "property"), spec.rsplit(".", 1), strict=True))
        for spec in callback["output"].strip(".").split("...")
    ]
    body = {
        "output": callback["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [
            {"id": "state", "property": "data", "value": {"lang": "en"}},
            {"id": "version", "property": "data", "value": None},
        ],
        "changedPropIds": ["state.data"],
        "state": [],
    }
    status, headers, content = fetch(
        url,
        "/_dash-update-component",
        "POST",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
        timeout,
    )
    assert status == 200, content[:200]
    return headers, json.loads(content)


@contextlib.contextmanager
def slow_clients(url: str) -> Iterator[list[socket.socket]]:
    """SLOW_CLIENTS connections that send a request line, then a header line every TRICKLE
    seconds, never the blank line that ends the request: each holds whatever reads it."""
    parts = urlsplit(url)
    clients = [socket.create_connection((parts.hostname, parts.port)) for _ in range(SLOW_CLIENTS)]
    for client in clients:
        client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
    done = threading.Event()

    def trickle() -> None:
        line = 0
        while not done.wait(TRICKLE):
            line += 1
            for client in clients:
                with contextlib.suppress(OSError):  # nginx may drop one; the others go on
                    client.sendall(f"X-Slow-{line}: {line}\r\n".encode())

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(TRICKLE + 0.5)  # a header line sent by each, every worker they can hold held
        yield clients
    finally:
        done.set()
        thread.join()
        for client in clients:
            client.close()


def still_open(client: socket.socket) -> bool:
    """Whether the server still holds the connection: no answer, no end of stream."""
    client.setblocking(False)
    try:
        client.recv(1, socket.MSG_PEEK)
        return False  # an answer (a 408) or the end of the stream
    except BlockingIOError:
        return True
    finally:
        client.setblocking(True)


def timed_get(url: str, timeout: float) -> tuple[float, int | None]:
    """Seconds until GET / answered (or timed out: status None)."""
    start = time.monotonic()
    try:
        status = fetch(url, "/", timeout=timeout)[0]
    except TimeoutError:
        status = None
    return time.monotonic() - start, status


def children(pid: int, name: str) -> list[int]:
    """The children of ``pid`` whose command line names ``name``."""
    found = []
    for child in worker_pids(pid):
        with contextlib.suppress(OSError):
            if name.encode() in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
    return found


def masters(server: Server) -> tuple[int, int]:
    """serve.py's gunicorn master and nginx master."""
    (gunicorn,) = children(server.process.pid, "gunicorn")
    (nginx,) = children(server.process.pid, "nginx")
    return gunicorn, nginx


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def port_closed(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


# ---- slow clients --------------------------------------------------------------------------


def test_slow_clients_stall_bare_gunicorn():
    """The problem: without nginx, the slow clients hold both sync workers."""
    with serve(workers=2) as server, slow_clients(server.url):
        elapsed, status = timed_get(server.url, timeout=PROMPT + 2)
    assert status is None or elapsed > PROMPT, (status, elapsed)


def test_slow_clients_cost_nginx_connections_not_workers(stack):
    with slow_clients(stack.url) as clients:
        elapsed, status = timed_get(stack.url, timeout=PROMPT + 2)
        assert status == 200 and elapsed < PROMPT, (status, elapsed)
        start = time.monotonic()
        _, answer = post_kpi_callback(stack.url, timeout=PROMPT)
        assert time.monotonic() - start < PROMPT
        assert "CNY 490.7 million" in json.dumps(answer["response"])
        # nginx is still reading every one of them
        assert all(still_open(client) for client in clients)


# ---- what nginx serves itself -------------------------------------------------------------


def test_assets_come_from_nginx_compressed_cached_with_the_security_headers(stack):
    gunicorn, _ = masters(stack)
    stopped = [gunicorn, *worker_pids(gunicorn)]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(TimeoutError):  # gunicorn answers nothing now
            fetch(stack.url, "/", timeout=1)
        answers = {
            path: fetch(stack.url, f"{path}?m=1700000000", headers={"Accept-Encoding": "gzip"})
            for path in ("/assets/style.css", PLOTLY)
        }
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    for path, (status, headers, content) in answers.items():
        assert status == 200, path
        assert headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(content) == (ROOT / path.lstrip("/")).read_bytes()
        assert "max-age=31536000" in headers["Cache-Control"]  # the URL changes with the file
        for name, value in SECURITY_HEADERS.items():
            assert headers[name] == value, (path, name)
        assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'"
    _, _, plotly = answers[PLOTLY]
    assert len(plotly) < 600_000  # 1.5 MB raw


def test_page_and_callback_pass_through_with_the_apps_own_headers(stack):
    status, headers, page = fetch(stack.url, "/", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    page = gzip.decompress(page) if headers["Content-Encoding"] == "gzip" else page
    assert b"<title>" in page
    # The app's policy, once: nginx adds its own only where the app's is missing.
    (policy,) = headers.get_all("Content-Security-Policy")
    assert "script-src 'self' 'sha256-" in policy
    assert all(len(headers.get_all(name)) == 1 for name in SECURITY_HEADERS)
    headers, answer = post_kpi_callback(stack.url, timeout=10)
    assert "CNY 490.7 million" in json.dumps(answer["response"])
    (policy,) = headers.get_all("Content-Security-Policy")
    assert "script-src 'self' 'sha256-" in policy


def test_first_load_stays_under_2_mb_on_the_wire(stack):
    """The page and everything it links, compressed: nginx compresses assets/ and passes the
    app's own compressed answers unchanged."""
    _, _, page = fetch(stack.url, "/")
    links = re.findall(rb'(?:src|href)="(/[^"]+)"', page)
    assert any(link.startswith(b"/assets/plotly-cartesian") for link in links)
    raw = wire = 0
    for path in ["/", *(link.decode() for link in links)]:
        status, _, content = fetch(stack.url, path)
        assert status == 200, path
        raw += len(content)
        wire += len(fetch(stack.url, path, headers={"Accept-Encoding": "gzip, br"})[2])
    assert wire < 2_000_000 and wire < raw / 2, (wire, raw)  # 0.8 MB of 2.7 MB


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../app.py",
        "/assets/%2e%2e/app.py",
        "/assets/..%2fapp.py",
        "/assets/../../app.py",
        "/assets/%2e%2e%2f%2e%2e%2fgunicorn.conf.py",
        "/assets/..%5capp.py",
    ],
)
def test_path_traversal_is_refused(stack, path):
    status, headers, content = fetch(stack.url, path)
    assert status in (400, 404), status
    assert b"import" not in content and len(content) < 100
    assert "error" in json.loads(content)
    assert headers["X-Content-Type-Options"] == "nosniff"


# ---- limits and nginx's own errors ---------------------------------------------------------


def assert_short_json_error(
    status: int, headers: http.client.HTTPMessage, content: bytes, expected: int
) -> None:
    assert status == expected
    assert headers.get_content_type() == "application/json"
    assert list(json.loads(content)) == ["error"] and b"<" not in content
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name


def test_a_url_over_8_kib_gets_a_short_json_414(stack):
    # Up to 8 KiB the page answers (and tells the user their view query was too long).
    status, _, page = fetch(stack.url, "/?q=" + "x" * 7000)
    assert status == 200 and b"<title>" in page
    assert_short_json_error(*fetch(stack.url, "/?q=" + "x" * 9000), 414)


def test_over_size_bodies_get_a_short_json_413(stack):
    callback = "/_dash-update-component"
    json_type = {"Content-Type": "application/json"}
    # A little over the app's limit: the app's own 413 (its policy names the page's hashes).
    just_over = fetch(stack.url, callback, "POST", b" " * (MAX_REQUEST_BYTES + 1024), json_type)
    assert_short_json_error(*just_over, 413)
    assert "'sha256-" in just_over[1]["Content-Security-Policy"]
    # Far over: nginx's, before anything reaches gunicorn.
    far_over = fetch(stack.url, callback, "POST", b" " * (4 * MAX_REQUEST_BYTES), json_type)
    assert_short_json_error(*far_over, 413)
    assert far_over[1]["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'"


def test_the_access_log_has_paths_but_no_query_strings(stack):
    assert fetch(stack.url, "/assets/style.css?m=4242424242")[0] == 200
    assert fetch(stack.url, "/?city=%E6%BB%81%E5%B7%9E&q=needle-in-the-log")[0] == 200
    deadline = time.monotonic() + 5
    while '"GET /assets/style.css" 200' not in stack.log.read_text("utf-8", "replace"):
        assert time.monotonic() < deadline, "nginx logged no line for the asset"
        time.sleep(0.1)
    log = stack.log.read_text("utf-8", "replace")
    assert "4242424242" not in log and "needle-in-the-log" not in log and "city=" not in log


# ---- started and stopped together ----------------------------------------------------------


def test_when_gunicorn_dies_serve_stops_nginx_and_fails():
    with serve_stack(workers=1) as server:
        gunicorn, nginx = masters(server)
        workers = worker_pids(gunicorn) | worker_pids(nginx)
        os.kill(gunicorn, signal.SIGKILL)
        assert server.process.wait(timeout=10) != 0
        assert port_closed(server.url)
        assert not any(running(pid) for pid in (nginx, *workers))  # orphans too
        assert "gunicorn exited" in server.log.read_text("utf-8", "replace")


def test_hup_reloads_both_and_term_stops_both_cleanly():
    with serve_stack(workers=1) as server:
        gunicorn, nginx = masters(server)
        # HUP: both masters stay, both start new workers and let the old ones go.
        old = worker_pids(gunicorn) | worker_pids(nginx)
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while any(running(pid) for pid in old) or not worker_pids(gunicorn):
            assert time.monotonic() < deadline, server.log.read_text("utf-8", "replace")
            time.sleep(0.2)
        assert masters(server) == (gunicorn, nginx) and worker_pids(nginx)
        assert fetch(server.url, "/")[0] == 200
        processes = {gunicorn, nginx, *worker_pids(gunicorn), *worker_pids(nginx)}
        runtime = Path(re.search(r"unix:(\S+)/gunicorn\.sock", server.log.read_text()).group(1))
        assert runtime.is_dir()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=40) == 0
        assert not any(running(pid) for pid in processes)
        assert port_closed(server.url)
        assert not runtime.exists()  # the rendered config, the socket, nginx's temp files


# ---- the launcher's own checks -------------------------------------------------------------


@pytest.fixture
def launcher() -> ModuleType:
    """deploy/serve.py as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location("serve_launcher", ROOT / "deploy" / "serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_nginx_serve_says_how_to_install_it(launcher, monkeypatch, capsys):
    monkeypatch.setattr(launcher.shutil, "which", lambda *_, **__: None)
    monkeypatch.setenv("PORT", "8050")
    assert launcher.main() != 0
    error = capsys.readouterr().err
    assert "make system-deps" in error and "Traceback" not in error


def test_the_template_renders_whole_and_a_stray_placeholder_stops_the_start(
    launcher, tmp_path, monkeypatch
):
    values = {"LISTEN": "127.0.0.1:8050", "SOCKET": "/s", "ASSETS": "/a", "RUNTIME": "/r"}
    assert "@" not in launcher.render(values)
    with pytest.raises(launcher.ServeError, match=r"\$"):
        launcher.render({**values, "ASSETS": "/a/$uri"})
    monkeypatch.setattr(launcher, "TEMPLATE", tmp_path / "nginx.conf")
    launcher.TEMPLATE.write_text("listen @LISTEN@; root @ROOT@;")
    with pytest.raises(launcher.ServeError, match="@ROOT@"):
        launcher.render(values)
