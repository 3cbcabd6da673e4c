"""The two servers under test, each one process pinned to the server core."""

import compileall
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.config import DATASETTE_PORT, HOST, SERVER_CPU, TRADESTATS_ENV, TRADESTATS_PORT
from bench.dataset import ROOT, url_of

DATASETTE = ROOT / ".venv-bench" / "bin" / "datasette"


def pinned(cpu: int, command: list[str]) -> list[str]:
    """The command run on one core, when taskset exists (it does on Linux)."""
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(cpu), *command] if taskset else command


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    started_in: float  # seconds from launch to the first 200 on the ready URL

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def peak_rss_mb(self) -> float | None:
        """The process's peak resident memory so far (VmHWM), in MB; None off Linux."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
        return None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


def _launch(
    name: str, port: int, command: list[str], ready: str, log: Path, env: dict[str, str]
) -> Server:
    if not _port_free(port):  # else another server's answers would be timed
        raise RuntimeError(f"port {port} is taken: change it in bench/config.py")
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinned(SERVER_CPU, command), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://{HOST}:{port}{ready}"
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return Server(name, port, process, time.perf_counter() - started)
        except OSError:  # refused, reset, or a read that timed out (URLError is one too)
            pass
        if time.perf_counter() - started > 120:
            process.kill()
            raise RuntimeError(f"{name} did not answer {url} within 120 s; see {log}")
        time.sleep(0.01)


def start_tradestats(database: Path, logs: Path, port: int = TRADESTATS_PORT) -> Server:
    """One uvicorn worker, as `make serve` runs it, on the benchmark database."""
    # With bytecode compiled ahead, as the image has it (Dockerfile), and as any run writes it
    # unless PYTHONDONTWRITEBYTECODE is set: then every start would compile the app again.
    compileall.compile_dir(ROOT / "app", quiet=1)
    env = {**os.environ, **TRADESTATS_ENV, "DATABASE_URL": url_of(database)}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", HOST]
    command += ["--port", str(port), "--workers", "1"]
    command += ["--loop", "asyncio", "--no-access-log", "--no-server-header"]
    return _launch("tradestats", port, command, "/healthz", logs / "tradestats.log", env)


def start_datasette(database: Path, logs: Path) -> Server:
    """`datasette serve FILE` with its default settings, from its own venv."""
    if not DATASETTE.exists():
        raise RuntimeError(f"{DATASETTE} is missing: `make bench` creates .venv-bench")
    command = [str(DATASETTE), "serve", str(database), "--host", HOST]
    command += ["--port", str(DATASETTE_PORT)]
    return _launch(
        "datasette",
        DATASETTE_PORT,
        command,
        "/-/versions.json",
        logs / "datasette.log",
        dict(os.environ),
    )
