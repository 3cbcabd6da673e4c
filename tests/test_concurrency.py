"""Concurrent writers and readers over real HTTP on one SQLite file (WAL, busy timeout)."""

import socket
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import create_key
from app.imports import IMPORT_COLUMNS
from tests.conftest import count_rows
from tests.live_server import live_server

WRITERS, WRITES_EACH = 4, 20
IMPORTS, IMPORT_ROWS = 3, 120  # years 1901 to 2020
READERS = 3


def import_csv(indicator: str) -> bytes:
    years = range(1901, 1901 + IMPORT_ROWS)
    return figures_csv({year: f"{year}.5" for year in years}, "DEU", "FRA", indicator)


def figures_csv(
    values: dict[int, str], reporter: str = "TUR", partner: str = "GRC", indicator: str = "EXPORTS"
) -> bytes:
    lines = [",".join(IMPORT_COLUMNS)] + [
        f"{reporter},{partner},{indicator},{year},{value},USD,6,,2,,Row {year}.,"
        for year, value in values.items()
    ]
    return ("\n".join(lines) + "\n").encode()


def test_no_write_is_lost_and_no_reader_sees_half_an_import(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        _, key = create_key(session, "load")
    auth = {"Authorization": f"Bearer {key}"}
    statuses: Counter[int] = Counter()
    partial_reads: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def record(status: int) -> None:
        with lock:
            statuses[status] += 1

    with live_server(str(engine.url)) as base:

        def writer(n: int) -> None:
            with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
                for i in range(WRITES_EACH):
                    year = 1901 + n * WRITES_EACH + i
                    response = http.post(
                        "/v1/observations",
                        json={
                            "reporter": "KAZ",
                            "partner": "CHN",
                            "indicator": "EXPORTS",
                            "year": year,
                            "value": i,
                            "source_id": 2,
                            "quote": f"Write {n}/{i}.",
                        },
                    )
                    record(response.status_code)

        def importer(indicator: str) -> None:
            with httpx.Client(base_url=base, headers=auth, timeout=60) as http:
                response = http.post(
                    "/v1/imports",
                    content=import_csv(indicator),
                    headers={"Content-Type": "text/csv"},
                )
                record(response.status_code)

        def reader() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                while not stop.is_set():
                    response = http.get(
                        "/v1/observations",
                        params={"reporter": "DEU", "partner": "FRA", "limit": 1000},
                    )
                    record(response.status_code)
                    seen = Counter(o["indicator"] for o in response.json()["data"])
                    with lock:
                        partial_reads.extend(n for n in seen.values() if n != IMPORT_ROWS)

        readers = [threading.Thread(target=reader) for _ in range(READERS)]
        workers = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)] + [
            threading.Thread(target=importer, args=(code,))
            for code in ("EXPORTS", "IMPORTS", "TURNOVER")[:IMPORTS]
        ]
        for thread in readers + workers:
            thread.start()
        for thread in workers:
            thread.join()
        stop.set()
        for thread in readers:
            thread.join()

    assert statuses[201] == WRITERS * WRITES_EACH
    assert statuses[200] >= IMPORTS  # the imports, plus every read
    assert set(statuses) <= {200, 201}, statuses  # no 500, no 503 "database is locked"
    assert partial_reads == []
    with Session(engine) as session:
        expected = 4 + WRITERS * WRITES_EACH + IMPORTS * IMPORT_ROWS  # 4 seeded
        assert count_rows(session, "observation") == expected
        assert count_rows(session, "observation_revision") == count_rows(session, "observation")


def test_an_import_still_uploading_holds_no_lock(engine: Engine) -> None:
    """Checking the key takes no write lock: a client slow to send its import must not
    keep every other writer waiting (on SQLite, until the busy timeout, then a 503)."""
    with Session(engine) as session:
        _, key = create_key(session, "slow")
    body = import_csv("EXPORTS")
    head = (
        f"POST /v1/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: text/csv\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with live_server(str(engine.url), env={"SQLITE_BUSY_TIMEOUT": "1"}) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as upload:
            upload.sendall(head + body[: len(body) // 2])  # then the client pauses
            time.sleep(0.5)  # the server has read the headers and checked the key
            write = httpx.post(
                f"{base}/v1/observations",
                headers={"Authorization": f"Bearer {key}"},
                json={
                    "reporter": "KAZ",
                    "partner": "CHN",
                    "indicator": "EXPORTS",
                    "year": 2020,
                    "value": 1,
                    "source_id": 2,
                    "quote": "Written during an upload.",
                },
                timeout=30,
            )
            upload.sendall(body[len(body) // 2 :])
            answer = upload.makefile("rb").read().decode()
    assert write.status_code == 201, write.text
    assert answer.startswith("HTTP/1.1 200"), answer[:300]


def test_imports_at_once_apply_one_after_the_other(engine: Engine) -> None:
    """Two imports over the same figures, sent at once, end as one of them run after the
    other, with an unbroken history. On PostgreSQL both read the rows before either
    wrote: the one that called half its rows unchanged left the other's values there
    (an acknowledged write lost), and each closed the other's revisions out of order."""
    years = range(1901, 2001)
    base = figures_csv(dict.fromkeys(years, "10.5"))
    a = dict.fromkeys(years, "11.5")  # every figure changed
    b = {year: "10.5" if year % 2 else "12.5" for year in years}  # half kept, half changed
    with Session(engine) as session:
        _, key = create_key(session, "race")
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    with live_server(str(engine.url)) as url, httpx.Client(base_url=url, headers=auth) as http:
        answers: dict[str, httpx.Response] = {}

        def send(name: str, values: dict[int, str], start: threading.Barrier) -> None:
            body = figures_csv(values)
            start.wait()
            answers[name] = http.post("/v1/imports", content=body, timeout=60)

        for _ in range(5):
            assert http.post("/v1/imports", content=base, timeout=60).status_code == 200
            start = threading.Barrier(2)
            threads = [
                threading.Thread(target=send, args=(name, values, start))
                for name, values in (("a", a), ("b", b))
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert {name: r.status_code for name, r in answers.items()} == {"a": 200, "b": 200}
            page = http.get(
                "/v1/observations", params={"reporter": "TUR", "partner": "GRC", "limit": 1000}
            )
            stored = {row["year"]: f"{row['value']}" for row in page.json()["data"]}
            assert stored in (a, b), "neither order of the two imports gives this"
    with engine.connect() as connection:
        backwards = connection.exec_driver_sql(
            "SELECT count(*) FROM observation_revision WHERE valid_to < valid_from"
        ).scalar()
        overlapping = connection.exec_driver_sql(
            "SELECT count(*) FROM observation_revision AS r JOIN observation_revision AS s "
            "ON s.observation_id = r.observation_id AND s.revision_id > r.revision_id "
            "AND s.valid_from < r.valid_from"
        ).scalar()
    assert (backwards, overlapping) == (0, 0)


@pytest.mark.parametrize(
    ("method", "path", "route", "part"),
    [
        ("POST", "/v1/imports", "/v1/imports", 0.5),
        # None of the body: any of it would be a 415, as a DELETE takes none.
        ("DELETE", "/v1/observations/1", "/v1/observations/{item_id}", 0),
    ],
)
def test_a_body_cut_off_is_not_a_server_error(
    engine: Engine, method: str, path: str, route: str, part: float
) -> None:
    """A client that closes before sending all it declared is its own fault: a 400 in the
    logs and metrics, not a 500, and nothing written."""
    with Session(engine) as session:
        _, key = create_key(session, "gone")
        before = count_rows(session, "observation")
    body = figures_csv(dict.fromkeys(range(1901, 2001), "1.5"))
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: text/csv\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with live_server(str(engine.url)) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as upload:
            upload.sendall(head + body[: int(len(body) * part)])
        answered = f'route="{route}",status="400"'
        deadline, metrics = time.monotonic() + 30, ""
        while answered not in metrics and time.monotonic() < deadline:
            time.sleep(0.1)  # until the server has met the end of the connection
            metrics = httpx.get(f"{base}/metrics", timeout=30).text
    assert answered in metrics
    assert 'status="500"' not in metrics
    with Session(engine) as session:
        assert count_rows(session, "observation") == before
