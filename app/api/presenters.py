"""Turn query results into the documented response shapes."""

from sqlmodel import Session

from app.errors import not_found
from app.models import Country, Indicator, Source
from app.queries import Point, YearPoints, sources_by_id
from app.schemas import (
    CountryPublic,
    DerivationInput,
    IndicatorPublic,
    SeriesPoint,
    SourceRef,
    Unit,
    YearGrowth,
)
from app.stats.figures import unit_label
from app.stats.growth import growth


def unit(currency: str, multiplier: int) -> Unit:
    return Unit(currency=currency, multiplier=multiplier, label=unit_label(currency, multiplier))


def country(session: Session, alpha3: str) -> CountryPublic:
    row = session.get(Country, alpha3)
    if row is None:  # the country table is seeded from pycountry, like the validator
        raise not_found(f"Country {alpha3} is not in the database; run the seed.")
    return CountryPublic.model_validate(row)


def indicator(session: Session, code: str) -> IndicatorPublic:
    row = session.get(Indicator, code)
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
    )
    return YearGrowth(base_year=base_year, ratio=g.ratio, pch=g.pch, chg=g.chg, reason=g.reason)


def series_point(
    point: Point, year_points: YearPoints, previous: Point | None, sources: dict[int, Source]
) -> SeriesPoint:
    obs = point.observation
    inputs = None
    if point.derivation is not None:
        inputs = [
            DerivationInput(
                indicator=code,
                year=point.year,
                value=year_points[code].figure.value,
                status=year_points[code].status,
                observation_id=year_points[code].observation_id,
            )
            for code in point.derivation.inputs
        ]

    def ref(source_id: int | None) -> SourceRef | None:
        source = sources.get(source_id) if source_id is not None else None
        return SourceRef.model_validate(source) if source else None

    return SeriesPoint(
        year=point.year,
        value=point.figure.value,
        precision=point.figure.precision,
        unit=unit(point.currency, point.figure.multiplier),
        status=point.status,
        observation_id=point.observation_id,
        source=ref(obs.source_id) if obs else None,
        published_in=ref(obs.publication_id) if obs else None,
        quote=obs.quote if obs else None,
        note=obs.note if obs else None,
        formula=point.derivation.formula if point.derivation else None,
        inputs=inputs,
        growth=year_growth(point, previous),
    )


def series_points(
    session: Session, code: str, by_year: dict[int, YearPoints], first_year: int | None
) -> list[SeriesPoint]:
    """The indicator's points in year order, each with growth from the year before.

    `by_year` may hold the year before `first_year`, fetched only as a growth base.
    """
    observations = [pts[code].observation for pts in by_year.values()]
    sources = sources_by_id(
        session=session, ids=[i for o in observations if o for i in (o.source_id, o.publication_id)]
    )
    return [
        series_point(pts[code], pts, by_year.get(year - 1, {}).get(code), sources)
        for year, pts in by_year.items()
        if first_year is None or year >= first_year
    ]
