"""Which database backends this run covers."""

import pytest
from sqlalchemy import create_engine, text

from tests.databases import TEST_DATABASE_URL


def test_postgresql_is_reachable_when_configured() -> None:
    if not TEST_DATABASE_URL:
        pytest.skip(
            "TEST_DATABASE_URL is not set: the suite ran on SQLite only "
            "(.ci/run sets it, so CI runs every test on PostgreSQL too)"
        )
    engine = create_engine(TEST_DATABASE_URL)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
