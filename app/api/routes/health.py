"""Liveness, readiness and metrics."""

import os
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import SessionDep
from app.api.lean import lean
from app.api.openapi import problems
from app.errors import NO_DATABASE, not_ready
from app.schemas import Health, Readiness

router = APIRouter(tags=["Operations"])
HEALTHY = Health(status="ok").model_dump_json().encode()
ROOT = Path(__file__).resolve().parents[3]


@lru_cache
def migration_head() -> str | None:
    # Imported here, not at start: alembic's import costs half a second of startup.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()


@router.get(
    "/healthz",
    response_model=Health,
    summary="Liveness check",
    description="Answers `ok` while the process is serving. It does not touch the database.",
    operation_id="get_health",
    responses=problems(422),  # only for a query parameter, which it takes none of
)
@lean  # probes call it often: none of FastAPI's per-request solving
async def healthz() -> Response:
    # Async though it awaits nothing: a plain `def` would cost a threadpool hop, the
    # most of what a liveness probe's answer takes.
    return Response(HEALTHY, media_type="application/json")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness check",
    description="Answers `ready` when the database is reachable and its schema is at the "
    "latest migration; otherwise a 503 problem that says which is wrong. Load balancers "
    "should send traffic only while this answers 200.",
    operation_id="get_readiness",
    responses=problems(422, 503),
)
def readyz(session: SessionDep) -> Readiness:
    head = migration_head()
    try:
        current = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        session.rollback()
        raise not_ready(NO_DATABASE) from exc
    if current != head:
        raise not_ready(
            f"The schema is at migration {current}, not {head}; run `tradestats migrate`."
        )
    return Readiness(status="ready", migration=str(current))


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Prometheus metrics: request counts and latency by route template and status.

    With several workers, PROMETHEUS_MULTIPROC_DIR makes every worker write its counts
    there, and any worker answers with the sum of them all."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
