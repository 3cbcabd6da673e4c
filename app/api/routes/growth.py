"""Growth between any two years, in FRED's transformations."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection

from app.api.caching import tagged_read
from app.api.deps import (
    MAX_YEAR,
    MIN_YEAR,
    AsOf,
    Digits,
    IndicatorParam,
    Partner,
    Reporter,
    SessionDep,
    distinct_pair,
)
from app.api.lean import lean
from app.api.presenters import figure_used, no_figure, unit, unit_data
from app.api.render import Format, reads, render, render_plain
from app.db import DatabaseDep
from app.errors import invalid
from app.models import SIGNED
from app.queries import growth_pairs, pair_points
from app.schemas import GrowthResult, PartnerGrowths
from app.stats.figures import Figure, least_possible
from app.stats.growth import ZERO, Growth, growth
from app.stats.intervals import EXACT

router = APIRouter(prefix="/v1", tags=["Growth"])
FromYear = Annotated[
    int,
    Query(alias="from", ge=MIN_YEAR, le=MAX_YEAR, description="The earlier year.", examples=[2023]),
    Digits,
]
ToYear = Annotated[
    int,
    Query(alias="to", ge=MIN_YEAR, le=MAX_YEAR, description="The later year.", examples=[2024]),
    Digits,
]


@router.get(
    "/growth",
    response_model=GrowthResult,
    summary="Growth of an indicator between two years",
    description="""\
The change in one indicator for a reporter and partner from year `from` to year `to`, in
FRED's transformations: `ratio` (to ÷ from), `chg` (absolute change, exact), `pch`
(percent change), `cagr` (compound annual growth rate over the span) and `log` (natural
log of the ratio). The two figures used are listed in `inputs`; derived figures may be
used and say so in their status.

A transformation that does not exist (a zero or negative base, a sign that changes, the
log of a fall to zero) is null, with a `reason`;
so is every one, `chg` and `unit` too, when the two figures are in different currencies
(no exchange rates are recorded). A missing figure is a 404 that names it.""",
    operation_id="get_growth",
    **reads(404, 422),
)
def get_growth(
    request: Request,
    session: SessionDep,
    indicator: IndicatorParam,
    reporter: Reporter,
    partner: Partner,
    from_year: FromYear,
    to_year: ToYear,
    as_of: AsOf = None,
    format: Format = None,
) -> Any:
    distinct_pair(reporter, partner)
    if from_year >= to_year:
        raise invalid("to", f"`to` ({to_year}) must be after `from` ({from_year})")
    code = indicator.value
    by_year = pair_points(
        session=session,
        indicator=code,
        reporter=reporter,
        partner=partner,
        start_year=from_year,
        end_year=to_year,
        as_of=as_of,
    )
    for year in (from_year, to_year):
        if year not in by_year:
            raise no_figure(session, code, reporter, partner, year, as_of)
    earlier, later = by_year[from_year][code], by_year[to_year][code]
    values: dict[str, Any]  # GrowthResult's unit and transformations
    if earlier.currency == later.currency:
        multiplier = min(earlier.figure.multiplier, later.figure.multiplier)
        base, last = (p.figure.in_multiplier(multiplier) for p in (earlier, later))
        g = growth(
            base.value,
            last.value,
            to_year - from_year,
            earliest=least_possible(code, base),
            latest=least_possible(code, last),
            signed=code in SIGNED,
        )
        values = {**g._asdict(), "unit": unit(later.currency, multiplier)}
    else:
        values = {
            **dict.fromkeys(Growth._fields),
            "unit": None,
            "reason": unconvertible(from_year, earlier.currency, to_year, later.currency),
        }
    result = GrowthResult(
        indicator=code,
        reporter=reporter,
        partner=partner,
        years=to_year - from_year,
        inputs=[figure_used(p) for p in (earlier, later)],
        **values,
    )
    name = f"growth-{code}-{reporter}-{partner}-{from_year}-{to_year}"  # one per span
    return render(request, format, result, name)


def unconvertible(from_year: int, currency: str, to_year: int, later_currency: str) -> str:
    """Why no growth is given between figures in two currencies."""
    return (
        f"the {from_year} figure is in {currency} and the {to_year} figure in "
        f"{later_currency}, and no exchange rate is recorded to convert them"
    )


def partner_growth(
    row: Sequence[Any], signed: bool, from_year: int, to_year: int
) -> dict[str, Any]:
    """One partner's row of growth_pairs as PartnerGrowth: a plain dict, as a model per
    partner cost more than the query. Growth as `/v1/growth` computes it."""
    partner, earlier, currency, multiplier, later, later_currency, later_multiplier, precision = row
    earlier, later = Decimal(earlier), Decimal(later)  # from their stored digits
    if currency != later_currency:
        return {
            "partner": partner,
            "unit": None,
            "earlier": None,
            "later": None,
            **dict.fromkeys(PARTNER_TRANSFORMATIONS),
            "reason": unconvertible(from_year, currency, to_year, later_currency),
        }
    if multiplier != later_multiplier:  # both in the finer unit, exactly
        finer = min(multiplier, later_multiplier)
        earlier = earlier.scaleb(multiplier - finer, EXACT)
        later, multiplier = later.scaleb(later_multiplier - finer, EXACT), finer
    # A stored figure other than 0 is never within its rounding of zero: no `earliest`
    # (a base of 0 has no ratio anyway), and a `latest` only for a 0 of an indicator that
    # may be negative (`signed`): a balance of 0.0 may stand for a deficit.
    latest = None
    if signed and later.is_zero():
        latest = Figure(ZERO, later_multiplier, precision).in_multiplier(multiplier).least
    g = growth(earlier, later, to_year - from_year, latest=latest)
    return {
        "partner": partner,
        "unit": unit_data(currency, multiplier),
        "earlier": earlier,
        "later": later,
        "ratio": g.ratio,
        "chg": g.chg,
        "pch": g.pch,
        "cagr": g.cagr,
        "log": g.log,
        "reason": g.reason,
    }


PARTNER_TRANSFORMATIONS = ("ratio", "chg", "pch", "cagr", "log")


@router.get(
    "/growth/partners",
    response_model=PartnerGrowths,
    summary="Growth of one reporter's indicator with every partner",
    description="""\
For one reporter and indicator, the change from `from` to `to` with every partner that
has a stored figure in both years, in partner order: the same transformations as
`/v1/growth`. The figures are matched in one SQL join; derived values are not computed
here (use `/v1/growth` for one pair). Each row gives its `unit`: `earlier`, `later` and
`chg` are in it, the finer of the two figures' units when their multipliers differ. A
partner whose two figures are in different currencies is listed with those, `unit` and
every transformation null, and a `reason`: no exchange rate is recorded.""",
    operation_id="list_partner_growth",
    **reads(422, tags_itself=True),
)
@lean
async def list_partner_growth(
    request: Request,
    engine: DatabaseDep,
    indicator: IndicatorParam,
    reporter: Reporter,
    from_year: FromYear,
    to_year: ToYear,
    as_of: AsOf = None,
    format: Format = None,
) -> Any:
    if from_year >= to_year:
        raise invalid("to", f"`to` ({to_year}) must be after `from` ({from_year})")

    def pairs(connection: Connection, _version: str) -> list[Any]:
        return growth_pairs(
            session=connection,
            indicator=indicator.value,
            reporter=reporter,
            from_year=from_year,
            to_year=to_year,
            as_of=as_of,
        )

    rows = await tagged_read(request, engine, pairs)
    signed = indicator.value in SIGNED
    data = [partner_growth(row, signed, from_year, to_year) for row in rows]
    result = {
        "indicator": indicator.value,
        "reporter": reporter,
        "from_year": from_year,
        "to_year": to_year,
        "data": data,
        "count": len(data),
    }
    name = f"growth-{indicator.value}-{reporter}-{from_year}-{to_year}"
    return render_plain(request, format, result, PartnerGrowths, name)
