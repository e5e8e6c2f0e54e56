"""A real gunicorn server on a free port of 127.0.0.1, stopped whatever happens."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from errors import HarnessError
from http_session import LOGIN_PATH, Session

HOST = "127.0.0.1"
WORKERS = 2
START_SECONDS = 60.0


class ServerError(HarnessError):
    """gunicorn did not start or did not answer."""


def free_port() -> int:
    """A port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _wait_until_answering(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError):
            if Session(HOST, port, timeout=5).get(LOGIN_PATH).status == 200:
                return
        time.sleep(0.2)
    raise ServerError(f"gunicorn did not answer within {START_SECONDS:.0f} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """TERM lets the master stop its workers; KILL the whole group if that takes too long."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            # The group is the one this harness created for gunicorn (start_new_session).
            subprocess.run(["kill", "-KILL", "--", f"-{process.pid}"], check=False)
        process.wait(timeout=5)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running_server(gunicorn: Path, env: dict[str, str], log: Path) -> Iterator[int]:
    """Start `gunicorn samvirke.wsgi` and yield its port once it answers; always stop it."""
    port = free_port()
    argv = [str(gunicorn), "samvirke.wsgi", "--bind", f"{HOST}:{port}", "--workers", str(WORKERS)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_answering(process, port, log)
        yield port
    finally:
        _stop(process)
