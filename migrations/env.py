"""Alembic environment: the schema is SQLModel.metadata, the URL comes from app settings."""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.db import get_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    # Tests pass a URL in config attributes; otherwise DATABASE_URL from settings applies.
    engine = get_engine(config.attributes.get("database_url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=True,  # lets ALTER TABLE work on SQLite
        )
        with context.begin_transaction():
            context.run_migrations()
    # Keep the (cached) engine for the app; just release this connection.


if context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not supported; run against a database.")
run_migrations_online()
