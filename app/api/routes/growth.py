"""Growth between any two years, in FRED's transformations."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.api.deps import (
    MAX_YEAR,
    MIN_YEAR,
    AsOf,
    IndicatorParam,
    Partner,
    Reporter,
    SessionDep,
    distinct_pair,
)
from app.api.presenters import figure_used, unit
from app.api.render import Format, reads, render
from app.errors import invalid, not_found
from app.queries import pair_points
from app.schemas import GrowthResult
from app.stats.growth import growth

router = APIRouter(prefix="/v1", tags=["Growth"])


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

A transformation that does not exist (a zero or negative base) is null, with a `reason`.
A missing figure is a 404 that names it.""",
    operation_id="get_growth",
    **reads(404, 422),
)
def get_growth(
    request: Request,
    session: SessionDep,
    indicator: IndicatorParam,
    reporter: Reporter,
    partner: Partner,
    from_year: Annotated[
        int,
        Query(
            alias="from", ge=MIN_YEAR, le=MAX_YEAR, description="The earlier year.", examples=[2023]
        ),
    ],
    to_year: Annotated[
        int,
        Query(alias="to", ge=MIN_YEAR, le=MAX_YEAR, description="The later year.", examples=[2024]),
    ],
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
            raise not_found(f"No {code} figure is recorded for {reporter}–{partner} in {year}.")
    earlier, later = by_year[from_year][code], by_year[to_year][code]
    if earlier.currency != later.currency:
        raise invalid("to", f"the {from_year} and {to_year} figures are in different currencies")

    multiplier = min(earlier.figure.multiplier, later.figure.multiplier)
    g = growth(
        earlier.figure.in_multiplier(multiplier).value,
        later.figure.in_multiplier(multiplier).value,
        to_year - from_year,
    )
    result = GrowthResult(
        indicator=code,
        reporter=reporter,
        partner=partner,
        unit=unit(later.currency, multiplier),
        years=to_year - from_year,
        inputs=[figure_used(p, multiplier) for p in (earlier, later)],
        ratio=g.ratio,
        chg=g.chg,
        pch=g.pch,
        cagr=g.cagr,
        log=g.log,
        reason=g.reason,
    )
    return render(request, format, result, f"growth-{code}-{reporter}-{partner}")
