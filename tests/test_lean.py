"""Lean routes (app/api/lean.py) answer exactly as the FastAPI routes they stand in for.

Each URL is asked of the app as it runs, and of the same app with its lean twins taken
out, so FastAPI's own solving answers: status, headers and body must be equal, for good
requests and for every kind of bad parameter."""

from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.api.lean import LeanRoute, _Parameters, install_lean_routes, lean
from app.main import create_app
from tests.conftest import BASE_URL, serve_from

URLS = [
    # good
    "/v1/exports?reporter=KAZ&partner=BGR",
    "/v1/turnover?reporter=kz&partner=bg&start_year=2023&end_year=2024",
    "/v1/imports?reporter=KAZ&partner=BGR&year=2024&format=csv",
    "/v1/investment?reporter=KAZ&partner=BGR&include=implied",
    "/v1/turnover?reporter=KAZ&partner=BGR&include=implied&as_of=2030-01-01T00:00:00%2B02:00",
    "/v1/investment/2024?reporter=KAZ&partner=BGR",
    "/v1/balance/2024?reporter=KAZ&partner=BGR&format=json",
    "/v1/observations?reporter=KAZ&indicator=fdi_inflow",
    "/v1/observations?limit=1",
    "/v1/observations?limit=2&cursor=WyJLQVoiLCAiQkdSIiwgIkVYUE9SVFMiLCAyMDI0XQ",
    "/v1/growth/partners?indicator=FDI_INFLOW&reporter=KAZ&from=2023&to=2024",
    "/v1/exports?reporter=KAZ&partner=BGR&unknown=1",
    # bad
    "/v1/exports",
    "/v1/exports?reporter=KAZ",
    "/v1/exports?reporter=XXX&partner=",
    "/v1/exports?reporter=KAZ&partner=KAZ",
    "/v1/exports?reporter=KAZ&partner=BGR&reporter=USA",
    "/v1/exports?reporter=KAZ&partner=BGR&year=abc&start_year=1800&end_year=2200",
    "/v1/exports?reporter=KAZ&partner=BGR&year=2024&start_year=2020",
    "/v1/exports?reporter=KAZ&partner=BGR&start_year=2024&end_year=2020",
    "/v1/exports?reporter=KAZ&partner=BGR&include=everything&format=xml",
    "/v1/exports?reporter=KAZ&partner=BGR&as_of=yesterday",
    "/v1/exports?reporter=KAZ&partner=BGR&as_of=2024-01-01T00:00:00",
    "/v1/exports?reporter=KAZ&partner=BGR&as_of=0.5",
    "/v1/exports/abc?reporter=KAZ&partner=BGR",
    "/v1/exports/1066?reporter=KAZ",
    "/v1/exports/2023?reporter=KAZ&partner=BGR",
    "/v1/observations?limit=0",
    "/v1/observations?limit=100000&indicator=NOPE",
    "/v1/observations?cursor=not-a-cursor",
    "/v1/growth/partners?indicator=EXPORTS&reporter=KAZ&from=2024&to=2023",
    "/v1/growth/partners?indicator=EXPORTS&reporter=KAZ&from_year=2023&to_year=2024",
    "/v1/growth/partners?reporter=KAZ&from=x&to=",
]
# Per request, or a countdown that may tick between the two requests.
UNSTABLE_HEADERS = {"x-request-id", "date", "ratelimit-reset"}


def without_lean_routes() -> FastAPI:
    app = create_app()
    app.router.routes[:] = [r for r in app.router.routes if not isinstance(r, LeanRoute)]
    return app


@pytest.fixture
def clients(engine: Engine) -> Iterator[tuple[TestClient, TestClient]]:
    served, reference = create_app(), without_lean_routes()
    assert any(isinstance(r, LeanRoute) for r in served.router.routes)
    for app in (served, reference):
        serve_from(engine, app)
    with (
        TestClient(served, base_url=BASE_URL, raise_server_exceptions=False) as lean_client,
        TestClient(reference, base_url=BASE_URL, raise_server_exceptions=False) as fastapi,
    ):
        yield lean_client, fastapi


def answer(client: TestClient, method: str, url: str) -> tuple[int, dict[str, str], bytes]:
    response = client.request(method, url)
    headers = {k: v for k, v in response.headers.items() if k not in UNSTABLE_HEADERS}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("url", URLS)
def test_lean_route_answers_as_fastapi_does(
    clients: tuple[TestClient, TestClient], url: str
) -> None:
    lean_client, fastapi = clients
    assert answer(lean_client, "GET", url) == answer(fastapi, "GET", url)


@pytest.mark.parametrize("method", ["HEAD", "POST", "DELETE"])
def test_other_methods_answer_as_fastapi_does(
    clients: tuple[TestClient, TestClient], method: str
) -> None:
    lean_client, fastapi = clients
    url = "/v1/exports?reporter=KAZ&partner=BGR"
    assert answer(lean_client, method, url) == answer(fastapi, method, url)


def test_a_bad_parameter_is_a_problem_naming_it(clients: tuple[TestClient, TestClient]) -> None:
    lean_client, _ = clients
    response = lean_client.get("/v1/growth/partners?indicator=EXPORTS&reporter=KAZ&from=x")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {(e["location"], e["field"]) for e in response.json()["errors"]}
    assert fields == {("query", "from"), ("query", "to")}


def test_the_document_is_the_same_with_or_without_lean_routes() -> None:
    assert create_app().openapi() == without_lean_routes().openapi()


def test_a_sync_endpoint_cannot_be_lean() -> None:
    def sync_endpoint() -> Response:
        return Response()

    with pytest.raises(TypeError, match="must be async"):
        lean(sync_endpoint)


def test_metrics_name_the_route_a_lean_twin_served(
    clients: tuple[TestClient, TestClient],
) -> None:
    lean_client, _ = clients
    assert lean_client.get("/v1/exports/2024?reporter=KAZ&partner=BGR").status_code == 200
    metrics = lean_client.get("/metrics").text
    assert 'route="/v1/exports/{year}",status="200"' in metrics


def test_the_twin_is_what_serves(
    clients: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    read = _Parameters.read
    seen: list[str] = []

    def spy(self: _Parameters, request: Request) -> dict[str, Any]:
        seen.append(request.url.path)
        return read(self, request)

    monkeypatch.setattr(_Parameters, "read", spy)
    lean_client, fastapi = clients
    assert lean_client.get("/v1/exports?reporter=KAZ&partner=BGR").status_code == 200
    assert fastapi.get("/v1/exports?reporter=KAZ&partner=BGR").status_code == 200
    assert seen == ["/v1/exports"]


def deny() -> None:
    raise HTTPException(403, "denied")


def thing_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/thing")
    @lean
    async def thing(size: int = 1) -> Response:
        return Response(f"size {size}")

    return router


def test_a_twin_keeps_the_prefix_and_dependencies_of_its_inclusion() -> None:
    app = FastAPI()
    app.include_router(thing_router(), prefix="/api", dependencies=[Depends(deny)])
    install_lean_routes(app)
    assert any(isinstance(r, LeanRoute) and r.path == "/api/v1/thing" for r in app.router.routes)
    with TestClient(app) as client:
        assert client.get("/api/v1/thing").status_code == 403
        assert client.get("/v1/thing").status_code == 404


def test_overrides_are_called_as_fastapi_calls_them() -> None:
    calls: list[str] = []

    def plain() -> None:  # a plain def, run in the threadpool as FastAPI runs it
        calls.append("plain")

    async def with_request(request: Request) -> None:
        calls.append(request.url.path)

    app = FastAPI(dependencies=[Depends(deny)])
    app.include_router(thing_router())
    install_lean_routes(app)
    app.dependency_overrides[deny] = plain
    with TestClient(app) as client:
        assert client.get("/v1/thing?size=2").text == "size 2"
        app.dependency_overrides[deny] = with_request
        assert client.get("/v1/thing").text == "size 1"
    assert calls == ["plain", "/v1/thing"]


def session() -> Iterator[str]:
    yield "session"


def key(x_key: Annotated[str | None, Header()] = None) -> None:
    if x_key is None:
        raise HTTPException(401)


async def reads_a_header(x_token: Annotated[str, Header()]) -> Response:
    return Response(x_token)


async def takes_a_list(tag: Annotated[list[str], Query()]) -> Response:
    return Response(",".join(tag))


async def uses_a_session(value: Annotated[str, Depends(session)]) -> Response:
    return Response(value)


async def needs_a_key(request: Request) -> Response:
    return Response(request.url.path)


@pytest.mark.parametrize(
    ("endpoint", "dependencies", "reason"),
    [
        (reads_a_header, [], "a GET of query and path parameters"),
        (takes_a_list, [], "tag must be one plain value"),
        (uses_a_session, [], "take at most the request"),
        (needs_a_key, [Depends(key)], "take at most the request"),
    ],
)
def test_what_a_twin_cannot_do_fails_at_startup(
    endpoint: Any, dependencies: list[Any], reason: str
) -> None:
    app = FastAPI(dependencies=dependencies)
    app.get("/refused")(lean(endpoint))
    with pytest.raises(TypeError, match=reason):
        install_lean_routes(app)
