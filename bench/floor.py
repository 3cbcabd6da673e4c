"""What a query costs before any server is involved: SQLite reading its rows in process.

Datasette's SQL for Q1 and Q2 (`select *` of the rows both systems return) is run through
Python's sqlite3 on the benchmark file, as any server on it must at the least. With the
time `/healthz` takes (a request that does nothing), it shows the least time a request for
the query can take on this machine, beside what a speed-up target allows it.
"""

import sqlite3
import time
from pathlib import Path

from bench.config import Endpoint

REPEATS = 300  # executions per round; the fastest of ROUNDS rounds is kept
ROUNDS = 3


def sql_us(database: Path, endpoint: Endpoint, values: dict[str, str]) -> float:
    """Microseconds to run a Datasette SQL endpoint's query and fetch every row."""
    sql = endpoint.params["sql"]
    params = {
        name: value.format(**values)
        for name, value in endpoint.params.items()
        if name != "sql" and not name.startswith("_")
    }
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        connection.execute(sql, params).fetchall()  # the pages it reads, now in memory
        best = float("inf")
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(REPEATS):
                connection.execute(sql, params).fetchall()
            best = min(best, (time.perf_counter() - started) / REPEATS)
        return best * 1e6
    finally:
        connection.close()
