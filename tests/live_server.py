"""A real uvicorn server on a free loopback port, for tests that need real HTTP."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import IO

import httpx

from tests.databases import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uvicorn_command(port: int, workers: int = 1, log_level: str = "warning") -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        log_level,
    ]


@contextmanager
def live_server(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    command: Callable[[int], list[str]] | None = None,
    output: IO[str] | None = None,
) -> Iterator[str]:
    """Serve app.main:app on the database; yields the base URL; stops the server after.

    `command(port)` replaces the plain uvicorn command line (PORT is in its environment
    too); `output`, a readable file, receives everything the server writes."""
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads fills up (64 KB of access log)
    # and then blocks every worker mid-request.
    with nullcontext(output) if output else tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            command(port) if command else uvicorn_command(port, workers),
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url, "PORT": str(port), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield wait_until_up(process, f"http://127.0.0.1:{port}", log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_up(process: subprocess.Popen[str], base: str, log: IO[str]) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"server did not start:\n{log.read()}")
        time.sleep(0.1)
