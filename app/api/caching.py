"""Conditional GETs: reads carry an ETag from the data version; If-None-Match gets a 304.

The data version is the latest revision of sources, observations and claims, so it
changes whenever any write lands; the tag also covers the URL, the format asked for and
the code that answers.
"""

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from fastapi import Request, Response
from sqlalchemy import Connection, Engine

from app.api.deps import SessionDep
from app.api.headers import listed
from app.db import read
from app.queries import Reader
from app.versioning import data_version

CACHE_CONTROL = "public, no-cache"  # cache, but ask each time; a 304 makes that cheap


def code_digest(package: Path = Path(__file__).parents[1]) -> bytes:
    """A digest of the app's code, which an answer's bytes depend on as much as on the
    data: a release may word a verdict, round a change or add a field differently. Every
    weak tag covers it, so that after a release, before any write lands, a client or a
    shared cache holding an old answer is not told 304 for the new one. The same in every
    worker."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.digest()


CODE = code_digest()
# The same as a number, for tags made of numbers: a claim's (app.writes.current_etag).
CODE_NUMBER = int.from_bytes(CODE[:4], "big")


def cache_headers(etag: str) -> dict[str, str]:
    """What a tagged read (or its 304) sends. `Vary: Accept`, because the same URL is JSON
    or CSV by the Accept header: a shared cache must not hand one to a client of the other.
    A weakly tagged answer may also be gzipped (app/middleware.py), so it varies by
    Accept-Encoding too, whatever its size: a 304 must name what its 200 would."""
    vary = "Accept" if etag.startswith('"') else "Accept, Accept-Encoding"
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": vary}


class NotModified(Exception):
    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


async def not_modified(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return not_modified_response(exc.etag)


def not_modified_response(etag: str) -> Response:
    return Response(status_code=304, headers=cache_headers(etag))


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = weakly(if_none_match)
    return "*" in tags or etag.removeprefix("W/") in tags


def weakly(tags: str) -> set[str]:
    """The entity tags a list header names, compared weakly (as If-None-Match is): W/"5"
    as "5". `W/*` is no tag at all, not `*`."""
    listed = (tag.strip() for tag in tags.split(","))
    return {tag.removeprefix("W/") if tag.startswith('W/"') else tag for tag in listed}


def holds_on_a_weak_tag(if_match: str) -> bool:
    """Whether If-Match holds for a weakly tagged representation (a list, a series): it
    compares tags strongly (RFC 9110, 13.1.1), which a weak tag never matches, so only `*`
    does."""
    return "*" in (tag.strip() for tag in if_match.split(","))


def check_etag(request: Request, session: Reader) -> str:
    """Tag the response from the data version, which it returns; raises NotModified when
    the client has that tag. The tag is kept on the request (app/api/render.py)."""
    version = data_version(session)
    # From the scope: building request.url would cost more than the hash.
    scope = request.scope
    query = scope["query_string"].decode("latin-1")
    variant = f"{scope['path']}?{query}|{listed(request.headers, 'accept') or ''}"
    digest = hashlib.sha256(CODE + variant.encode()).hexdigest()[:16]
    etag = f'W/"{version}-{digest}"'
    # If-Match is evaluated before If-None-Match (RFC 9110, 13.2.2): a failed one gets its
    # 412, not a 304, once the request is known to have an answer, as for
    # `If-None-Match: *` (app.api.render.with_cache_headers).
    if_match = listed(request.headers, "if-match")
    request.state.if_match_fails = if_match is not None and not holds_on_a_weak_tag(if_match)
    given = listed(request.headers, "if-none-match")
    if given and not request.state.if_match_fails:
        tags = weakly(given)
        if etag.removeprefix("W/") in tags:  # this URL answered 2xx at this data version
            raise NotModified(etag)
        # `*` matches any current representation; whether there is one (not a 422 or a 404)
        # is known only once the request is answered (RFC 9110, 13.2.1): see
        # app.api.render.with_cache_headers.
        request.state.unless_any = "*" in tags
    request.state.etag = etag
    return version


T = TypeVar("T")


async def tagged_read(request: Request, engine: Engine, work: Callable[[Connection, str], T]) -> T:
    """`app.db.read` for a route that tags its own response (`reads(tags_itself=True)`):
    the tag comes from the data version read on the same connection as the data (or the
    answer is a 304 first), and `work` gets that version too."""
    return await read(engine, lambda connection: work(connection, check_etag(request, connection)))


def conditional_get(request: Request, response: Response, session: SessionDep) -> None:
    """Tag the response with the data version; answer 304 when the client has it."""
    check_etag(request, session)
    response.headers.update(cache_headers(request.state.etag))
