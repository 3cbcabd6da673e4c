"""a zero has no sign: figures and claims stored as -0.0 become 0.0

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:00:00

Writes and imports have stored -0.0 as 0.0 since this revision's release (app/inputs.py,
app/rowcheck.py); rows written before keep their sign until this runs, each mended with a
revision of its own (migrations/mending.py), so no client keeps a cached -0.0. The
decimals stay: -0.00 becomes 0.00, its precision unchanged.
"""

from collections.abc import Sequence

from alembic import op

from migrations.mending import mend

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
    for table, column, history, id_column in NUMBERS:
        # Text like -0, -0.0 or -0.00: a minus, then nothing but zeros and a point.
        signed_zero = (
            f"{column} LIKE '-%' AND replace(replace(substr({column}, 2), '0', ''), '.', '') = ''"
        )
        mend(
            op.get_bind(), table, history, id_column, signed_zero, f"{column} = substr({column}, 2)"
        )


def downgrade() -> None:
    pass  # the sign is in history still; 0.0 is what the live rows mean
