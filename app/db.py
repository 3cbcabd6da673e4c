"""Engine and session: one engine per database URL, one session per request."""

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from app.core.config import get_settings


@lru_cache
def get_engine(database_url: str | None = None) -> Engine:
    settings = get_settings()
    url = make_url(database_url or settings.database_url)
    if url.get_backend_name() == "postgresql":
        # Every stored time is UTC; so is the session, whatever the server's default.
        return create_engine(url, pool_pre_ping=True, connect_args={"options": "-c timezone=utc"})
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout}
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # SQLite leaves foreign keys off by default; WAL lets readers run beside a writer.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    return engine


def get_session() -> Iterator[Session]:
    with Session(get_engine()) as session:
        yield session
