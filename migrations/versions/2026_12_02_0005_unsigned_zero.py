"""a zero has no sign: figures and claims stored as -0.0 become 0.0

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:00:00

Writes and imports have stored -0.0 as 0.0 since this revision's release (app/inputs.py,
app/rowcheck.py); rows written before keep their sign until this runs. Histories are
mended too, so `as_of` reads and revision lists agree with the live rows. The decimals
stay: -0.00 becomes 0.00, its precision unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERS = {
    "observation": "value",
    "observation_revision": "value",
    "claim": "stated",
    "claim_revision": "stated",
}


def upgrade() -> None:
    for table, column in NUMBERS.items():
        # Text like -0, -0.0 or -.00: a minus and nothing but zeros and a point after it.
        op.execute(
            f"UPDATE {table} SET {column} = substr({column}, 2) "
            f"WHERE {column} LIKE '-%' "
            f"AND replace(replace(substr({column}, 2), '0', ''), '.', '') = ''"
        )


def downgrade() -> None:
    pass  # which zeros had a sign is not kept, and 0.0 is what they meant
