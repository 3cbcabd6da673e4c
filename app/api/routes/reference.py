"""Reference data: countries and indicators (fixed, so `as_of` changes nothing)."""

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import select

from app.api.deps import AsOf, SessionDep
from app.api.render import Format, reads, render
from app.models import Country, Indicator
from app.schemas import (
    CountriesPublic,
    CountryPublic,
    IndicatorPublic,
    IndicatorsPublic,
)

router = APIRouter(prefix="/v1", tags=["Reference"], **reads())


@router.get(
    "/countries",
    response_model=CountriesPublic,
    summary="List countries",
    description="Every ISO 3166-1 country, ordered by alpha-3 code. Any parameter that "
    "takes a country accepts its alpha-3 or alpha-2 code, in any case.",
    operation_id="list_countries",
)
def list_countries(
    request: Request, session: SessionDep, as_of: AsOf = None, format: Format = None
) -> Any:
    rows = session.exec(select(Country).order_by(Country.alpha3)).all()
    result = CountriesPublic(data=[CountryPublic.model_validate(r) for r in rows], count=len(rows))
    return render(request, format, result, "countries")


@router.get(
    "/indicators",
    response_model=IndicatorsPublic,
    summary="List indicators",
    description="The indicators served, with the direction each reads in (which country's "
    "flow it counts) and what the sources leave unsaid about them.",
    operation_id="list_indicators",
)
def list_indicators(
    request: Request, session: SessionDep, as_of: AsOf = None, format: Format = None
) -> Any:
    rows = session.exec(select(Indicator).order_by(Indicator.code)).all()
    result = IndicatorsPublic(
        data=[IndicatorPublic.model_validate(r) for r in rows], count=len(rows)
    )
    return render(request, format, result, "indicators")
