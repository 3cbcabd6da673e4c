"""Real databases for tests: SQLite files, and PostgreSQL when TEST_DATABASE_URL is set.

Each test gets its own copy of a migrated, seeded template: a copied file on SQLite, a
`CREATE DATABASE … TEMPLATE` on PostgreSQL. Database names carry a per-run id, so runs
on one server never collide, and they are dropped at the end.
"""

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app.db import get_engine
from app.seed import seed

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def migrate_and_seed(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
    with Session(get_engine(url)) as session:
        seed(session)
    release(url)


def release(url: str) -> None:
    """Close the app's pooled connections to a database (SQLite flushes its WAL too)."""
    get_engine(url).dispose()
    get_engine.cache_clear()


class SqliteDatabases:
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template = self.empty()
        migrate_and_seed(self.template)

    def empty(self) -> str:
        return f"sqlite:///{self.directory / uuid.uuid4().hex}.db"

    def seeded_copy(self) -> str:
        url = self.empty()
        shutil.copy(make_url(self.template).database or "", make_url(url).database or "")
        return url

    def drop(self, url: str) -> None:
        release(url)
        Path(make_url(url).database or "").unlink(missing_ok=True)

    def close(self) -> None:
        self.drop(self.template)


class PostgresDatabases:
    name = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.base = make_url(admin_url)
        self.run = f"tradestats_{uuid.uuid4().hex[:8]}"
        self.count = 0
        self.template = self.empty()
        migrate_and_seed(self.template)

    def _new(self, template: str | None) -> str:
        self.count += 1
        name = f"{self.run}_{self.count}"
        clause = f' TEMPLATE "{make_url(template).database}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return self.base.set(database=name).render_as_string(hide_password=False)

    def empty(self) -> str:
        return self._new(None)

    def seeded_copy(self) -> str:
        return self._new(self.template)

    def drop(self, url: str) -> None:
        release(url)
        with self.admin.connect() as connection:
            connection.execute(
                text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
            )

    def close(self) -> None:
        self.drop(self.template)
        self.admin.dispose()


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Every table's row count and a SHA-256 of all its rows: equal means nothing changed.

    Rows are hashed in a sorted order of their text, so the order a backend returns them in
    does not matter; any changed, added or removed row changes the hash."""
    result = {}
    with engine.connect() as connection:
        for table in sorted(inspect(connection).get_table_names()):
            rows = sorted(
                repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            )
            result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result
