"""The OpenAPI document, every route documented and every example true; the docs pages."""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from app.api.openapi import EXAMPLES, RATE_LIMIT_HEADERS
from app.imports import EXPORT_ONLY
from app.inputs import ObservationCreate
from app.main import app
from app.web.headers import source_hash
from tests.make_examples import SCENARIO, run_scenario, text_without_times, without_times

OPENAPI = app.openapi()
OPERATIONS = [
    (path, method, operation)
    for path, item in OPENAPI["paths"].items()
    for method, operation in item.items()
]
IDS = [f"{method.upper()} {path}" for path, method, _ in OPERATIONS]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=IDS)
def test_every_route_has_summary_description_tag_and_example(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    assert operation.get("summary"), "no summary"
    assert len(operation.get("description", "")) > 40, "no real description"
    assert operation.get("tags"), "no tag"
    example = EXAMPLES[operation["operationId"]]
    success = operation["responses"][str(example["status"])]
    assert success["description"].startswith("Example:")
    if example["status"] != 204:
        expected = "image/svg+xml" if path.endswith(".svg") else "application/json"
        assert "example" in success["content"][expected], "no example response"
    if "requestBody" in operation:
        assert any("example" in c for c in operation["requestBody"]["content"].values()), (
            "no example request body"
        )


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=IDS)
def test_try_it_out_is_filled_with_the_documented_request(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    """Swagger UI fills a parameter in from its `example`: with every one the recorded
    request carries, and every required one, Execute sends the request documented."""
    parameters = operation.get("parameters", [])
    filled = {p["name"]: p["example"] for p in parameters if "example" in p}
    assert all(p["name"] in filled for p in parameters if p["required"] and p["in"] != "header")
    in_path = {p["name"] for p in parameters if p["in"] == "path"}
    sent = path.format(**{name: filled[name] for name in in_path})
    query = urlencode({name: value for name, value in filled.items() if name not in in_path})
    recorded = EXAMPLES[operation["operationId"]]["request"]
    assert sent + (f"?{query}" if query else "") == recorded


GETS = [(path, operation) for path, method, operation in OPERATIONS if method == "get"]


@pytest.mark.parametrize(("path", "operation"), GETS, ids=[f"GET {path}" for path, _ in GETS])
def test_a_documented_304_and_etag_are_what_the_route_does(
    client: TestClient, path: str, operation: dict[str, Any]
) -> None:
    """Where the document promises an ETag and a 304, a GET gets both; where it promises
    an ETag but no 304, If-None-Match is ignored; every header it documents is sent."""
    # Item 1 of each resource is seeded; the examples' ids are made by their scenario.
    url = path.replace("{item_id}", "1") if "{item_id}" in path else None
    first = client.get(url or EXAMPLES[operation["operationId"]]["request"])
    assert first.status_code == 200
    documented = operation["responses"]["200"].get("headers", {})
    assert {name.lower() for name in documented} <= set(first.headers)
    if "ETag" not in documented:
        assert "304" not in operation["responses"]
        return
    again = client.get(first.url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == (304 if "304" in operation["responses"] else 200)
    assert {"etag", "cache-control", "vary"} <= set(again.headers)


def test_a_write_sends_the_headers_it_documents(client: TestClient, auth: dict) -> None:
    source = {"slug": "documented", "kind": "agency", "title": "Documented headers"}
    created = client.post("/v1/sources", json=source, headers=auth)
    patched = client.patch(created.headers["location"], json={"title": "T"}, headers=auth)
    item = OPENAPI["paths"]["/v1/sources/{item_id}"]
    for response, documented in (
        (created, OPENAPI["paths"]["/v1/sources"]["post"]["responses"]["201"]),
        (patched, item["patch"]["responses"]["200"]),
    ):
        assert set(documented["headers"]) == {"ETag", "Location", *RATE_LIMIT_HEADERS}
        assert {name.lower() for name in documented["headers"]} <= set(response.headers)


REFUSING = [(p, m, o) for p, m, o in OPERATIONS if "415" in o["responses"]]


@pytest.mark.parametrize(
    ("path", "method", "operation"), REFUSING, ids=[f"{m.upper()} {p}" for p, m, _ in REFUSING]
)
def test_a_415_documents_the_headers_naming_what_it_takes(
    client: TestClient, auth: dict, path: str, method: str, operation: dict[str, Any]
) -> None:
    """A 415 sends `Accept` (and on a PATCH `Accept-Patch`) naming the body's types, as the
    README says; the document listed neither. A DELETE takes no body, and names none."""
    url = path.replace("{item_id}", "1")
    text = {**auth, "Content-Type": "text/plain"}
    refused = client.request(method, url, content=b"{}", headers=text)
    assert refused.status_code == 415
    documented = operation["responses"]["415"].get("headers", {})
    sent = {"delete": set(), "patch": {"Accept", "Accept-Patch"}}.get(method, {"Accept"})
    assert set(documented) == sent
    assert sent == {name for name in ("Accept", "Accept-Patch") if name in refused.headers}
    for name in sent:
        assert documented[name]["schema"]["example"] == refused.headers[name]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=IDS)
def test_every_error_response_is_a_documented_problem(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    for status, response in operation["responses"].items():
        if int(status) >= 400:
            content = response["content"]
            assert list(content) == ["application/problem+json"], status
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
            assert content["application/problem+json"]["example"]["status"] == int(status)


def test_parameters_are_described() -> None:
    for path, method, operation in OPERATIONS:
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            documented = (
                parameter.get("description")
                or parameter.get("examples")
                or schema.get("description")
                or schema.get("examples")
            )
            assert documented, f"{method.upper()} {path}: parameter {parameter['name']}"


PYDANTIC_ONLY = {"ge", "gt", "le", "lt", "min_length", "max_length"}  # not JSON Schema


def keys_in(node: object) -> set[str]:
    if isinstance(node, dict):
        return set(node).union(*(keys_in(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(keys_in(value) for value in node))
    return set()


def test_bounds_are_json_schema_keywords() -> None:
    """`minimum` and `maximum`, which clients and schemathesis read; a validator placed
    before a parameter's Query() leaks pydantic's `ge` and `le` instead."""
    assert not keys_in(OPENAPI) & PYDANTIC_ONLY
    (year,) = [
        p for p in OPENAPI["paths"]["/v1/exports"]["get"]["parameters"] if p["name"] == "year"
    ]
    assert {"minimum": 1900, "maximum": 2100}.items() <= year["schema"]["anyOf"][0].items()


def test_operation_ids_are_stable_and_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids))
    assert set(ids) == {step.operation_id for step in SCENARIO} == set(EXAMPLES)


def test_each_documented_example_is_what_the_service_answers(tmp_path: Path) -> None:
    """Replay the documented scenario on a fresh seed: same statuses, same bodies."""
    for step, status, body, as_csv in run_scenario(tmp_path):
        example = EXAMPLES[step.operation_id]
        assert (example["method"], example["request"], example["body"]) == (
            step.method,
            step.url,
            step.body,
        ), f"{step.operation_id}: run `make examples`"
        assert status == example["status"], step.operation_id
        assert without_times(body) == without_times(example["response"]), (
            f"{step.operation_id}: run `make examples`"
        )
        assert text_without_times(as_csv) == text_without_times(example.get("csv")), (
            f"{step.operation_id}: run `make examples`"
        )


def test_problem_examples_match_real_problems(client: TestClient) -> None:
    problems = {
        400: client.get("/v1/observations?cursor=zz"),
        404: client.get("/v1/turnover/2023?reporter=KAZ&partner=BGR"),
    }
    from app.api.openapi import PROBLEM_EXAMPLES

    for status, response in problems.items():
        assert response.json() == PROBLEM_EXAMPLES[status]


WRITES = [(p, m, o) for p, m, o in OPERATIONS if m in ("post", "put", "patch", "delete")]


@pytest.mark.parametrize(
    ("path", "method", "operation"), WRITES, ids=[f"{m} {p}" for p, m, _ in WRITES]
)
def test_a_write_s_problem_examples_are_what_it_answers(
    client: TestClient, auth: dict, path: str, method: str, operation: dict[str, Any]
) -> None:
    """Its 401, 415 and 400 examples, at its example URL: once one generic document on
    every route (a write's 400 was an invalid cursor, at /v1/observations). A DELETE takes
    no body: its 400 is two keys."""
    url = EXAMPLES[operation["operationId"]]["request"]
    body_types = list(operation.get("requestBody", {}).get("content", {}))
    body_type = "application/json" if "application/json" in body_types else None
    two_keys = [*auth.items(), ("Authorization", "Bearer b")]
    sent = {
        401: client.request(method, url),
        415: client.request(
            method, url, content="x", headers={**auth, "Content-Type": "text/plain"}
        ),
        400: client.request(
            method, url, content='{"value": }', headers={**auth, "Content-Type": str(body_type)}
        )
        if body_type
        else client.request(method, url, headers=two_keys),
    }
    for status, response in sent.items():
        if str(status) not in operation["responses"] or (status == 415 and body_type is None):
            continue
        example = operation["responses"][str(status)]["content"]["application/problem+json"]
        assert (response.status_code, response.json()) == (status, example["example"])


def test_readiness_documents_its_own_503() -> None:
    example = OPENAPI["paths"]["/readyz"]["get"]["responses"]["503"]["content"]
    problem = example["application/problem+json"]["example"]
    assert (problem["type"], problem["instance"]) == ("urn:tradestats:problem:not-ready", "/readyz")


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=IDS)
def test_each_route_s_422_example_is_what_it_answers(
    client: TestClient, auth: dict, path: str, method: str, operation: dict[str, Any]
) -> None:
    """The example request of the 422's description, sent with the CSV body it shows, or
    else with the route's example body."""
    documented = operation["responses"]["422"]
    request = re.search(EXAMPLE_422, documented["description"], re.DOTALL)
    assert request and request[1] == method.upper()
    example = EXAMPLES[operation["operationId"]]
    body, content_type = (request[3], "text/csv") if request[3] else example_body(example)
    headers = {**auth, "Content-Type": content_type} if body is not None else auth
    response = client.request(request[1], request[2], content=body, headers=headers)
    assert response.json() == documented["content"]["application/problem+json"]["example"]


# A 422's description ends with its example request, and the CSV body it sends if any.
EXAMPLE_422 = r"Example: `(\w+) (\S+)`(?: with this CSV body:\n\n```\n(.*)```)?$"


def example_body(example: dict[str, Any]) -> tuple[str | None, str]:
    """A recorded example's request body as sent, and its media type."""
    body = example["body"]
    return json.dumps(body) if isinstance(body, dict | list) else body, example["content_type"]


def test_the_import_s_422_example_is_a_bad_row(client: TestClient, auth: dict) -> None:
    """It was a query parameter it does not take, as on every route: a reader of the docs
    saw nothing of a row that fails its checks, nor how `errors` names its line."""
    documented = OPENAPI["paths"]["/v1/imports"]["post"]["responses"]["422"]
    request = re.search(EXAMPLE_422, documented["description"], re.DOTALL)
    assert request and request[3] == (
        "reporter,partner,indicator,year,value,currency,multiplier,precision,source_id,"
        "publication_id,quote,note\n"
        'KZA,BGR,EXPORTS,2023,"60,5",USD,6,,2,,Exports were $60.5 million.,\n'
    )
    headers = {**auth, "Content-Type": "text/csv"}
    response = client.post("/v1/imports", content=request[3], headers=headers)
    assert response.status_code == 422
    assert response.json() == documented["content"]["application/problem+json"]["example"]
    assert response.json() == {
        "type": "urn:tradestats:problem:import-invalid",
        "title": "Invalid import",
        "status": 422,
        "detail": "2 problems in 1 of 1 row; nothing was imported.",
        "instance": "/v1/imports",
        "errors": [
            {
                "location": "line 2",
                "field": "reporter",
                "message": "unknown country code 'KZA': use ISO 3166-1 alpha-3 (KAZ) or "
                "alpha-2 (KZ)",
            },
            {
                "location": "line 2",
                "field": "value",
                "message": "must be a number such as 12.5: digits with '.' for the decimal "
                "point (in JSON, not a string in quotes)",
            },
        ],
    }


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/static/docs/swagger-ui.css", "/favicon.ico"])
def test_docs_pages_are_not_in_the_api_schema(path: str) -> None:
    assert path not in OPENAPI["paths"]


@pytest.mark.parametrize(
    ("path", "assets"),
    [
        ("/docs", ["swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"]),
        ("/redoc", ["redoc.standalone.js", "favicon.png"]),
    ],
)
def test_docs_are_served_from_this_service(client: TestClient, path: str, assets: list) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "/openapi.json" in response.text
    links = re.findall(r'(?:src|href)="([^"]*)"', response.text)
    assert sorted(links) == sorted(f"/static/docs/{a}" for a in assets)
    for link in links:
        asset = client.get(link)
        assert asset.status_code == 200
        assert len(asset.content) > 1000
    assert "googleapis" not in response.text


# What the docs' scripts and styles would load from elsewhere: an element's `src` (as React
# writes it) or a stylesheet's url(). A link (ReDoc's "API docs by Redocly") loads nothing.
LOADED_FROM_ELSEWHERE = re.compile(rb'\bsrc:\s*"(?:https?:)?//|url\(\s*["\']?(?:https?:)?//')


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_and_their_files_load_nothing_from_elsewhere(
    client: TestClient, path: str
) -> None:
    """ReDoc's side menu showed Redocly's logo from cdn.redoc.ly: blocked by the page's
    policy, with an error in the console, and with no network not there at all."""
    links = re.findall(r'(?:src|href)="([^"]*)"', client.get(path).text)
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links)
    for link in links:
        assert LOADED_FROM_ELSEWHERE.findall(client.get(link).content) == [], link


def test_redoc_s_bundle_loses_only_the_logo_and_keeps_its_etag(client: TestClient) -> None:
    bundle = client.get("/static/docs/redoc.standalone.js")
    assert bundle.headers["content-type"] == "text/javascript; charset=utf-8"
    assert b"cdn.redoc.ly" not in bundle.content
    assert b"API docs by Redocly" in bundle.content  # the credit stays, as a link
    again = client.get(bundle.url, headers={"If-None-Match": bundle.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert client.head(bundle.url).headers["content-length"] == str(len(bundle.content))


def test_a_browser_showing_json_finds_the_pages_icon(client: TestClient) -> None:
    """A browser asks for /favicon.ico on a page that names no icon, as JSON is."""
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon.headers["content-type"]) == (200, "image/png")
    assert icon.history[0].status_code == 301
    assert icon.content == client.get("/static/docs/favicon.png").content


def test_docs_policy_allows_only_local_scripts_and_the_page_s_own(client: TestClient) -> None:
    response = client.get("/docs")
    policy = dict(d.split(" ", 1) for d in response.headers["content-security-policy"].split("; "))
    (inline,) = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == f"'self' {source_hash(inline)}"
    assert policy["connect-src"] == "'self'"  # Try it out reaches this service only


@pytest.mark.parametrize("range_", ["items=0-5", "bytes=abc", "bytes=99999999-", "bytes=0-9"])
def test_the_docs_files_are_sent_whole_whatever_the_range(client: TestClient, range_: str) -> None:
    """RFC 9110, 14.2: a range unit the server does not know is ignored, and any range may
    be; Starlette's text/plain 400 and 416 would be the only errors that are no problem."""
    whole = client.get("/static/docs/swagger-ui.css")
    response = client.get("/static/docs/swagger-ui.css", headers={"Range": range_})
    assert (response.status_code, response.content) == (200, whole.content)
    assert "accept-ranges" not in response.headers


@pytest.mark.parametrize("asset", ["swagger-ui-bundle.js", "redoc.standalone.js"])
def test_the_docs_files_are_revalidated_so_an_upgrade_is_seen(
    client: TestClient, asset: str
) -> None:
    """They had a validator but no Cache-Control, so a browser could take one as fresh for
    a tenth of its age (RFC 9111, 4.2.2) and run an old bundle for days after an upgrade."""
    sent = client.get(f"/static/docs/{asset}")
    assert sent.headers["cache-control"] == "public, no-cache"
    validator = {"If-None-Match": sent.headers["etag"]}
    again = client.get(f"/static/docs/{asset}", headers=validator)
    assert (again.status_code, again.headers["cache-control"]) == (304, "public, no-cache")


def test_every_import_body_example_imports(client: TestClient, auth: dict) -> None:
    """Each media type's example, CSV or JSON, is a valid import (checked as a dry run)."""
    content = OPENAPI["paths"]["/v1/imports"]["post"]["requestBody"]["content"]
    for media_type, documented in content.items():
        body = documented["example"]
        sent = body if isinstance(body, str) else json.dumps(body)
        response = client.post(
            "/v1/imports?dry_run=true",
            content=sent,
            headers={**auth, "Content-Type": media_type},
        )
        assert (response.status_code, response.json()["rows"]) == (200, 1), media_type


def test_a_json_import_documents_the_rows_the_json_export_gives(
    client: TestClient, auth: dict
) -> None:
    """The export's rows import (their own fields ignored), so the import's schema must
    admit them: each of their fields is a documented property of a row."""
    body = OPENAPI["paths"]["/v1/imports"]["post"]["requestBody"]["content"]["application/json"]
    row = OPENAPI["components"]["schemas"][
        body["schema"]["oneOf"][0]["items"]["$ref"].rsplit("/", 1)[1]
    ]
    exported = client.get("/v1/observations").json()["data"]
    assert exported and all(set(r) <= set(row["properties"]) for r in exported)
    assert row["additionalProperties"] is False  # anything else is still refused
    # Exactly the fields the importer drops, beside a POST body's.
    assert set(row["properties"]) - set(ObservationCreate.model_fields) == set(EXPORT_ONLY)
    sent = client.post("/v1/imports", json=exported, headers=auth)
    assert (sent.status_code, sent.json()["unchanged"]) == (200, len(exported))
