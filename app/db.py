"""Engine and session: one engine per database URL, one session per request."""

import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

from app.core.config import get_settings


@lru_cache
def get_engine(database_url: str | None = None) -> Engine:
    settings = get_settings()
    url = make_url(database_url or settings.database_url)
    pool = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "pool_timeout": settings.db_pool_timeout,
    }
    if url.get_backend_name() == "postgresql":
        # Every stored time is UTC; so is the session, whatever the server's default. A write
        # stuck behind another's lock gives up (a 503) rather than hang the request for good.
        lock_ms = int(settings.postgres_lock_timeout * 1000)
        options = f"-c timezone=utc -c lock_timeout={lock_ms}"
        return create_engine(url, pool_pre_ping=True, connect_args={"options": options}, **pool)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **pool)

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout},
        **(pool if url.database not in (None, "", ":memory:") else {}),  # one shared connection
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
        record.info["read_only"] = not _writable(url.database)
        # SQLite leaves foreign keys off by default; WAL lets readers run beside a writer.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "checkout")
    def _reopen_once_writable(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # SQLite opens a file it may not write read-only (a read-only disk, an immutable
        # file), and the connection stays read-only after the fault clears: replace it.
        if record.info.get("read_only") and _writable(url.database):
            raise DisconnectionError("the database file is writable again")

    return engine


def _writable(database: str | None) -> bool:
    return database in (None, "", ":memory:") or os.access(database, os.W_OK)


def get_session() -> Iterator[Session]:
    with Session(get_engine()) as session:
        yield session
