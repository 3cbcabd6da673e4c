"""The generic, paginated list of stored figures."""

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection, Engine, Row
from sqlmodel import Session

from app.api.caching import tagged_read
from app.api.crud import add_item_routes
from app.api.csvio import cells_except, stream_csv, wants_csv
from app.api.deps import (
    CACHE_BUSTER,
    MAX_YEAR,
    MIN_YEAR,
    AsOf,
    Digits,
    EndYear,
    OneYear,
    OptionalIndicator,
    OptionalPartner,
    OptionalReporter,
    StartYear,
    year_range,
)
from app.api.lean import lean
from app.api.render import reads, render_rows, with_cache_headers
from app.core.config import get_settings
from app.db import DatabaseDep
from app.errors import ProblemException
from app.queries import (
    EXPORT_COLUMNS,
    EXPORT_VERBATIM,
    ObservationKey,
    all_observations,
    observations_page,
)
from app.schemas import ObservationPublic, ObservationsPublic
from app.writes import OBSERVATIONS

router = APIRouter(prefix="/v1", tags=["Observations"])


def present_observation(
    session: Session, row: Row[Any], as_of: datetime | None
) -> ObservationPublic:
    return ObservationPublic.model_validate(row)


MAX_LIMIT = get_settings().page_size_max
DEFAULT_LIMIT = get_settings().page_size_default
PUBLIC_FIELDS = tuple(ObservationPublic.model_fields)


# What a cursor's codes can be: stored country and indicator codes. Anything else (a NUL,
# which PostgreSQL cannot even compare) comes from a cursor this API did not issue.
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,15}")


def encode_cursor(key: ObservationKey, filters: dict[str, Any]) -> str:
    """Where the next page starts, and a tag of the filters it is a page of."""
    payload = [*key, filters_tag(filters)]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def filters_tag(filters: dict[str, Any]) -> str:
    """A short hash of a listing's filters. A cursor carries it: one sent with other
    filters would start their listing at a key of another, and skip rows unseen."""
    text = json.dumps(filters, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def decode_cursor(cursor: str) -> tuple[ObservationKey, str]:
    """A cursor's key and filters tag, or a 400 when it is not one this API issued."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, RecursionError) as exc:  # bad base64 or JSON, or too deep
        raise invalid_cursor("The cursor is not one this API issued") from exc
    if isinstance(decoded, list) and len(decoded) == 4:  # a key alone, as before 2026-12-03
        raise invalid_cursor(
            "The cursor comes from a version of this API whose cursors did not name their filters"
        )
    try:
        reporter, partner, indicator, year, tag = decoded
        codes_ok = all(
            isinstance(v, str) and CODE.fullmatch(v) for v in (reporter, partner, indicator)
        )
        if not codes_ok or type(year) is not int or not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(cursor)
        if not isinstance(tag, str):
            raise ValueError(cursor)
    except (ValueError, TypeError) as exc:  # the wrong shape or values
        raise invalid_cursor("The cursor is not one this API issued") from exc
    return (reporter, partner, indicator, year), tag


def start_after(cursor: str | None, filters: dict[str, Any]) -> ObservationKey | None:
    """The key a page starts after: none without a cursor; a 400 for a cursor issued for
    other filters, which would skip rows."""
    if cursor is None:
        return None
    key, tag = decode_cursor(cursor)
    if tag != filters_tag(filters):
        raise invalid_cursor(
            "The cursor was issued for other filters (reporter, partner, indicator, years "
            "or as_of): follow `next` as it was given, or start the new filters' first page "
            "without a cursor",
            again=False,
        )
    return key


def invalid_cursor(why: str, again: bool = True) -> ProblemException:
    detail = f"{why}; start again without it." if again else f"{why}."
    return ProblemException(400, "invalid-cursor", "Invalid cursor", detail)


@router.get(
    "/observations",
    response_model=ObservationsPublic,
    summary="List stored figures",
    description=f"""\
Every stored (reported) figure, filtered by any of `reporter`, `partner`, `indicator` and
years, in a stable order: reporter, partner, indicator, year. Derived values are not
stored and so are not listed here; the series endpoints show them.

Pages hold `limit` rows (at most {MAX_LIMIT}). Follow `next` (also sent as an RFC 8288
`Link: <…>; rel="next"` header) until it is null. Cursors are opaque.""",
    operation_id="list_observations",
    **reads(400, 422, tags_itself=True),
)
@lean
async def list_observations(
    request: Request,
    engine: DatabaseDep,
    reporter: OptionalReporter = None,
    partner: OptionalPartner = None,
    indicator: OptionalIndicator = None,
    year: OneYear = None,
    start_year: StartYear = None,
    end_year: EndYear = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Rows per page."), Digits
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            description="From a previous page's `next`, with the same filters: a cursor "
            "names the filters it was issued for, and others are a 400."
        ),
    ] = None,
    as_of: AsOf = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(
            description="`csv` for every matching row as CSV, streamed (also chosen by "
            "`Accept: text/csv`); the columns are those `POST /v1/imports` reads. Given "
            "`limit`, a page of that many rows, with a `Link` header to the next; "
            "`cursor` starts after a page's last row in either format."
        ),
    ] = None,
) -> Any:
    first, last = year_range(year, start_year, end_year)
    filters: dict[str, Any] = {
        "reporter": reporter,
        "partner": partner,
        "indicator": indicator.value if indicator else None,
        "start_year": first,
        "end_year": last,
        "as_of": as_of,
    }
    after = start_after(cursor, filters)
    if wants_csv(format, request.headers):
        await tagged_read(request, engine, lambda *_: None)  # rows are read as they are sent
        page_size = limit if "limit" in request.query_params else None  # else every row
        return with_cache_headers(request, export_csv(request, engine, filters, after, page_size))

    def page(connection: Connection, _version: str) -> list[Row[Any]]:
        # One more row than asked tells whether another page exists.
        return observations_page(
            session=connection, after=after, limit=limit + 1, columns=PUBLIC_FIELDS, **filters
        )

    rows = await tagged_read(request, engine, page)
    # Rows go out as they come from the database, in ObservationPublic's field order.
    data = [dict(zip(PUBLIC_FIELDS, row, strict=True)) for row in rows[:limit]]
    next_url = None
    if len(rows) > limit:
        final = data[-1]
        key = (final["reporter"], final["partner"], final["indicator"], final["year"])
        next_url = next_page(request, key, filters)
    answer = render_rows(request, {"data": data, "limit": limit, "next": next_url})
    if next_url:
        answer.headers["Link"] = f'<{next_url}>; rel="next"'
    return answer


def next_page(request: Request, last: ObservationKey, filters: dict[str, Any]) -> str:
    """This URL again, from after the key of the last row sent."""
    # Without a cache-buster: a client adds its own, and two would be a 422.
    following = request.url.remove_query_params(CACHE_BUSTER)
    return str(following.include_query_params(cursor=encode_cursor(last, filters)))


def export_csv(
    request: Request,
    engine: Engine,
    filters: dict[str, Any],
    after: ObservationKey | None,
    page_size: int | None,
) -> StreamingResponse:
    """The matching rows after `after`, streamed from one connection held while they are
    sent: all of them, or a page of `page_size`, read before the first is sent so that a
    `Link` to the next page can head it."""
    cells = cells_except(EXPORT_COLUMNS, EXPORT_VERBATIM)
    if page_size is not None:
        with engine.connect() as connection:
            page = list(all_observations(connection, filters, after, page_size + 1))
        response = stream_csv(EXPORT_COLUMNS, iter(page[:page_size]), "observations.csv", cells)
        if len(page) > page_size:
            last = page[page_size - 1]
            key = (last.reporter, last.partner, last.indicator, last.year)
            response.headers["Link"] = f'<{next_page(request, key, filters)}>; rel="next"'
        return response

    def rows() -> Iterator[Row[Any]]:
        with engine.connect() as connection:
            yield from all_observations(connection, filters, after)

    return stream_csv(EXPORT_COLUMNS, rows(), "observations.csv", cells)


add_item_routes(router, OBSERVATIONS, ObservationPublic, present_observation, example_id=3)
