"""The FastAPI application: routers, problem handlers and OpenAPI metadata."""

from fastapi import FastAPI

from app.api.openapi import build_openapi
from app.api.routes import claims, growth, health, observations, reference, series
from app.errors import install_problem_handlers
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

The same figures for people: an overview page with charts at [`/`](/), and each series
as an SVG chart at `/v1/<series>.svg`.
"""

TAGS = [
    {"name": "Series", "description": "One indicator for a reporter and partner, by year."},
    {"name": "Growth", "description": "Change between two years."},
    {"name": "Claims", "description": "What sources say, checked against the figures."},
    {"name": "Observations", "description": "Stored figures, filtered and paginated."},
    {"name": "Reference", "description": "Countries, indicators and sources."},
    {"name": "Operations", "description": "Health of the service."},
]


def create_app() -> FastAPI:
    app = FastAPI(
        title="tradestats",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,  # served from local files by install_docs, not from a CDN
        redoc_url=None,
    )
    install_problem_handlers(app)
    for module in (series, growth, claims, observations, reference, health, pages):
        app.include_router(module.router)
    install_docs(app)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app


app = create_app()
