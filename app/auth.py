"""API keys: reads are public, every write needs `Authorization: Bearer <key>`.

A key reads `ts_<prefix>_<secret>`. The prefix finds the row; only a SHA-256 hash of the
whole key is stored, and it is compared in constant time. Keys carry 256 bits of
randomness, so a fast hash is enough: there is nothing to guess at.
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Annotated, TypeGuard

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.datastructures import Headers

from app.api.headers import one_value
from app.core.config import InvalidSettings
from app.db import get_session, lock_for_write
from app.errors import ProblemException
from app.models import ApiKey, utcnow

KEY_PREFIX = "ts_"
KEY_LOOKUP = re.compile(r"[0-9a-f]{12}")  # the prefix `new_key` makes
ENV_KEY_NAME = "admin (TRADESTATS_ADMIN_KEY)"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh key and its lookup prefix (KEY_LOOKUP)."""
    prefix = secrets.token_hex(6)
    return f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def create_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """Store a new key's hash; the key itself is returned once and never stored."""
    key, prefix = new_key()
    row = ApiKey(name=name, prefix=prefix, secret_hash=hash_key(key))
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, key


def provision_key(session: Session, key: str, name: str = ENV_KEY_NAME) -> ApiKey:
    """Make sure a given key (from the environment) is valid, and the keys it was before
    are not: changing TRADESTATS_ADMIN_KEY is how an operator rotates a leaked one. A key
    `keys create` made, set there, is named as the environment's from then on, so that the
    next change revokes it too. Idempotent."""
    prefix = _stored_prefix(key)
    secret_hash = hash_key(key)
    earlier = select(ApiKey).where(
        ApiKey.name == name, ApiKey.prefix != prefix, col(ApiKey.revoked_at).is_(None)
    )
    row = _stored_row(session, key)
    if _holds(row, secret_hash) and row.name == name and session.exec(earlier).first() is None:
        return row  # as usual once provisioned: nothing to write, so no lock
    session.rollback()
    lock_for_write(session)  # each worker provisions it as it starts: in turn
    row = refuse_revoked(session, key)  # again under the lock: another may have just revoked it
    if row is None:
        row = ApiKey(name=name, prefix=prefix, secret_hash=secret_hash)
        session.add(row)
    else:
        row.name, row.secret_hash = name, secret_hash
    now = utcnow()
    for replaced in session.exec(earlier):
        replaced.revoked_at = now
    try:
        session.commit()
    except IntegrityError:  # (PostgreSQL) another worker added it first: check theirs
        session.rollback()
        return provision_key(session, key, name)
    session.refresh(row)
    return row


def refuse_revoked(session: Session, key: str) -> ApiKey | None:
    """The environment's key's row, if any; stops the process (InvalidSettings) when the
    key was revoked. It is never made valid again: a restart with a leaked key would undo
    its revocation, and a replica still holding the old key would revoke the new one in
    turn."""
    row = _stored_row(session, key)
    if row is not None and row.revoked_at is not None:
        session.rollback()  # lets go of provision_key's write lock
        raise InvalidSettings(
            "error: invalid settings: TRADESTATS_ADMIN_KEY names a key that was revoked "
            "(replaced, or by `keys revoke`): set a new one"
        )
    return row


def _holds(row: ApiKey | None, secret_hash: str) -> TypeGuard[ApiKey]:
    """Whether the stored key is valid and has this secret."""
    return (
        row is not None and not row.revoked_at and hmac.compare_digest(row.secret_hash, secret_hash)
    )


def live_prefix(session: Session, key: str) -> str | None:
    """The prefix of `key` when it is a live key (stored and not revoked), else None."""
    row = _stored_row(session, key)
    return row.prefix if _holds(row, hash_key(key)) else None


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))))


def revoke_key(session: Session, key_id: int, now: datetime | None = None) -> ApiKey | None:
    row = session.get(ApiKey, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.commit()
    return row


def _prefix_of(key: str) -> str | None:
    """The prefix of a key shaped as `new_key` makes them. Any other prefix, such as an
    operator's key of that shape may have, did not fit the column (16 characters), and
    PostgreSQL stopped the start with a traceback that printed it."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = key[len(KEY_PREFIX) :].partition("_")
    return prefix if secret and KEY_LOOKUP.fullmatch(prefix) else None


def _stored_prefix(key: str) -> str:
    """The prefix a key's row is found by: an operator's own key has none, so a hash's."""
    return _prefix_of(key) or "env-" + hash_key(key)[:12]


def _stored_row(session: Session, key: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.prefix == _stored_prefix(key))).first()


MISSING_KEY = "Writes need an API key: send `Authorization: Bearer <key>`."


def unauthorized(detail: str, *, invalid_token: bool = False) -> ProblemException:
    """A 401. A key that was sent but is not valid says so in the challenge too
    (RFC 6750, 3.1): a client then knows to replace it rather than add one."""
    challenge = 'Bearer realm="tradestats"'
    if invalid_token:
        challenge += ', error="invalid_token"'
    return ProblemException(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": challenge}
    )


def sent_key(headers: Headers) -> str:
    """The one Authorization header sent, or "": lines that differ are a 400."""
    return one_value(headers, "Authorization", "so the key that writes is not a guess", show=False)


def authenticate(session: Session, authorization: str | None) -> ApiKey:
    """The key behind an Authorization header, or a 401 problem."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise unauthorized(MISSING_KEY)
    key = key.strip()
    row = _stored_row(session, key)
    # Compare even when no row matched, so timing does not tell which prefixes exist.
    stored = row.secret_hash if row else hash_key("")
    if not hmac.compare_digest(stored, hash_key(key)) or row is None:
        raise unauthorized(
            "The API key is not valid: send the whole key `tradestats keys create` printed, "
            "or ask the operator for one.",
            invalid_token=True,
        )
    if row.revoked_at is not None:
        raise unauthorized("The API key has been revoked.", invalid_token=True)
    return row


# Declares the scheme in the OpenAPI document (and /docs' "Authorize" button); the header
# itself is checked by `authenticate`, which words each 401.
BEARER = HTTPBearer(
    scheme_name="apiKey",
    description="An API key (`tradestats keys create`), sent as `Authorization: Bearer <key>`.",
    auto_error=False,
)


def require_key(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    _documented: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
) -> ApiKey:
    return authenticate(session, sent_key(request.headers))


WriterKey = Annotated[ApiKey, Depends(require_key)]
