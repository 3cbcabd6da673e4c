"""Revisions of sources, observations and claims, and reads as of any past moment.

Live rows sit in their tables. Every create, update and delete also writes a revision:
the row's data as it stood from `valid_from` until `valid_to` (null while current). A
delete removes the live row and leaves a `delete` revision, so history is never lost.
`table_at(model, as_of)` gives the rows as they stood at `as_of`, with the live table's
column names, so every read query can run on the present or on the past alike.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, Table, func, or_, select, update
from sqlmodel import Session, SQLModel

from app.db import driver_rows
from app.models import (
    Claim,
    ClaimData,
    ClaimRevision,
    Observation,
    ObservationData,
    ObservationRevision,
    RevisionAction,
    Source,
    SourceData,
    SourceRevision,
)

Versioned = Source | Observation | Claim


@dataclass(frozen=True)
class History:
    revision: type[SQLModel]
    data: type[SQLModel]  # the fields a revision copies
    id_column: str  # the revision's column holding the live row's id

    @property
    def table(self) -> Table:
        return self.revision.__table__  # type: ignore[attr-defined, no-any-return]

    @property
    def fields(self) -> list[str]:
        return list(self.data.model_fields)


HISTORY: dict[type[SQLModel], History] = {
    Source: History(SourceRevision, SourceData, "source_id"),
    Observation: History(ObservationRevision, ObservationData, "observation_id"),
    Claim: History(ClaimRevision, ClaimData, "claim_id"),
}


def record_revision(
    session: Session, row: Versioned, action: RevisionAction, api_key_id: int | None, now: datetime
) -> None:
    """Close the row's current revision and open one holding its data as of `now`."""
    history = HISTORY[type(row)]
    table = history.table
    session.execute(
        update(table)
        .where(table.c[history.id_column] == row.id, table.c.valid_to.is_(None))
        .values(valid_to=now)
    )
    data = {field: getattr(row, field) for field in history.fields}
    session.add(
        history.revision(
            **data,
            **{history.id_column: row.id},
            action=action,
            valid_from=now,
            api_key_id=api_key_id,
        )
    )


# A moment: a time, or a bound parameter that will hold one.
Moment = datetime | ColumnElement[Any]


def table_at(model: type[SQLModel], as_of: Moment | None) -> FromClause:
    """The model's rows as they stood at `as_of` (now, when None)."""
    live: Table = model.__table__  # type: ignore[attr-defined]
    if as_of is None:
        return live
    history = HISTORY[model]
    revisions = history.table
    return (
        select(
            revisions.c[history.id_column].label("id"),
            *(revisions.c[field] for field in history.fields),
        )
        .where(*valid_at(revisions, as_of), revisions.c.action != RevisionAction.delete)
        .subquery(live.name)
    )


def valid_at(revisions: Table | FromClause, as_of: Moment) -> list[ColumnElement[Any]]:
    return [
        revisions.c.valid_from <= as_of,
        or_(revisions.c.valid_to.is_(None), revisions.c.valid_to > as_of),
    ]


def deleted_id(session: Session, model: type[SQLModel], key: dict[str, Any]) -> int | None:
    """The id a deleted row with this natural key had, so re-adding it keeps one history."""
    history = HISTORY[model]
    revisions = history.table
    query = select(revisions.c[history.id_column]).where(
        revisions.c.action == RevisionAction.delete,
        revisions.c.valid_to.is_(None),
        *(revisions.c[column] == value for column, value in key.items()),
    )
    return session.execute(query.limit(1)).scalar()


# The latest revision of each versioned table, in one round trip rather than three.
LATEST_REVISIONS = select(
    *(
        select(func.max(model.revision_id)).scalar_subquery()  # type: ignore[arg-type]
        for model in (SourceRevision, ObservationRevision, ClaimRevision)
    )
)


def data_version(session: Session | Connection) -> str:
    """The latest revision of sources, observations and claims ("12.3408.5"): it moves
    whenever any write lands, in any worker."""
    (parts,) = driver_rows(session, LATEST_REVISIONS, {})
    return ".".join(str(part or 0) for part in parts)
