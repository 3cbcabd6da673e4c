"""Bulk import of observations from CSV or JSON: all rows or none, upserted, revisioned.

Each row is validated as a POST body would be (app/inputs.py), and its errors are
reported with its line number. A valid file is applied in one transaction: new figures
are created, changed ones updated, identical ones left alone, so importing the same
file twice changes nothing and writes no revisions.

CSV columns (a header row is required; order is free): IMPORT_COLUMNS. The export
columns of `GET /v1/observations?format=csv` are these plus EXPORT_ONLY, which are
ignored here, so an export imports again unchanged.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.api.body import parse_json
from app.api.csvio import restore
from app.errors import FieldError, ProblemException
from app.inputs import latest_year
from app.models import (
    Observation,
    ObservationRevision,
    RevisionAction,
    Source,
    as_utc,
    utcnow,
)
from app.rowcheck import check_row
from app.versioning import HISTORY
from app.writes import lock_for_write

IMPORT_COLUMNS = (
    "reporter",
    "partner",
    "indicator",
    "year",
    "value",
    "currency",
    "multiplier",
    "precision",
    "source_id",
    "publication_id",
    "quote",
    "note",
)
EXPORT_ONLY = ("id", "status", "created_at", "updated_at")
KEY = ("reporter", "partner", "indicator", "year")
BATCH = 2000
MAX_ERRORS = 1000  # reported in full up to this many; a broken file need not list them all


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # {line, field, message}
    dry_run: bool = False


class ImportFailed(ProblemException):
    def __init__(self, report: ImportReport) -> None:
        shown = report.errors[:MAX_ERRORS]
        super().__init__(
            422,
            "import-invalid",
            "Invalid import",
            f"{len(report.errors)} problems in {report.rows} rows; nothing was imported.",
            [
                FieldError(location=f"line {e['line']}", field=e["field"], message=e["message"])
                for e in shown
            ],
        )
        self.report = report


# ----------------------------------------------------------------------------- parsing


def csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs; CSV cells become the types a JSON body would carry."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in IMPORT_COLUMNS and c not in EXPORT_ONLY]
    missing = [
        c
        for c in ("reporter", "partner", "indicator", "year", "value", "source_id", "quote")
        if c not in header
    ]
    if unknown or missing:
        # Name ten at most: a hostile header may hold millions.
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        problems = ([f"unknown columns: {', '.join(unknown[:10])}{more}"] if unknown else []) + (
            [f"missing columns: {', '.join(missing)}"] if missing else []
        )
        raise ProblemException(
            422,
            "import-invalid",
            "Invalid import",
            "The CSV header is not usable: "
            + "; ".join(problems)
            + f". Columns: {', '.join(IMPORT_COLUMNS)}.",
        )
    try:
        for record in reader:
            cells = {
                k: _cell(k, v) for k, v in record.items() if k in IMPORT_COLUMNS and v is not None
            }
            yield reader.line_num, cells
    except csv.Error as exc:  # a cell over csv's size limit, say, or a quote never closed
        raise ProblemException(
            400,
            "malformed-import",
            "Malformed import",
            f"The CSV cannot be read after line {reader.line_num}: {exc}.",
        ) from exc


_INTEGER_COLUMNS = ("year", "multiplier", "precision", "source_id", "publication_id")


def _cell(column: str, text: str) -> Any:
    """A CSV cell as the JSON value it stands for; what cannot be read stays text."""
    if text == "":
        return None
    text = restore(text)
    if column in _INTEGER_COLUMNS and text.lstrip("-").isdigit():
        return int(text)
    if column == "value":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text  # the validator names the problem
        return number if number.is_finite() else text
    return text


def json_rows(body: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows from `[...]` or `{"observations": [...]}`; "line" is the row's 1-based index."""
    data = parse_json(body)
    if isinstance(data, dict) and set(data) == {"observations"}:
        data = data["observations"]
    if not isinstance(data, list):
        raise ProblemException(
            400,
            "malformed-import",
            "Malformed import",
            'A JSON import is an array of observations, or {"observations": [...]}.',
        )
    for index, row in enumerate(data, start=1):
        if isinstance(row, dict):
            yield index, {k: v for k, v in row.items() if k not in EXPORT_ONLY}
        else:
            yield index, {"__row__": row}


def rows_from(body: bytes, media_type: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if media_type == "text/csv":
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ProblemException(
                400, "malformed-import", "Malformed import", "The CSV is not UTF-8."
            ) from exc
        if "\x00" in text:  # PostgreSQL cannot store it; refuse it alike everywhere
            raise ProblemException(
                400, "malformed-import", "Malformed import", "The CSV holds a NUL character."
            )
        return csv_rows(text)
    return json_rows(body)


# ----------------------------------------------------------------------------- applying


def _validate_rows(
    session: Session, rows: Iterable[tuple[int, dict[str, Any]]], report: ImportReport
) -> list[tuple[int, dict[str, Any]]]:
    source_ids = set(session.execute(select(Source.id)).scalars())  # type: ignore[call-overload]
    seen: dict[tuple[Any, ...], int] = {}
    last_year = latest_year()
    valid = []
    for line, row in rows:
        report.rows += 1
        errors = _row_errors(row, source_ids, last_year)
        if isinstance(errors, dict):
            key = key_of(errors)
            if key in seen:
                errors = [
                    FieldError(
                        location="body",
                        field="year",
                        message=(f"repeats the figure on line {seen[key]}"),
                    )
                ]
            else:
                seen[key] = line
                valid.append((line, errors))
                continue
        report.errors += [{"line": line, "field": e.field, "message": e.message} for e in errors]
    return valid


def _row_errors(
    row: dict[str, Any], source_ids: set[int], last_year: int
) -> dict[str, Any] | list[FieldError]:
    """The row's column values, or its problems."""
    if "__row__" in row:
        return [FieldError(location="body", field="row", message="must be a JSON object")]
    return check_row(row, source_ids, last_year)


def import_observations(
    session: Session,
    rows: Iterable[tuple[int, dict[str, Any]]],
    api_key_id: int | None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row, then apply them all in one transaction, or nothing."""
    report = ImportReport(dry_run=dry_run)
    lock_for_write(session)
    valid = _validate_rows(session, rows, report)
    if report.errors:
        session.rollback()
        raise ImportFailed(report)
    now = utcnow()
    try:
        for start in range(0, len(valid), BATCH):
            batch = [columns for _, columns in valid[start : start + BATCH]]
            _apply_batch(session, batch, report, api_key_id, now)
            if progress:
                progress(len(batch))
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except IntegrityError as exc:  # PostgreSQL: a concurrent write took one of the keys
        session.rollback()
        raise ProblemException(
            409,
            "conflict",
            "Conflict",
            "Another write added some of these figures at the same time; "
            "nothing was imported. Retry the import.",
        ) from exc
    except BaseException:
        session.rollback()
        raise
    return report


DATA = HISTORY[Observation].fields  # what a revision copies, created_at and updated_at last
CHECKED = DATA[:-2]  # what check_row returns, in the same order
row_values, key_of = itemgetter(*CHECKED), itemgetter(*KEY)
VALUE = CHECKED.index("value")


def _apply_batch(
    session: Session,
    batch: list[dict[str, Any]],
    report: ImportReport,
    api_key_id: int | None,
    now: datetime,
) -> None:
    table: Table = Observation.__table__  # type: ignore[attr-defined]
    rev_table: Table = ObservationRevision.__table__  # type: ignore[attr-defined]
    # Rows come grouped by pair, so a batch touches few pairs: look those up whole.
    pairs = list({(row["reporter"], row["partner"]) for row in batch})
    existing = {
        key_of(r): r
        for r in session.execute(
            select(table).where(tuple_(table.c.reporter, table.c.partner).in_(pairs))
        ).mappings()
    }

    creates, updates = [], []
    for row in batch:
        key = key_of(row)
        old = existing.get(key)
        if old is None:
            creates.append((key, row_values(row)))
        elif any(old[c] != v for c, v in row.items()) or old["precision"] != row["precision"]:
            updates.append(
                {**row, "id": old["id"], "created_at": old["created_at"], "updated_at": now}
            )
        else:
            report.unchanged += 1

    when = _driver_time(session, now)
    revisions: list[tuple[Any, ...]] = []
    if creates:
        # A figure deleted before and imported again keeps its id, and so one history.
        deleted = _deleted_ids(session, pairs)
        reused = {key: deleted[key] for key, _ in creates if key in deleted}
        ids = iter(_reserve_ids(session, table, len(creates) - len(reused)))
        rows = []
        for key, values in creates:
            row_id = reused.get(key) or next(ids)
            data = (*values[:VALUE], format(values[VALUE], "f"), *values[VALUE + 1 :], when, when)
            rows.append((row_id, *data))
            revisions.append((*data, row_id, RevisionAction.create.value))
        _insert_raw(session, table, ("id", *DATA), rows)
        _close_revisions(session, list(reused.values()), now)
        report.created += len(creates)
    if updates:  # executemany: one UPDATE by id, with each row's new values
        session.execute(
            update(table).where(table.c.id == bindparam("row_id")),
            [{**row, "row_id": row["id"]} for row in updates],
        )
        _close_revisions(session, [row["id"] for row in updates], now)
        for row in updates:
            data = tuple(_driver_value(session, row[c]) for c in DATA)
            revisions.append((*data, row["id"], RevisionAction.update.value))
        report.updated += len(updates)
    if revisions:
        _insert_raw(
            session,
            rev_table,
            (*DATA, "observation_id", "action", "valid_from", "api_key_id"),
            [(*r, when, api_key_id) for r in revisions],
        )


def _close_revisions(session: Session, observation_ids: list[int], now: datetime) -> None:
    """End the current revisions of rows that are about to get new ones."""
    if observation_ids:
        rev = ObservationRevision.__table__  # type: ignore[attr-defined]
        session.execute(
            update(rev)
            .where(rev.c.observation_id.in_(observation_ids), rev.c.valid_to.is_(None))
            .values(valid_to=now)
        )


def _insert_raw(
    session: Session, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """executemany straight on the driver, with values already as it stores them:
    SQLAlchemy's per-row type processing would cost more than the insert itself."""
    placeholder = "?" if session.connection().dialect.name == "sqlite" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))})"
    )
    session.connection().exec_driver_sql(sql, rows)


def _driver_time(session: Session, moment: datetime) -> Any:
    """A time as the driver stores it: SQLite keeps UTC text, PostgreSQL takes datetimes."""
    if session.connection().dialect.name == "sqlite":
        return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def _driver_value(session: Session, value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # DecimalText stores the digits
    return _driver_time(session, value) if isinstance(value, datetime) else value


def _deleted_ids(session: Session, pairs: list[tuple[str, str]]) -> dict[tuple[Any, ...], int]:
    rev = ObservationRevision.__table__  # type: ignore[attr-defined]
    query = select(rev.c.observation_id, *(rev.c[c] for c in KEY)).where(
        rev.c.action == RevisionAction.delete,
        rev.c.valid_to.is_(None),
        tuple_(rev.c.reporter, rev.c.partner).in_(pairs),
    )
    return {tuple(row[1:]): row[0] for row in session.execute(query)}


def _reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for `count` new rows, taken up front so one executemany inserts them all."""
    if count <= 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return list(
            connection.execute(
                text(
                    f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            ).scalars()
        )
    # SQLite: under the write lock, nobody else takes ids; AUTOINCREMENT keeps them unique.
    last = (
        connection.execute(
            text(
                "SELECT max(seq) FROM (SELECT seq FROM sqlite_sequence WHERE name = :t "
                f"UNION ALL SELECT max(id) FROM {table.name})"
            ),
            {"t": table.name},
        ).scalar()
        or 0
    )
    return list(range(last + 1, last + 1 + count))
