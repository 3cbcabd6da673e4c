"""Turn query results into the documented response shapes."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session

from app.claims import IDENTITY_FOR, Checked, check_claim
from app.errors import not_found
from app.models import Country, Indicator, ObservationStatus
from app.queries import Point, YearPoints, claims, pair_points, sources_by_id
from app.schemas import (
    ClaimPublic,
    CountryPublic,
    FigureUsed,
    ImpliedValue,
    IndicatorPublic,
    IntervalPublic,
    MissingFigure,
    Series,
    SeriesPoint,
    SourceRef,
    Unit,
    YearGrowth,
)
from app.stats.figures import unit_label
from app.stats.growth import growth
from app.stats.identities import identity_formula
from app.stats.intervals import Interval
from app.stats.verdicts import ClaimKind, Qualifier, allowed_range, stated_phrase


def unit(currency: str, multiplier: int) -> Unit:
    return Unit(currency=currency, multiplier=multiplier, label=unit_label(currency, multiplier))


INTERVAL_DECIMALS = 6  # bounds are rounded outward to this many places


def interval_public(interval: Interval) -> IntervalPublic:
    shown = interval.rounded_outward(INTERVAL_DECIMALS)
    return IntervalPublic(
        low=shown.low,
        high=shown.high,
        low_inclusive=shown.low_closed,
        high_inclusive=shown.high_closed,
    )


def figure_used(point: Point, multiplier: int | None = None) -> FigureUsed:
    """A point as an input, optionally expressed with another multiplier."""
    figure = point.figure if multiplier is None else point.figure.in_multiplier(multiplier)
    return FigureUsed(
        indicator=point.indicator,
        year=point.year,
        value=figure.value,
        precision=figure.precision,
        status=point.status,
        observation_id=point.observation_id,
    )


def source_ref(sources: dict[int, Row[Any]], source_id: int | None) -> SourceRef | None:
    source = sources.get(source_id) if source_id is not None else None
    return SourceRef.model_validate(source) if source else None


def _reference_row(session: Session, model: type[Country] | type[Indicator], key: str) -> Any:
    """A row of a reference table, read as plain columns: loading it as an ORM object
    cost a fifth of a series read."""
    table = model.__table__  # type: ignore[union-attr]
    (pk,) = table.primary_key.columns
    return session.connection().execute(select(table).where(pk == key)).first()


def country(session: Session, alpha3: str) -> CountryPublic:
    row = _reference_row(session, Country, alpha3)
    if row is None:  # the country table is seeded from pycountry, like the validator
        raise not_found(f"Country {alpha3} is not in the database; run the seed.")
    return CountryPublic.model_validate(row)


def indicator(session: Session, code: str) -> IndicatorPublic:
    row = _reference_row(session, Indicator, code)
    if row is None:
        raise not_found(f"Indicator {code} is not in the database; run the seed.")
    return IndicatorPublic.model_validate(row)


def year_growth(point: Point, previous: Point | None) -> YearGrowth:
    """Growth from the year before; null with a reason when that cannot be computed."""
    base_year = point.year - 1
    if previous is None:
        return YearGrowth(
            base_year=base_year, ratio=None, pch=None, chg=None, reason=f"no {base_year} value"
        )
    if previous.currency != point.currency:
        return YearGrowth(
            base_year=base_year,
            ratio=None,
            pch=None,
            chg=None,
            reason=f"the {base_year} value is in another currency",
        )
    multiplier = min(point.figure.multiplier, previous.figure.multiplier)
    g = growth(
        previous.figure.in_multiplier(multiplier).value,
        point.figure.in_multiplier(multiplier).value,
        1,
        rates=False,
    )
    return YearGrowth(base_year=base_year, ratio=g.ratio, pch=g.pch, chg=g.chg, reason=g.reason)


def series_point(
    point: Point, year_points: YearPoints, previous: Point | None, sources: dict[int, Row[Any]]
) -> SeriesPoint:
    obs = point.observation
    inputs = None
    if point.derivation is not None:
        inputs = [figure_used(year_points[code]) for code in point.derivation.inputs]

    return SeriesPoint(
        year=point.year,
        value=point.figure.value,
        precision=point.figure.precision,
        unit=unit(point.currency, point.figure.multiplier),
        status=point.status,
        interval=interval_public(point.figure.interval),
        observation_id=point.observation_id,
        source=source_ref(sources, obs.source_id) if obs else None,
        published_in=source_ref(sources, obs.publication_id) if obs else None,
        quote=obs.quote if obs else None,
        note=obs.note if obs else None,
        formula=point.derivation.formula if point.derivation else None,
        inputs=inputs,
        growth=year_growth(point, previous),
    )


def series_points(
    session: Session,
    code: str,
    by_year: dict[int, YearPoints],
    first_year: int | None,
    as_of: datetime | None = None,
) -> list[SeriesPoint]:
    """The indicator's points in year order, each with growth from the year before.

    `by_year` may hold the year before `first_year`, fetched only as a growth base.
    """
    observations = [pts[code].observation for pts in by_year.values()]
    sources = sources_by_id(
        session=session,
        ids=[i for o in observations if o for i in (o.source_id, o.publication_id)],
        as_of=as_of,
    )
    return [
        series_point(pts[code], pts, by_year.get(year - 1, {}).get(code), sources)
        for year, pts in by_year.items()
        if first_year is None or year >= first_year
    ]


def assessment_fields(checked: Checked, reporter: str, partner: str) -> dict[str, Any]:
    """The verdict format shared by claims and identity checks."""
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
        "inputs": [figure_used(p, checked.multiplier) for p in checked.inputs],
        "missing": [
            MissingFigure(indicator=code, reporter=reporter, partner=partner, year=year)
            for code, year in checked.missing
        ],
        "implied": implied,
    }


def claim_public(claim: Row[Any], checked: Checked, sources: dict[int, Row[Any]]) -> ClaimPublic:
    kind, qualifier = ClaimKind(claim.kind), Qualifier(claim.qualifier)
    if claim.stated is None:  # an identity states no number
        statement, allowed = identity_formula(IDENTITY_FOR[claim.indicator]), None
    else:
        statement = stated_phrase(kind, qualifier, claim.stated)
        allowed = interval_public(allowed_range(qualifier, claim.stated))
    return ClaimPublic(
        id=claim.id or 0,
        kind=kind,
        indicator=claim.indicator,
        reporter=claim.reporter,
        partner=claim.partner,
        base_year=claim.base_year,
        year=claim.year,
        stated=claim.stated,
        qualifier=qualifier,
        statement=statement,
        allowed=allowed,
        source=source_ref(sources, claim.source_id),
        published_in=source_ref(sources, claim.publication_id),
        quote=claim.quote,
        note=claim.note,
        **assessment_fields(checked, claim.reporter, claim.partner),
    )


def implied_points(
    session: Session,
    code: str,
    reporter: str,
    partner: str,
    first: int | None,
    last: int | None,
    known_years: set[int],
    as_of: datetime | None = None,
) -> list[SeriesPoint]:
    """Ranges that claims give the indicator in years with no figure, labelled `implied`."""
    result = []
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
        known_years.add(year)
        result.append(
            SeriesPoint(
                year=year,
                value=None,
                precision=max(p.figure.precision for p in checked.inputs),
                unit=unit(checked.currency, checked.multiplier),
                status=ObservationStatus.implied,
                interval=interval_public(a.implied),
                observation_id=None,
                source=None,
                published_in=None,
                quote=None,
                note=None,
                claim_id=claim.id,
                explanation=a.explanation,
                growth=None,
            )
        )
    return result


def series_public(
    session: Session,
    code: str,
    reporter: str,
    partner: str,
    first: int | None,
    last: int | None,
    *,
    implied: bool,
    as_of: datetime | None = None,
) -> Series:
    """One indicator for a pair over [first, last], each point with growth from the year
    before; with `implied`, the ranges claims give missing years too."""
    by_year = pair_points(
        session=session,
        indicator=code,
        reporter=reporter,
        partner=partner,
        start_year=first - 1 if first else None,
        end_year=last,
        as_of=as_of,
    )
    points = series_points(session, code, by_year, first, as_of)
    if implied:
        known = {p.year for p in points}
        extra = implied_points(session, code, reporter, partner, first, last, known, as_of)
        points = sorted(points + extra, key=lambda p: p.year)
    units = {(p.unit.currency, p.unit.multiplier) for p in points}
    return Series(
        indicator=indicator(session, code),
        reporter=country(session, reporter),
        partner=country(session, partner),
        unit=unit(*units.pop()) if len(units) == 1 else None,
        observations=points,
    )


def claims_public(
    session: Session, rows: list[Row[Any]], as_of: datetime | None = None
) -> list[ClaimPublic]:
    """Claims with their verdicts, checked against the figures as they stood at `as_of`."""
    sources = sources_by_id(
        session=session, ids=[i for c in rows for i in (c.source_id, c.publication_id)], as_of=as_of
    )
    return [claim_public(c, check_claim(session, c, as_of), sources) for c in rows]
