"""a zero has no sign: figures and claims stored as -0.0 become 0.0

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:00:00

Writes and imports have stored -0.0 as 0.0 since this revision's release (app/inputs.py,
app/rowcheck.py); rows written before keep their sign until this runs. Each row mended is
a change like any other: it gets a new revision (no API key), and its ETag and the data
version move, so no client keeps a cached -0.0. History stays as it was recorded. The
decimals stay: -0.00 becomes 0.00, its precision unchanged.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (live table, its number column, its history table, the history's id column)
NUMBERS = (
    ("observation", "value", "observation_revision", "observation_id"),
    ("claim", "stated", "claim_revision", "claim_id"),
)


def upgrade() -> None:
    bind = op.get_bind()
    now = sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True))
    for table, column, history, id_column in NUMBERS:
        # Text like -0, -0.0 or -0.00: a minus, then nothing but zeros and a point.
        signed_zero = (
            f"{column} LIKE '-%' AND replace(replace(substr({column}, 2), '0', ''), '.', '') = ''"
        )
        ids = list(bind.execute(sa.text(f"SELECT id FROM {table} WHERE {signed_zero}")).scalars())
        if not ids:
            continue
        chosen = sa.bindparam("ids", ids, expanding=True)
        data = [c["name"] for c in sa.inspect(bind).get_columns(table) if c["name"] != "id"]
        bind.execute(
            sa.text(
                f"UPDATE {table} SET {column} = substr({column}, 2), updated_at = :now "
                "WHERE id IN :ids"
            ).bindparams(now, chosen)
        )
        bind.execute(
            sa.text(
                f"UPDATE {history} SET valid_to = :now "
                f"WHERE {id_column} IN :ids AND valid_to IS NULL"
            ).bindparams(now, chosen)
        )
        bind.execute(
            sa.text(
                f"INSERT INTO {history} ({', '.join(data)}, {id_column}, action, valid_from) "
                f"SELECT {', '.join(data)}, id, 'update', :now FROM {table} WHERE id IN :ids"
            ).bindparams(now, chosen)
        )


def downgrade() -> None:
    pass  # the sign is in history still; 0.0 is what the live rows mean
