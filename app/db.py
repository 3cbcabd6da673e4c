"""Engine and session: one engine per database URL, one session per request.

Routes get the engine from the `database` dependency (tests point it elsewhere). Writes
and most reads use a session in the threadpool. The hottest reads run through `read`,
which on SQLite skips the threadpool altogether (see there).
"""

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, NamedTuple, TypeVar

from fastapi import Depends
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.sql import Executable
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from app.core.config import get_settings

CONNECT_TIMEOUT = 10  # seconds, for a PostgreSQL connection to be made


def reachable(engine: Engine) -> Engine:
    """`engine`, once a connection to it opens; else the process ends with one line that
    says why. For the migrations and the seed, which the image runs before the server: a
    database down or unreachable gave a traceback of a hundred lines there."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
        reason = lines[0] if lines else exc.__class__.__name__
        raise SystemExit(f"error: cannot connect to the database: {reason}") from None
    return engine


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
        # A server that takes the connection and never answers fails it in CONNECT_TIMEOUT
        # seconds, rather than hang a start (migrations) or a request for good.
        lock_ms = int(settings.postgres_lock_timeout * 1000)
        options = f"-c timezone=utc -c lock_timeout={lock_ms}"
        connect = {"options": options, "connect_timeout": CONNECT_TIMEOUT}
        return create_engine(url, pool_pre_ping=True, connect_args=connect, **pool)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **pool)

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return _sqlite_engine(url, pool if not _in_memory(url) else {})  # one shared connection


def _in_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _sqlite_engine(url: URL, pool: dict[str, Any]) -> Engine:
    engine = create_engine(
        url,
        connect_args={
            "check_same_thread": False,
            "timeout": get_settings().sqlite_busy_timeout,
        },
        **pool,
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
        if _read_only_for_nothing(record.info, url):
            raise DisconnectionError("the database file is writable again")

    return engine


def _read_only_for_nothing(info: dict[str, Any], url: URL) -> bool:
    """SQLite opens a file it may not write read-only (a read-only disk, an immutable
    file), and the connection stays read-only after the fault clears: it is to be replaced."""
    return bool(info.get("read_only")) and _writable(url.database)


def _writable(database: str | None) -> bool:
    return database in (None, "", ":memory:") or os.access(database, os.W_OK)


# The key of the PostgreSQL advisory lock that every write transaction holds.
WRITE_LOCK = 0x7472616465  # "trade"


def lock_for_write(session: Session) -> None:
    """Let one write transaction at a time run, from here to its commit, on any engine.

    On SQLite that is its write lock, taken now, so concurrent writers queue for it (busy
    timeout) instead of failing when a read transaction tries to upgrade. On PostgreSQL,
    row locks alone let two imports read the same rows, each compare them with what it
    was given and write over the other (an acknowledged write lost), close each other's
    revisions out of order, and commit revision ids out of order, which the data version
    (the latest ids) then misses. A transaction-scoped advisory lock queues them, as
    SQLite does (lock_timeout: a 503). Callers read the clock after this, so a writer's
    times follow those of the writer before it."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")


async def database() -> Engine:
    """The engine every request uses. Async, like every per-request dependency that does
    no I/O: FastAPI runs a plain `def` one in the threadpool, a hop that costs more than
    a SQLite read."""
    return get_engine()


DatabaseDep = Annotated[Engine, Depends(database)]


# A lean read tags its answer with the data version, read first: its other statements must
# see that version's data, not a write that commits in between (the body would be newer
# than its tag). PostgreSQL's default (read committed) takes a snapshot per statement, and
# pysqlite begins no transaction for a SELECT: one snapshot for all is REPEATABLE READ on
# PostgreSQL and an explicit BEGIN on SQLite, held only while `read` runs. A session is
# not given one: it lives until the response is sent, and an open read transaction would
# hold back SQLite's checkpoints (and PostgreSQL's vacuum) for as long as a client reads.
ONE_SNAPSHOT = {"isolation_level": "REPEATABLE READ"}


def get_session(engine: DatabaseDep) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


T = TypeVar("T")


async def read(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run `work` on a connection of its own and return what it returns.

    On SQLite the read runs right here on the event loop: a local file answers an indexed
    read in well under a millisecond, less than the threadpool hop it would otherwise take,
    and a WAL reader never waits for a writer. It uses a connection kept for the loop
    alone, so it can never wait for a connection that a threadpool request holds while
    the loop (which would release it) is stuck. Other databases are across a
    network: their reads go to the threadpool.
    """
    if engine.dialect.name != "sqlite":
        return await run_in_threadpool(_run, engine, work)
    loop_engine = _loop_engine(engine)
    if loop_engine is engine:  # in memory: the one connection is shared, never kept
        return _run(engine, work)
    return _run_on_loop(loop_engine, work)


# Sent through the driver, as driver_rows sends a read: through `execute`, SQLAlchemy
# would begin a transaction of its own too, and closing it cost 3% of a series read. The
# pool's reset (a rollback) ends the snapshot as the connection goes back.
BEGIN = text("BEGIN")


def _run(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            driver_rows(connection, BEGIN, {})
        else:
            connection.execution_options(**ONE_SNAPSHOT)
        return work(connection)


# The loop's connection to each database, kept between reads: checking one out of the pool
# and back in took a sixth of an empty series' time. A read runs start to end without
# awaiting, so the lock only ever waits for another loop's read (tests run several), as
# the one-connection pool made it wait.
_LOOP_CONNECTIONS: dict[Engine, Connection] = {}
_LOOP_READ = threading.Lock()


def _run_on_loop(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`_run` on the loop's kept connection, its snapshot ended as the pool's reset would."""
    with _LOOP_READ:
        connection = _LOOP_CONNECTIONS.get(engine)
        if (
            connection is None
            or connection.closed
            or connection.invalidated
            or _read_only_for_nothing(connection.info, engine.url)
        ):
            if connection is not None:
                connection.close()
            connection = _LOOP_CONNECTIONS[engine] = engine.connect()
        try:
            driver_rows(connection, BEGIN, {})
            return work(connection)
        finally:
            if not connection.invalidated:
                connection.rollback()  # a transaction that SQLAlchemy's `execute` began
                connection.connection.rollback()  # else the one the BEGIN above began


@lru_cache
def _loop_engine(engine: Engine) -> Engine:
    if _in_memory(engine.url):  # a second engine would open another, empty database
        return engine
    return _sqlite_engine(engine.url, {"pool_size": 1, "max_overflow": 0})


class DriverStatement(NamedTuple):
    sql: str
    order: tuple[str, ...] | None  # the parameters' order; None: the driver takes a dict
    defaults: dict[str, Any]  # values the statement binds itself (literals in its WHERE)


def driver_rows(
    reader: Session | Connection, statement: Executable, params: dict[str, Any]
) -> Sequence[Any]:
    """The rows of a Core statement as the driver returns them: tuples of its own types
    (text, not Decimal, for a DecimalText), with no SQLAlchemy processing. For the hottest
    reads, where that processing costs more than the query: a 30-row series took 134 us
    through `execute`, 52 us in the driver. Its parameters must be strings or integers,
    which no bind processor changes."""
    connection = reader if isinstance(reader, Connection) else reader.connection()
    compiled = _driver_statement(statement, connection.dialect)
    values = compiled.defaults | params
    cursor = None
    try:
        cursor = connection.connection.cursor()
        if compiled.order is None:
            cursor.execute(compiled.sql, values)
        else:
            cursor.execute(compiled.sql, tuple(values[name] for name in compiled.order))
        return cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as exc:
        # Raised as `execute` raises it: SQLAlchemy's exception (the handlers answer a
        # database fault with a 503, a driver's own with a 500), a lost connection
        # invalidated, and any handle_error hook run.
        connection._handle_dbapi_exception(exc, compiled.sql, values, cursor, None)
    finally:
        if cursor is not None:
            cursor.close()


@lru_cache(maxsize=256)
def _driver_statement(statement: Executable, dialect: Dialect) -> DriverStatement:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if "POSTCOMPILE" in compiled.string:  # an expanding IN: SQLAlchemy must render it
        raise TypeError("driver_rows runs statements without expanding parameters")
    order = tuple(compiled.positiontup) if compiled.positional else None
    return DriverStatement(compiled.string, order, dict(compiled.params))
