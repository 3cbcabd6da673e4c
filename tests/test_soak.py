"""A bounded load test: mixed reads and writes against 2 uvicorn workers on loopback.

`make soak` runs it for 60 s (SOAK_SECONDS); the suite runs it for a few seconds. Afterwards
every acknowledged write is in the database (its row and its revisions, no more, no fewer),
no request got a 5xx or no answer, and the latencies go to test-artifacts/soak.json.
Latency is recorded, never asserted: the machine is shared and noisy.
"""

import itertools
import json
import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import create_key
from tests.conftest import count_rows
from tests.databases import ROOT
from tests.live_server import live_server

SECONDS = float(os.environ.get("SOAK_SECONDS", "6"))
WORKERS, WRITERS, READERS = 2, 3, 6
ARTIFACT = ROOT / "test-artifacts" / "soak.json"
READS = [
    "/v1/turnover?reporter=KAZ&partner=BGR&include=implied",
    "/v1/growth?indicator=FDI_INFLOW&reporter=KAZ&partner=BGR&from=2023&to=2024",
    "/v1/claims",
    "/v1/identity-checks?reporter=KAZ&partner=BGR",
    "/v1/countries",
    "/v1/observations?reporter=USA&limit=200",
    "/v1/observations?reporter=CHN&format=csv&limit=200",
]
PARTNERS = "BGR DEU FRA ITA JPN KOR NLD POL ESP GBR TUR IND BRA CAN AUT BEL CHE CZE DNK FIN"


def new_figures(reporter: str) -> Iterator[dict[str, Any]]:
    """Write bodies whose natural keys no other writer uses: 20 × 2 × 120 of them."""
    for partner, indicator, year in itertools.product(
        PARTNERS.split(), ("EXPORTS", "IMPORTS"), range(1900, 2020)
    ):
        yield {
            "reporter": reporter,
            "partner": partner,
            "indicator": indicator,
            "year": year,
            "value": year + 0.25,
            "source_id": 2,
            "quote": f"Soak figure {reporter} {partner} {year}.",
        }


class Tally:
    """Outcomes and latencies from every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[tuple[str, int]] = Counter()  # (kind, status); 0: no answer
        self.latencies: dict[str, list[float]] = {"read": [], "write": []}
        self.created_ids: list[int] = []

    def timed(self, kind: str, call: Any, *args: Any, **kwargs: Any) -> httpx.Response | None:
        """Make the request `call(*args, **kwargs)`, and note how it went and how long it took."""
        start = time.perf_counter()
        try:
            response: httpx.Response | None = call(*args, **kwargs)
        except httpx.HTTPError:
            response = None
        elapsed = time.perf_counter() - start
        with self.lock:
            self.statuses[(kind, response.status_code if response else 0)] += 1
            self.latencies["read" if kind == "read" else "write"].append(elapsed)
        return response

    def count(self, kind: str, status: int) -> int:
        return self.statuses[(kind, status)]


def percentiles(seconds: list[float]) -> dict[str, float]:
    if len(seconds) < 2:
        return {}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def run_load(base: str, auth: dict[str, str], tally: Tally) -> None:
    deadline = time.monotonic() + SECONDS

    def writer(reporter: str) -> None:
        """Create figures; change every third one it made, which adds a revision."""
        with httpx.Client(base_url=base, headers=auth, timeout=60) as http:
            mine: list[int] = []
            for n, body in enumerate(new_figures(reporter)):
                if time.monotonic() > deadline:
                    return
                if n % 3 == 2 and mine:
                    item = mine[n % len(mine)]
                    tally.timed(
                        "patch",
                        http.patch,
                        f"/v1/observations/{item}",
                        json={"value": n + 0.5},
                        headers={"Content-Type": "application/merge-patch+json"},
                    )
                response = tally.timed("create", http.post, "/v1/observations", json=body)
                if response is not None and response.status_code == 201:
                    mine.append(response.json()["id"])
                    with tally.lock:
                        tally.created_ids.append(response.json()["id"])

    def reader(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for path in itertools.cycle(READS[offset:] + READS[:offset]):
                if time.monotonic() > deadline:
                    return
                tally.timed("read", http.get, path)

    threads = [
        threading.Thread(target=writer, args=(reporter,))
        for reporter in ("USA", "CHN", "KOR", "ARE")[:WRITERS]
    ] + [threading.Thread(target=reader, args=(n % len(READS),)) for n in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def record(backend: str, tally: Tally) -> dict[str, Any]:
    requests = sum(tally.statuses.values())
    figures = {
        "seconds": SECONDS,
        "workers": WORKERS,
        "clients": WRITERS + READERS,
        "requests": requests,
        "requests_per_second": round(requests / SECONDS, 1),
        "reads": len(tally.latencies["read"]),
        "writes_acknowledged": tally.count("create", 201) + tally.count("patch", 200),
        "server_errors": sum(n for (_, status), n in tally.statuses.items() if status >= 500),
        "no_answer": sum(n for (_, status), n in tally.statuses.items() if status == 0),
        "statuses": {f"{kind} {status}": n for (kind, status), n in sorted(tally.statuses.items())},
        "read_latency": percentiles(tally.latencies["read"]),
        "write_latency": percentiles(tally.latencies["write"]),
        "latency": percentiles(tally.latencies["read"] + tally.latencies["write"]),
    }
    ARTIFACT.parent.mkdir(exist_ok=True)
    previous = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
    ARTIFACT.write_text(json.dumps({**previous, backend: figures}, indent=2) + "\n")
    print(f"\nsoak on {backend}: {json.dumps(figures, indent=2)}")
    return figures


def test_load_loses_no_acknowledged_write_and_gives_no_5xx(engine: Engine) -> None:
    with Session(engine) as session:
        _, key = create_key(session, "soak")
        rows_before = count_rows(session, "observation")
        revisions_before = count_rows(session, "observation_revision")
    tally = Tally()
    env = {"RATE_LIMIT_READS": "100000000", "RATE_LIMIT_WRITES": "100000000"}
    url = engine.url.render_as_string(hide_password=False)
    with live_server(url, workers=WORKERS, env=env) as base:
        run_load(base, {"Authorization": f"Bearer {key}"}, tally)
    figures = record(engine.dialect.name, tally)

    assert figures["server_errors"] == 0, figures["statuses"]
    assert figures["no_answer"] == 0, figures["statuses"]
    assert {status for _, status in tally.statuses} <= {200, 201}, figures["statuses"]
    assert tally.count("create", 201) > 0 and tally.count("patch", 200) > 0
    assert figures["reads"] > 0
    with Session(engine) as session:
        # One row and one revision per create; one more revision per change; nothing else.
        assert count_rows(session, "observation") == rows_before + tally.count("create", 201)
        assert count_rows(session, "observation_revision") == (
            revisions_before + tally.count("create", 201) + tally.count("patch", 200)
        )
        stored = session.connection().exec_driver_sql(
            "SELECT count(*) FROM observation WHERE id IN ({})".format(
                ",".join(str(i) for i in tally.created_ids)
            )
        )
        assert stored.scalar_one() == len(tally.created_ids)
