"""Q4: a large CSV export, downloaded whole, timed for throughput and first byte."""

import http.client
import statistics
import time
import urllib.parse
from dataclasses import dataclass


@dataclass
class Export:
    downloads: int
    rows: int  # data rows of one download
    megabytes: float  # of one download
    seconds: float  # median of the downloads
    ttfb_ms: float  # median time from sending the request to the first byte of the body

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.megabytes / self.seconds


def download(address: str) -> tuple[int, int, float, float]:
    """(rows, bytes, seconds, seconds to first byte) of one streamed download."""
    parts = urllib.parse.urlsplit(address)
    connection = http.client.HTTPConnection(parts.netloc, timeout=300)
    started = time.perf_counter()
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{address} answered {response.status}")
    first = response.read1(65536)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\n")
    while chunk := response.read1(65536):
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    connection.close()
    return lines - 1, size, elapsed, first_byte  # less the header row


def measure(addresses: list[str], downloads: int) -> list[Export]:
    """Each address downloaded `downloads` times, taking turns: a slow minute of a shared
    machine falls on every system, not on one."""
    results: list[list[tuple[int, int, float, float]]] = [[] for _ in addresses]
    for _ in range(downloads):
        for address, done in zip(addresses, results, strict=True):
            done.append(download(address))
    return [_summary(done) for done in results]


def _summary(results: list[tuple[int, int, float, float]]) -> Export:
    downloads = len(results)
    rows, size = results[0][0], results[0][1]
    return Export(
        downloads=downloads,
        rows=rows,
        megabytes=size / 1e6,
        seconds=statistics.median(r[2] for r in results),
        ttfb_ms=statistics.median(r[3] for r in results) * 1000,
    )
