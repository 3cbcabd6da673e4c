"""The synthetic Comtrade-scale dataset, imported through the project's own import path.

Every reporter trades with every other one; each pair has EXPORTS, IMPORTS and TURNOVER
(their exact sum) for each year, in millions of USD with one decimal. The same seed
always gives the same figures. Each reporter's rows form one CSV file, imported as
`tradestats import FILE` and `POST /v1/imports` would: `rows_from` then
`import_observations`, validation included. Only that part is timed.
"""

import csv
import io
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pycountry
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import get_engine
from app.imports import import_observations, rows_from
from app.models import RevisionAction, Source
from app.seed import SeedReport, seed_countries, seed_indicators
from app.versioning import record_revision
from bench.config import INDICATORS, LAST_YEAR, SEED, Scale

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("reporter", "partner", "indicator", "year", "value", "source_id", "quote")
SOURCE_SLUG = "bench-synthetic"


@dataclass(frozen=True)
class Plan:
    """Who reports, which years: everything the figures depend on besides the seed."""

    reporters: tuple[str, ...]
    years: tuple[int, ...]

    @property
    def rows(self) -> int:
        n = len(self.reporters)
        return n * (n - 1) * len(INDICATORS) * len(self.years)


def plan(scale: Scale) -> Plan:
    codes = sorted(c.alpha_3 for c in pycountry.countries)
    reporters = sorted(random.Random(SEED).sample(codes, scale.reporters))
    return Plan(tuple(reporters), tuple(range(LAST_YEAR - scale.years + 1, LAST_YEAR + 1)))


def _tenths(rng: random.Random) -> int:
    """A trade flow in tenths of a million: log-uniform from 0.1 to about 100,000."""
    return max(1, int(10 ** rng.uniform(0, 6)))


def _decimal(tenths: int) -> str:
    return f"{tenths // 10}.{tenths % 10}"


def figures(plan: Plan, reporter: str, rng: random.Random) -> Iterator[tuple[str, str, int, str]]:
    """(partner, indicator, year, value) for one reporter, grouped by pair."""
    for partner in plan.reporters:
        if partner == reporter:
            continue
        flows = [(_tenths(rng), _tenths(rng)) for _ in plan.years]
        for indicator in INDICATORS:
            for year, (exports, imports) in zip(plan.years, flows, strict=True):
                tenths = {"EXPORTS": exports, "IMPORTS": imports}.get(indicator, exports + imports)
                yield partner, indicator, year, _decimal(tenths)


def reporter_csv(plan: Plan, reporter: str, source_id: int) -> bytes:
    """One reporter's figures as an import file. Its own seed, so files are independent."""
    rng = random.Random(f"{SEED}-{reporter}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    quote = f"Synthetic figure for the benchmark (seed {SEED})."
    for partner, indicator, year, value in figures(plan, reporter, rng):
        writer.writerow((reporter, partner, indicator, year, value, source_id, quote))
    return out.getvalue().encode()


def migrate(database: Path) -> None:
    """`alembic upgrade head` on a new file, as `make migrate` does."""
    env = {**os.environ, "DATABASE_URL": url_of(database)}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True
    )


def url_of(database: Path) -> str:
    return f"sqlite:///{database}"


@dataclass
class ImportResult:
    rows: int
    seconds: float
    created: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def build(database: Path, plan: Plan, say: Callable[[str], None] = print) -> ImportResult:
    """A fresh database holding the plan's figures; returns the import's timing."""
    engine, source_id = fresh(database)
    result = ImportResult(rows=0, seconds=0.0, created=0)
    for number, reporter in enumerate(plan.reporters, start=1):
        timed_import(engine, reporter_csv(plan, reporter, source_id), result)
        if number % 20 == 0 or number == len(plan.reporters):
            say(f"  imported {result.rows:,} rows ({result.rows_per_s:,.0f} rows/s)")
    with engine.connect() as connection:  # both servers start from the same plain file
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return result


def fresh(database: Path) -> tuple[Engine, int]:
    """A new, migrated database with the reference data: its engine and the source's id."""
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    migrate(database)
    engine = get_engine(url_of(database))
    with Session(engine) as session:
        return engine, _reference_data(session)


def timed_import(engine: Engine, body: bytes, result: ImportResult) -> None:
    """Import one CSV file as `tradestats import` does, adding its rows and time to `result`."""
    with Session(engine) as session:
        started = time.perf_counter()
        report = import_observations(session, rows_from(body, "text/csv"), None)
        result.seconds += time.perf_counter() - started
    result.rows += report.rows
    result.created += report.created


def _reference_data(session: Session) -> int:
    """Countries and indicators as `make seed` loads them (not its figures), and one
    source for every generated figure. Returns the source's id."""
    report = SeedReport()
    seed_countries(session, report)
    seed_indicators(session, report)
    source = Source(
        slug=SOURCE_SLUG,
        kind="agency",
        title=f"Synthetic Comtrade-scale trade matrix (bench/, seed {SEED})",
    )
    session.add(source)
    session.flush()
    record_revision(session, source, RevisionAction.create, None, source.created_at)
    session.commit()
    assert source.id is not None
    return source.id
