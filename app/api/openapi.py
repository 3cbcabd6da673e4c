"""The OpenAPI document: problem responses and an example for every route.

examples.json maps each operation id to a request and the response the seeded service
gives to it (for a chart, the SVG text). tests/test_docs.py replays every request and
checks the response still matches, so the docs cannot drift; `make examples` rewrites the
file from a fresh seed.

Examples are inserted after FastAPI builds the document, because FastAPI drops null
values from examples, and a null with its `reason` is part of what users must see.
"""

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.errors import PROBLEM_MEDIA_TYPE, Problem

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
EXAMPLES: dict[str, dict[str, Any]] = (
    json.loads(EXAMPLES_FILE.read_text(encoding="utf-8")) if EXAMPLES_FILE.exists() else {}
)

PROBLEM_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {
        "type": "urn:tradestats:problem:invalid-cursor",
        "title": "Invalid cursor",
        "status": 400,
        "detail": "The cursor is not one this API issued; start again without it.",
        "instance": "/v1/observations",
    },
    404: {
        "type": "urn:tradestats:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No TURNOVER figure is recorded for KAZ–BGR in 2023.",
        "instance": "/v1/turnover/2023",
    },
    422: {
        "type": "urn:tradestats:problem:validation-error",
        "title": "Invalid request",
        "status": 422,
        "detail": "reporter: unknown country code 'XX': use ISO 3166-1 alpha-3 (KAZ) "
        "or alpha-2 (KZ)",
        "instance": "/v1/turnover",
        "errors": [
            {
                "location": "query",
                "field": "reporter",
                "message": "unknown country code 'XX': use ISO 3166-1 alpha-3 (KAZ) "
                "or alpha-2 (KZ)",
            }
        ],
    },
    500: {
        "type": "urn:tradestats:problem:internal-error",
        "title": "Internal server error",
        "status": 500,
        "detail": "The server failed to answer this request. It has been logged.",
        "instance": "/v1/turnover",
    },
}
PROBLEM_DESCRIPTIONS = {
    400: "Bad request, such as a cursor this API did not issue",
    404: "Nothing at this address, or no figure for what was asked",
    422: "Invalid parameters; `errors` lists each one",
    500: "Unexpected failure, logged on the server",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Declare a route's problem responses; their content is filled in by `openapi`."""
    return {status: {"description": PROBLEM_DESCRIPTIONS[status]} for status in statuses}


def _problem_content(status: int) -> dict[str, Any]:
    return {
        PROBLEM_MEDIA_TYPE: {
            "schema": {"$ref": "#/components/schemas/Problem"},
            "example": PROBLEM_EXAMPLES[status],
        }
    }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)  # FastAPI's own 422 shape, replaced by Problem

    for path_item in schema["paths"].values():
        for operation in path_item.values():
            responses = operation["responses"]
            responses.setdefault("500", {"description": PROBLEM_DESCRIPTIONS[500]})
            for status, response in responses.items():
                if int(status) >= 400:
                    response["description"] = PROBLEM_DESCRIPTIONS[int(status)]
                    response["content"] = _problem_content(int(status))
            example = EXAMPLES.get(operation["operationId"])
            if example is not None:
                ok = responses["200"]
                ok["description"] = f"Example: `GET {example['request']}`"
                (media_type,) = ok["content"].values()  # JSON, or SVG text for charts
                media_type["example"] = example["response"]
    app.openapi_schema = schema
    return schema
