"""`python -m bench.startup [--runs N] [DATABASE]`: seconds from launch to the first 200
from /healthz, as the harness measures them (bench/servers.py), repeated; prints the median.

Quicker than `make bench` when only startup is in question: no dataset is built and no
load is run. DATABASE defaults to the benchmark's full one when it exists, else the
seeded data/tradestats.db. Startup must not depend on the database's size.
"""

import argparse
import socket
import statistics
import sys
import tempfile
from pathlib import Path

from bench.config import HOST
from bench.dataset import ROOT
from bench.servers import start_tradestats

FULL = ROOT / "bench" / "data" / "full.db"
SEEDED = ROOT / "data" / "tradestats.db"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def launch_once(database: Path, logs: Path) -> float:
    server = start_tradestats(database, logs, port=free_port())
    server.stop()
    return server.started_in


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("database", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    database = args.database or (FULL if FULL.exists() else SEEDED)
    with tempfile.TemporaryDirectory() as logs:
        launch_once(database, Path(logs))  # unmeasured: writes any missing .pyc files
        times = [launch_once(database, Path(logs)) for _ in range(args.runs)]
    shown = ", ".join(f"{t:.2f}" for t in times)
    print(f"{database}: /healthz after {statistics.median(times):.2f} s (median; {shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
