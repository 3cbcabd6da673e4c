"""Faults: a killed import, a read-only or full disk, a busy database, a lost PostgreSQL.

Each fault is real: a SIGKILLed process, an immutable file (`chattr +i`), a full tmpfs, a
lock held by another connection, a TCP connection cut between the app and PostgreSQL. The
service answers a 503 problem with Retry-After while the fault lasts, keeps serving reads
where it can, changes nothing it did not acknowledge, and recovers when the fault clears.
"""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.auth import create_key
from app.core.config import get_settings
from app.db import get_engine
from app.imports import BATCH, IMPORT_COLUMNS
from app.main import app
from tests.conftest import BASE_URL, TURNOVER_2023, run_cli, serve_from
from tests.databases import ROOT, PostgresDatabases, SqliteDatabases, fingerprint

Databases = SqliteDatabases | PostgresDatabases
READ = "/v1/observations?reporter=KAZ&partner=BGR"
POOLED_READ = "/v1/sources"  # read through a session from the pool (app.db.get_session)


@pytest.fixture
def engine(databases: Databases, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A seeded copy whose engine waits only briefly for locks, so busy tests are quick."""
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT", "0.2")
    monkeypatch.setenv("POSTGRES_LOCK_TIMEOUT", "0.2")
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "0.2")
    get_settings.cache_clear()
    url = databases.seeded_copy()
    yield get_engine(url)
    databases.drop(url)
    get_settings.cache_clear()


def key_for(engine: Engine) -> dict[str, str]:
    """Headers with a new API key; the session is closed, so no connection stays checked out
    (the tests below kill connections)."""
    with Session(engine) as session:
        return {"Authorization": f"Bearer {create_key(session, 'tests')[1]}"}


@pytest.fixture
def auth(engine: Engine) -> dict[str, str]:
    return key_for(engine)


@contextmanager
def serve(engine: Engine) -> Iterator[TestClient]:
    serve_from(engine)
    try:
        with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
            yield client
    finally:
        app.dependency_overrides.clear()


def write(client: TestClient, auth: dict[str, str], year: int = 2023) -> httpx.Response:
    return client.post("/v1/observations", json={**TURNOVER_2023, "year": year}, headers=auth)


def assert_unavailable(response: httpx.Response, detail: str = "") -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    problem = response.json()
    assert problem["type"] == "urn:tradestats:problem:database-unavailable"
    assert detail in problem["detail"]


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows, on a connection of its own."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        return fingerprint(engine)
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- a killed import

PAUSE_AFTER = 2 * BATCH  # rows applied, uncommitted, when the import is killed
# A real import in its own process. After PAUSE_AFTER rows it says so and waits, so the test
# kills it at a known point: in the middle of its one transaction, with rows written.
IMPORTER = f"""
import sys, time
from sqlmodel import Session
from app.db import get_engine
from app.imports import import_observations, rows_from

applied = 0
def progress(rows):
    global applied
    applied += rows
    if applied >= {PAUSE_AFTER}:
        print(applied, flush=True)
        time.sleep(600)

with open(sys.argv[1], "rb") as file, Session(get_engine()) as session:
    import_observations(session, rows_from(file.read(), "text/csv"), None, progress=progress)
print("finished", flush=True)
"""


def big_import(path: Path) -> int:
    """A valid CSV of over five batches of new figures; returns its row count."""
    partners = "BGR CHN DEU FRA ITA JPN KOR NLD POL ESP USA GBR TUR IND BRA CAN AUT BEL CHE CZE"
    partners += " DNK FIN GRC HUN IRL NOR PRT ROU SWE UKR"
    lines = [",".join(IMPORT_COLUMNS)] + [
        f"KAZ,{partner},{indicator},{year},{year}.5,USD,6,,2,,Killed import {year}.,"
        for partner in partners.split()
        for indicator in ("EXPORTS", "IMPORTS", "TURNOVER")
        for year in range(1900, 2020)
    ]
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def open_transaction_is_visible(url: str) -> bool:
    """From outside the importer: does it hold an open write transaction right now?"""
    if make_url(url).get_backend_name() == "sqlite":
        probe = sqlite3.connect(make_url(url).database or "", timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # "database is locked": the importer has it
            return "locked" in str(exc)
        finally:
            probe.close()
        return False
    with create_engine(url, poolclass=NullPool).connect() as connection:
        states = connection.execute(
            text(
                "SELECT state FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalars()
        return "idle in transaction" in list(states)


def test_a_killed_import_leaves_the_database_as_it_was(engine: Engine, tmp_path: Path) -> None:
    url = url_of(engine)
    engine.dispose()  # the importer must be able to take the write lock
    csv_path = tmp_path / "big.csv"
    rows = big_import(csv_path)
    before = snapshot(url)

    importer = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(csv_path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(300, importer.kill)  # should the importer hang, fail, not wait
    watchdog.start()
    try:
        assert importer.stdout is not None
        line = importer.stdout.readline()  # blocks until PAUSE_AFTER rows are in
        assert line.strip() == str(PAUSE_AFTER), importer.stderr.read() if importer.stderr else ""
        assert open_transaction_is_visible(url)
        importer.send_signal(signal.SIGKILL)
        assert importer.wait(timeout=60) == -signal.SIGKILL
    finally:
        watchdog.cancel()
        if importer.poll() is None:
            importer.kill()
        importer.communicate(timeout=60)

    assert snapshot(url) == before
    # Nothing was left locked or half-written: the same file imports whole afterwards.
    result = run_cli(url, "import", str(csv_path))
    assert result.returncode == 0, result.stderr
    after = snapshot(url)
    assert after["observation"][0] == before["observation"][0] + rows
    assert after["observation_revision"][0] == before["observation_revision"][0] + rows


# ----------------------------------------------------------------------------- a busy database


@contextmanager
def write_lock_held(engine: Engine) -> Iterator[None]:
    """Another connection holds the write lock: SQLite's BEGIN IMMEDIATE, or on PostgreSQL
    a table lock that lets reads through but blocks every write."""
    other = create_engine(engine.url, poolclass=NullPool)
    with other.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(text("LOCK TABLE observation IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()
    other.dispose()


def test_a_database_busy_beyond_the_timeout_answers_503_then_recovers(
    engine: Engine, auth: dict[str, str]
) -> None:
    before = snapshot(url_of(engine))
    with serve(engine) as client:
        with write_lock_held(engine):
            assert_unavailable(write(client, auth), "busy")
            assert client.get(READ).status_code == 200  # readers are not blocked
        assert snapshot(url_of(engine)) == before  # the refused write left nothing behind
        assert write(client, auth).status_code == 201


def test_every_pooled_connection_in_use_answers_503_then_recovers(engine: Engine) -> None:
    # The pool holds DB_POOL_SIZE connections and as many again on demand: take them all.
    held = [engine.connect() for _ in range(2 * get_settings().db_pool_size)]
    with serve(engine) as client:
        try:
            assert_unavailable(client.get(POOLED_READ), "busy")
            if engine.dialect.name == "sqlite":  # hot reads there have a connection of their own
                assert client.get(READ).status_code == 200
            else:
                assert_unavailable(client.get(READ), "busy")
        finally:
            for connection in held:
                connection.close()
        assert client.get(POOLED_READ).status_code == 200
        assert client.get(READ).status_code == 200


# ----------------------------------------------------------------------------- read-only, full


def sqlite_only(engine: Engine) -> Path:
    if engine.dialect.name != "sqlite":
        pytest.skip("a file-system fault; PostgreSQL's read-only mode is tested separately")
    return Path(engine.url.database or "")


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """`chattr +i`: not even root may write. (Never on the -shm file: SQLite maps it into
    memory and a write to an immutable mapping is a SIGBUS.)"""
    done: list[Path] = []
    try:
        for path in paths:
            result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            if result.returncode != 0:
                pytest.skip(f"chattr +i is not available here: {result.stderr.strip()}")
            done.append(path)
        yield
    finally:
        for path in done:
            subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_database_answers_503_on_writes_serves_reads_and_recovers(
    engine: Engine, auth: dict[str, str]
) -> None:
    database = sqlite_only(engine)
    with serve(engine) as client:
        assert client.get(READ).status_code == 200  # the -wal file exists from here on
        wal = database.with_name(database.name + "-wal")
        before = snapshot(url_of(engine))
        with immutable(database, wal):
            # A connection that was open: its writes fail ("disk I/O error").
            assert_unavailable(write(client, auth))
            assert client.get(READ).status_code == 200
            # A connection opened now is read-only ("attempt to write a readonly database").
            engine.dispose()
            assert_unavailable(write(client, auth), "read-only")
            assert client.get(READ).status_code == 200
            assert client.get("/readyz").status_code == 200
        assert snapshot(url_of(engine)) == before
        assert write(client, auth).status_code == 201


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs to put a database on and fill up; skips where mounting is not allowed."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    with suppress(OSError), filler.open("wb") as file:  # ENOSPC: the disk is full
        while True:
            file.write(b"\0" * 4096)
            file.flush()
    return filler


def test_a_full_disk_answers_503_on_writes_serves_reads_and_recovers(
    engine: Engine, small_disk: Path
) -> None:
    database = sqlite_only(engine)
    engine.dispose()
    shutil.copy(database, small_disk / "full.db")
    full = get_engine(f"sqlite:///{small_disk / 'full.db'}")
    auth = key_for(full)
    try:
        with serve(full) as client:
            assert client.get(READ).status_code == 200
            before = snapshot(url_of(full))
            filler = fill(small_disk)
            for year in range(1990, 2000):
                assert_unavailable(write(client, auth, year), "out of space")
            assert client.get(READ).status_code == 200
            filler.unlink()
            assert snapshot(url_of(full)) == before
            assert write(client, auth).status_code == 201
    finally:
        full.dispose()


def test_an_export_that_fills_the_disk_leaves_the_last_one_whole(
    engine: Engine, small_disk: Path, tmp_path: Path
) -> None:
    """`export FILE` emptied FILE, then failed part way: last night's export was lost, and
    what was left looked like a shorter one. It now writes beside FILE and renames."""
    url = url_of(engine)
    engine.dispose()
    rows = tmp_path / "big.csv"
    big_import(rows)
    assert run_cli(url, "import", str(rows)).returncode == 0
    backup = small_disk / "backup.csv"
    backup.write_text("last night's export\n")
    room = 64 * 1024  # the new export is over a megabyte: it fails a little way in
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    (small_disk / "filler").write_bytes(b"\0" * (free - room))

    ran = run_cli(url, "export", str(backup))
    assert ran.returncode == 2 and "No space left on device" in ran.stderr, ran.stderr
    assert backup.read_text() == "last night's export\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["backup.csv", "filler"]


def test_a_read_only_postgresql_answers_503_on_writes_and_recovers(
    engine: Engine, auth: dict[str, str]
) -> None:
    """As after a fail-over to a standby: new sessions are read-only until it is promoted."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: runs in the postgresql pass (TEST_DATABASE_URL)")
    admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = engine.url.database

    def set_read_only(on: bool) -> None:
        with admin.connect() as connection:
            setting = "SET default_transaction_read_only = on" if on else "RESET ALL"
            connection.execute(text(f'ALTER DATABASE "{name}" {setting}'))
            kick_sessions(connection, name)

    try:
        with serve(engine) as client:
            set_read_only(True)
            assert_unavailable(write(client, auth), "read-only")
            assert client.get(READ).status_code == 200
            set_read_only(False)
            assert write(client, auth).status_code == 201
    finally:
        set_read_only(False)
        admin.dispose()


def kick_sessions(connection: Any, database: str | None) -> int:
    """pg_terminate_backend on every session of the database but ours; how many."""
    return len(
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": database},
        ).all()
    )


# ----------------------------------------------------------------------------- losing PostgreSQL


class CuttableProxy:
    """A TCP proxy between the app and PostgreSQL, whose cable the test can pull."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = threading.Event()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.cut_off.is_set():
                client.close()  # like a server that has gone: the connection drops at once
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.open |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for sock in (source, target):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self.cut_off.set()
        with self.lock:
            for sock in self.open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.open.clear()

    def restore(self) -> None:
        self.cut_off.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_postgresql_going_away_answers_503_then_recovers_without_a_restart(
    engine: Engine, auth: dict[str, str]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: runs in the postgresql pass (TEST_DATABASE_URL)")
    proxy = CuttableProxy((engine.url.host or "127.0.0.1", engine.url.port or 5432))
    proxied = get_engine(
        engine.url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    try:
        with serve(proxied) as client:
            assert client.get(READ).status_code == 200
            proxy.cut()
            assert_unavailable(client.get(READ))
            assert_unavailable(write(client, auth))
            assert client.get("/readyz").status_code == 503
            proxy.restore()
            assert client.get(READ).status_code == 200
            assert write(client, auth).status_code == 201
    finally:
        proxied.dispose()
        proxy.close()


def test_killed_postgresql_sessions_are_replaced_unnoticed(
    engine: Engine, auth: dict[str, str]
) -> None:
    """An administrator (or a restart) kills the app's sessions: the pool's pre-ping finds
    the dead connections and opens new ones, so no request fails."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: runs in the postgresql pass (TEST_DATABASE_URL)")
    admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with serve(engine) as client:
            assert client.get(READ).status_code == 200
            with admin.connect() as connection:
                assert kick_sessions(connection, engine.url.database) >= 1
            assert client.get(READ).status_code == 200
            assert write(client, auth).status_code == 201
    finally:
        admin.dispose()


@pytest.mark.parametrize(
    ("path", "table"),
    [
        # Every tagged read starts with the data version (the revision tables)...
        (READ, "observation_revision"),
        # ...and a series then reads its figures (the live table), both on the driver.
        ("/v1/turnover?reporter=KAZ&partner=BGR", "observation"),
    ],
)
def test_a_read_kept_out_by_a_lock_answers_503_then_recovers(
    engine: Engine, path: str, table: str
) -> None:
    """app.db.driver_rows runs statements on the DBAPI cursor: its faults must reach the
    handlers as SQLAlchemy's (a 503 with Retry-After), not as the driver's own (a 500)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite reader in WAL mode is not kept out by a lock")
    other = create_engine(engine.url, poolclass=NullPool)
    with serve(engine) as client:
        assert client.get(path).status_code == 200
        with other.connect() as connection:  # a reader waits out lock_timeout, then fails
            connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            assert_unavailable(client.get(path), "busy")
            connection.rollback()
        assert client.get(path).status_code == 200
    other.dispose()
