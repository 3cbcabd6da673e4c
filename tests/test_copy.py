"""tradestats copy: a whole database to another engine, verified row by row."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import create_key
from app.copy import CopyError, copy_database
from app.main import app
from tests.conftest import count_rows, record_figure, run_cli, serve_from
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


def test_a_copy_never_hands_a_deleted_id_to_a_new_row(
    engine: Engine, databases: SqliteDatabases | PostgresDatabases
) -> None:
    """Ids carry on after every id ever used, deleted ones included, whose history stays
    in the revisions: a new claim after the copy is not given the deleted claim's id."""
    serve_from(engine)
    try:
        with TestClient(app, raise_server_exceptions=False) as client, Session(engine) as session:
            _, key = create_key(session, "tests")
            assert (
                client.delete(
                    "/v1/claims/3", headers={"Authorization": f"Bearer {key}"}
                ).status_code
                == 204
            )
    finally:
        app.dependency_overrides.clear()
    target = databases.empty()
    try:
        copy_database(engine.url.render_as_string(hide_password=False), target)
        from app.db import get_engine

        copied = get_engine(target)
        serve_from(copied)
        with TestClient(app, raise_server_exceptions=False) as client, Session(copied) as session:
            _, key = create_key(session, "after the copy")
            claim = client.get("/v1/claims/2").json()
            body = {
                f: claim[f]
                for f in ("kind", "indicator", "reporter", "partner", "year", "qualifier", "quote")
            }
            body |= {"base_year": 2022, "stated": 2, "source_id": 2}
            created = client.post(
                "/v1/claims", json=body, headers={"Authorization": f"Bearer {key}"}
            )
            assert created.status_code == 201, created.text
            assert created.json()["id"] == 4
    finally:
        app.dependency_overrides.clear()
        databases.drop(target)
