"""investment may be negative: FDI_INFLOW allows figures below zero

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 18:00:00

Net direct investment falls below zero when more is withdrawn than invested, and writes
and imports now accept such figures (SIGNED in app/models.py). The indicator's row, which
`/v1/indicators` serves, is brought to what seed/indicators.json now says: the seed adds
missing indicators and never changes one a database already has.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "Direct investment into the reporter from the partner. The seeded source (the National "
    "Bank of Kazakhstan, as cited) does not say whether its figures are flows during the "
    "year or stocks at its end, nor whether they are gross or net of disinvestment; read "
    "them as 'investment as reported' and check each observation's note."
)
NET = " Net figures are negative where more was withdrawn than invested."


def _set(allows_negative: bool, description: str) -> None:
    op.get_bind().execute(
        sa.text(
            "UPDATE indicator SET allows_negative = :allows, description = :description "
            "WHERE code = 'FDI_INFLOW'"
        ),
        {"allows": allows_negative, "description": description},
    )


def upgrade() -> None:
    _set(True, BEFORE + NET)


def downgrade() -> None:
    # Negative figures stored meanwhile stay: they are what their sources published.
    _set(False, BEFORE)
