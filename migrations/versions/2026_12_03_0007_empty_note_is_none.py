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

from migrations.mending import mend_notes

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    mend_notes(op.get_bind(), "note = ''")


def downgrade() -> None:
    pass  # the "" is in history still; null is what the live rows mean
