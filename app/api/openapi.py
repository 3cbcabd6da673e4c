"""The OpenAPI document: problem responses and an example for every route.

examples.json maps each operation id to a request and the response the seeded service
gives to it (for a chart, the SVG text). tests/test_docs.py replays every request and
checks the response still matches, so the docs cannot drift; `make examples` rewrites the
file from a fresh seed.

Examples are inserted after FastAPI builds the document, because FastAPI drops null
values from examples, and a null with its `reason` is part of what users must see.
"""

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.datastructures import Headers

from app.api.body import accept_headers, parse_json, too_large, unsupported
from app.api.deps import COUNTRY_CODE_SCHEMA, unknown_parameter
from app.auth import MISSING_KEY, sent_key, unauthorized
from app.core.config import get_settings
from app.errors import (
    BUSY,
    NO_DATABASE,
    PAYLOAD_TOO_LARGE,
    PROBLEM_MEDIA_TYPE,
    URI_TOO_LONG,
    Problem,
    ProblemException,
    invalid_fields,
    not_ready,
    problem_data,
)
from app.imports import IMPORT_COLUMNS, CsvRows, ImportFailed, check_only
from app.inputs import AGENCY, latest_year
from app.middleware import MAX_URL_BYTES, UNMETERED, budget_spent
from app.protocol_errors import TOO_LONG
from app.rowcheck import Rules
from app.writes import CLAIMS, OBSERVATIONS, SOURCES, gone, stale, unknown_id, weakly_tagged

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
    500: {
        "type": "urn:tradestats:problem:internal-error",
        "title": "Internal server error",
        "status": 500,
        "detail": "The server failed to answer this request. It has been logged.",
        "instance": "/v1/turnover",
    },
}
PROBLEM_DESCRIPTIONS = {
    400: "Bad request, such as malformed JSON, a cursor this API did not issue, or two "
    "different `Content-Type` or `Authorization` lines",
    401: "No API key, or one that is not valid or has been revoked",
    404: "Nothing at this address, or no figure for what was asked",
    409: "Conflicts with what is stored: a duplicate, or a source still cited",
    410: "Deleted; the history remains at `/revisions`",
    412: "The `If-Match` ETag is stale: someone wrote since you read",
    413: "The body is larger than the documented limit",
    414: f"The path and query string are longer than {MAX_URL_BYTES} bytes",
    415: "The body is not of a media type this route accepts",
    422: "Invalid parameters (or one the route does not take) or body; `errors` lists each, "
    "or the first of a flood of them (then `errors_truncated` is true)",
    429: "This client's read or write budget is spent; retry after `Retry-After` seconds",
    500: "Unexpected failure, logged on the server",
    503: "The database is busy or unavailable; retry after `Retry-After` seconds",
}

# Request bodies documented by reference; their schemas are added to the components.
REQUEST_MODELS: dict[str, type[BaseModel]] = {}
# Other schemas a route refers to by hand (an import's rows); added to the components too.
SCHEMA_MODELS: dict[str, type[BaseModel]] = {}


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """A reference to the model's schema, which the document's components will hold."""
    SCHEMA_MODELS[model.__name__] = model
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def request_body(model: type[BaseModel], partial: bool = False) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its JSON body itself (app/api/body.py)."""
    REQUEST_MODELS[model.__name__] = model
    name = model.__name__.removesuffix("Create") + "Patch" if partial else model.__name__
    content = {"schema": {"$ref": f"#/components/schemas/{name}"}}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": content,
                **({"application/merge-patch+json": content} if partial else {}),
            },
        }
    }


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Declare a route's problem responses; their content is filled in by `openapi`."""
    return {status: {"description": PROBLEM_DESCRIPTIONS[status]} for status in statuses}


PROBLEM_TITLES = {413: PAYLOAD_TOO_LARGE, 414: URI_TOO_LONG, 422: "Invalid request"}


def _problem_content(status: int, path: str, operation: dict[str, Any]) -> dict[str, Any]:
    example = _problem_example(status, path, operation)
    return {
        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}
    }


def _problem_example(status: int, path: str, operation: dict[str, Any]) -> dict[str, Any]:
    """The problem the route answers with this status, made by the code that answers it,
    at the route's example URL (the generic document where no such code is at hand)."""
    recorded = EXAMPLES.get(operation.get("operationId", ""))
    instance = recorded["request"].partition("?")[0] if recorded else path
    if status == 414:  # answered before routing: no instance
        return dict(json.loads(TOO_LONG))
    made = _made_problem(status, path, operation)
    if made is not None:
        if status in (404, 410) and "{item_id}" in path:  # at the id it names
            instance = path.replace("{item_id}", str(MISSING_ID if status == 404 else GONE_ID))
        return problem_data(made, instance)
    if status == 500:
        return {**PROBLEM_EXAMPLES[500], "instance": instance}
    phrase = HTTPStatus(status).phrase
    return PROBLEM_EXAMPLES.get(status) or {
        "type": f"urn:tradestats:problem:{PROBLEM_KINDS[status]}",
        "title": PROBLEM_TITLES.get(status) or phrase[0] + phrase[1:].lower(),
        "status": status,
        "detail": PROBLEM_DESCRIPTIONS[status] + ".",
        "instance": instance,
    }


MISSING_ID, GONE_ID = 999, 3  # the ids the 404 and 410 examples name
IMPORTS_PATH = "/v1/imports"  # POST; a GET there is the IMPORTS series


def _made_problem(status: int, path: str, operation: dict[str, Any]) -> ProblemException | None:
    resource = next((r for r in (OBSERVATIONS, SOURCES, CLAIMS) if path.startswith(r.path)), None)
    body_types = tuple(operation.get("requestBody", {}).get("content", {}))
    settings = get_settings()
    if status == 400 and body_types:
        try:
            parse_json(b'{"value": }')
        except ProblemException as malformed:
            return malformed
    if status == 400 and operation.get("security"):  # a write with no body: two keys
        two_keys = [(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")]
        try:
            sent_key(Headers(raw=two_keys))
        except ProblemException as conflicting:
            return conflicting
    if status == 401:
        return unauthorized(MISSING_KEY)
    if status == 404 and resource is not None and "{item_id}" in path:
        return unknown_id(resource, MISSING_ID)
    if status == 410 and resource is not None:
        return gone(resource, GONE_ID, "was deleted")
    if status == 412:
        return stale(8) if "{item_id}" in path else weakly_tagged()
    if status == 413:
        imports = path == IMPORTS_PATH
        return too_large(settings.max_import_bytes if imports else settings.max_body_bytes)
    if status == 415 and body_types:
        return unsupported(body_types, "text/plain")
    if status == 429:
        return ProblemException(429, "too-many-requests", "Too many requests", budget_spent(12))
    if status == 503:
        if path == "/readyz":
            return not_ready(NO_DATABASE)
        return ProblemException(503, "database-unavailable", "Service unavailable", BUSY)
    return None


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


RETRY_AFTER = {"Retry-After": _header("Seconds to wait before trying again")}
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": _header("Requests this client may make per window, of this kind"),
    "RateLimit-Remaining": _header("Requests left in this window"),
    "RateLimit-Reset": _header("Seconds until the window starts again"),
}


def _problem_headers(status: int, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    if status == 429:
        return {"headers": RETRY_AFTER | RATE_LIMIT_HEADERS}
    if status == 503:
        return {"headers": RETRY_AFTER}
    body_types = tuple(operation.get("requestBody", {}).get("content", {}))
    if status == 415 and body_types:  # as app.api.body.require_media_type sends them
        return {
            "headers": {
                name: {
                    "description": "The media types this route takes",
                    "schema": {"type": "string", "example": value},
                }
                for name, value in accept_headers(method, body_types).items()
            }
        }
    return {}


PROBLEM_KINDS = {
    401: "unauthorized",
    409: "conflict",
    410: "gone",
    412: "precondition-failed",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-error",  # each route's own example replaces this one
    429: "too-many-requests",
    503: "database-unavailable",
}


def _add_example(operation: dict[str, Any], example: dict[str, Any]) -> None:
    """Put a recorded request and response into an operation's documentation."""
    status = str(example["status"])
    response = operation["responses"].setdefault(status, {})
    response["description"] = f"Example: `{example['method']} {example['request']}`"
    shown = example["response"]
    if isinstance(shown, dict) and isinstance(shown.get("data"), list):
        rows, count = len(shown["data"]), shown.get("count")
        if isinstance(count, int) and count > rows:  # cut by make examples: say so
            response["description"] += f" (its first {rows} of {count} rows)"
    if shown is not None:  # JSON, or a chart's SVG text
        media_type = "image/svg+xml" if isinstance(shown, str) else "application/json"
        response.setdefault("content", {}).setdefault(media_type, {})
        response["content"][media_type]["example"] = shown
    if "csv" in example:  # the same answer's CSV form, its first rows
        response["content"]["text/csv"]["example"] = example["csv"]
    if example["body"] is not None:
        content = operation["requestBody"]["content"]
        content[example["content_type"]]["example"] = example["body"]
        if example["method"] == "PATCH":  # a merge patch reads the same either way
            for media_type in content.values():
                media_type["example"] = example["body"]


def _add_parameter_examples(operation: dict[str, Any], template: str, request: str) -> None:
    """Give each parameter of the recorded request its value there, as the parameter's
    `example`: Swagger UI's "Try it out" fills those in (not the schema's `examples`), so
    Execute sends the request whose answer is documented."""
    path, _, query = request.partition("?")
    values = dict(parse_qsl(query))
    segments = dict(zip(template.split("/"), path.split("/"), strict=False))
    values |= {name[1:-1]: value for name, value in segments.items() if name.startswith("{")}
    for parameter in operation.get("parameters", []):
        value = values.get(parameter["name"])
        if value is not None:
            schema = parameter["schema"]
            types = {option.get("type") for option in [schema, *schema.get("anyOf", [])]}
            parameter["example"] = int(value) if "integer" in types else value


UNKNOWN_PARAMETER = "yaer"  # a typo of year


def _add_unknown_parameter_example(operation: dict[str, Any], example: dict[str, Any]) -> None:
    """Show the 422 the route answers when its example request carries a parameter it does
    not take: made as the route makes it (app/api/deps.py), so it is the route's own."""
    known = frozenset(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
    path, _, query = example["request"].partition("?")
    problem = invalid_fields([unknown_parameter(UNKNOWN_PARAMETER, known)])
    request = f"{path}?{query + '&' if query else ''}{UNKNOWN_PARAMETER}=2024"
    response = operation["responses"]["422"]
    response["description"] += f". Example: `{example['method']} {request}`"
    response["content"][PROBLEM_MEDIA_TYPE]["example"] = problem_data(problem, path)


# A row as a spreadsheet may write it: a typo in its reporter and a decimal comma. It cites
# the seed's source 2, an agency, as the route's own example does.
BAD_IMPORT = ",".join(IMPORT_COLUMNS) + (
    '\nKZA,BGR,EXPORTS,2023,"60,5",USD,6,,2,,Exports were $60.5 million.,\n'
)
EXAMPLE_SOURCES = {2: AGENCY}


def _add_import_example(operation: dict[str, Any]) -> None:
    """Show the 422 an import answers for a bad row rather than a bad parameter: made by the
    import's own checks (app/imports.py), so it is what the route answers for that CSV."""
    report = check_only(CsvRows(BAD_IMPORT), Rules(EXAMPLE_SOURCES, latest_year()))
    response = operation["responses"]["422"]
    response["description"] += (
        f". Example: `POST {IMPORTS_PATH}` with this CSV body:\n\n```\n{BAD_IMPORT}```"
    )
    example = problem_data(ImportFailed(report), IMPORTS_PATH)
    response["content"][PROBLEM_MEDIA_TYPE]["example"] = example


def share_country_codes(node: Any) -> None:
    """Replace each inline copy of the country code list with a reference to one."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and value.get("enum") == COUNTRY_CODE_SCHEMA["enum"]:
                rest = {k: v for k, v in value.items() if k not in COUNTRY_CODE_SCHEMA}
                node[key] = {"$ref": "#/components/schemas/CountryCode", **rest}
            else:
                share_country_codes(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict) and value.get("enum") == COUNTRY_CODE_SCHEMA["enum"]:
                node[index] = {"$ref": "#/components/schemas/CountryCode"}
            else:
                share_country_codes(value)


def _tag_rank(app: FastAPI, path_item: dict[str, Any]) -> int:
    """Where a path goes in the document: with the first of its operations' tags, in the
    order app.openapi_tags gives them, not in the order routers are matched in."""
    names = [tag["name"] for tag in app.openapi_tags or []]
    tags = {tag for operation in path_item.values() for tag in operation.get("tags", [])}
    return min((names.index(tag) for tag in tags if tag in names), default=len(names))


def _add_schema(components: dict[str, Any], name: str, model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    components[name] = schema
    return schema


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
    schema["paths"] = dict(sorted(schema["paths"].items(), key=lambda p: _tag_rank(app, p[1])))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    components["CountryCode"] = {
        **COUNTRY_CODE_SCHEMA,
        "description": "ISO 3166-1 alpha-3 or alpha-2; lower case is accepted too.",
    }
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)  # FastAPI's own 422 shape, replaced by Problem
    for name, model in SCHEMA_MODELS.items():
        _add_schema(components, name, model)
    for name, model in REQUEST_MODELS.items():
        body_schema = _add_schema(components, name, model)
        patch_schema = {
            **body_schema,
            "title": name.removesuffix("Create") + "Patch",
            "description": "Any of the fields; the result must be valid whole.",
        }
        patch_schema.pop("required", None)
        components[patch_schema["title"]] = patch_schema
    share_country_codes(schema["paths"])
    share_country_codes({k: v for k, v in components.items() if k != "CountryCode"})

    for path, path_item in schema["paths"].items():
        for method, operation in path_item.items():
            responses = operation["responses"]
            # What the middleware and the database can answer on any route.
            for status in (414, 500, 503) if path in UNMETERED else (414, 429, 500, 503):
                responses.setdefault(str(status), {})
            for status, response in responses.items():
                if path not in UNMETERED and int(status) < 400:  # what each answer says
                    response["headers"] = {**response.get("headers", {}), **RATE_LIMIT_HEADERS}
                if int(status) >= 400:
                    response["description"] = PROBLEM_DESCRIPTIONS[int(status)]
                    response["content"] = _problem_content(int(status), path, operation)
                    response.update(_problem_headers(int(status), method, operation))
            example = EXAMPLES.get(operation["operationId"])
            if example is not None:
                _add_example(operation, example)
                _add_parameter_examples(operation, path, example["request"])
                if "422" in responses and (method, path) == ("post", IMPORTS_PATH):
                    _add_import_example(operation)
                elif "422" in responses:
                    _add_unknown_parameter_example(operation, example)
    app.openapi_schema = schema
    return schema
