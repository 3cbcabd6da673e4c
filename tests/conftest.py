"""Fixtures: real databases, migrated with Alembic and seeded, and an HTTP client."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

# The suite makes thousands of requests as one client; rate limits get their own tests.
os.environ.setdefault("RATE_LIMIT_READS", "1000000")
os.environ.setdefault("RATE_LIMIT_WRITES", "1000000")
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import create_key
from app.db import database, get_engine
from app.main import app
from app.models import Observation
from app.stats.figures import precision_of
from tests.databases import (
    ROOT,
    TEST_DATABASE_URL,
    PostgresDatabases,
    SqliteDatabases,
)

BASE_URL = "http://127.0.0.1:8000"
# A figure the article lacks: the base year of "almost four times".
TURNOVER_2023 = {
    "reporter": "KAZ",
    "partner": "BGR",
    "indicator": "TURNOVER",
    "year": 2023,
    "value": 95.0,
    "source_id": 2,
    "quote": "Turnover in 2023 was $95.0 million.",
}


BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session", params=BACKENDS)
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqliteDatabases | PostgresDatabases]:
    """The whole suite runs once per backend: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        dbs: SqliteDatabases | PostgresDatabases = SqliteDatabases(
            tmp_path_factory.mktemp("sqlite")
        )
    else:
        assert TEST_DATABASE_URL is not None
        dbs = PostgresDatabases(TEST_DATABASE_URL)
    yield dbs
    dbs.close()


@pytest.fixture
def engine(databases: SqliteDatabases | PostgresDatabases) -> Iterator[Engine]:
    """A private copy of the seeded database, so a test may write freely."""
    url = databases.seeded_copy()
    yield get_engine(url)
    databases.drop(url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def record_figure(
    session: Session,
    indicator: str,
    year: int,
    value: str,
    *,
    reporter: str = "KAZ",
    partner: str = "BGR",
    multiplier: int = 6,
    currency: str = "USD",
) -> None:
    """Record a figure (KAZ–BGR, USD millions unless told) straight into the database, as a
    data fix would."""
    session.add(
        Observation(
            reporter=reporter,
            partner=partner,
            indicator=indicator,
            year=year,
            value=Decimal(value),
            precision=precision_of(Decimal(value)),
            multiplier=multiplier,
            currency=currency,
            source_id=2,
            quote="Test figure.",
        )
    )
    session.commit()


def serve_from(engine: Engine, served: FastAPI = app) -> None:
    """Point the app's `database` dependency, and so every session, at this engine."""

    async def test_database() -> Engine:
        return engine

    served.dependency_overrides[database] = test_database


@contextmanager
def serving(engine: Engine, root_path: str = "") -> Iterator[TestClient]:
    """A client of the app on this engine; `root_path` as uvicorn's `--root-path` sets it."""
    serve_from(engine)
    # The base URL users run on, so `next` links match the documented examples.
    with TestClient(
        app, base_url=BASE_URL, raise_server_exceptions=False, root_path=root_path
    ) as test_client:
        yield test_client
    app.dependency_overrides.clear()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with serving(engine) as test_client:
        yield test_client


@pytest.fixture
def auth(session: Session) -> dict[str, str]:
    """Headers with a valid API key, for writes."""
    _, key = create_key(session, "tests")
    return {"Authorization": f"Bearer {key}"}


def count_rows(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def run_cli(
    database_url: str, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """The `tradestats` command, run for real against a database (`stdin`: its input,
    `env`: more of its environment)."""
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", **env}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
