"""tradestats copy: a whole database to another engine, verified row by row."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import create_key
from app.copy import CopyError, copy_database
from tests.conftest import count_rows, record_figure, run_cli
from tests.databases import (
    TEST_DATABASE_URL,
    PostgresDatabases,
    SqliteDatabases,
)


def test_copy_to_an_empty_database_keeps_every_row(
    engine: Engine, databases: SqliteDatabases | PostgresDatabases
) -> None:
    with Session(engine) as session:
        record_figure(session, "TURNOVER", 2023, "95.0")
        create_key(session, "copied")
    target = databases.empty()
    try:
        report = copy_database(engine.url.render_as_string(hide_password=False), target)
        assert report.rows["observation"] == 5
        assert report.rows["country"] == 249
        assert report.rows["api_key"] == 1
        assert set(report.checksums) == set(report.rows)
        with pytest.raises(CopyError, match="already holds data"):
            copy_database(engine.url.render_as_string(hide_password=False), target)
    finally:
        databases.drop(target)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_sqlite_to_postgresql_and_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert TEST_DATABASE_URL is not None
    sqlite = SqliteDatabases(tmp_path)
    postgres = PostgresDatabases(TEST_DATABASE_URL)
    source, middle, back = sqlite.seeded_copy(), postgres.empty(), sqlite.empty()
    try:
        there = copy_database(source, middle)
        again = copy_database(middle, back)
        assert there.checksums == again.checksums
        # Ids carry on after the copied ones on PostgreSQL too.
        from app.db import get_engine

        with Session(get_engine(middle)) as session:
            record_figure(session, "TURNOVER", 2023, "95.0")
            assert count_rows(session, "observation") == 5
    finally:
        postgres.drop(middle)
        postgres.close()
        sqlite.close()


def test_copy_command(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    done = run_cli(
        target, "copy", "--from", engine.url.render_as_string(hide_password=False), "--to", target
    )
    assert done.returncode == 0, done.stderr
    assert "copied and verified" in done.stderr and "observation 4" in done.stderr
    again = run_cli(
        target, "copy", "--from", engine.url.render_as_string(hide_password=False), "--to", target
    )
    assert again.returncode == 2
    assert again.stderr.startswith("error: the target already holds data")
