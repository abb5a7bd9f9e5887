"""The demo's web server, in the background, so that ``make demo`` returns even with no one at the keyboard.

:func:`start_server` runs ``python -m vigilant.demo.server``, which forks: the parent writes the pid file
(``server.pid`` in the demo folder) and exits at once; the child leaves the terminal's session, serves the
demo database on 127.0.0.1 only, writes to ``server.log``, and stops itself after its lifetime (an hour by
default), on SIGTERM (:func:`stop_server`, ``vigilant demo stop``), or when the demo is run again. The
Secure cookie flag is off: the demo is plain http://127.0.0.1, where browsers would drop Secure cookies.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from vigilant.config import Settings
from vigilant.errors import VigilantError
from vigilant.web import create_app
from vigilant.web.app import WebOptions

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_LIFETIME_S = 3600
PID_FILE = "server.pid"
LOG_FILE = "server.log"
_MODULE = "vigilant.demo.server"


class DemoServerError(VigilantError):
    """The background server did not start."""


@dataclass(frozen=True)
class DemoServer:
    pid: int
    port: int
    stops_at: float  # Unix time

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"


def free_port(preferred: int = DEFAULT_PORT) -> int:
    """``preferred`` if nothing listens on it on 127.0.0.1, else a port the system picks."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise DemoServerError(f"no free TCP port on {HOST}", hint="stop another server and try again")


def _alive(pid: int) -> bool:
    """A running process of ours with this pid that is a demo server (not a recycled pid, not a zombie)."""
    if not Path("/proc").is_dir():  # no procfs (macOS): trust the pid file
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return _MODULE.encode() in cmdline and state not in ("Z", "X")


def running_server(root: Path) -> DemoServer | None:
    """The demo server serving ``root``, or None (a stale pid file is removed)."""
    pid_file = root / PID_FILE
    try:
        data = json.loads(pid_file.read_text())
        server = DemoServer(int(data["pid"]), int(data["port"]), float(data["stops_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(server.pid):
        pid_file.unlink(missing_ok=True)
        return None
    return server


def stop_server(root: Path, *, timeout: float = 10.0) -> DemoServer | None:
    """Stop the demo server of ``root``; return what was stopped, None when none was running."""
    server = running_server(root)
    if server is None:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(server.pid):
        if time.monotonic() > deadline:
            os.kill(server.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    (root / PID_FILE).unlink(missing_ok=True)
    return server


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/login")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start_server(
    root: Path,
    database_url: str,
    *,
    port: int = DEFAULT_PORT,
    lifetime_s: int = DEFAULT_LIFETIME_S,
    wait_s: float = 30.0,
) -> DemoServer:
    """Start the background server on 127.0.0.1 and return once it answers ``GET /login``."""
    stop_server(root)
    port = free_port(port)
    with (root / LOG_FILE).open("ab") as log:
        subprocess.run(
            [sys.executable, "-m", _MODULE, "--root", str(root), "--database-url", database_url,
             "--port", str(port), "--lifetime", str(lifetime_s)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=60,
        )  # fmt: skip
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        server = running_server(root)
        if server is None:
            break  # it exited: the log says why
        if _answers(server.port):
            return server
        time.sleep(0.2)
    stop_server(root)
    tail = (root / LOG_FILE).read_text(errors="replace").splitlines()[-5:]
    raise DemoServerError(
        "the demo web server did not start: " + " | ".join(tail), hint=f"see {root / LOG_FILE}"
    )


def _serve(root: Path, database_url: str, port: int, lifetime_s: int) -> None:
    """The server process itself (after the fork): serve until stopped or the lifetime is over."""
    settings = Settings(
        data_dir=root / "data",
        database_url=database_url,
        user="vigilant-demo",
        secret_key_path=root / "data" / "secret.key",  # the demo's own key, whatever the shell says
    )
    app = create_app(settings, WebOptions(cookie_secure=False))
    server = uvicorn.Server(
        uvicorn.Config(app, host=HOST, port=port, proxy_headers=False, log_level="info", lifespan="on")
    )

    def expire() -> None:
        print(f"demo server: lifetime of {lifetime_s} s over, stopping", flush=True)
        server.should_exit = True

    timer = threading.Timer(lifetime_s, expire)
    timer.daemon = True
    timer.start()
    try:
        server.run()
    finally:
        timer.cancel()
        pid_file = root / PID_FILE
        with contextlib.suppress(OSError, ValueError):
            if json.loads(pid_file.read_text())["pid"] == os.getpid():
                pid_file.unlink()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=_MODULE, description="The demo's background web server.")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--lifetime", type=int, default=DEFAULT_LIFETIME_S)
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    child = os.fork()
    if child:
        stops_at = time.time() + args.lifetime
        (root / PID_FILE).write_text(json.dumps({"pid": child, "port": args.port, "stops_at": stops_at}))
        os._exit(0)
    os.setsid()  # out of the terminal's session: the demo's shell or make may end
    _serve(root, args.database_url, args.port, args.lifetime)


if __name__ == "__main__":
    main()
