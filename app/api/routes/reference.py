"""Reference data: countries, indicators and sources."""

from fastapi import APIRouter, Path
from sqlmodel import select

from app.api.deps import SessionDep
from app.api.openapi import problems
from app.errors import not_found
from app.models import Country, Indicator, Source
from app.queries import all_sources
from app.schemas import (
    CountriesPublic,
    CountryPublic,
    IndicatorPublic,
    IndicatorsPublic,
    SourcePublic,
    SourcesPublic,
)

router = APIRouter(prefix="/v1", tags=["Reference"])


@router.get(
    "/countries",
    response_model=CountriesPublic,
    summary="List countries",
    description="Every ISO 3166-1 country, ordered by alpha-3 code. Any parameter that "
    "takes a country accepts its alpha-3 or alpha-2 code, in any case.",
    operation_id="list_countries",
)
def list_countries(session: SessionDep) -> CountriesPublic:
    rows = session.exec(select(Country).order_by(Country.alpha3)).all()
    return CountriesPublic(data=[CountryPublic.model_validate(r) for r in rows], count=len(rows))


@router.get(
    "/indicators",
    response_model=IndicatorsPublic,
    summary="List indicators",
    description="The indicators served, with the direction each reads in (which country's "
    "flow it counts) and what the sources leave unsaid about them.",
    operation_id="list_indicators",
)
def list_indicators(session: SessionDep) -> IndicatorsPublic:
    rows = session.exec(select(Indicator).order_by(Indicator.code)).all()
    return IndicatorsPublic(data=[IndicatorPublic.model_validate(r) for r in rows], count=len(rows))


@router.get(
    "/sources",
    response_model=SourcesPublic,
    summary="List sources",
    description="Agencies that produced figures (`kind: agency`) and documents that "
    "printed them (`kind: publication`), ordered by id.",
    operation_id="list_sources",
)
def list_sources(session: SessionDep) -> SourcesPublic:
    rows = all_sources(session=session)
    return SourcesPublic(data=[SourcePublic.model_validate(r) for r in rows], count=len(rows))


@router.get(
    "/sources/{source_id}",
    response_model=SourcePublic,
    summary="Get one source",
    description="One source by id, as cited by figures' `source` and `published_in`.",
    operation_id="get_source",
    responses=problems(404, 422),
)
def get_source(
    session: SessionDep, source_id: int = Path(ge=1, le=2**31 - 1, examples=[3])
) -> SourcePublic:
    row = session.get(Source, source_id)
    if row is None:
        raise not_found(f"No source has id {source_id}.")
    return SourcePublic.model_validate(row)
