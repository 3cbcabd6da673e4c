"""`python -m bench [--smoke] [--reuse]`: build, check agreement, load, report.

Exits 1 when the two systems disagree, when a server fails, or (full scale only) when a
target is missed.
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import agree, config, csvexport, dataset, floor, load, report
from bench.servers import DATASETTE, Server, start_datasette, start_tradestats

DATA = dataset.ROOT / "bench" / "data"  # generated databases and logs (git-ignored)
RESULTS = dataset.ROOT / "bench" / "results"


def say(text: str) -> None:
    print(text, flush=True)


def build_or_reuse(scale: config.Scale, plan: dataset.Plan, reuse: bool) -> dict[str, Any]:
    """The database of this scale, and its import's timing (kept beside it for --reuse)."""
    database, timing = DATA / f"{scale.name}.db", DATA / f"{scale.name}.import.json"
    if reuse and database.exists() and timing.exists():
        say(f"reusing {database} (imported before: {timing})")
        return dict(json.loads(timing.read_text()))
    say(f"building {database}: {plan.rows:,} observations, seed {config.SEED}")
    result = dataset.build(database, plan, say)
    imported = asdict(result) | {"rows_per_s": result.rows_per_s, "commit": git_commit()}
    timing.write_text(json.dumps(imported))
    return imported


def placeholders(plan: dataset.Plan, database: Path) -> dict[str, str]:
    """What the query URLs of bench/config.py are filled in with."""
    middle = len(plan.reporters) // 2
    as_of = datetime.now(UTC) + timedelta(seconds=1)  # after the import: every figure
    return {
        "db": database.stem,
        "reporter": plan.reporters[middle],
        "partner": plan.reporters[middle - 1],
        "as_of": as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last_year": str(config.LAST_YEAR),
        "prev_year": str(config.LAST_YEAR - 1),
        "csv_from": str(max(plan.years[0], config.LAST_YEAR - 2)),
    }


def expected_rows(plan: dataset.Plan) -> dict[str, int]:
    """How many rows each query must return, so a harness mistake cannot pass unseen."""
    n, years = len(plan.reporters), len(plan.years)
    return {
        "Q1": years,
        "Q1 as_of": years,
        "Q2": n - 1,
        "Q3": n - 1,
        "Q4": n * (n - 1) * min(3, years),
        "Q1, table API": years,
        "Q2, table API": n - 1,
    }


def check_agreement(
    plan: dataset.Plan, bases: tuple[str, str], values: dict[str, str]
) -> dict[str, int]:
    counts = {}
    for query in config.QUERIES:
        counts[query.name] = agree.check(query, bases, values)
        wanted = expected_rows(plan)[query.name]
        if counts[query.name] != wanted:
            raise agree.Disagreement(
                f"{query.name}: both systems return {counts[query.name]} rows, not {wanted}"
            )
        say(f"  {query.name}: both return the same {counts[query.name]:,} rows")
    return counts


def measure(
    scale: config.Scale,
    servers: tuple[Server, Server],
    values: dict[str, str],
    counts: dict[str, int],
) -> tuple[dict[str, Any], load.Load]:
    """Each query's load on both systems and Q4's downloads; and the ceiling's load."""
    tradestats = servers[0]
    # Each URL is loaded once a round (a reference row, Q1 against Datasette's table API,
    # shares its query's tradestats figures), and the systems take turns within a round,
    # so a slow minute of a shared machine falls on both. Each figure is the rounds' median.
    rounds: dict[str, list[load.Load]] = {}
    ceiling = agree.url(tradestats.base, config.CEILING, values)
    for turn in range(scale.rounds):
        say(f"  round {turn + 1} of {scale.rounds}")
        rounds.setdefault(ceiling, []).append(load.run(ceiling, scale.load_seconds))
        for query in config.LOADED:
            for server, endpoint in zip(servers, (query.tradestats, query.datasette), strict=True):
                address = agree.url(server.base, endpoint, values)
                done = rounds.setdefault(address, [])
                if len(done) == turn:
                    done.append(load.run(address, scale.load_seconds))
    queries: dict[str, Any] = {}
    for query in config.LOADED:
        runs = {}
        for server, endpoint in zip(servers, (query.tradestats, query.datasette), strict=True):
            r = runs[server.name] = load.median(rounds[agree.url(server.base, endpoint, values)])
            say(
                f"  {query.name} {server.name}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, "
                f"p99 {r.p99_ms:.1f} ms" + (f", {r.errors} ERRORS" if r.errors else "")
            )
        queries[query.name] = {
            "what": query.what,
            "rows": counts[query.name],
            "tradestats": asdict(runs["tradestats"]),
            "datasette": asdict(runs["datasette"]),
            "ratio": report.ratio(runs["tradestats"].rps, runs["datasette"].rps),
        }
    q4 = config.Q4
    addresses = [
        agree.url(server.base, endpoint, values)
        for server, endpoint in zip(servers, (q4.tradestats, q4.datasette), strict=True)
    ]
    downloads = csvexport.measure(addresses, scale.csv_downloads)
    exports = {server.name: e for server, e in zip(servers, downloads, strict=True)}
    for name, e in exports.items():
        say(
            f"  Q4 {name}: {e.rows_per_s:,.0f} rows/s, {e.mb_per_s:.1f} MB/s, "
            f"first byte {e.ttfb_ms:.1f} ms"
        )
    queries["Q4"] = {
        "what": q4.what,
        "rows": counts["Q4"],
        **{
            name: asdict(e) | {"rows_per_s": e.rows_per_s, "mb_per_s": e.mb_per_s}
            for name, e in exports.items()
        },
        "ratio": report.ratio(exports["tradestats"].rows_per_s, exports["datasette"].rows_per_s),
        "tradestats_peak_rss_mb": tradestats.peak_rss_mb() or 0.0,
    }
    top = load.median(rounds[ceiling])
    say(f"  ceiling ({config.CEILING.path}) tradestats: {top.rps:,.0f} req/s")
    return queries, top


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def git_commit() -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=dataset.ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def run(scale: config.Scale, reuse: bool) -> int:
    plan = dataset.plan(scale)
    imported = build_or_reuse(scale, plan, reuse)
    database = DATA / f"{scale.name}.db"
    values = placeholders(plan, database)
    if hasattr(os, "sched_setaffinity"):  # the harness's own requests come from the load core
        os.sched_setaffinity(0, {config.LOAD_CPU})

    servers: list[Server] = []
    try:
        servers.append(start_tradestats(database, DATA))
        servers.append(start_datasette(database, DATA))
        tradestats, datasette = servers
        say(f"tradestats answered /healthz {tradestats.started_in:.2f} s after launch")
        rss_at_start = tradestats.peak_rss_mb() or 0.0
        bases = (tradestats.base, datasette.base)
        say("agreement (before any timing):")
        counts = check_agreement(plan, bases, values)
        say(
            f"load: {config.CONNECTIONS} connections, {scale.rounds} rounds of "
            f"{scale.load_seconds} s per query and system"
        )
        queries, ceiling = measure(scale, (tradestats, datasette), values, counts)
    finally:
        for server in servers:
            server.stop()
    sql_us = {q.name: floor.sql_us(database, q.datasette, values) for q in config.FIVE_TIMES}
    say("SQLite alone: " + ", ".join(f"{name} {us:,.0f} us" for name, us in sql_us.items()))

    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "machine": machine(),
        "commit": git_commit(),
        "scale": scale.name,
        "rows": plan.rows,
        "seed": config.SEED,
        "load_tool": "wrk" if load.shutil.which("wrk") else "a Python stand-in for wrk",
        "load_seconds": scale.load_seconds,
        "rounds": scale.rounds,
        "datasette": subprocess.run(
            [str(DATASETTE), "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "placeholders": values,
        "import": imported,
        "startup_s": {"tradestats": tradestats.started_in, "datasette": datasette.started_in},
        "tradestats_rss_at_start_mb": rss_at_start,
        "queries": queries,
        "ceiling": {"path": config.CEILING.path, "tradestats": asdict(ceiling), "sql_us": sql_us},
    }
    results["targets"] = [asdict(t) for t in report.targets(results)]
    folder = RESULTS if scale is config.FULL else DATA / "smoke-results"
    path = report.write(results, folder)
    say("")
    say(report.markdown(results))
    say(f"written: {path} and {folder / 'latest.md'}")
    missed = [t["name"] for t in results["targets"] if not t["met"]]
    if missed and scale.enforce_targets:
        say(f"targets missed: {', '.join(missed)}")
        return 1
    if missed:
        say(f"(smoke run: targets are reported, not enforced; missed: {', '.join(missed)})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a tiny dataset and 2 s loads")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database a previous run built"
    )
    args = parser.parse_args()
    try:
        return run(config.SMOKE if args.smoke else config.FULL, args.reuse)
    except agree.Disagreement as exc:
        say(f"DISAGREEMENT: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
