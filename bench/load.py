"""Load: wrk on the load core, or a small Python stand-in where wrk cannot be had."""

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass

from bench.config import CONNECTIONS, LOAD_CPU
from bench.servers import pinned


@dataclass
class Load:
    tool: str
    requests: int
    errors: int  # non-2xx answers, socket errors and timeouts
    rps: float
    p50_ms: float
    p99_ms: float


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> Load:
    """wrk's --latency report as numbers."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output)
        if not match:
            raise RuntimeError(f"unexpected wrk output:\n{output}")
        return match

    def ms(percentile: str) -> float:
        # A line of its own: "80.50%" also ends the Stdev columns above.
        number, unit = find(rf"(?m)^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)[ \t]*$").groups()
        return float(number) * _UNITS_MS[unit]

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        tool="wrk",
        requests=int(find(r"(\d+) requests in")[1]),
        errors=errors + (int(non_2xx[1]) if non_2xx else 0),
        rps=float(find(r"Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=ms("50"),
        p99_ms=ms("99"),
    )


def run(url: str, seconds: int) -> Load:
    wrk = shutil.which("wrk")
    if wrk is None:
        return python_load(url, seconds)
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    done = subprocess.run(pinned(LOAD_CPU, command), capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def median(loads: list[Load]) -> Load:
    """Rounds of one URL as one: the median of each figure, and every request counted."""
    return Load(
        tool=loads[0].tool,
        requests=sum(r.requests for r in loads),
        errors=sum(r.errors for r in loads),
        rps=statistics.median(r.rps for r in loads),
        p50_ms=statistics.median(r.p50_ms for r in loads),
        p99_ms=statistics.median(r.p99_ms for r in loads),
    )


def python_load(url: str, seconds: int) -> Load:
    """CONNECTIONS keep-alive clients in threads for `seconds`: far weaker than wrk (it
    may saturate before the server does), so only a stand-in that keeps the harness whole.
    It runs where the harness runs: on the load core."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(parts.netloc, timeout=10)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", target)
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            latencies.append(time.perf_counter() - started)
            errors[0] += not ok
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Load(
        "python",
        len(latencies),
        errors[0],
        len(latencies) / elapsed,
        percentile(0.5),
        percentile(0.99),
    )
