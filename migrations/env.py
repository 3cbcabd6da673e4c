"""Alembic environment: the schema is SQLModel.metadata, the URL comes from app settings."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.db import get_engine, reachable
from app.logs import configure_process_logging

config = context.config
# The image's LOG_CONFIG makes these lines JSON; else alembic.ini's plain format.
configure = config.attributes.get("configure_logger", True)
if configure and not configure_process_logging() and config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    # Tests pass a URL in config attributes; otherwise DATABASE_URL from settings applies.
    engine = reachable(get_engine(config.attributes.get("database_url")))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Batch migrations rebuild tables; SQLite would refuse to drop one that others
            # reference while foreign keys are enforced. Outside any transaction, as
            # SQLite ignores this pragma inside one.
            _pragma(connection, "foreign_keys = OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                compare_type=True,
                render_as_batch=True,  # lets ALTER TABLE work on SQLite
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:  # the connection goes back to the app's pool
                _pragma(connection, "foreign_keys = ON")


def _pragma(connection: Connection, pragma: str) -> None:
    connection.rollback()
    connection.exec_driver_sql(f"PRAGMA {pragma}")
    connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not supported; run against a database.")
run_migrations_online()
