"""Copy a whole database to another engine (SQLite ⇄ PostgreSQL) without loss.

The target is migrated to the latest schema first and must hold no data. Every row of
every table is copied with its id, in batches; then every row is read back from both
sides and compared, so a successful copy is a verified one.
"""

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables)
from app.db import get_engine
from app.versioning import HISTORY

BATCH = 5000
ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)


class CopyError(Exception):
    pass


def tables() -> list[Table]:
    """Every table, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def copy_database(
    source_url: str, target_url: str, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    source, target = get_engine(source_url), get_engine(target_url)
    config = Config(str(ALEMBIC_INI))
    config.attributes.update(database_url=target_url, configure_logger=False)
    command.upgrade(config, "head")
    with target.connect() as connection:
        for table in tables():
            if connection.execute(select(func.count()).select_from(table)).scalar():
                raise CopyError(
                    f"the target already holds data (table {table.name}); "
                    "copy into an empty database"
                )

    report = CopyReport()
    with source.connect() as reading, target.begin() as writing:
        for table in tables():
            copied = 0
            for batch in _batches(reading, table):
                writing.execute(insert(table), batch)
                copied += len(batch)
                if progress:
                    progress(table.name, len(batch))
            report.rows[table.name] = copied
        _continue_sequences(writing, target)
    _verify(source, target, report)
    return report


def _batches(connection: Connection, table: Table) -> Iterator[list[dict[str, object]]]:
    """The table's rows in id order, a batch at a time, so memory stays flat."""
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(stream_results=True).execute(query).mappings()
    while rows := result.fetchmany(BATCH):
        yield [dict(row) for row in rows]


def _continue_sequences(connection: Connection, engine: Engine) -> None:
    """Ids must carry on after every id the source used, a deleted row's too: its history
    stays in the revisions, so a new row given its id would inherit that history."""
    for table in tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto" and column.type.python_type is int
            ):
                used = _last_id(connection, table, column.name)
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence(:table, :column), :next, false)"
                        ),
                        {"table": table.name, "column": column.name, "next": used + 1},
                    )
                elif table.dialect_options["sqlite"]["autoincrement"]:
                    # SQLite follows the largest id inserted, not one only a revision holds.
                    connection.execute(
                        text("DELETE FROM sqlite_sequence WHERE name = :table"),
                        {"table": table.name},
                    )
                    connection.execute(
                        text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :used)"),
                        {"table": table.name, "used": used},
                    )


def _last_id(connection: Connection, table: Table, column: str) -> int:
    """The largest id the table's rows or, for a versioned table, its revisions hold."""
    ids = [select(func.max(table.c[column]))]
    for model, history in HISTORY.items():
        if model.__table__ is table:  # type: ignore[attr-defined]
            ids.append(select(func.max(history.table.c[history.id_column])))
    return max(connection.execute(query).scalar() or 0 for query in ids)


def _checksum(engine: Engine, table: Table) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    with engine.connect() as connection:
        for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(_comparable(v) for v in row)).encode())
            count += 1
    return count, digest.hexdigest()


def _comparable(value: object) -> object:
    """Values as both engines give them back (SQLite drops time zones; all are UTC)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _verify(source: Engine, target: Engine, report: CopyReport) -> None:
    for table in tables():
        expected, got = _checksum(source, table), _checksum(target, table)
        if expected != got:
            raise CopyError(
                f"table {table.name} differs after the copy: {expected[0]} rows "
                f"in the source, {got[0]} in the target"
            )
        report.checksums[table.name] = got[1]
