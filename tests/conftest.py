"""Fixtures: real SQLite files, migrated with Alembic and seeded, and an HTTP client."""

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import get_engine, get_session
from app.main import app
from app.models import Observation
from app.seed import precision_of, seed

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "http://127.0.0.1:8000"


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated, seeded database file; tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "tradestats.db"
    url = sqlite_url(path)
    command.upgrade(alembic_config(url), "head")
    with Session(get_engine(url)) as session:
        seed(session)
    get_engine(url).dispose()  # flush WAL into the file before it is copied
    return path


@pytest.fixture
def engine(seeded_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the seeded database, so a test may write freely."""
    path = tmp_path / "tradestats.db"
    shutil.copy(seeded_template, path)
    engine = get_engine(sqlite_url(path))
    yield engine
    engine.dispose()
    get_engine.cache_clear()


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
) -> None:
    """Record a figure (KAZ–BGR unless told) straight into the database, as a data fix would."""
    session.add(
        Observation(
            reporter=reporter,
            partner=partner,
            indicator=indicator,
            year=year,
            value=Decimal(value),
            precision=precision_of(Decimal(value)),
            source_id=2,
            quote="Test figure.",
        )
    )
    session.commit()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    def session_override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    # The base URL users run on, so `next` links match the documented examples.
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as test_client:
        yield test_client
    app.dependency_overrides.clear()
