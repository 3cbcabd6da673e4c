"""Issue 7's targets checked against one run's results, and the run as JSON and Markdown."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import config


@dataclass
class Target:
    name: str
    wanted: str
    measured: str
    met: bool


def ratio(a: float, b: float) -> float | None:
    """a / b; None when b is 0 (nothing answered within the load's time): no ratio then."""
    return a / b if b else None


def times(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def _at_least(x: float | None, bound: float) -> bool:
    return x is not None and x >= bound


def _at_most(x: float | None, bound: float) -> bool:
    return x is not None and x <= bound


def targets(results: dict[str, Any]) -> list[Target]:
    q = results["queries"]
    ts = {name: q[name]["tradestats"] for name in q if name != "Q4"}
    q4 = q["Q4"]
    # Per-request time at the same concurrency is 1 / (req/s).
    q3_vs_q2 = ratio(ts["Q2"]["rps"], ts["Q3"]["rps"])
    as_of_vs_q1 = ratio(ts["Q1"]["rps"], ts["Q1 as_of"]["rps"])
    return [
        Target(
            "Q1 speed-up",
            f">= {config.SPEEDUP_Q1_Q2:g}x Datasette req/s",
            times(q["Q1"]["ratio"]),
            _at_least(q["Q1"]["ratio"], config.SPEEDUP_Q1_Q2),
        ),
        Target(
            "Q1 p99",
            f"< {config.Q1_P99_MS:g} ms at {config.CONNECTIONS} connections",
            f"{ts['Q1']['p99_ms']:.1f} ms",
            ts["Q1"]["p99_ms"] < config.Q1_P99_MS,
        ),
        Target(
            "Q2 speed-up",
            f">= {config.SPEEDUP_Q1_Q2:g}x Datasette req/s",
            times(q["Q2"]["ratio"]),
            _at_least(q["Q2"]["ratio"], config.SPEEDUP_Q1_Q2),
        ),
        Target(
            "Q3 vs Q2",
            f"<= {config.Q3_VS_Q2:g}x Q2's time per request",
            times(q3_vs_q2),
            _at_most(q3_vs_q2, config.Q3_VS_Q2),
        ),
        Target(
            "Q4 throughput",
            f">= {config.SPEEDUP_Q4:g}x Datasette rows/s",
            times(q4["ratio"]),
            _at_least(q4["ratio"], config.SPEEDUP_Q4),
        ),
        Target(
            "Q4 first byte",
            f"< {config.Q4_TTFB_MS:g} ms",
            f"{q4['tradestats']['ttfb_ms']:.1f} ms",
            q4["tradestats"]["ttfb_ms"] < config.Q4_TTFB_MS,
        ),
        Target(
            "Q4 peak memory",
            f"< {config.Q4_RSS_MB:g} MB RSS",
            f"{q4['tradestats_peak_rss_mb']:.0f} MB",
            q4["tradestats_peak_rss_mb"] < config.Q4_RSS_MB,
        ),
        Target(
            "Bulk import",
            f">= {config.IMPORT_ROWS_PER_S:,} rows/s, validated",
            f"{results['import']['rows_per_s']:,.0f} rows/s",
            results["import"]["rows_per_s"] >= config.IMPORT_ROWS_PER_S,
        ),
        Target(
            "Q1 with as_of",
            f"<= {config.AS_OF_VS_Q1:g}x Q1's time per request",
            times(as_of_vs_q1),
            _at_most(as_of_vs_q1, config.AS_OF_VS_Q1),
        ),
        Target(
            "Startup",
            f"/healthz answers in < {config.STARTUP_S:g} s",
            f"{results['startup_s']['tradestats']:.2f} s",
            results["startup_s"]["tradestats"] < config.STARTUP_S,
        ),
    ]


def _rounds(results: dict[str, Any]) -> str:
    rounds, seconds = results.get("rounds", 1), results["load_seconds"]
    if rounds == 1:
        return f"{seconds} s per query"
    return f"{rounds} rounds of {seconds} s per query, the systems taking turns, medians shown"


def markdown(results: dict[str, Any]) -> str:
    q = results["queries"]
    lines = [
        f"Run {results['date']} on {results['machine']} ({results['host']}), "
        f"{results['scale']} scale: {results['rows']:,} observations, "
        f"commit {results['commit']}, load by {results['load_tool']}, "
        f"{config.CONNECTIONS} connections, {_rounds(results)}.",
    ]
    lines += _table(
        ("Query", "Rows", *LOAD_COLUMNS, "Ratio"),
        [
            (
                name,
                f"{r['rows']:,}",
                *_load(r["tradestats"]),
                *_load(r["datasette"]),
                times(r["ratio"]),
            )
            for name, r in q.items()
            if name != "Q4"
        ],
    )
    if any(name.endswith(config.TABLE_API) for name in q):
        lines += [
            "",
            f"Rows marked `{config.TABLE_API}` time Datasette's table API (the URL its pages "
            "build) against the same tradestats run, for reference; the targets compare with "
            "its SQL.",
        ]
    lines += _ceiling(results)
    q4 = q["Q4"]
    lines += _table(
        ("Q4: CSV export", "Rows", *EXPORT_COLUMNS, "Ratio"),
        [
            (
                f"median of {q4['tradestats']['downloads']}",
                f"{q4['rows']:,}",
                *_export(q4["tradestats"]),
                *_export(q4["datasette"]),
                times(q4["ratio"]),
            )
        ],
    )
    startup = results["startup_s"]
    lines += [
        "",
        f"Import: {results['import']['rows']:,} rows in {results['import']['seconds']:.1f} s "
        f"through `import_observations` (CSV parsing and validation included; "
        f"commit {results['import'].get('commit', results['commit'])}). "
        f"Startup to the first 200: tradestats {startup['tradestats']:.2f} s, "
        f"Datasette {startup['datasette']:.2f} s. "
        f"tradestats RSS: {results['tradestats_rss_at_start_mb']:.0f} MB at start, "
        f"{q4['tradestats_peak_rss_mb']:.0f} MB at its peak (after every query and Q4).",
    ]
    failed = [
        f"{name} {system}: {r[system]['errors']}"
        for name, r in q.items()
        if name != "Q4"
        for system in ("tradestats", "datasette")
        if r[system]["errors"]
    ]
    if failed:
        lines += ["", f"Failed requests under load (errors or timeouts): {', '.join(failed)}."]
    lines += _table(
        ("Target", "Wanted", "Measured", "Result"),
        [
            (t["name"], t["wanted"], t["measured"], "PASS" if t["met"] else "FAIL")
            for t in results["targets"]
        ],
    )
    return "\n".join(lines) + "\n"


def _ceiling(results: dict[str, Any]) -> list[str]:
    """What the server's smallest answer and SQLite alone take, beside the time a request
    may take at the speed-up targets: at 16 connections one core is busy throughout, so
    a request takes 1/(req/s) of it."""
    ceiling = results.get("ceiling")  # runs before 2026-12-04 16:33 did not measure it
    if not ceiling:
        return []
    top, q = ceiling["tradestats"]["rps"], results["queries"]
    empty_us = 1e6 / top
    lines = [
        "",
        f"Ceiling, for reference: tradestats answered `{ceiling['path']}` (no database, a "
        f"15-byte body, through the same server and middleware) at {top:,.0f} req/s, "
        f"{empty_us:,.0f} µs a request and {times(ratio(top, q['Q1']['datasette']['rps']))} "
        "Datasette's Q1. No route answers faster.",
    ]
    for name, sql_us in ceiling.get("sql_us", {}).items():  # since 2026-12-04 17:00
        budget = 1e6 / (config.SPEEDUP_Q1_Q2 * q[name]["datasette"]["rps"])
        least = empty_us + sql_us
        verdict = "over it" if least > budget else "within it"
        lines[-1] += (
            f" At {config.SPEEDUP_Q1_Q2:g}x Datasette, a {name} request may take {budget:,.0f} µs: "
            f"`{ceiling['path']}`'s {empty_us:,.0f} µs and SQLite's {sql_us:,.0f} µs to read "
            f"{name}'s rows (sqlite3, in process) come to {least:,.0f} µs, {verdict} before "
            "a byte of the answer is written."
        )
    return lines


LOAD_COLUMNS = ("tradestats req/s", "p50 ms", "p99 ms", "Datasette req/s", "p50 ms", "p99 ms")
EXPORT_COLUMNS = (
    *("tradestats rows/s", "MB/s", "first byte ms"),
    *("Datasette rows/s", "MB/s", "first byte ms"),
)


def _load(run: dict[str, Any]) -> tuple[str, str, str]:
    return f"{run['rps']:,.0f}", f"{run['p50_ms']:.1f}", f"{run['p99_ms']:.1f}"


def _export(run: dict[str, Any]) -> tuple[str, str, str]:
    return f"{run['rows_per_s']:,.0f}", f"{run['mb_per_s']:.1f}", f"{run['ttfb_ms']:.1f}"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """A Markdown table after a blank line; columns of numbers right-aligned."""
    align = [
        "---:" if all(row[i][:1].isdigit() for row in rows) else "---" for i in range(len(header))
    ]
    return [
        "",
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def write(results: dict[str, Any], folder: Path) -> Path:
    """<date>-<time>-<host>.json and .md, and latest.md; returns the JSON's path. The time
    (UTC, hhmm) keeps two runs of one day, on one machine or on two of the same name."""
    folder.mkdir(parents=True, exist_ok=True)
    date = results["date"]  # 2026-12-03T11:37:14Z
    stem = f"{date[:10]}-{date[11:13]}{date[14:16]}-{results['host']}"
    table = markdown(results)
    (folder / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (folder / f"{stem}.md").write_text(table)
    (folder / "latest.md").write_text(table)
    return folder / f"{stem}.json"
