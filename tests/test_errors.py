"""Every error has one shape: RFC 9457 application/problem+json."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.types import Receive, Scope, Send

from app.db import get_session
from app.main import app
from app.middleware import ProblemCORSMiddleware

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= set(body) <= PROBLEM_KEYS | {"errors", "errors_truncated"}
    assert body["status"] == status
    assert body["type"].startswith("urn:tradestats:problem:")
    assert body["title"] and body["detail"]
    return body


def test_404_unknown_route(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/nothing-here"), 404)
    assert body["instance"] == "/v1/nothing-here"
    assert body["title"] == "Not found"


def test_404_missing_figure(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/turnover/2023?reporter=KAZ&partner=BGR"), 404)
    assert body["type"] == "urn:tradestats:problem:not-found"


def test_405_wrong_method(client: TestClient) -> None:
    response = client.post("/v1/turnover")
    body = assert_problem(response, 405)
    assert body["title"] == "Method not allowed"
    assert response.headers["allow"] == "GET, HEAD"  # HEAD is answered wherever GET is
    assert client.head("/v1/turnover?reporter=KAZ&partner=BGR").status_code == 200


def test_405_of_the_docs_static_files_keeps_their_allow(client: TestClient) -> None:
    response = client.post("/static/docs/swagger-ui.css")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("asked", "refused", "how"),
    [
        ({"Access-Control-Request-Method": "POST"}, "POST", "CORS_ALLOW_METHODS"),
        (
            {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Foo"},
            "X-Foo",
            "send only Accept",
        ),
    ],
)
def test_400_refused_cors_preflight(
    client: TestClient, asked: dict[str, str], refused: str, how: str
) -> None:
    response = client.options("/v1/observations", headers={"Origin": "http://e.x", **asked})
    body = assert_problem(response, 400)
    assert body["instance"] == "/v1/observations"
    assert refused in body["detail"] and how in body["detail"]
    # The CORS headers of Starlette's refusal stay: the browser reads what is allowed.
    assert response.headers["access-control-allow-methods"] == "GET, HEAD"
    assert "If-Match" in response.headers["access-control-allow-headers"]


def test_400_refused_cors_origin() -> None:
    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("a preflight never reaches the app")  # pragma: no cover

    cors = ProblemCORSMiddleware(endpoint, allow_origins=["https://ours.example"])
    response = TestClient(cors).options(
        "/v1/sources",
        headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"},
    )
    body = assert_problem(response, 400)
    assert "https://other.example" in body["detail"]
    assert "CORS_ALLOW_ORIGINS" in body["detail"]


def test_422_lists_every_field_error(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/growth?reporter=XX&from=abc"), 422)
    fields = sorted(e["field"] for e in body["errors"])
    assert fields == ["from", "indicator", "partner", "reporter", "to"]
    assert all(set(e) == {"location", "field", "message"} for e in body["errors"])


def test_400_invalid_cursor(client: TestClient) -> None:
    assert_problem(client.get("/v1/observations?cursor=%%%"), 400)


def test_unexpected_500_is_a_problem_without_internals(client: TestClient) -> None:
    def broken_session() -> Iterator[Session]:
        raise RuntimeError("secret internal detail")
        yield  # pragma: no cover

    app.dependency_overrides[get_session] = broken_session
    body = assert_problem(client.get("/v1/sources"), 500)
    assert "secret" not in body["detail"]
    assert body["type"] == "urn:tradestats:problem:internal-error"


def test_a_500_carries_the_headers_every_answer_has(client: TestClient) -> None:
    """Starlette's ServerErrorMiddleware, outside every other middleware, sent the 500
    without X-Request-ID (the one way to find its log line), nosniff or CORS headers."""

    def broken_session() -> Iterator[Session]:
        raise RuntimeError("secret internal detail")
        yield  # pragma: no cover

    app.dependency_overrides[get_session] = broken_session
    headers = {"X-Request-ID": "find-me-1", "Origin": "https://example.org"}
    for method in ("GET", "HEAD"):
        response = client.request(method, "/v1/sources", headers=headers)
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["x-request-id"] == "find-me-1"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["access-control-allow-origin"] == "*"
    assert assert_problem(client.get("/v1/sources"), 500)["instance"] == "/v1/sources"


@pytest.mark.parametrize(
    "path",
    ["/v1/sources/x", "/v1/investment/abc?reporter=KAZ&partner=BGR", "/v1/observations?limit=x"],
)
def test_422_from_path_and_query(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 422)
