"""``make serve``: nginx in front of gunicorn, started and stopped together.

gunicorn's sync workers serve one request each, start to finish, so clients that send their
requests slowly hold every worker and the page goes unanswered. nginx (deploy/nginx.conf) reads
each request whole before handing it to gunicorn over a unix socket, takes the answer whole, and
serves assets/ itself. This launcher fills in that template's placeholders, in a private runtime
directory that also holds gunicorn's socket and nginx's temporary files and is removed at exit.

HOST (default 127.0.0.1), PORT (8050) and WORKERS (gunicorn.conf.py's default) come from the
environment, as they did for gunicorn alone; the rest of the environment (METRICS_DATA_DIR, …)
reaches the app. SIGTERM or SIGINT stops both gracefully and exits 0; SIGHUP reloads both
(gunicorn starts new workers, nginx rereads deploy/nginx.conf); if either exits by itself, the
other is stopped and this exits non-zero.
"""

from __future__ import annotations

import contextlib
import ctypes
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"
PLACEHOLDER = re.compile(r"@[A-Z]+@")
# The template puts every value in double quotes; inside them nginx would still read these.
UNQUOTABLE = re.compile(r'["\\$\x00-\x1f]')
POLL = 0.1  # seconds between looks at the two processes and at the signals received
# gunicorn's graceful_timeout and nginx's worker_shutdown_timeout are 30 s; then SIGKILL.
STOP_TIMEOUT = 35
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


class ServeError(Exception):
    """A reason not to start, told in one line without a traceback."""


def settings() -> tuple[str, int, str]:
    """HOST, PORT and WORKERS from the environment, checked."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port_text = os.environ.get("PORT") or "8050"
    workers = os.environ.get("WORKERS") or ""
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ServeError(f"PORT must be a port number, not {port_text!r}")
    if workers and not (workers.isdigit() and int(workers) > 0):
        raise ServeError(f"WORKERS must be a positive number, not {workers!r}")
    return host, int(port_text), workers


def find_nginx() -> str:
    # Debian installs it in /usr/sbin, which is not on an ordinary user's PATH.
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise ServeError("nginx is not installed: `make system-deps` installs it (Debian)")
    return found


def render(values: dict[str, str]) -> str:
    """deploy/nginx.conf with its @PLACEHOLDERS@ filled in; any other placeholder is an error,
    so a template that grew one this launcher does not know stops the start."""
    template = TEMPLATE.read_text(encoding="utf-8")
    unknown = sorted(set(PLACEHOLDER.findall(template)) - {f"@{name}@" for name in values})
    if unknown:
        raise ServeError(f"{TEMPLATE} has placeholders serve.py does not fill: {unknown}")
    for name, value in values.items():
        if UNQUOTABLE.search(value):
            raise ServeError(f"{name} may not hold quotes, backslashes, '$' or controls: {value!r}")
        template = template.replace(f"@{name}@", value)
    return template


def global_directives() -> str:
    directives = "daemon off;"
    if os.geteuid() == 0:
        # As root, nginx runs its workers as `nobody`, who could neither connect to gunicorn's
        # socket in the private runtime directory (mode 0700) nor, often, read assets/ in a
        # home directory. So the workers stay the user who started this (CI runs as root);
        # started by anyone else, nginx cannot change user and needs no directive.
        user = pwd.getpwuid(os.geteuid())
        directives += f" user {user.pw_name} {grp.getgrgid(user.pw_gid).gr_name};"
    return directives


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_answers(path: Path) -> bool:
    """Whether gunicorn answers an HTTP request on its unix socket: the app is loaded (in the
    master, before it binds) and a worker is serving."""
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(5)
            client.connect(str(path))
            client.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return client.recv(64).startswith(b"HTTP/")
    except OSError:
        return False


def relay(fd: int) -> None:
    """Copy nginx's access log from its pipe to our standard output.

    nginx opens /dev/stdout anew rather than writing to the descriptor it inherits: that fails
    when standard output is a socket (systemd's journal), and in a file opened without
    O_APPEND its lines and gunicorn's would overwrite each other. A pipe works everywhere. If
    our output goes away, keep reading: a full pipe would block nginx's workers.
    """
    while chunk := os.read(fd, 65536):
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
    os.close(fd)


def adopt_orphans() -> None:
    """Become the parent of our children's orphans (Linux): if gunicorn's master is killed,
    its workers, each holding the dataset in memory, would otherwise wait up to 150 s (half of
    gunicorn's timeout) before noticing; nginx's workers would keep the port open."""
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def remaining_children() -> set[int]:
    pids: set[int] = set()
    for children in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids |= {int(pid) for pid in children.read_text().split()}
    return pids


def reaped(pid: int) -> bool:
    """Whether our child ``pid`` has exited, collecting its exit status if so."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


class Stack:
    def __init__(self, host: str, port: int, workers: str, nginx: str, runtime: Path) -> None:
        self.host, self.port, self.workers, self.nginx = host, port, workers, nginx
        self.runtime = runtime
        self.socket = runtime / "gunicorn.sock"
        self.config = runtime / "nginx.conf"
        self.received: list[int] = []
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.serving = False  # both started and listening
        self.reload_pending = False  # a SIGHUP came while starting

    def on_signal(self, signum: int, _: FrameType | None) -> None:
        self.received.append(signum)

    def write_config(self) -> None:
        self.config.write_text(
            render(
                {
                    "LISTEN": listen_address(self.host, self.port),
                    "SOCKET": str(self.socket),
                    "ASSETS": str(ROOT / "assets"),
                    "RUNTIME": str(self.runtime),
                }
            ),
            encoding="utf-8",
        )

    def run(self) -> int:
        """Start gunicorn, then nginx once gunicorn answers, and watch both until a signal
        says stop (0) or one of them exits (non-zero)."""
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self.on_signal)
        adopt_orphans()
        self.write_config()  # before anything starts: a bad template stops nothing
        gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "app:server"]
        gunicorn += ["-c", "gunicorn.conf.py", "--bind", f"unix:{self.socket}"]
        gunicorn += ["--workers", self.workers] if self.workers else []
        try:
            # gunicorn hears only nginx: it may take the client's address and scheme from
            # nginx's X-Forwarded-* headers (dashboard/curate/auth.py: throttling, cookies).
            environment = {**os.environ, "METRICS_BEHIND_PROXY": "1"}
            self.processes["gunicorn"] = subprocess.Popen(gunicorn, cwd=ROOT, env=environment)
            if (code := self.wait_until(lambda: gunicorn_answers(self.socket))) is not None:
                return code
            nginx = [self.nginx, "-p", str(self.runtime), "-c", str(self.config)]
            nginx += ["-e", "stderr", "-g", global_directives()]
            log, nginx_stdout = os.pipe()
            self.processes["nginx"] = subprocess.Popen(nginx, cwd=self.runtime, stdout=nginx_stdout)
            os.close(nginx_stdout)  # nginx holds it now: the relay ends when nginx does
            threading.Thread(target=relay, args=(log,), daemon=True).start()
            # nginx writes its pid file once it has bound the port (a port in use: it exits).
            pid_file = self.runtime / "nginx.pid"
            if (code := self.wait_until(pid_file.exists)) is not None:
                return code
            url = f"http://{listen_address(self.host, self.port)}/"
            print(
                f"serve: listening on {url} (nginx, in front of gunicorn at unix:{self.socket});"
                " SIGTERM or Ctrl-C stops both",
                flush=True,
            )
            self.serving = True
            if self.reload_pending:
                self.reload()
            return self.wait_until(lambda: False) or 0  # never ready: until a signal or an exit
        finally:
            self.stop()

    def wait_until(self, ready: Callable[[], bool]) -> int | None:
        """None once ``ready()`` is true; an exit code if a signal or an exit ends the run."""
        while True:
            while self.received:
                signum = self.received.pop(0)
                if signum != signal.SIGHUP:
                    return 0
                self.reload()
            for name, process in self.processes.items():
                if process.poll() is not None:
                    print(
                        f"serve: {name} exited (code {process.returncode}); stopping",
                        file=sys.stderr,
                        flush=True,
                    )
                    return process.returncode if process.returncode > 0 else 1
            if ready():
                return None
            time.sleep(POLL)

    def reload(self) -> None:
        """SIGHUP: gunicorn replaces its workers, nginx rereads its configuration, rendered
        again so that edits to deploy/nginx.conf take effect (a broken edit: nginx keeps the
        old one and says why). While starting, it waits until both are up: a SIGHUP before
        their handlers are set would kill them."""
        if not self.serving:
            self.reload_pending = True
            return
        self.processes["gunicorn"].send_signal(signal.SIGHUP)
        try:
            self.write_config()
        except ServeError as exc:
            print(f"serve: not reloading nginx: {exc}", file=sys.stderr, flush=True)
            return
        self.processes["nginx"].send_signal(signal.SIGHUP)

    def stop(self) -> None:
        """Both gracefully (nginx SIGQUIT, gunicorn SIGTERM: open requests finish), SIGKILL
        after STOP_TIMEOUT; then the orphans of a master that died."""
        graceful = {"nginx": signal.SIGQUIT, "gunicorn": signal.SIGTERM}
        for name, process in self.processes.items():
            process.send_signal(graceful[name])  # nothing, if it has exited
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        orphans = remaining_children()
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            for pid in orphans:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while orphans and time.monotonic() < deadline:
                orphans = {pid for pid in orphans if not reaped(pid)}
                time.sleep(POLL)


def main() -> int:
    try:
        host, port, workers = settings()
        nginx = find_nginx()
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    runtime = Path(tempfile.mkdtemp(prefix="metrics-serve-"))
    try:
        return Stack(host, port, workers, nginx, runtime).run()
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
