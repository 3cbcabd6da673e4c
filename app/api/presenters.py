"""Turn query results into the documented response shapes."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import Row, Select, Table, bindparam, select
from sqlmodel import Session

from app.claims import IDENTITY_FOR, Checked, check_claim, stated_precision
from app.errors import ProblemException, not_found
from app.models import SIGNED, Country, Indicator, ObservationStatus
from app.queries import (
    Point,
    Reader,
    YearPoints,
    claims,
    database_of,
    not_derived_reason,
    pair_points,
    sources,
    sources_by_id,
    trade_points,
)
from app.schemas import (
    ClaimPublic,
    CountryPublic,
    FigureUsed,
    ImpliedValue,
    IndicatorPublic,
    IntervalPublic,
    MissingFigure,
    SourceRef,
    Unit,
)
from app.stats.figures import Figure, half_unit, least_possible, possible_range, unit_label
from app.stats.growth import ZERO, growth
from app.stats.identities import TRADE_INDICATORS, derived_explanation, identity_formula
from app.stats.intervals import EXACT, Interval, unsigned_zero
from app.stats.verdicts import (
    ClaimKind,
    Implication,
    Qualifier,
    allowed_range,
    jointly_implied,
    stated_phrase,
)

# Series are built as plain data (dicts in the documented models' field order), which
# is what their JSON is written from: building and validating a model per point cost
# more than the rest of a series read. Routes that need the model (CSV, charts, the
# overview page) validate the data once: `Series.model_validate(series_data(...))`.
Data = dict[str, Any]


@lru_cache
def unit_data(currency: str, multiplier: int) -> Data:
    """A unit as data; one shared dict per unit (do not change it), as most points share
    their unit."""
    return {
        "currency": currency,
        "multiplier": multiplier,
        "label": unit_label(currency, multiplier),
    }


def unit(currency: str, multiplier: int) -> Unit:
    return Unit(**unit_data(currency, multiplier))


INTERVAL_DECIMALS = 6  # bounds are rounded outward to this many places


def interval_data(interval: Interval, decimals: int = INTERVAL_DECIMALS) -> Data:
    # A bound exact in 7 places is shown as it is: a 6-decimal figure's own bounds, half a
    # unit of its last place either way, would double its width rounded to 6, and 4.2's
    # would read 4.150000 in CSV. Each bound is judged alone, so one that needs rounding
    # does not pad the other: 0 to 27.604546, not 0.000000 (0.0 in JSON).
    own, exact = interval.unsigned(), interval.rounded_outward(decimals + 1)
    # Every stored figure's interval is exact: rounded again only when a bound is not.
    rounded = own if exact == own else interval.rounded_outward(decimals)
    return {
        "low": own.low if exact.low == own.low else rounded.low,
        "high": own.high if exact.high == own.high else rounded.high,
        "low_inclusive": interval.low_closed,
        "high_inclusive": interval.high_closed,
    }


def interval_public(interval: Interval, decimals: int = INTERVAL_DECIMALS) -> IntervalPublic:
    return IntervalPublic(**interval_data(interval, decimals))


def figure_data(point: Point) -> Data:
    """A point as an input, in its own unit and with its own precision: converted to
    another unit, 4.2 USD millions would read 4200 thousands, published to the thousand,
    which is not what its source printed."""
    figure, derivation = point.figure, point.derivation
    return {
        "indicator": point.indicator,
        "year": point.year,
        "value": figure.value,
        "precision": figure.precision,
        "unit": unit_data(point.currency, figure.multiplier),
        "status": point.status,
        "observation_id": point.observation_id,
        # A derived input names what it comes from: a turnover may rest on a balance.
        "formula": derivation.formula if derivation else None,
    }


def figure_used(point: Point) -> FigureUsed:
    return FigureUsed(**figure_data(point))


SOURCE_REF_FIELDS = tuple(SourceRef.model_fields)


SourceRefs = dict[int | None, Data]  # source id -> the source as a figure cites it
# Today's sources of each database, as of one data version. Every write to a source moves
# the data version (app/api/caching.py), so these are current as long as it is the same.
_SOURCES_AT: dict[str, tuple[str, SourceRefs]] = {}


def source_refs(
    session: Reader,
    ids: Iterable[int | None],
    as_of: datetime | None = None,
    version: str | None = None,
) -> SourceRefs:
    """The sources with these ids; given the data version, today's come from memory."""
    if version is None or as_of is not None:
        rows = sources_by_id(session=session, ids=ids, as_of=as_of)
        return {i: _source_ref(row) for i, row in rows.items()}
    database = database_of(session)
    kept_version, refs = _SOURCES_AT.get(database, (None, {}))
    if kept_version != version:
        refs = {row.id: _source_ref(row) for row in sources(session=session)}
        _SOURCES_AT[database] = (version, refs)
    return refs


def _source_ref(row: Row[Any]) -> Data:
    return {f: getattr(row, f) for f in SOURCE_REF_FIELDS}


def source_ref(refs: SourceRefs, source_id: int | None) -> SourceRef | None:
    data = refs.get(source_id)
    return SourceRef(**data) if data else None


# Countries and indicators are reference data that only migrations and the seed write,
# and the seed never changes a row it finds: a row once read is kept, per database.
_REFERENCE_ROWS: dict[tuple[str, str, str], Data] = {}


def _reference_data(
    session: Reader, model: type[Country] | type[Indicator], key: str, public: type[BaseModel]
) -> Data | None:
    """A row of a reference table as the public model's fields (shared: do not change it)."""
    table = model.__table__  # type: ignore[union-attr]
    cache_key = (database_of(session), table.name, key)
    data = _REFERENCE_ROWS.get(cache_key)
    if data is None:
        row = session.execute(_reference_query(table), {"key": key}).first()
        if row is None:
            return None
        data = _REFERENCE_ROWS[cache_key] = {f: getattr(row, f) for f in public.model_fields}
    return data


@lru_cache
def _reference_query(table: Table) -> Select[Any]:
    (pk,) = table.primary_key.columns
    return select(table).where(pk == bindparam("key"))


def country_data(session: Reader, alpha3: str) -> Data:
    data = _reference_data(session, Country, alpha3, CountryPublic)
    if data is None:  # the country table is seeded from pycountry, like the validator
        raise not_found(f"Country {alpha3} is not in the database; run the seed.")
    return data


def indicator_data(session: Reader, code: str) -> Data:
    data = _reference_data(session, Indicator, code, IndicatorPublic)
    if data is None:
        raise not_found(f"Indicator {code} is not in the database; run the seed.")
    return data


def growth_data(point: Point, previous: Point | None, why_none: str | None = None) -> Data:
    """Growth from the year before; null with a reason when that cannot be computed.
    `why_none` says why the year before has no value, when its figures say why."""
    base_year = point.year - 1
    if previous is None or previous.currency != point.currency:
        if previous is not None:
            reason = f"the {base_year} value is in another currency"
        elif why_none:
            reason = f"no {base_year} value is recorded, and {why_none}"
        else:
            reason = f"no {base_year} value"
        return {"base_year": base_year, "ratio": None, "pch": None, "chg": None, "reason": reason}
    earlier, later = previous.figure, point.figure
    if earlier.multiplier != later.multiplier:  # the change in this point's unit, exactly
        earlier = earlier.in_multiplier(later.multiplier)
    g = growth(
        earlier.value,
        later.value,
        1,
        rates=False,
        earliest=least_if_near_zero(point.indicator, earlier),
        latest=least_if_near_zero(point.indicator, later),
        signed=point.indicator in SIGNED,
    )
    return {
        "base_year": base_year,
        "ratio": g.ratio,
        "pch": g.pch,
        "chg": g.chg,
        "reason": g.reason,
    }


def no_figure(
    session: Reader,
    code: str,
    reporter: str,
    partner: str,
    year: int,
    as_of: datetime | None = None,
) -> ProblemException:
    """The 404 of a year with no figure, which says why one is not derived when the
    figures that would give it are there: in two currencies, which no rate converts."""
    detail = f"No {code} figure is recorded for {reporter}–{partner} in {year}"
    if code in TRADE_INDICATORS:
        points = trade_points(
            session=session,
            reporter=reporter,
            partner=partner,
            start_year=year,
            end_year=year,
            as_of=as_of,
        ).get(year, {})
        reason = not_derived_reason(points.values(), code)
        if reason:
            detail += f", and {reason}"
    return not_found(detail + ".")


def shown_interval(point: Point) -> Interval:
    """What a point's figure may stand for: its possible_range."""
    return possible_range(point.indicator, point.figure)


def shown_interval_data(point: Point) -> Data:
    """interval_data(shown_interval(point)), without the rounding a stored figure never
    needs: it has at most MAX_DECIMALS (6) decimals, so its bounds, half a unit of its last
    place either way, have at most 7, which interval_data shows as they are. A series
    shows one for every point, and the rounding was a third of the point's time."""
    figure = point.figure
    if figure.tolerance is not None or figure.precision > INTERVAL_DECIMALS:  # derived
        return interval_data(shown_interval(point))
    half = half_unit(figure.precision)
    low, high = EXACT.subtract(figure.value, half), EXACT.add(figure.value, half)
    if low < ZERO <= high and point.indicator not in SIGNED:  # as shown_interval cuts it
        low = ZERO
    return {
        "low": unsigned_zero(low),
        "high": unsigned_zero(high),
        "low_inclusive": True,
        "high_inclusive": True,
    }


def least_if_near_zero(indicator: str, figure: Figure) -> Decimal | None:
    """least_possible, for growth, of a figure that may be within its rounding of zero: a
    derived one, or a stored 0 (of a balance: least_possible is 0 where none can be
    negative). None for any other stored figure, which never is: its precision reaches
    its last digit, so it is at least a unit of that digit away, twice its rounding. A
    series asks this of every point, and computing a bound growth ignores cost a fifth of
    its growth."""
    if figure.tolerance is None and not figure.value.is_zero():
        return None
    return least_possible(indicator, figure)


def point_data(
    point: Point,
    year_points: YearPoints,
    previous: Point | None,
    sources: SourceRefs,
    why_no_previous: str | None = None,
) -> Data:
    """One year of a series, as SeriesPoint."""
    obs, derivation = point.observation, point.derivation
    return {
        "year": point.year,
        "value": point.figure.value,
        "precision": point.figure.precision,
        "unit": unit_data(point.currency, point.figure.multiplier),
        "status": point.status,
        "interval": shown_interval_data(point),
        "observation_id": point.observation_id,
        "source": sources.get(obs.source_id) if obs else None,
        "published_in": sources.get(obs.publication_id) if obs else None,
        "quote": obs.quote if obs else None,
        "note": obs.note if obs else None,
        "formula": derivation.formula if derivation else None,
        "inputs": [figure_data(year_points[code]) for code in derivation.inputs]
        if derivation
        else None,
        "claim_id": None,
        "explanation": derived_explanation(point.indicator, derivation) if derivation else None,
        "growth": growth_data(point, previous, why_no_previous),
    }


def points_data(
    session: Reader,
    code: str,
    by_year: dict[int, YearPoints],
    first_year: int | None,
    as_of: datetime | None = None,
    version: str | None = None,
    why_not_derived: dict[int, str] | None = None,
) -> list[Data]:
    """The indicator's points in year order, each with growth from the year before.

    `by_year` may hold the year before `first_year`, fetched only as a growth base.
    `why_not_derived` says why a year has no point, where its figures say why.
    """
    observations = [pts[code].observation for pts in by_year.values()]
    ids = [i for o in observations if o for i in (o.source_id, o.publication_id)]
    sources = source_refs(session, ids, as_of, version)
    why = why_not_derived or {}
    return [
        point_data(pts[code], pts, by_year.get(year - 1, {}).get(code), sources, why.get(year - 1))
        for year, pts in by_year.items()
        if first_year is None or year >= first_year
    ]


def assessment_fields(
    checked: Checked, reporter: str, partner: str, *, amounts: bool
) -> dict[str, Any]:
    """The verdict format shared by claims and identity checks. `amounts`: the point is an
    amount in the checked unit (an identity's), not a ratio or a percent change."""
    a = checked.assessment
    implied = []
    if a.implied is not None and a.implied_year is not None:
        (indicator, _), *_ = checked.missing
        implied.append(
            ImpliedValue(
                indicator=indicator,
                year=a.implied_year,
                status=ObservationStatus.implied,
                interval=interval_public(a.implied),
                unit=unit(checked.currency, checked.multiplier),
            )
        )
    return {
        "verdict": a.verdict,
        "explanation": a.explanation,
        "point": a.point,
        "interval": interval_public(a.interval) if a.interval else None,
        "unit": unit(checked.currency, checked.multiplier)
        if amounts and a.point is not None
        else None,
        "inputs": [figure_used(p) for p in checked.inputs],
        "missing": [
            MissingFigure(indicator=code, reporter=reporter, partner=partner, year=year)
            for code, year in checked.missing
        ],
        "implied": implied,
    }


def claim_public(claim: Row[Any], checked: Checked, sources: SourceRefs) -> ClaimPublic:
    kind, qualifier = ClaimKind(claim.kind), Qualifier(claim.qualifier)
    verdict = assessment_fields(
        checked, claim.reporter, claim.partner, amounts=claim.stated is None
    )
    if claim.stated is None:  # an identity states no number
        statement, allowed = identity_formula(IDENTITY_FOR[claim.indicator]), None
    else:
        statement = stated_phrase(kind, qualifier, claim.stated)
        allowed_values = allowed_range(qualifier, claim.stated, kind)
        given = checked.assessment.interval
        places = INTERVAL_DECIMALS
        if given is not None and allowed_values is not None:
            # Rounded to 6 places, the figures' range and the words' may share a bound
            # they do not share: both get the places that keep them apart.
            places = given.places_apart(allowed_values, INTERVAL_DECIMALS)
            verdict["interval"] = interval_public(given, places)
        allowed = interval_public(allowed_values, places) if allowed_values else None
    return ClaimPublic(
        id=claim.id or 0,
        kind=kind,
        indicator=claim.indicator,
        reporter=claim.reporter,
        partner=claim.partner,
        base_year=claim.base_year,
        year=claim.year,
        stated=claim.stated,
        stated_precision=stated_precision(claim.stated),
        qualifier=qualifier,
        statement=statement,
        allowed=allowed,
        source=source_ref(sources, claim.source_id),
        published_in=source_ref(sources, claim.publication_id),
        quote=claim.quote,
        note=claim.note,
        **verdict,
    )


class Implying(NamedTuple):
    claim_id: int
    checked: Checked
    implied: Interval  # the missing figure's range in the claim's unit, if the claim is right


def implied_points(
    session: Reader,
    code: str,
    reporter: str,
    partner: str,
    first: int | None,
    last: int | None,
    known_years: set[int],
    as_of: datetime | None = None,
    currency: str | None = None,
) -> list[Data]:
    """Ranges that claims give the indicator in years with no figure, labelled `implied`:
    one point a year, which several claims on that year narrow together. Claims in
    `currency` (the series', when it has one) lead: those in another are left out."""
    implying: dict[int, list[Implying]] = {}
    for claim in claims(
        session=session, indicator=code, reporter=reporter, partner=partner, as_of=as_of
    ):
        checked = check_claim(session, claim, as_of)
        a = checked.assessment
        year = a.implied_year
        if a.implied is None or year is None or year in known_years:
            continue
        if (first is not None and year < first) or (last is not None and year > last):
            continue
        implying.setdefault(year, []).append(Implying(claim.id, checked, a.implied))
    return [implied_point(code, year, found, currency) for year, found in implying.items()]


def _implication(claim: Implying, missing_year: int, multiplier: int) -> Implication:
    """A claim's implication in the shared unit (`multiplier`)."""
    (known,) = claim.checked.inputs  # a claim implies a figure when the other is known
    ratio = claim.checked.assessment.ratio
    assert ratio is not None, "a claim that implies a figure has its ratio"
    return Implication(
        claim.claim_id,
        claim.implied.scaleb(claim.checked.multiplier - multiplier),
        ratio,
        known.figure.in_multiplier(multiplier),
        known.year,
        known_is_later=known.year > missing_year,
    )


def implied_point(
    code: str, year: int, implying: list[Implying], preferred: str | None = None
) -> Data:
    """The point for one missing year from the claims that imply it (in claim order),
    led by the first in the `preferred` currency, or else by the first of all."""
    lead = next((c for c in implying if c.checked.currency == preferred), implying[0])
    claim_id, checked, interval = lead
    currency = checked.currency
    alike = [claim for claim in implying if claim.checked.currency == currency]
    multiplier = min(claim.checked.multiplier for claim in alike)
    precision = max(
        p.figure.in_multiplier(multiplier).precision
        for claim in alike
        for p in claim.checked.inputs
    )
    explanation = checked.assessment.explanation
    if len(alike) > 1:
        label = f"the {year} {code} figure"
        unit = unit_label(currency, multiplier)
        together = [_implication(c, year, multiplier) for c in alike]
        interval, explanation = jointly_implied(label, together, unit, precision + 1)
    for other in implying:
        if other.checked.currency != currency:
            explanation += (
                f" Claim {other.claim_id} is left out: its figures are in "
                f"{other.checked.currency}, and no exchange rate is recorded to convert them."
            )
    return {
        "year": year,
        "value": None,
        "precision": precision,
        "unit": unit_data(currency, multiplier),
        "status": ObservationStatus.implied,
        "interval": interval_data(interval),
        "observation_id": None,
        "source": None,
        "published_in": None,
        "quote": None,
        "note": None,
        "formula": None,
        "inputs": None,
        "claim_id": claim_id,
        "explanation": explanation,
        "growth": None,
    }


def series_data(
    session: Reader,
    code: str,
    reporter: str,
    partner: str,
    first: int | None,
    last: int | None,
    *,
    implied: bool,
    as_of: datetime | None = None,
    version: str | None = None,
) -> Data:
    """One indicator for a pair over [first, last], as Series: each point with growth
    from the year before; with `implied`, the ranges claims give missing years too.
    `version`, the data version when the caller has it, lets sources come from memory."""
    read = pair_points(
        session=session,
        indicator=code,
        reporter=reporter,
        partner=partner,
        start_year=first - 1 if first else None,
        end_year=last,
        as_of=as_of,
        others_only_to_derive=True,
        every_year=True,
    )
    by_year = {year: pts for year, pts in read.items() if code in pts}
    why_not = {
        year: reason
        for year, pts in read.items()
        if code not in pts and (reason := not_derived_reason(pts.values(), code))
    }
    points = points_data(session, code, by_year, first, as_of, version, why_not)
    not_derived = [
        {"year": year, "reason": f"No {code} figure is recorded, and {reason}."}
        for year, reason in why_not.items()
        if first is None or year >= first
    ]
    if implied:
        known = {p["year"] for p in points}
        currencies = {p["unit"]["currency"] for p in points}
        currency = currencies.pop() if len(currencies) == 1 else None
        extra = implied_points(
            session, code, reporter, partner, first, last, known, as_of, currency
        )
        points = sorted(points + extra, key=lambda p: p["year"])
    units = {(p["unit"]["currency"], p["unit"]["multiplier"]) for p in points}
    return {
        "indicator": indicator_data(session, code),
        "reporter": country_data(session, reporter),
        "partner": country_data(session, partner),
        "unit": unit_data(*units.pop()) if len(units) == 1 else None,
        "observations": points,
        "not_derived": not_derived,
    }


def claims_public(
    session: Session, rows: list[Row[Any]], as_of: datetime | None = None
) -> list[ClaimPublic]:
    """Claims with their verdicts, checked against the figures as they stood at `as_of`."""
    sources = source_refs(
        session, [i for c in rows for i in (c.source_id, c.publication_id)], as_of
    )
    return [claim_public(c, check_claim(session, c, as_of), sources) for c in rows]
