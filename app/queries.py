"""Read queries. Filtering happens in SQL; identities and growth in exact decimals.

Every query reads `table_at(model, as_of)`: the live table, or the rows as they stood at
`as_of` (app/versioning.py). Rows come back as plain SQLAlchemy rows, not ORM objects.

The hot queries are built once per shape (the names of the parameters given) and cached,
with every value a bound parameter: building a select per request cost SQLAlchemy more
than it cost SQLite to run it.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    String,
    bindparam,
    or_,
    select,
    tuple_,
    type_coerce,
    union_all,
)
from sqlmodel import Session, col

from app.db import driver_rows
from app.models import Claim, Country, Observation, ObservationStatus, Source
from app.stats.figures import Figure
from app.stats.identities import TRADE_INDICATORS, Derivation, derive, fixed_by
from app.versioning import table_at

# A row of `observation` (or of its past); attribute access as on the model.
ObservationRow = Row[Any]
# What queries run on: a request's session, or a bare connection (app.db.read).
Reader = Session | Connection


def database_of(session: Reader) -> str:
    """The database a reader reads: the key of what is kept in memory for it."""
    return _database_key((session.get_bind() if isinstance(session, Session) else session).engine)


@lru_cache
def _database_key(engine: Engine) -> str:
    # The URL as text, made once per engine: a URL hashes by rendering itself as text,
    # each time, and a series looks up what is kept for its database a few times. Engines
    # of one URL (app.db's loop engine beside the request's) share what is kept.
    return engine.url.render_as_string(hide_password=False)


class StoredFigure(NamedTuple):
    """What a point needs of a stored figure. A named tuple: reading an attribute of a
    SQLAlchemy row costs ten times as much, and a series reads a dozen per figure."""

    id: int
    indicator: str
    year: int
    value: Decimal
    currency: str
    multiplier: int
    precision: int
    source_id: int
    publication_id: int | None
    quote: str
    note: str | None


class Point(NamedTuple):
    """One value of a series: a stored figure, or one derived from stored figures."""

    indicator: str
    year: int
    figure: Figure
    currency: str
    status: ObservationStatus
    observation: StoredFigure | None = None
    derivation: Derivation | None = None

    @property
    def observation_id(self) -> int | None:
        return self.observation.id if self.observation else None


def _figure(obs: StoredFigure) -> Figure:
    return Figure(obs.value, obs.multiplier, obs.precision)


def _reported(obs: StoredFigure) -> Point:
    return Point(
        obs.indicator,
        obs.year,
        _figure(obs),
        obs.currency,
        ObservationStatus.reported,
        observation=obs,
    )


YearPoints = dict[str, Point]  # indicator code -> point, for one year


def pair_points(
    *,
    session: Reader,
    indicator: str,
    reporter: str,
    partner: str,
    start_year: int | None,
    end_year: int | None,
    as_of: datetime | None = None,
    others_only_to_derive: bool = False,
    every_year: bool = False,
) -> dict[int, YearPoints]:
    """For each year, the indicator's point and those it was derived from.

    Trade indicators are read together, so that a missing one can be derived
    from the others (IMPORTS = TURNOVER − EXPORTS). With `others_only_to_derive`, the
    others are read only for years where the indicator itself is not stored: a series
    needs no more, and a check of an identity needs them all. With `every_year`, years
    where the indicator has no point are kept too, for a caller that says why.
    """
    related = TRADE_INDICATORS if indicator in TRADE_INDICATORS else (indicator,)
    stored = stored_by_year(
        session=session,
        reporter=reporter,
        partner=partner,
        indicators=related,
        start_year=start_year,
        end_year=end_year,
        as_of=as_of,
        unless_stored=indicator if others_only_to_derive and len(related) > 1 else None,
    )
    result = {year: year_points(figures, wanted=indicator) for year, figures in stored.items()}
    if every_year:
        return result
    return {year: pts for year, pts in result.items() if indicator in pts}


def trade_points(
    *,
    session: Reader,
    reporter: str,
    partner: str,
    start_year: int | None,
    end_year: int | None,
    as_of: datetime | None = None,
) -> dict[int, YearPoints]:
    """Every trade value one pair's figures give, by year: each stored one and every one
    the identities derive from them (where they share a currency)."""
    stored = stored_by_year(
        session=session,
        reporter=reporter,
        partner=partner,
        indicators=TRADE_INDICATORS,
        start_year=start_year,
        end_year=end_year,
        as_of=as_of,
    )
    return {year: year_points(figures) for year, figures in stored.items()}


def stored_by_year(
    *,
    session: Reader,
    reporter: str,
    partner: str,
    indicators: Iterable[str],
    start_year: int | None,
    end_year: int | None,
    as_of: datetime | None = None,
    unless_stored: str | None = None,
) -> dict[int, dict[str, StoredFigure]]:
    """Stored figures for one pair, by year (ascending) and indicator. With
    `unless_stored`, the other indicators only in years without that one."""
    params = _bound(reporter=reporter, partner=partner, as_of=as_of, **_years(start_year, end_year))
    query = _pair_query(tuple(indicators), unless_stored, frozenset(params))
    figures: Iterable[StoredFigure]
    if as_of is None:  # the hot path: the driver's rows, the one decimal made here
        figures = map(_stored, driver_rows(session, query, params))
    else:  # as_of needs its bind processing (a time as SQLite stores it)
        figures = map(StoredFigure._make, session.execute(query, params).all())
    result: dict[int, dict[str, StoredFigure]] = defaultdict(dict)
    for obs in figures:
        result[obs.year][obs.indicator] = obs
    return dict(sorted(result.items()))


def _stored(row: Sequence[Any]) -> StoredFigure:
    """A driver's row of StoredFigure's columns, its value still text."""
    return StoredFigure._make((*row[:3], Decimal(row[3]), *row[4:]))


@lru_cache
def _pair_query(
    indicators: tuple[str, ...], unless_stored: str | None, names: frozenset[str]
) -> Any:
    def figures(codes: Iterable[str]) -> Select[Any]:
        t = table_at(Observation, _as_of(names))
        # ORs of equalities, not IN: a fixed list needs no SQL rewritten per execution.
        query = select(*(t.c[c] for c in StoredFigure._fields)).where(
            t.c.reporter == bindparam("reporter"),
            t.c.partner == bindparam("partner"),
            or_(*(t.c.indicator == code for code in codes)),
        )
        return _year_filter(query, t, names)  # type: ignore[no-any-return]

    if unless_stored is None:
        return figures(indicators)
    # The indicator's figures, then the others' in years without it. The years it has
    # are read once, as a list (not a probe of the index for each other figure: a third
    # of a series' SQL time).
    others = figures(code for code in indicators if code != unless_stored)
    same = table_at(Observation, _as_of(names)).alias("same_year")
    years_stored = select(same.c.year).where(
        same.c.reporter == bindparam("reporter"),
        same.c.partner == bindparam("partner"),
        same.c.indicator == unless_stored,
    )
    return union_all(
        figures([unless_stored]), others.where(others.selected_columns.year.not_in(years_stored))
    )


def _bound(**values: Any) -> dict[str, Any]:
    """A statement's bound values, without those not given (None): the names left are
    its shape, the key it is built and cached by."""
    return {name: value for name, value in values.items() if value is not None}


def _as_of(names: Collection[str]) -> ColumnElement[Any] | None:
    return bindparam("as_of") if "as_of" in names else None


def year_points(stored: dict[str, StoredFigure], wanted: str | None = None) -> YearPoints:
    """One year's stored figures plus every trade value the identities fix.

    When `wanted` is stored, nothing is derived: a stored figure is never replaced by a
    derived one, and deriving the others costs more than the rest of a series read."""
    result: YearPoints = {code: _reported(obs) for code, obs in stored.items()}
    if wanted in stored:
        return result
    trade = [obs for code, obs in stored.items() if code in TRADE_INDICATORS]
    currencies = {obs.currency for obs in trade}
    if len(currencies) != 1:
        return result  # nothing to derive from, or currencies that cannot be added
    (currency,) = currencies
    for code, derivation in derive({obs.indicator: _figure(obs) for obs in trade}).items():
        result[code] = Point(
            code,
            trade[0].year,
            derivation.figure,
            currency,
            ObservationStatus.derived,
            derivation=derivation,
        )
    return result


def not_derived_reason(points: Iterable[Point], wanted: str) -> str | None:
    """Why a year's trade points do not include `wanted`, when in one currency they would:
    they are in different currencies, which no exchange rate converts. None when that is
    not why: no identity gives `wanted` (FDI_INFLOW) from them in any currency."""
    trade = sorted((p.indicator, p.currency) for p in points if p.indicator in TRADE_INDICATORS)
    if len({currency for _, currency in trade}) < 2:
        return None
    if wanted not in fixed_by(code for code, _ in trade):
        return None
    each = ", ".join(f"{code} in {currency}" for code, currency in trade)
    return (
        "none is derived from those that are: they are in different currencies "
        f"({each}), and no exchange rate is recorded"
    )


def _years(start_year: int | None, end_year: int | None) -> dict[str, int]:
    """A year filter's parameters: `year`, or `start_year` and/or `end_year`."""
    if start_year is not None and start_year == end_year:
        return {"year": start_year}
    bounds = (("start_year", start_year), ("end_year", end_year))
    return {name: value for name, value in bounds if value is not None}


def _year_filter(query: Any, t: Any, names: Collection[str]) -> Any:
    if "year" in names:
        # Equality, not a range: then an index on (…, year, partner) also gives the order.
        return query.where(t.c.year == bindparam("year"))
    if "start_year" in names:
        query = query.where(t.c.year >= bindparam("start_year"))
    if "end_year" in names:
        query = query.where(t.c.year <= bindparam("end_year"))
    return query


def sources_by_id(
    *, session: Reader, ids: Iterable[int | None], as_of: datetime | None = None
) -> dict[int, Row[Any]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    params = _bound(ids=sorted(wanted), as_of=as_of)
    return {s.id: s for s in session.execute(_sources_query(frozenset(params)), params)}


@lru_cache
def _sources_query(names: frozenset[str]) -> Select[Any]:
    t = table_at(Source, _as_of(names))
    return select(t).where(t.c.id.in_(bindparam("ids", expanding=True)))


def sources(*, session: Reader, as_of: datetime | None = None) -> list[Row[Any]]:
    t = table_at(Source, as_of)
    return list(session.execute(select(t).order_by(t.c.id)))


def one_row(
    *,
    session: Reader,
    model: type[Source] | type[Observation] | type[Claim],
    row_id: int,
    as_of: datetime | None = None,
) -> Row[Any] | None:
    t = table_at(model, as_of)
    return session.execute(select(t).where(t.c.id == row_id)).first()


def claims(
    *,
    session: Reader,
    indicator: str | None = None,
    reporter: str | None = None,
    partner: str | None = None,
    as_of: datetime | None = None,
) -> list[Row[Any]]:
    t = table_at(Claim, as_of)
    query = select(t).order_by(t.c.id)
    for column, wanted in (("indicator", indicator), ("reporter", reporter), ("partner", partner)):
        if wanted is not None:
            query = query.where(t.c[column] == wanted)
    return list(session.execute(query))


ObservationKey = tuple[str, str, str, int]


def observations_page(
    *,
    session: Reader,
    reporter: str | None,
    partner: str | None,
    indicator: str | None,
    start_year: int | None,
    end_year: int | None,
    after: ObservationKey | None,
    limit: int,
    columns: tuple[str, ...],
    as_of: datetime | None = None,
) -> list[ObservationRow]:
    """Stored figures in key order, starting after `after` (keyset pagination): rows of
    `columns`, in that order."""
    params = _observation_params(reporter, partner, indicator, start_year, end_year, as_of)
    params["limit"] = limit
    if after is not None:
        params.update(zip(AFTER, after, strict=True))
    return list(session.execute(_observations(frozenset(params), columns), params).all())


AFTER = ("after_reporter", "after_partner", "after_indicator", "after_year")


def _observation_params(
    reporter: str | None,
    partner: str | None,
    indicator: str | None,
    start_year: int | None,
    end_year: int | None,
    as_of: datetime | None,
) -> dict[str, Any]:
    filters = _bound(reporter=reporter, partner=partner, indicator=indicator, as_of=as_of)
    return filters | _years(start_year, end_year)


def _seek_each_reporter(names: frozenset[str]) -> bool:
    """Whether an export without a reporter is read faster reporter by reporter, each
    one's figures sought in an index (in key order), than by scanning every figure.

    Measured on 3.6M figures: one partner's, 7 to 8 times faster (as of a time too); one
    indicator's last three years, 40% faster, but 60% slower as of a time, where no index
    leads with reporter and indicator. Never for pages: one after a cursor would seek
    every reporter before it."""
    if "reporter" in names or "limit" in names or AFTER[0] in names:
        return False
    return "partner" in names or ("indicator" in names and "as_of" not in names)


@lru_cache
def _observations(
    names: frozenset[str], columns: tuple[str, ...], value_as_text: bool = False
) -> Select[Any]:
    """Stored figures matching the filters named, in key order: reporter, partner,
    indicator, year; with `after_…`, from after that key; with `limit`, that many.
    With `value_as_text`, values come as the canonical digits stored (DecimalText), which
    is what a CSV cell holds: an export then skips a Decimal round trip on every row."""
    t = table_at(Observation, _as_of(names))
    query = select(
        *(
            type_coerce(t.c[c], String) if value_as_text and c == "value" else t.c[c]
            for c in columns
        )
    )
    for column in ("reporter", "partner", "indicator"):
        if column in names:
            query = query.where(t.c[column] == bindparam(column))
    if _seek_each_reporter(names):
        # Every reporter is a country (a foreign key says so): naming them changes no row.
        query = query.where(t.c.reporter.in_(select(col(Country.alpha3))))
    query = _year_filter(query, t, names)
    if AFTER[0] in names:
        key = tuple_(t.c.reporter, t.c.partner, t.c.indicator, t.c.year)
        query = query.where(key > tuple_(*(bindparam(name) for name in AFTER)))
    query = query.order_by(t.c.reporter, t.c.partner, t.c.indicator, t.c.year)
    return query.limit(bindparam("limit")) if "limit" in names else query


# What GET /v1/observations?format=csv and `tradestats export` write: the import columns
# (app/imports.py) plus four the importer ignores, so an export imports again unchanged.
# In the order of an observation's JSON fields, as one observation's CSV has them.
EXPORT_COLUMNS = (
    "id",
    "reporter",
    "partner",
    "indicator",
    "year",
    "value",
    "currency",
    "multiplier",
    "precision",
    "status",
    "source_id",
    "publication_id",
    "quote",
    "note",
    "created_at",
    "updated_at",
)
# Written as they are (see app.api.csvio.cells_except): ints, nulls, validated codes, and
# values read as their stored digits (all_observations), numbers as a Decimal cell writes.
EXPORT_VERBATIM = (
    "id",
    "reporter",
    "partner",
    "indicator",
    "year",
    "currency",
    "multiplier",
    "precision",
    "source_id",
    "publication_id",
    "status",
    "value",
)
EXPORT_BATCH = 1000


def all_observations(
    session: Reader,
    filters: dict[str, Any],
    after: ObservationKey | None = None,
    limit: int | None = None,
) -> Iterator[ObservationRow]:
    """Every matching row in key order (after the key `after`, at most `limit` of them),
    as EXPORT_COLUMNS in that order, streamed from one cursor so memory stays flat.

    One query rather than keyset pages: each page re-seeked the index and, with
    filters that the key order does not lead with, rescanned what the last one had."""
    params = _observation_params(**filters)
    if after is not None:
        params.update(zip(AFTER, after, strict=True))
    if limit is not None:
        params["limit"] = limit
    query = _observations(frozenset(params), EXPORT_COLUMNS, value_as_text=True)
    yield from session.execute(query, params, execution_options={"yield_per": EXPORT_BATCH})


def growth_pairs(
    *,
    session: Reader,
    indicator: str,
    reporter: str,
    from_year: int,
    to_year: int,
    as_of: datetime | None = None,
) -> list[Any]:
    """Both years' stored figures for every partner of one reporter, in one SQL join:
    rows of (partner, earlier value, currency, multiplier, later value, currency,
    multiplier, precision), the values as their stored text (DecimalText)."""
    params = _bound(
        indicator=indicator, reporter=reporter, from_year=from_year, to_year=to_year, as_of=as_of
    )
    query = _growth_pairs(frozenset(params))
    if as_of is None:  # the hot path: the driver's rows, as in stored_by_year
        return list(driver_rows(session, query, params))
    return list(session.execute(query, params).all())  # as_of needs its bind processing


@lru_cache
def _growth_pairs(names: frozenset[str]) -> Select[Any]:
    earlier = table_at(Observation, _as_of(names)).alias("a")
    later = table_at(Observation, _as_of(names)).alias("b")
    columns = ("value", "currency", "multiplier")

    def column(table: Any, name: str) -> Any:  # a value as its digits, on either path
        return type_coerce(table.c[name], String) if name == "value" else table.c[name]

    return (
        select(
            earlier.c.partner,
            *(column(earlier, c).label(f"earlier_{c}") for c in columns),
            *(column(later, c).label(f"later_{c}") for c in columns),
            later.c.precision.label("later_precision"),
        )
        .join(
            later,
            (later.c.reporter == earlier.c.reporter)
            & (later.c.partner == earlier.c.partner)
            & (later.c.indicator == earlier.c.indicator)
            & (later.c.year == bindparam("to_year")),
        )
        .where(
            earlier.c.reporter == bindparam("reporter"),
            earlier.c.indicator == bindparam("indicator"),
            earlier.c.year == bindparam("from_year"),
        )
        .order_by(earlier.c.partner)
    )


def pairs_with_figures(
    *, session: Reader, as_of: datetime | None = None, limit: int | None = None
) -> list[tuple[str, str]]:
    """(reporter, partner) pairs with at least one stored figure, in code order. With a
    `limit`, today's pairs come from the start of the unique index, not a scan of it all."""
    t = table_at(Observation, as_of)
    query = select(t.c.reporter, t.c.partner).distinct().order_by(t.c.reporter, t.c.partner)
    return [(reporter, partner) for reporter, partner in session.execute(query.limit(limit))]
