"""Shared dependencies and parameter types for the routes."""

import re
from collections import Counter
from datetime import UTC, datetime
from difflib import get_close_matches
from typing import Annotated

import pycountry
from fastapi import Depends, Query, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.params import Query as QueryParam
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from sqlmodel import Session

from app.db import get_session
from app.errors import FieldError, invalid, invalid_fields
from app.models import IndicatorCode

SessionDep = Annotated[Session, Depends(get_session)]


# What jQuery's `cache: false` (and clients like it) adds to every GET: `_=<milliseconds>`.
# It asks for nothing, so it is no typo to refuse; given twice, it is still a 422.
CACHE_BUSTER = "_"


async def single_valued_query(request: Request) -> None:
    """`?reporter=KAZ&reporter=BGR` is a 422: answering for one of them would be a guess.
    So is a parameter the route does not read: `?yaer=2024` answered with every year
    would look like an answer to the question asked.

    Every route depends on this. No parameter takes a list; one that does must be exempted.
    """
    known = _query_names(request.scope.get("route"))
    if known is None:
        return  # the pages and docs read no parameter: every one, repeated or not, is extra
    counts = Counter(name for name, _ in request.query_params.multi_items())
    errors = [
        FieldError(location="query", field=name, message="given more than once")
        for name, count in counts.items()
        if count > 1
    ]
    errors += [
        unknown_parameter(name, known)
        for name in counts
        if name not in known and name != CACHE_BUSTER
    ]
    if errors:
        raise invalid_fields(errors)


def _query_names(route: object) -> frozenset[str] | None:
    """The query parameters an API route reads, its dependencies' included. None for the
    pages and docs, which a link may reach with tracking parameters, and for routes that
    FastAPI did not build. Kept on the route (routes compare by value: no dict key)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None or not getattr(route, "include_in_schema", False):
        return None
    names: frozenset[str] | None = getattr(route, "query_names", None)
    if names is None:
        params = get_flat_params(dependant)
        names = frozenset(p.alias for p in params if isinstance(p.field_info, QueryParam))
        route.query_names = names  # type: ignore[attr-defined]
    return names


def unknown_parameter(name: str, known: frozenset[str]) -> FieldError:
    close = get_close_matches(name, known, n=1, cutoff=0.7)  # yaer: year; sort: not format
    hint = f" (did you mean {close[0]}?)" if close else ""
    takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
    return FieldError(
        location="query", field=name, message=f"is not a parameter of this route{hint}; {takes}"
    )


# ISO 3166-1 alpha-3 and alpha-2, upper case, to alpha-3.
_COUNTRY_CODES = {code: c.alpha_3 for c in pycountry.countries for code in (c.alpha_3, c.alpha_2)}


def to_alpha3(code: str) -> str:
    """KAZ, kaz, KZ and kz all mean Kazakhstan; " KAZ" is refused, as " 2024" is."""
    # ASCII only: "ﬁn".upper() is "FIN".
    alpha3 = _COUNTRY_CODES.get(code.upper()) if code.isascii() else None
    if alpha3 is None:
        raise ValueError(
            f"unknown country code {code!r}: use ISO 3166-1 alpha-3 (KAZ) or alpha-2 (KZ)"
        )
    return alpha3


# The schema lists the upper-case codes (the API takes lower case too); the OpenAPI
# document holds the list once, as the component CountryCode (app/api/openapi.py).
COUNTRY_CODE_SCHEMA = {"type": "string", "enum": sorted(_COUNTRY_CODES)}
CountryCode = Annotated[str, AfterValidator(to_alpha3), WithJsonSchema(COUNTRY_CODE_SCHEMA)]
WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _digits(value: object) -> object:
    """A whole number in ASCII digits, as the schema's `type: integer` says. Pydantic alone
    would also read Python's spellings: `+2024`, `2_024`, ` 2024` and `２０２４` as 2024."""
    if isinstance(value, str) and not WHOLE_NUMBER.fullmatch(value):
        raise ValueError("must be a whole number written in digits, 0 to 9")
    return value


# On every integer parameter of a query or path, after its Query() or Path(): placed
# before it, the bounds would reach the schema as `ge` and `le`, not minimum and maximum.
Digits = BeforeValidator(_digits)
MIN_YEAR, MAX_YEAR = 1900, 2100
Year = Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR), Digits]

Reporter = Annotated[
    CountryCode,
    Query(
        description=(
            "The country whose statistics report the figure: ISO alpha-3 or alpha-2, any case."
        ),
        examples=["KAZ"],
    ),
]
Partner = Annotated[
    CountryCode,
    Query(
        description="The other country of the pair: ISO alpha-3 or alpha-2, any case.",
        examples=["BGR"],
    ),
]
# Filters, each with an example of its own: the seeded pair is KAZ reporting on BGR, and a
# partner filter shown as KAZ finds nothing.
OptionalReporter = Annotated[
    CountryCode | None, Query(description="ISO alpha-3 or alpha-2, any case.", examples=["KAZ"])
]
OptionalPartner = Annotated[
    CountryCode | None, Query(description="ISO alpha-3 or alpha-2, any case.", examples=["BGR"])
]
StartYear = Annotated[
    int | None,
    Query(ge=MIN_YEAR, le=MAX_YEAR, description="First year, inclusive.", examples=[2023]),
    Digits,
]
EndYear = Annotated[
    int | None,
    Query(ge=MIN_YEAR, le=MAX_YEAR, description="Last year, inclusive.", examples=[2024]),
    Digits,
]
OneYear = Annotated[
    int | None,
    Query(ge=MIN_YEAR, le=MAX_YEAR, description="Only this year (instead of a range)."),
    Digits,
]


def year_range(
    year: int | None, start_year: int | None, end_year: int | None
) -> tuple[int | None, int | None]:
    """`year` alone, or a `start_year`..`end_year` range; never both, never backwards."""
    if year is not None:
        if start_year is not None or end_year is not None:
            raise invalid("year", "give either year or start_year/end_year, not both")
        return year, year
    if start_year is not None and end_year is not None and start_year > end_year:
        raise invalid("start_year", f"start_year {start_year} is after end_year {end_year}")
    return start_year, end_year


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) and value.isascii() else value


OptionalIndicator = Annotated[
    IndicatorCode | None,
    BeforeValidator(_upper),
    Query(description="Indicator code, any case.", examples=["FDI_INFLOW"]),
]
IndicatorParam = Annotated[
    IndicatorCode,
    BeforeValidator(_upper),
    Query(description="Indicator code, any case.", examples=["FDI_INFLOW"]),
]


def distinct_pair(reporter: str, partner: str) -> None:
    """Bilateral figures need two countries."""
    if reporter == partner:
        raise invalid("partner", f"partner must differ from reporter ({reporter})")


# RFC 3339 date-time, as the schema's `format: date-time` says. Pydantic alone would also
# take a bare number as a Unix timestamp (`as_of=0.5`), which no client means.
RFC3339 = re.compile(
    r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-](\d\d):(\d\d))$", re.ASCII
)
# A `+` left unencoded in a URL's query reads as a space: 12:00:00+01:00 arrives as this.
PLUS_READ_AS_SPACE = re.compile(r"\d\d:\d\d(\.\d+)? \d\d:\d\d$")


def _rfc3339(value: object) -> object:
    if not isinstance(value, str):
        return value
    if not (form := RFC3339.fullmatch(value)):
        if PLUS_READ_AS_SPACE.search(value):
            raise ValueError(
                "has a space where its offset's sign should be: a `+` in a URL reads as a "
                "space, so write it as %2B (12:00:00%2B01:00), or give the time in UTC with Z"
            )
        raise ValueError("must be an RFC 3339 date-time with a time zone: 2026-11-28T12:00:00Z")
    hours, minutes = form.group(3, 4)
    if hours is not None and (int(hours) > 23 or int(minutes) > 59):
        raise ValueError("names no moment: its offset must be from -23:59 to +23:59")
    # Read here, its form known good: pydantic said "unexpected extra characters at the
    # end of the input" of an hour 24, a minute 60 or a leap second, which have none.
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError as exc:  # "hour must be in 0..23", "day is out of range for month"
        raise ValueError(f"names no moment: {exc}") from None


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone, as RFC 3339 requires: 2026-11-28T12:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is a moment of year 0, in UTC
        raise ValueError(
            "is outside the years 0001 to 9999 once converted to UTC: "
            "give a moment from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
        ) from None


AsOf = Annotated[
    Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_aware_utc)] | None,
    Query(
        description="Answer as the API would have at this moment (RFC 3339, with a time "
        "zone): figures, derived values, growth and verdicts as they stood then.",
        examples=["2026-11-28T12:00:00Z"],
    ),
]
