"""A read sees one snapshot: what it tags with the data version is that version's data."""

import asyncio
from collections.abc import Callable

from sqlalchemy import Connection, Engine

from app.db import read

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
