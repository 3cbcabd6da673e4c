"""A read sees one snapshot: what it tags with the data version is that version's data."""

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, Table, bindparam, select
from sqlalchemy.exc import DBAPIError

from app.db import driver_rows, read
from app.models import Observation

COUNT = "SELECT count(*) FROM source"


def add_source(engine: Engine) -> None:
    """A write committed by another connection."""
    with engine.begin() as writer:
        writer.exec_driver_sql(
            "INSERT INTO source (slug, kind, title, created_at, updated_at) "
            "VALUES ('snapshot-probe', 'agency', 'Probe', '2026-01-01', '2026-01-01')"
        )


def twice(engine: Engine) -> Callable[[Connection], tuple[int, int]]:
    """Count, let a write commit, count again."""

    def work(connection: Connection) -> tuple[int, int]:
        before = connection.exec_driver_sql(COUNT).scalar_one()
        add_source(engine)
        return before, connection.exec_driver_sql(COUNT).scalar_one()

    return work


def test_a_tagged_read_does_not_see_a_write_that_commits_during_it(engine: Engine) -> None:
    """PostgreSQL (read committed) took a snapshot per statement, and SQLite began no
    transaction for a SELECT: a body could hold a write its data version tag did not."""
    before, after = asyncio.run(read(engine, twice(engine)))
    assert after == before
    assert asyncio.run(read(engine, lambda c: c.exec_driver_sql(COUNT).scalar_one())) == before + 1


def test_driver_rows_are_the_rows_sqlalchemy_reads_with_values_as_stored(engine: Engine) -> None:
    query = (
        select(Observation.id, Observation.indicator, Observation.value)
        .where(
            Observation.partner == bindparam("partner"),  # bound by name, sent in order
            Observation.year == 2024,  # a literal the statement binds itself
            Observation.reporter == bindparam("reporter"),
        )
        .order_by(Observation.id)
    )
    with engine.connect() as connection:
        params = {"reporter": "KAZ", "partner": "BGR"}
        processed = connection.execute(query, params).all()
        assert len(processed) == 3  # the seed's 2024 figures
        # The value as its text (DecimalText's storage); the rest as SQLAlchemy gives them.
        expected = [(id_, code, format(value, "f")) for id_, code, value in processed]
        assert [tuple(row) for row in driver_rows(connection, query, params)] == expected


def test_driver_rows_refuse_a_statement_sqlalchemy_must_expand(engine: Engine) -> None:
    expanding = select(Observation.id).where(Observation.id.in_(bindparam("ids", expanding=True)))
    with engine.connect() as connection, pytest.raises(TypeError, match="expanding"):
        driver_rows(connection, expanding, {"ids": [1, 2]})


def test_a_driver_error_is_raised_as_sqlalchemy_s(engine: Engine) -> None:
    """The error handlers (a 503 for a database fault) know SQLAlchemy's exceptions, not
    each driver's: driver_rows must raise what `execute` would."""
    gone = Table("no_such_table", MetaData(), Column("id", Integer))
    with engine.connect() as connection:
        with pytest.raises(DBAPIError) as raised:
            driver_rows(connection, select(gone.c.id), {})
        assert isinstance(raised.value.orig, connection.dialect.loaded_dbapi.Error)
        connection.rollback()
        assert driver_rows(connection, select(Observation.id).limit(1), {})  # still usable
