"""The FastAPI application: routers, problem handlers and OpenAPI metadata."""

import gc

# Importing the app makes over 100,000 objects (modules, classes, schemas, routes) that live
# as long as the process. The cyclic collector would walk them again and again while they
# are made, and again before the first request: paused until the app exists, then they are
# frozen, so that it never walks them (100 ms of a 0.8 s start).
gc.disable()

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.api.caching import NotModified, not_modified
from app.api.deps import single_valued_query
from app.api.lean import install_lean_routes
from app.api.openapi import build_openapi
from app.api.routes import (
    claims,
    growth,
    health,
    imports,
    observations,
    reference,
    series,
    sources,
)
from app.auth import live_prefix, provision_key
from app.core.config import Settings, get_settings
from app.db import database
from app.errors import install_problem_handlers
from app.logs import configure_logging
from app.middleware import (
    GZipUnlessStrongTag,
    HeadAsGet,
    LiveKeys,
    OperationsMiddleware,
    ProblemCORSMiddleware,
    Refusals,
    scope_plain_routes,
)
from app.preflight import refuse_unusable_settings
from app.protocol_errors import install as install_protocol_errors
from app.ratelimit import MemoryCounter, RateLimiter, RedisCounter, SharedRateLimiter
from app.web import pages
from app.web.docs import install_docs

DESCRIPTION = """\
Bilateral trade statistics: trade turnover, exports, imports, balance and foreign direct
investment between pairs of countries, by year.

* **Exact**: values are decimals as published (375.2 − 303.6 is 71.6).
* **Sourced**: every reported figure names the agency that produced it, the document that
  printed it, and the sentence it came from, verbatim.
* **Honest**: derived values say how they were derived; growth is null, with a reason,
  when it cannot be computed.

Errors are RFC 9457 `application/problem+json` documents with one shape.

The same figures for people: an overview page with charts at [`/`](./), and each series
as an SVG chart at `/v1/<series>.svg`.
"""

TAGS = [
    {"name": "Series", "description": "One indicator for a reporter and partner, by year."},
    {"name": "Growth", "description": "Change between two years."},
    {"name": "Claims", "description": "What sources say, checked against the figures."},
    {"name": "Observations", "description": "Stored figures, filtered and paginated."},
    {"name": "Imports", "description": "Many observations in one all-or-nothing write."},
    {"name": "Sources", "description": "Who produced and who printed each figure."},
    {"name": "Reference", "description": "Countries and indicators."},
    {
        "name": "Operations",
        "description": "Health of the service; Prometheus metrics are at `/metrics`.",
    },
]


def rate_limiter(settings: Settings) -> RateLimiter | SharedRateLimiter | None:
    if not settings.rate_limit_enabled:
        return None
    budgets = settings.rate_limit_reads, settings.rate_limit_writes, settings.rate_limit_window
    if settings.redis_url:
        return SharedRateLimiter(RedisCounter(settings.redis_url), *budgets)
    return RateLimiter(MemoryCounter(), *budgets)


async def app_engine(app: FastAPI) -> Engine:
    """The engine the app's routes read: `database`, or a test's override of it."""
    return await app.dependency_overrides.get(database, database)()


def live_key(app: FastAPI) -> Callable[[str], Awaitable[str | None]]:
    """For the rate limiter: a token's key prefix when it is a live key, from the database
    the app reads (a test's, where one is set)."""

    async def lookup(token: str) -> str | None:
        engine = await app_engine(app)

        def look() -> str | None:
            with Session(engine) as session:
                return live_prefix(session, token)

        return await run_in_threadpool(look)

    return lookup


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    key = get_settings().tradestats_admin_key
    if key:  # for containers: make the operator's key valid (never logged)
        engine = await app_engine(app)
        with Session(engine) as session:
            provision_key(session, key)
    yield
    limiter = app.state.rate_limiter
    if isinstance(limiter, SharedRateLimiter):  # its Redis connections, as the loop ends
        await limiter.close()


def create_app() -> FastAPI:
    app = FastAPI(
        title="tradestats",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        # No OpenTelemetry here (metrics are Prometheus's, app/middleware.py): FastAPI would
        # otherwise ask OpenTelemetry's global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        dependencies=[Depends(single_valued_query)],
        docs_url=None,  # served from local files by install_docs, not from a CDN
        redoc_url=None,
    )
    settings = get_settings()
    configure_logging(settings.log_level)
    install_problem_handlers(app)
    install_protocol_errors()  # what uvicorn answers itself, before the app sees a request
    app.add_exception_handler(NotModified, not_modified)
    # Outermost last: operations see every response, compressed or not.
    # zlib's own default level: Starlette's 9 cost a large gzipped CSV export about half as
    # much CPU again as level 6, for output about 3% smaller.
    app.add_middleware(GZipUnlessStrongTag, minimum_size=1024, compresslevel=6)
    app.add_middleware(Refusals)  # 414, 429 and 500, inside CORS: browsers read them
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.cors_allow_origins,
        allow_methods=settings.cors_allow_methods,
        allow_headers=[
            "Accept",
            "Authorization",
            "Content-Type",
            "If-Match",
            "If-None-Match",
            "X-Request-ID",
        ],
        # A browser hides every other header from a page on another origin.
        expose_headers=[
            "ETag",
            "Link",
            "Location",
            "Retry-After",
            "X-Request-ID",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "Content-Disposition",  # a CSV export's filename
            "Allow",  # a 405's methods
            "Accept",  # a 415's media types, and a PATCH's
            "Accept-Patch",
        ],
    )
    app.add_middleware(HeadAsGet)  # inside operations: logs and metrics say HEAD
    app.state.rate_limiter = rate_limiter(settings)
    app.add_middleware(
        OperationsMiddleware, limiter=app.state.rate_limiter, keys=LiveKeys(live_key(app))
    )
    # In the order requests are matched, which walks every route of the routers before:
    # health first, then the most read. The document lists operations in the order of
    # TAGS (app/api/openapi.py).
    routers = (health, series, observations, growth, claims, imports, sources, reference, pages)
    for module in routers:
        app.include_router(module.router)
    # Ahead of them all, lean twins of the hottest reads (app/api/lean.py). Making them
    # builds every included route now, which FastAPI would do on the first request.
    install_lean_routes(app)
    install_docs(app)
    scope_plain_routes(app.router.routes)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app


app = create_app()
# As it is imported: in the lifespan it was uvicorn's traceback, under its start lines.
refuse_unusable_settings()
gc.freeze()
gc.enable()
