"""What stops the server as it starts, checked once before uvicorn starts its workers.

The app checks its settings, and that TRADESTATS_ADMIN_KEY was not revoked, as it is
imported: a single server then ends with one line. With several workers uvicorn restarts
each worker that ends so, for ever, under its "running" line, and nothing is served.
`python -m app.preflight` runs the same checks first and ends with the same line.
"""

from sqlalchemy import inspect
from sqlmodel import Session

from app.auth import refuse_revoked
from app.core.config import InvalidSettings, get_settings
from app.db import get_engine, reachable
from app.models import ApiKey

UNMIGRATED = "error: the database is not migrated: run `tradestats migrate` first"


def refuse_unusable_settings() -> None:
    """Stop the process (InvalidSettings) on a setting the server cannot use. The database
    is read only when TRADESTATS_ADMIN_KEY is set; unreachable, or not migrated, it too
    is one line."""
    key = get_settings().tradestats_admin_key
    if key:
        with Session(reachable(get_engine())) as session:
            # Else the key's lookup failed on "no such table" with a traceback of SQL.
            if not inspect(session.connection()).has_table(ApiKey.__tablename__):
                raise InvalidSettings(UNMIGRATED)  # exit 2 from `tradestats serve`, as others
            refuse_revoked(session, key)


if __name__ == "__main__":
    refuse_unusable_settings()
