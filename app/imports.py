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
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.api.body import parse_json
from app.api.csvio import restore
from app.errors import FieldError, ProblemException, field_errors
from app.inputs import ObservationCreate
from app.models import Observation, ObservationRevision, RevisionAction, Source, utcnow
from app.versioning import HISTORY
from app.writes import lock_for_write, observation_checks, observation_columns

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
        problems = ([f"unknown columns: {', '.join(unknown)}"] if unknown else []) + (
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
    for record in reader:
        yield (
            reader.line_num,
            {k: _cell(k, v) for k, v in record.items() if k in IMPORT_COLUMNS and v is not None},
        )


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
        return csv_rows(text)
    return json_rows(body)


# ----------------------------------------------------------------------------- applying


def _validate_rows(
    session: Session, rows: Iterable[tuple[int, dict[str, Any]]], report: ImportReport
) -> list[tuple[int, dict[str, Any]]]:
    source_ids = set(session.execute(select(Source.id)).scalars())  # type: ignore[call-overload]
    seen: dict[tuple[Any, ...], int] = {}
    valid = []
    for line, row in rows:
        report.rows += 1
        errors = _row_errors(row, source_ids)
        if isinstance(errors, dict):
            key = tuple(errors[c] for c in KEY)
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


def _row_errors(row: dict[str, Any], source_ids: set[int]) -> dict[str, Any] | list[FieldError]:
    """The row's column values, or its problems."""
    if "__row__" in row:
        return [FieldError(location="body", field="row", message="must be a JSON object")]
    try:
        model = ObservationCreate.model_validate(row)
    except ValidationError as exc:
        return field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
    errors = [e for e in observation_checks(_NoSession(source_ids), model)]  # type: ignore[arg-type]
    return errors or observation_columns(model)


class _NoSession:
    """Just enough of a Session for observation_checks, with sources known in advance."""

    def __init__(self, source_ids: set[int]) -> None:
        self.source_ids = source_ids

    def get(self, model: type, key: int) -> object | None:
        return key if model is Source and key in self.source_ids else None


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


def _apply_batch(
    session: Session,
    batch: list[dict[str, Any]],
    report: ImportReport,
    api_key_id: int | None,
    now: Any,
) -> None:
    table = Observation.__table__  # type: ignore[attr-defined]
    keys = [tuple(row[c] for c in KEY) for row in batch]
    existing = {
        tuple(r[c] for c in KEY): r
        for r in session.execute(
            select(table).where(tuple_(*(table.c[c] for c in KEY)).in_(keys))
        ).mappings()
    }
    fields = HISTORY[Observation].fields
    to_create, to_update = [], []
    for row in batch:
        old = existing.get(tuple(row[c] for c in KEY))
        if old is None:
            to_create.append({**row, "created_at": now, "updated_at": now})
        elif any(old[c] != v for c, v in row.items()) or old["precision"] != row["precision"]:
            to_update.append(
                {**row, "id": old["id"], "created_at": old["created_at"], "updated_at": now}
            )
        else:
            report.unchanged += 1
    revisions: list[dict[str, Any]] = []
    rev_table = ObservationRevision.__table__  # type: ignore[attr-defined]
    if to_create:
        # A figure deleted before and imported again keeps its id, and so one history.
        reused = _deleted_ids(session, [tuple(row[c] for c in KEY) for row in to_create])
        fresh = [row for row in to_create if tuple(row[c] for c in KEY) not in reused]
        again = [
            {**row, "id": reused[tuple(row[c] for c in KEY)]}
            for row in to_create
            if tuple(row[c] for c in KEY) in reused
        ]
        if again:
            session.execute(insert(table), again)
        ids = _insert_many(session, table, fresh) if fresh else []
        for row, new_id in [*zip(fresh, ids, strict=True), *((r, r["id"]) for r in again)]:
            revisions.append(
                {
                    **{f: row[f] for f in fields},
                    "observation_id": new_id,
                    "action": RevisionAction.create,
                }
            )
        report.created += len(to_create)
    if to_update:
        # executemany: one UPDATE by id, with the new values for each row
        session.execute(
            update(table).where(table.c.id == bindparam("row_id")),
            [{**row, "row_id": row["id"]} for row in to_update],
        )
        for row in to_update:
            revisions.append(
                {
                    **{f: row[f] for f in fields},
                    "observation_id": row["id"],
                    "action": RevisionAction.update,
                }
            )
        report.updated += len(to_update)
    if revisions:
        session.execute(
            update(rev_table)
            .where(
                rev_table.c.observation_id.in_([r["observation_id"] for r in revisions]),
                rev_table.c.valid_to.is_(None),
            )
            .values(valid_to=now)
        )
        session.execute(
            insert(rev_table),
            [{**r, "valid_from": now, "api_key_id": api_key_id} for r in revisions],
        )


def _deleted_ids(session: Session, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    rev = ObservationRevision.__table__  # type: ignore[attr-defined]
    query = select(rev.c.observation_id, *(rev.c[c] for c in KEY)).where(
        rev.c.action == RevisionAction.delete,
        rev.c.valid_to.is_(None),
        tuple_(*(rev.c[c] for c in KEY)).in_(keys),
    )
    return {tuple(row[1:]): row[0] for row in session.execute(query)}


def _insert_many(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows, returning their new ids in order (one round trip per batch)."""
    result = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())
