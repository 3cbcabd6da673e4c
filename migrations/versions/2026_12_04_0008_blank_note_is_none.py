"""a note that shows nothing is none: white space or invisible characters alone become null

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 14:00:00

Writes and imports have stored a note of white space and invisible format characters
alone (such as U+200B) as null since this revision's release (app/inputs.py, blank), as
0007 did for "". Rows written before keep theirs until this runs, each mended with a
revision of its own (migrations/mending.py).
"""

import sys
from collections.abc import Sequence
from unicodedata import category

from alembic import op

from migrations.mending import mend_notes

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The characters of app/inputs.py's blank as of this revision, written out here so the
    # migration does not change when the app does. trim(note, set) is SQLite's and PostgreSQL's.
    every = map(chr, range(sys.maxunicode + 1))
    unseen = "".join(c for c in every if c.isspace() or category(c) == "Cf")
    mend_notes(op.get_bind(), "trim(note, :unseen) = ''", unseen=unseen)


def downgrade() -> None:
    pass  # the old notes are in history still; null is what the live rows mean
