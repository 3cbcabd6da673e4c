"""For migrations that mend rows in place: each row mended is a change like any other.

It gets a new revision (no API key), its ETag and the data version move, so no client
keeps a cached copy of the old form, and history stays as it was recorded.
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def mend(
    bind: Connection,
    table: str,
    history: str,
    id_column: str,
    where: str,
    change: str,
    **params: Any,
) -> None:
    """Apply `change` (an SQL assignment) to the rows of `table` that `where` selects (with
    `params` bound), closing each one's current revision in `history` and opening one for
    what it is now."""
    selected = sa.text(f"SELECT id FROM {table} WHERE {where}")
    ids = list(bind.execute(selected, params).scalars())
    if not ids:
        return
    now = sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True))
    chosen = sa.bindparam("ids", ids, expanding=True)
    data = [c["name"] for c in sa.inspect(bind).get_columns(table) if c["name"] != "id"]
    bind.execute(
        sa.text(f"UPDATE {table} SET {change}, updated_at = :now WHERE id IN :ids").bindparams(
            now, chosen
        )
    )
    bind.execute(
        sa.text(
            f"UPDATE {history} SET valid_to = :now WHERE {id_column} IN :ids AND valid_to IS NULL"
        ).bindparams(now, chosen)
    )
    bind.execute(
        sa.text(
            f"INSERT INTO {history} ({', '.join(data)}, {id_column}, action, valid_from) "
            f"SELECT {', '.join(data)}, id, 'update', :now FROM {table} WHERE id IN :ids"
        ).bindparams(now, chosen)
    )


# The tables with a `note` column: (live table, its history table, the history's id column).
NOTED = (
    ("source", "source_revision", "source_id"),
    ("observation", "observation_revision", "observation_id"),
    ("claim", "claim_revision", "claim_id"),
)


def mend_notes(bind: Connection, where: str, **params: Any) -> None:
    """Set to null the notes that `where` selects, in every table that has notes."""
    for table, history, id_column in NOTED:
        mend(bind, table, history, id_column, where, "note = NULL", **params)
