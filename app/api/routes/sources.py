"""Sources: the agencies that produce figures and the documents that print them."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Row
from sqlmodel import Session

from app.api.crud import add_item_routes
from app.api.deps import AsOf, SessionDep
from app.api.render import Format, reads, render
from app.queries import sources
from app.schemas import SourcePublic, SourcesPublic
from app.writes import SOURCES

router = APIRouter(prefix="/v1", tags=["Sources"])


def present_source(session: Session, row: Row[Any], as_of: datetime | None) -> SourcePublic:
    return SourcePublic.model_validate(row)


@router.get(
    "/sources",
    response_model=SourcesPublic,
    summary="List sources",
    description="Agencies that produced figures (`kind: agency`) and documents that "
    "printed them (`kind: publication`), ordered by id.",
    operation_id="list_sources",
    **reads(),
)
def list_sources(
    request: Request, session: SessionDep, as_of: AsOf = None, format: Format = None
) -> Any:
    rows = sources(session=session, as_of=as_of)
    result = SourcesPublic(data=[SourcePublic.model_validate(r) for r in rows], count=len(rows))
    return render(request, format, result, "sources")


CITED_RULES = """ A source that figures or claims cite cannot be deleted, and one that
figures cite keeps its `kind`: a figure's `source_id` names an agency and its
`publication_id` a publication. Either change is a 409 naming how many cite it."""
add_item_routes(
    router, SOURCES, SourcePublic, present_source, example_id=3, change_rules=CITED_RULES
)
