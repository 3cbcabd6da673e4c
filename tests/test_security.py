"""Keys hashed at rest, no key in logs or error bodies, and security headers on a real server.

The servers here are started with the project's own command lines (the Makefile's `serve`,
the container's entrypoint and `tradestats serve`), because the `Server` banner is
uvicorn's, not the app's: only its command line can turn it off.
"""

import json
import re
import secrets
import shlex
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import create_key, provision_key, revoke_key
from tests.databases import ROOT, SqliteDatabases
from tests.live_server import live_server, uvicorn_command

SOURCE = {"slug": "secure", "kind": "agency", "title": "Secure"}


def every_stored_value(engine: Engine) -> str:
    """Every cell of every table, as text, to search for secrets."""
    cells = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                cells += [str(value) for value in row]
    return "\n".join(cells)


def secrets_of(key: str) -> list[str]:
    """The key, and its secret part alone (what follows `ts_<prefix>_`, if it has one)."""
    return [key, key.split("_", 2)[2] if key.startswith("ts_") else key]


def test_no_table_holds_a_key(engine: Engine) -> None:
    admin = "admin-" + secrets.token_urlsafe(24)
    with Session(engine) as session:
        _, key = create_key(session, "at rest")
        row, revoked = create_key(session, "revoked")
        revoke_key(session, row.id or 0)
        provision_key(session, admin)
    stored = every_stored_value(engine)
    for secret in [*secrets_of(key), *secrets_of(revoked), admin]:
        assert secret not in stored
    # What is stored instead: SHA-256 hex digests.
    with engine.connect() as connection:
        hashes = connection.execute(text("SELECT secret_hash FROM api_key")).scalars().all()
    assert len(hashes) == 3 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)


def test_no_key_in_logs_or_error_bodies(engine: Engine, tmp_path: Path) -> None:
    """A real server logging at debug level, with valid, bad, revoked and provisioned keys."""
    admin = "admin-" + secrets.token_urlsafe(24)
    with Session(engine) as session:
        _, valid = create_key(session, "valid")
        row, revoked = create_key(session, "revoked")
        revoke_key(session, row.id or 0)
    prefix = valid.split("_")[1]
    wrong = f"ts_{prefix}_{secrets.token_urlsafe(32)}"  # a real prefix, a wrong secret
    unknown = f"ts_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    plain = "plain-" + secrets.token_urlsafe(24)

    log = tmp_path / "server.log"
    bodies = []
    with (
        log.open("w+") as output,
        live_server(
            engine.url.render_as_string(hide_password=False),
            env={"TRADESTATS_ADMIN_KEY": admin, "LOG_LEVEL": "DEBUG"},
            command=lambda port: uvicorn_command(port, log_level="debug"),
            output=output,
        ) as base,
    ):
        expected = [
            (valid, 201),
            (admin, 201),
            (wrong, 401),
            (unknown, 401),
            (revoked, 401),
            (plain, 401),
        ]
        for n, (key, status) in enumerate(expected):
            headers = {"Authorization": f"Bearer {key}"}
            response = httpx.post(
                f"{base}/v1/sources", json={**SOURCE, "slug": f"s{n}"}, headers=headers
            )
            assert response.status_code == status, response.text
            bodies.append(response.text)
            # An invalid body and other schemes give problems too, that must not echo it.
            for attempt in (
                httpx.post(f"{base}/v1/sources", json={"slug": 1}, headers=headers),
                httpx.post(f"{base}/v1/sources", content=b"{", headers={**headers, "X-Debug": key}),
                httpx.post(f"{base}/v1/sources", json=SOURCE, headers={"Authorization": key}),
                httpx.post(
                    f"{base}/v1/sources", json=SOURCE, headers={"Authorization": f"Basic {key}"}
                ),
                httpx.delete(f"{base}/v1/sources/999", headers=headers),
            ):
                assert attempt.status_code in (400, 401, 404, 415, 422), attempt.text
                bodies.append(attempt.text)

    logged = log.read_text()
    assert '"event": "request"' in logged and '"status": 401' in logged  # the log was caught
    for key, _ in expected:
        for secret in secrets_of(key):
            assert secret not in logged
            assert all(secret not in body for body in bodies)


# ------------------------------------------------------------------------ headers


def makefile_command(port: int) -> list[str]:
    """The uvicorn command line `make serve` runs (from a dry run of make)."""
    dry_run = subprocess.run(
        ["make", "-n", "-s", "serve", f"PORT={port}", "HOST=127.0.0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.replace("\\\n", " ")
    (line,) = [line for line in dry_run.splitlines() if "uvicorn app.main:app" in line]
    return shlex.split(line)


def entrypoint_command(port: int) -> list[str]:
    """The container's entrypoint: migrate, seed, then `exec uvicorn`, as in the image."""
    return ["sh", str(ROOT / "docker" / "entrypoint.sh")]


def cli_command(port: int) -> list[str]:
    return [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]


LAUNCHERS: dict[str, Callable[[int], list[str]]] = {
    "make-serve": makefile_command,
    "entrypoint": entrypoint_command,
    "tradestats-serve": cli_command,
}
# Pages, docs, API responses of every kind, errors, and the 414 the middleware answers.
REQUESTS = [
    ("GET", "/"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/v1/turnover?reporter=KAZ&partner=BGR"),
    ("GET", "/v1/turnover.svg?reporter=KAZ&partner=BGR"),
    ("GET", "/v1/observations?format=csv"),
    ("GET", "/v1/observations?limit=0"),
    ("GET", "/nowhere"),
    ("POST", "/v1/sources"),
    ("PUT", "/healthz"),
    ("GET", "/v1/" + "a" * 10_000),
]


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    databases = SqliteDatabases(tmp_path_factory.mktemp("headers"))
    yield databases.seeded_copy()
    databases.close()


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_security_headers_on_every_response_of_a_real_server(
    launcher: str, sqlite_database: str, tmp_path: Path
) -> None:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOST": "127.0.0.1",
        "WORKERS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),  # the entrypoint empties it first
    }
    with live_server(sqlite_database, env=env, command=LAUNCHERS[launcher]) as base:
        for method, path in REQUESTS:
            response = httpx.request(method, base + path)
            assert response.status_code < 500, (path, response.status_code)
            assert "server" not in response.headers, (path, response.headers["server"])
            assert response.headers["x-content-type-options"] == "nosniff", path
            if response.headers["content-type"].startswith(("text/html", "image/svg")):
                assert "default-src" in response.headers["content-security-policy"], path
        # Bytes no HTTP client would send: uvicorn refuses them before the app runs, and
        # app/protocol_errors.py makes that refusal a problem like every other.
        for request, (wanted, kind) in RAW_REQUESTS:
            status, headers, body = raw_request(base, request)
            assert status == wanted and "server" not in headers, (request, status, headers)
            assert headers["content-type"] == "application/problem+json", request
            assert headers["x-content-type-options"] == "nosniff", request
            assert json.loads(body)["type"] == f"urn:tradestats:problem:{kind}", request


CLOSE = b"Host: x\r\nConnection: close\r\n\r\n"
BAD_REQUEST, URI_TOO_LONG = (400, "bad-request"), (414, "uri-too-long")
RAW_REQUESTS = [
    (b"GET /v1/turnover?reporter=\xff&partner=BGR HTTP/1.1\r\n" + CLOSE, BAD_REQUEST),
    (b"GET /v1/\xff\xfe HTTP/1.1\r\n" + CLOSE, BAD_REQUEST),
    # Too long for the parser, which stops before the app could answer its own 414.
    (b"GET /v1/" + b"a" * 100_000 + b" HTTP/1.1\r\n" + CLOSE, URI_TOO_LONG),
    (b"GET /healthz HTTP/1.1\r\nA header without a colon\r\n" + CLOSE, BAD_REQUEST),
    (b"NOT HTTP AT ALL\r\n\r\n", BAD_REQUEST),
]


def raw_request(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes; the status, (lower-case) headers and body of the reply."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    head_bytes, _, body = reply.partition(b"\r\n\r\n")
    head = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), headers, body
