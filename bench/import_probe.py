"""`python -m bench.import_probe`: the bulk import's rows/s in a minute, not `make bench`'s ten.

It imports the first few reporters of the full plan (so each file is the harness's size,
17,910 rows) into a fresh database through the harness's own timed call, then imports
them again (every row unchanged), and prints rows/s for both. Repeat it and quote medians:
one run on a shared machine says little. Rows per CPU-second (the process's own CPU
time, which leaves out waiting for a core and for the disk) varies less there.
"""

import argparse
import tempfile
import time
from pathlib import Path

from bench import config, dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reporters", type=int, default=20, help="files imported (default 20)")
    parser.add_argument("--database", type=Path, help="where to build it (default: a temp dir)")
    parser.add_argument("--every", type=int, default=0, help="print every N files' rows/s")
    parser.add_argument("--new-only", action="store_true", help="skip the unchanged pass")
    args = parser.parse_args()
    full = dataset.plan(config.FULL)
    with tempfile.TemporaryDirectory() as folder:
        engine, source_id = dataset.fresh(args.database or Path(folder) / "probe.db")
        bodies = [
            dataset.reporter_csv(full, r, source_id) for r in full.reporters[: args.reporters]
        ]
        for label in ("new", "unchanged")[: 1 if args.new_only else 2]:
            result = dataset.ImportResult(rows=0, seconds=0.0, created=0)
            cpu = time.process_time()
            for number, body in enumerate(bodies, start=1):
                before = (result.rows, result.seconds)
                dataset.timed_import(engine, body, result)
                if args.every and number % args.every == 0:
                    rate = (result.rows - before[0]) / (result.seconds - before[1])
                    print(f"  file {number}: {rate:,.0f} rows/s", flush=True)
            cpu = time.process_time() - cpu
            print(
                f"{label}: {result.rows:,} rows in {result.seconds:.2f} s, "
                f"{result.rows_per_s:,.0f} rows/s, {result.rows / cpu:,.0f} per CPU-second "
                f"({result.created:,} created)",
                flush=True,
            )
        engine.dispose()


if __name__ == "__main__":
    main()
