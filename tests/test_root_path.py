"""Behind a proxy that serves the app under a prefix (uvicorn's `--root-path /stats`): every
path the app writes for a client to follow starts with the prefix, or the client asks the
proxy for a page it does not have.

uvicorn puts the root path in the scope and at the head of the path (the ASGI spec), so a
TestClient with `root_path` that asks for /stats/… sees what uvicorn passes on.
"""

import re
import sys
from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.conftest import BASE_URL, TURNOVER_2023, serving
from tests.live_server import live_server
from tests.test_operations import entrypoint_env, limited

PREFIX = "/stats"
# Where a page names a path: links, scripts and styles, and the docs' OpenAPI document.
NAMED = re.compile(r"""(?:src|href|spec-url)="([^"]*)"|url: '([^']*)'""")


@pytest.fixture
def proxied(engine: Engine) -> Iterator[TestClient]:
    with serving(engine, root_path=PREFIX) as client:
        yield client


def named_paths(html: str) -> list[str]:
    """The paths of this service a page names (not a source's own site)."""
    found = [unescape(a or b) for a, b in NAMED.findall(html)]
    return [path for path in found if not re.match(r"(?i)https?:", path)]


@pytest.mark.parametrize("page", ["/", "/docs", "/redoc"])
def test_every_path_a_page_names_is_under_the_root_path(proxied: TestClient, page: str) -> None:
    """The overview linked /docs, each series, its chart and each claim at the bare path."""
    response = proxied.get(PREFIX + page)
    assert response.status_code == 200
    paths = named_paths(response.text)
    assert paths
    assert [p for p in paths if not p.startswith(PREFIX + "/")] == []
    for path in set(paths):
        assert proxied.get(path).status_code == 200, path


def test_the_paths_the_overview_shows_as_text_are_under_the_root_path(
    proxied: TestClient,
) -> None:
    html = proxied.get(PREFIX + "/").text
    shown = [unescape(text) for text in re.findall(r"<code>([^<]*)</code>", html)]
    assert shown
    assert [text for text in shown if not text.startswith(PREFIX + "/")] == []


def test_the_favicon_redirect_is_under_the_root_path(proxied: TestClient) -> None:
    response = proxied.get(PREFIX + "/favicon.ico", follow_redirects=False)
    assert response.headers["location"] == f"{PREFIX}/static/docs/favicon.png"


def test_next_pages_are_under_the_root_path(proxied: TestClient) -> None:
    response = proxied.get(PREFIX + "/v1/observations", params={"limit": 1})
    following = response.json()["next"]
    assert following.startswith(f"{BASE_URL}{PREFIX}/v1/observations?")
    assert response.headers["link"] == f'<{following}>; rel="next"'
    assert proxied.get(following).status_code == 200


def test_the_api_description_links_the_overview_from_where_it_is_read(
    proxied: TestClient,
) -> None:
    """/docs and /redoc show the description, whose link to the overview was "/"."""
    description = proxied.get(PREFIX + "/openapi.json").json()["info"]["description"]
    links = re.findall(r"\]\(([^)]*)\)", description)
    assert links
    for page in ("/docs", "/redoc", "/openapi.json"):
        assert {urljoin(BASE_URL + PREFIX + page, link) for link in links} == {
            f"{BASE_URL}{PREFIX}/"
        }


def test_a_written_items_location_is_under_the_root_path(
    proxied: TestClient, auth: dict[str, str]
) -> None:
    created = proxied.post(PREFIX + "/v1/observations", json=TURNOVER_2023, headers=auth)
    assert created.status_code == 201
    location = created.headers["location"]
    assert location == f"{PREFIX}/v1/observations/{created.json()['id']}"
    changed = proxied.patch(location, json={"note": "Checked."}, headers=auth)
    assert (changed.status_code, changed.headers["location"]) == (200, location)
    again = proxied.post(PREFIX + "/v1/observations", json=TURNOVER_2023, headers=auth)
    assert again.status_code == 409
    assert again.headers["location"] == location
    # The detail named the bare path, which the proxy does not serve.
    assert again.json()["detail"] == (
        "An observation with reporter KAZ, partner BGR, indicator TURNOVER, year 2023 already "
        f"exists: {location}. Update it with PUT or PATCH instead."
    )


def test_a_deleted_item_s_410_names_its_history_under_the_root_path(
    proxied: TestClient, auth: dict[str, str]
) -> None:
    created = proxied.post(PREFIX + "/v1/observations", json=TURNOVER_2023, headers=auth)
    location = created.headers["location"]
    assert proxied.delete(location, headers=auth).status_code == 204
    history = f"{location}/revisions"
    for gone in (proxied.get(location), proxied.delete(location, headers=auth)):
        assert gone.status_code == 410
        assert gone.json()["detail"] == (
            f"The observation {created.json()['id']} was deleted; its history is at {history}."
        )
    assert proxied.get(history).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_health_checks_under_the_root_path_are_never_limited(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """The limiter compared the whole path, /stats/healthz, with /healthz: behind the
    proxy, a health check spent the proxy's budget and was refused with the rest."""
    limited_app: FastAPI = limited(engine, monkeypatch, "RATE_LIMIT_READS")
    with TestClient(limited_app, root_path=PREFIX) as client:
        responses = [client.get(PREFIX + path) for _ in range(4)]
    assert [r.status_code for r in responses] == [200] * 4
    assert "ratelimit-limit" not in responses[0].headers


STARTS: dict[str, Callable[[int], list[str]]] = {
    "make": lambda port: ["make", "-s", "serve", f"PORT={port}"],
    "cli": lambda port: [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
    "entrypoint": lambda _: ["sh", "docker/entrypoint.sh"],  # reads PORT
}


@pytest.mark.parametrize("start", STARTS)
def test_each_way_to_serve_takes_the_root_path_from_the_environment(
    engine: Engine, tmp_path: Path, start: str
) -> None:
    """The README: UVICORN_ROOT_PATH, for `make serve`, `tradestats serve` and the image."""
    url = engine.url.render_as_string(hide_password=False)
    env = entrypoint_env(tmp_path, UVICORN_ROOT_PATH=PREFIX)
    with live_server(url, env=env, command=STARTS[start]) as base:  # as the proxy passes it on
        html = httpx.get(f"{base}/").text
    assert f'<a href="{PREFIX}/docs">API docs</a>' in html
