"""Read queries. Filtering happens in SQL; identities and growth in exact decimals."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from app.models import Observation, ObservationStatus, Source
from app.stats.figures import Figure
from app.stats.identities import TRADE_INDICATORS, Derivation, derive


@dataclass(frozen=True)
class Point:
    """One value of a series: a stored figure, or one derived from stored figures."""

    indicator: str
    year: int
    figure: Figure
    currency: str
    status: ObservationStatus
    observation: Observation | None = None
    derivation: Derivation | None = None

    @property
    def observation_id(self) -> int | None:
        return self.observation.id if self.observation else None


def _figure(obs: Observation) -> Figure:
    return Figure(obs.value, obs.multiplier, obs.precision)


def _reported(obs: Observation) -> Point:
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
    session: Session,
    indicator: str,
    reporter: str,
    partner: str,
    start_year: int | None,
    end_year: int | None,
) -> dict[int, YearPoints]:
    """For each year, the indicator's point and those it was derived from.

    Trade indicators are read together, so that a missing one can be derived
    from the others (IMPORTS = TURNOVER − EXPORTS).
    """
    related = TRADE_INDICATORS if indicator in TRADE_INDICATORS else (indicator,)
    stored = stored_by_year(
        session=session,
        reporter=reporter,
        partner=partner,
        indicators=related,
        start_year=start_year,
        end_year=end_year,
    )
    result = {year: year_points(figures) for year, figures in stored.items()}
    return {year: pts for year, pts in result.items() if indicator in pts}


def stored_by_year(
    *,
    session: Session,
    reporter: str,
    partner: str,
    indicators: Iterable[str],
    start_year: int | None,
    end_year: int | None,
) -> dict[int, dict[str, Observation]]:
    """Stored figures for one pair, by year (ascending) and indicator."""
    query = select(Observation).where(
        Observation.reporter == reporter,
        Observation.partner == partner,
        col(Observation.indicator).in_(list(indicators)),
    )
    if start_year is not None:
        query = query.where(Observation.year >= start_year)
    if end_year is not None:
        query = query.where(Observation.year <= end_year)
    result: dict[int, dict[str, Observation]] = defaultdict(dict)
    for obs in session.exec(query.order_by(col(Observation.year))):
        result[obs.year][obs.indicator] = obs
    return result


def year_points(stored: dict[str, Observation]) -> YearPoints:
    """One year's stored figures plus every trade value the identities fix."""
    result: YearPoints = {code: _reported(obs) for code, obs in stored.items()}
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


def pairs_with_figures(*, session: Session) -> list[tuple[str, str]]:
    """Every (reporter, partner) with at least one stored figure, in code order."""
    query = (
        select(Observation.reporter, Observation.partner)
        .distinct()
        .order_by(col(Observation.reporter), col(Observation.partner))
    )
    return [(reporter, partner) for reporter, partner in session.exec(query)]


def all_sources(*, session: Session) -> list[Source]:
    return list(session.exec(select(Source).order_by(col(Source.id))))


def sources_by_id(*, session: Session, ids: Iterable[int | None]) -> dict[int, Source]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        s.id: s
        for s in session.exec(select(Source).where(col(Source.id).in_(wanted)))
        if s.id is not None
    }


ObservationKey = tuple[str, str, str, int]


def observations_page(
    *,
    session: Session,
    reporter: str | None,
    partner: str | None,
    indicator: str | None,
    start_year: int | None,
    end_year: int | None,
    after: ObservationKey | None,
    limit: int,
) -> list[Observation]:
    """Stored figures in key order, starting after `after` (keyset pagination)."""
    order = (
        col(Observation.reporter),
        col(Observation.partner),
        col(Observation.indicator),
        col(Observation.year),
    )
    query = select(Observation)
    for column, wanted in (
        (Observation.reporter, reporter),
        (Observation.partner, partner),
        (Observation.indicator, indicator),
    ):
        if wanted is not None:
            query = query.where(column == wanted)
    if start_year is not None:
        query = query.where(Observation.year >= start_year)
    if end_year is not None:
        query = query.where(Observation.year <= end_year)
    if after is not None:
        query = query.where(tuple_(*order) > tuple_(*after))
    return list(session.exec(query.order_by(*order).limit(limit)))
