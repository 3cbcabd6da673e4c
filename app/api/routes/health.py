"""Liveness."""

from fastapi import APIRouter

from app.schemas import Health

router = APIRouter(tags=["Operations"])


@router.get(
    "/healthz",
    response_model=Health,
    summary="Liveness check",
    description="Answers `ok` while the process is serving. It does not touch the database.",
    operation_id="get_health",
)
def healthz() -> Health:
    return Health(status="ok")
