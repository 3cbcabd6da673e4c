"""an empty note is no note: notes stored as '' become null

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:40:00

Writes and imports have stored an empty note as null since this revision's release
(app/inputs.py): a CSV cell cannot tell "" from null, so a figure stored with "" was
"updated" by the import of its own export. Rows written before keep their "" until this
runs, each mended with a revision of its own (migrations/mending.py).
"""

from collections.abc import Sequence

from alembic import op

from migrations.mending import mend

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (live table, its history table, the history's id column)
NOTED = (
    ("source", "source_revision", "source_id"),
    ("observation", "observation_revision", "observation_id"),
    ("claim", "claim_revision", "claim_id"),
)


def upgrade() -> None:
    for table, history, id_column in NOTED:
        mend(op.get_bind(), table, history, id_column, "note = ''", "note = NULL")


def downgrade() -> None:
    pass  # the "" is in history still; null is what the live rows mean
