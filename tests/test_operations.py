"""Operations: readiness, metrics, request ids, JSON logs, headers and rate limits."""

import asyncio
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import create_key, revoke_key
from app.core.config import get_settings
from app.db import CONNECT_TIMEOUT
from app.main import create_app
from app.models import ApiKey
from app.ratelimit import MemoryCounter, RateLimiter, RedisCounter
from tests.conftest import serve_from
from tests.databases import ROOT, PostgresDatabases, SqliteDatabases
from tests.live_server import free_port, live_server
from tests.redis_stand_in import RedisStandIn

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_the_locked_dependencies_leave_uvloop_out(lock: str) -> None:
    # uvicorn serves on uvloop whenever it is installed, and under load uvloop left some
    # connections a whole further pass of the loop behind (README, Performance).
    pinned = {line.split("==")[0].lower() for line in (ROOT / lock).read_text().splitlines()}
    assert {"uvicorn", "httptools"} <= pinned
    assert "uvloop" not in pinned


def test_readyz_reports_the_migration(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body == {"status": "ready", "migration": "0008"}


def test_readyz_is_503_without_a_schema(
    client: TestClient, databases: SqliteDatabases | PostgresDatabases
) -> None:
    from app.db import get_engine
    from app.main import app

    url = databases.empty()

    serve_from(get_engine(url), app)
    try:
        response = client.get("/readyz")
    finally:
        databases.drop(url)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/v1/turnover/2024", params={"reporter": "KAZ", "partner": "BGR"})
    text = client.get("/metrics").text
    assert (
        'tradestats_requests_total{method="GET",route="/v1/turnover/{year}",status="200"}' in text
    )
    assert "tradestats_request_duration_seconds_bucket" in text


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"]
    assert len(made) == 32 and made != "bad id"


def test_security_headers(client: TestClient) -> None:
    for path in ("/v1/sources", "/nope"):
        assert client.get(path).headers["x-content-type-options"] == "nosniff"


def test_access_log_is_json_and_never_holds_a_key(client: TestClient, auth: dict) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("tradestats.access")
    logger.addHandler(handler)
    try:
        client.post(
            "/v1/sources",
            headers={**auth, "X-Request-ID": "req-1"},
            json={"slug": "logged", "kind": "agency", "title": "Logged"},
        )
    finally:
        logger.removeHandler(handler)
    from app.logs import JsonFormatter

    lines = [JsonFormatter().format(r) for r in records]
    entry = json.loads(lines[-1])
    assert {k: entry[k] for k in ("event", "request_id", "method", "route", "status")} == {
        "event": "request",
        "request_id": "req-1",
        "method": "POST",
        "route": "/v1/sources",
        "status": 201,
    }
    key = auth["Authorization"].removeprefix("Bearer ")
    assert all(key not in line for line in lines)


def test_the_limiter_keeps_separate_budgets() -> None:
    limiter = RateLimiter(MemoryCounter(), reads=2, writes=1, window=60)
    now = 1_000_020.0
    assert [limiter.check("ip:a", "read", now).allowed for _ in range(3)] == [True, True, False]
    assert limiter.check("ip:a", "write", now).allowed
    assert not limiter.check("ip:a", "write", now).allowed
    assert limiter.check("ip:b", "read", now).allowed  # another client
    later = limiter.check("ip:a", "read", now + 60)  # the next window
    assert (later.allowed, later.remaining, later.reset) == (True, 1, 60)


def test_a_full_counter_forgets_ended_windows_not_live_budgets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [0.0]
    monkeypatch.setattr("app.ratelimit.time.monotonic", lambda: clock[0])
    counter = MemoryCounter(size=3)
    counter.hit("old-1", 60)
    counter.hit("old-2", 60)
    clock[0] = 100.0  # their window has ended
    assert [counter.hit("live", 60) for _ in range(2)] == [1, 2]
    assert counter.hit("new", 60) == 1  # full: the ended windows go, not "live"'s
    assert counter.hit("live", 60) == 3
    assert counter.hit("old-1", 60) == 1  # forgotten


def test_a_counter_full_of_live_windows_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.ratelimit.time.monotonic", lambda: 0.0)
    counter = MemoryCounter(size=2)
    assert [counter.hit(key, 60) for key in ("a", "a", "b", "c", "a")] == [1, 2, 1, 1, 1]


def limited(engine: Engine, monkeypatch: pytest.MonkeyPatch, setting: str) -> FastAPI:
    """An app on the test database that allows 2 requests of a kind per window."""
    monkeypatch.setenv(setting, "2")
    get_settings.cache_clear()
    app = create_app()
    get_settings.cache_clear()
    serve_from(engine, app)
    return app


def test_over_the_limit_is_a_429_problem(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    app = limited(engine, monkeypatch, "RATE_LIMIT_READS")
    client = TestClient(app, headers={"Origin": "https://example.org"})
    first, second, third = (client.get("/v1/sources") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    # A page on another origin may read the refusal and when to retry, as any answer.
    assert third.headers["access-control-allow-origin"] == "*"
    assert "Retry-After" in third.headers["access-control-expose-headers"]
    assert first.headers["ratelimit-limit"] == "2"
    assert second.headers["ratelimit-remaining"] == "0"
    assert third.headers["content-type"] == "application/problem+json"
    assert int(third.headers["retry-after"]) >= 1
    assert third.json()["type"] == "urn:tradestats:problem:too-many-requests"
    assert client.get("/healthz").status_code == 200  # health checks are never limited
    documented = app.openapi()["paths"]["/v1/sources"]["get"]["responses"]["429"]
    assert {name.lower() for name in documented["headers"]} <= set(third.headers)


def test_a_made_up_key_is_no_fresh_budget(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any `Bearer ts_x_y` was counted as a key of its own: changing it each request got
    round the limit. Only a live key has its own budget; anything else counts as its IP."""
    client = TestClient(limited(engine, monkeypatch, "RATE_LIMIT_READS"))
    _, key = create_key(session, "budget")
    statuses = [
        client.get("/v1/sources", headers={"Authorization": f"Bearer ts_made{i}_up"}).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 429, 429]
    own = [client.get("/v1/sources", headers={"Authorization": f"Bearer {key}"}) for _ in range(3)]
    assert [r.status_code for r in own] == [200, 200, 429]
    assert own[0].headers["ratelimit-remaining"] == "1"  # not the IP's spent budget


def test_a_second_authorization_header_writes_nothing_on_another_budget(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limiter read the last Authorization header and app.auth the first: a write made
    with the key, then a made-up second header, was charged to the IP's fresh budget. Lines
    that differ name no key to either: the IP pays, and the write is refused."""
    client = TestClient(limited(engine, monkeypatch, "RATE_LIMIT_WRITES"))
    _, key = create_key(session, "twice")
    own = [("Authorization", f"Bearer {key}"), ("Content-Type", "application/json")]
    made_up = [*own, ("Authorization", "Bearer ts_made_up")]
    statuses = [
        client.patch("/v1/sources/1", content=b"{}", headers=headers).status_code
        for headers in (own, made_up, made_up, own, own)
    ]
    assert statuses == [200, 400, 400, 200, 429]


def test_a_redis_that_does_not_answer_stalls_one_request_not_each(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each request asked Redis, on the event loop, and waited for its 1 s timeout: with a
    Redis that accepts connections but never answers, the whole service, /healthz too,
    answered one request a second. A counter that failed is now left alone a while."""
    with socket.socket() as silent:  # accepts (its backlog does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{silent.getsockname()[1]}/5")
        client = TestClient(limited(engine, monkeypatch, "RATE_LIMIT_READS"))
        started = time.monotonic()
        statuses = [client.get("/v1/sources").status_code for _ in range(5)]
        elapsed = time.monotonic() - started
    assert statuses == [200] * 5  # unlimited while the limiter is down, as before
    assert elapsed < 3, elapsed  # one timeout of 1 s, not five


def test_a_slow_redis_holds_only_the_requests_that_wait_for_it(engine: Engine) -> None:
    """Each request asked Redis on the event loop: while one waited for its answer, every
    request waited, a health check too, and eight at once took eight round trips in turn.
    With a Redis that answers in 0.3 s, eight metered requests at once now take about one
    wait, all counted, and a health check sent meanwhile is answered at once. (0.3 s, not
    more: a busy machine must not take an answer past the limiter's 1 s timeout.)"""
    url = engine.url.render_as_string(hide_password=False)
    with (
        RedisStandIn(delay=0.3) as slow,
        live_server(url, env={"REDIS_URL": slow.url, "RATE_LIMIT_READS": "100"}) as base,
        httpx.Client(base_url=base, timeout=30) as http,  # one, for threads to share
        ThreadPoolExecutor(8) as pool,
    ):
        http.get("/v1/sources")  # the server's first request, made once
        slow.asked.clear()
        started = time.monotonic()
        waiting = [pool.submit(http.get, "/v1/sources") for _ in range(8)]
        assert slow.asked.wait(10)
        health = http.get("/healthz")
        metered = [future.result() for future in waiting]
        elapsed = time.monotonic() - started
    assert health.status_code == 200
    assert health.elapsed.total_seconds() < 0.25, health.elapsed
    assert [r.status_code for r in metered] == [200] * 8
    assert sorted(int(r.headers["ratelimit-remaining"]) for r in metered) == list(range(91, 99))
    assert elapsed < 1.5, elapsed  # eight in turn: 2.4 s


def test_the_app_closes_its_redis_connections_as_it_stops(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client is made in the event loop that asks first, and closed in the lifespan,
    which ends in that loop: no connection is left to the garbage collector."""
    with RedisStandIn(delay=0) as redis_server:
        monkeypatch.setenv("REDIS_URL", redis_server.url)
        with TestClient(limited(engine, monkeypatch, "RATE_LIMIT_READS")) as client:
            assert client.get("/v1/sources").headers["ratelimit-remaining"] == "1"
            assert redis_server.connected == 1
        assert redis_server.hung_up.wait(5)
        assert redis_server.connected == 0


def test_a_redis_that_does_not_answer_is_reported_once_however_many_wait(
    engine: Engine, tmp_path: Path
) -> None:
    """Requests that wait for Redis together fail together: one warning, not one each."""
    url = engine.url.render_as_string(hide_password=False)
    with (
        socket.socket() as silent,  # accepts (its backlog does), never answers
        (tmp_path / "server.log").open("w+") as log,
    ):
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        env = {"REDIS_URL": f"redis://127.0.0.1:{silent.getsockname()[1]}/5"}
        with (
            live_server(url, env=env, output=log) as base,
            httpx.Client(base_url=base, timeout=30) as http,
            ThreadPoolExecutor(8) as pool,
        ):
            started = time.monotonic()
            waiting = [pool.submit(http.get, "/v1/sources") for _ in range(8)]
            statuses = [future.result().status_code for future in waiting]
            elapsed = time.monotonic() - started
        log.seek(0)
        logged = log.read()
    assert statuses == [200] * 8  # unlimited while the limiter is down
    assert elapsed < 3, elapsed  # each waited for one timeout of 1 s, together
    assert logged.count("rate limiter unavailable") == 1, logged


@pytest.fixture
def redis_url() -> str:
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set (.ci/run sets it)")
    redis.Redis.from_url(TEST_REDIS_URL).ping()  # fails loudly if unreachable
    return TEST_REDIS_URL


def test_a_count_in_redis_expires_after_its_window(redis_url: str) -> None:
    """One command counts and, on a window's first count, sets its expiry; a Redis that
    restarted (this one keeps nothing on disk) has forgotten the script, which is sent
    again."""
    key = f"tradestats:rl:test:{uuid.uuid4().hex}"
    server = redis.Redis.from_url(redis_url)

    async def count(times: int) -> list[int]:
        counter = RedisCounter(redis_url)
        try:
            return [await counter.hit(key, 60) for _ in range(times)]
        finally:
            await counter.close()

    assert asyncio.run(count(2)) == [1, 2]
    server.script_flush()
    assert asyncio.run(count(1)) == [3]
    assert 0 < server.ttl(key) <= 61
    server.delete(key)


def test_two_workers_share_one_budget_through_redis(
    engine: Engine, session: Session, redis_url: str
) -> None:
    _, key = create_key(session, "shared-budget")  # a budget no other run shares
    client_key = f"Bearer {key}"
    env = {"REDIS_URL": redis_url, "RATE_LIMIT_READS": "10", "RATE_LIMIT_WINDOW": "3600"}
    with live_server(engine.url.render_as_string(hide_password=False), workers=2, env=env) as base:
        statuses = []
        for _ in range(30):  # a new connection each time, so both workers take requests
            response = httpx.get(f"{base}/v1/sources", headers={"Authorization": client_key})
            statuses.append(response.status_code)
    assert statuses.count(200) == 10
    assert statuses.count(429) == 20


def test_metrics_add_up_every_worker(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    with live_server(engine.url.render_as_string(hide_password=False), workers=2, env=env) as base:
        for _ in range(20):  # new connections, spread over both workers
            httpx.get(f"{base}/v1/countries")
        text = httpx.get(f"{base}/metrics").text
    line = next(
        row
        for row in text.splitlines()
        if row.startswith(
            'tradestats_requests_total{method="GET",route="/v1/countries",status="200"}'
        )
    )
    assert float(line.split()[-1]) == 20


HEAD_PATHS = ["/v1/observations/1", "/v1/countries", "/v1/turnover?reporter=KAZ&partner=BGR"]


def test_head_over_real_http_logs_no_error(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """uvicorn reads the method from its own scope as the body goes out: a HEAD that the
    app saw as a GET there made it wait for a body and log each one as an error."""
    with (
        (tmp_path / "server.log").open("w+") as log,
        live_server(engine.url.render_as_string(hide_password=False), output=log) as base,
        httpx.Client(base_url=base) as http,  # one kept-alive connection for them all
    ):
        heads = [http.head(path) for path in HEAD_PATHS * 2]
        metrics = http.get("/metrics").text
        log.seek(0)
        logged = log.read()
    assert [(r.status_code, r.content) for r in heads] == [(200, b"")] * len(heads)
    assert "error" not in logged.lower(), logged
    assert 'method="HEAD",route="/v1/observations/{item_id}",status="200"} 2.0' in metrics


def test_the_image_entrypoint_writes_only_json_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """docker/entrypoint.sh, run as the image runs it: the migrations' and the seed's
    lines, and uvicorn's own, were plain text among the app's JSON, which a log shipper
    reading JSON lines cannot parse."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "WORKERS": "1",
        "LOG_CONFIG": str(ROOT / "app" / "logging.json"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    database = f"sqlite:///{tmp_path / 'fresh.db'}"
    with (
        (tmp_path / "container.log").open("w+") as log,
        live_server(
            database, env=env, command=lambda _: ["sh", "docker/entrypoint.sh"], output=log
        ) as base,
    ):
        assert httpx.get(f"{base}/v1/turnover?reporter=KAZ&partner=BGR").status_code == 200
        log.seek(0)
        lines = log.read().splitlines()
    entries = [json.loads(line) for line in lines]  # each line, or this raises
    said = {(e["logger"], e.get("message", "").split(",")[0]) for e in entries}
    assert ("alembic.runtime.migration", "Running upgrade  -> 0001") in said
    assert any(logger == "tradestats.seed" and m.startswith("seed: inserted") for logger, m in said)
    assert any(logger.startswith("uvicorn") and "Uvicorn running" in m for logger, m in said)


def entrypoint_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment the image gives docker/entrypoint.sh, on this machine's Python."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "WORKERS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        **extra,
    }


def test_the_entrypoint_clears_only_metrics_files(tmp_path: Path) -> None:
    """PROMETHEUS_MULTIPROC_DIR set to the data folder made the entrypoint delete the
    database (`rm -rf` of the folder) and serve a freshly seeded one."""
    database = tmp_path / "tradestats.db"
    (tmp_path / "counter_41.db").write_bytes(b"stale metrics")
    (tmp_path / "notes.txt").write_text("the operator's")
    env = entrypoint_env(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    url = f"sqlite:///{database}"
    with live_server(url, env=env, command=lambda _: ["sh", "docker/entrypoint.sh"]) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
    with sqlite3.connect(database) as connection:  # a figure written after the first start
        connection.execute("UPDATE observation SET note = 'kept' WHERE id = 1")
    with live_server(url, env=env, command=lambda _: ["sh", "docker/entrypoint.sh"]) as base:
        kept = httpx.get(f"{base}/v1/observations/1").json()["note"]
    assert kept == "kept"
    assert (tmp_path / "notes.txt").read_text() == "the operator's"
    assert not (tmp_path / "counter_41.db").exists()  # this run's workers write their own


def test_the_entrypoint_runs_a_command_it_is_given(tmp_path: Path) -> None:
    """`docker run IMAGE python3 -m app.cli keys list` started the server instead."""
    ran = subprocess.run(
        ["sh", "docker/entrypoint.sh", "python3", "-c", "print('ran')"],
        cwd=ROOT,
        env=entrypoint_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (ran.returncode, ran.stdout) == (0, "ran\n")


def test_the_entrypoint_stops_on_sigterm_while_it_migrates(tmp_path: Path) -> None:
    """As PID 1 the shell ignored SIGTERM before uvicorn took over: `docker stop` during a
    migration waited 10 s and killed. Here the database never answers, which also shows
    that a start does not hang for good on one that does not (CONNECT_TIMEOUT)."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        database = f"postgresql+psycopg://x@127.0.0.1:{port}/x"
        env = entrypoint_env(tmp_path, DATABASE_URL=database, PORT="8000")
        process = subprocess.Popen(
            ["sh", "docker/entrypoint.sh"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        silent.settimeout(60)  # a start that fails before connecting fails the test
        connection, _ = silent.accept()  # alembic is connecting
        with connection:
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=CONNECT_TIMEOUT)
            assert time.monotonic() - started < 3
    assert returncode == 143


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RATE_LIMIT_READS", "lots"),
        ("SQLITE_BUSY_TIMEOUT", "x"),
        ("CORS_ALLOW_ORIGINS", "*"),  # a list is JSON
        ("LOG_LEVEL", "LOUD"),
        ("DB_POOL_SIZE", "-1"),  # were taken as they came
        ("PAGE_SIZE_DEFAULT", "5000"),  # above PAGE_SIZE_MAX, 1000
        ("POSTGRES_LOCK_TIMEOUT", "inf"),  # an OverflowError's traceback at start
        ("POSTGRES_LOCK_TIMEOUT", "0.0001"),  # 0 ms, which PostgreSQL reads as no timeout
        ("DATABASE_URL", "nonsense"),  # served a 500 on every request, /readyz too
        ("DATABASE_URL", "mysql://x:secret@y/z"),  # no driver: a 500 likewise
        ("REDIS_URL", "localhost:6379"),  # redis-py's traceback as the server started
        ("TRADESTATS_ADMIN_KEY", "secret"),  # any key was taken, one character too
        # Taken, and no request could send it: every write with it was a 401.
        ("TRADESTATS_ADMIN_KEY", "secret-" + "0" * 32 + "\n"),
        ("TRADESTATS_ADMIN_KEY", "secret-" + "é" * 32),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["-m", "app.cli", "keys", "list"],
        ["-m", "alembic", "upgrade", "head"],
        ["-m", "app.seed"],
        ["-m", "uvicorn", "app.main:app", "--port", "0"],
    ],
    ids=["cli", "migrate", "seed", "serve"],
)
def test_a_setting_that_cannot_be_used_is_one_line_naming_it(
    tmp_path: Path, variable: str, value: str, command: list[str]
) -> None:
    """Each of these printed 40 to 130 lines of traceback, in the image too, and the command
    line's first line ('ValidationError: 1 validation error for Settings') named nothing."""
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    ran = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env={**env, variable: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = ran.stderr.strip().splitlines()
    assert ran.returncode == (2 if command[1] == "app.cli" else 1), ran.stderr
    assert lines == [lines[0]] and lines[0].startswith(f"error: invalid settings: {variable}")
    assert "secret" not in ran.stderr  # a URL may hold a password: it is never echoed


@pytest.mark.parametrize("content", [None, "{not json", '{"version": 2}'])
@pytest.mark.parametrize(
    "command", [["-m", "alembic", "upgrade", "head"], ["-m", "app.seed"]], ids=["migrate", "seed"]
)
def test_a_log_config_that_cannot_be_used_is_one_line_naming_it(
    tmp_path: Path, content: str | None, command: list[str]
) -> None:
    """A missing or broken LOG_CONFIG stopped the migrations and the seed, and so the
    image's start, with a traceback of 20 to 35 lines."""
    config = tmp_path / "logging.json"
    if content is not None:
        config.write_text(content)
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "LOG_CONFIG": str(config),
    }
    ran = subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    lines = ran.stderr.strip().splitlines()
    assert ran.returncode == 1, ran.stderr
    assert lines == [lines[0]] and lines[0].startswith(
        f"error: invalid settings: LOG_CONFIG='{config}'"
    )


REVOKED = (
    "error: invalid settings: TRADESTATS_ADMIN_KEY names a key that was revoked "
    "(replaced, or by `keys revoke`): set a new one"
)


@pytest.mark.parametrize("start", ["serve", "entrypoint"])
def test_a_revoked_admin_key_stops_the_server_with_one_line(
    engine: Engine, tmp_path: Path, start: str
) -> None:
    """It stopped the server with uvicorn's lifespan traceback (about 60 lines) under its
    start lines, where any other unusable setting gives one line."""
    with Session(engine) as session:
        row, key = create_key(session, "leaked")
        key_id = row.id
        revoke_key(session, key_id)
    url = engine.url.render_as_string(hide_password=False)
    env = {"DATABASE_URL": url, "TRADESTATS_ADMIN_KEY": key}
    command = ["sh", "docker/entrypoint.sh"]
    if start == "serve":
        command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", "0"]
        env["PATH"] = "/usr/bin:/bin"
    else:  # the image's start: migrations and seed first, then uvicorn
        env = entrypoint_env(tmp_path, PORT="8000", **env)
    ran = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    lines = ran.stderr.strip().splitlines()
    if start == "serve":
        assert lines == [lines[0]]  # the migrations before the image's uvicorn log their own
    assert lines[-1] == REVOKED
    with Session(engine) as session:
        assert session.get(ApiKey, key_id).revoked_at is not None  # type: ignore[union-attr]


# The image's migrations stop on a bad setting already, with one worker or several.
@pytest.mark.parametrize(
    ("start", "unusable"),
    [(start, "revoked key") for start in ("make", "cli", "entrypoint")]
    + [("make", "setting"), ("cli", "setting")],
)
def test_several_workers_stop_once_on_a_setting_they_refuse(
    engine: Engine, tmp_path: Path, start: str, unusable: str
) -> None:
    """With WORKERS=2, uvicorn restarted each worker that stopped on such a setting, for
    ever, under its "Uvicorn running" line: the start never ended and nothing was served.
    """
    with Session(engine) as session:
        row, key = create_key(session, "leaked")
        revoke_key(session, row.id)
    url = engine.url.render_as_string(hide_password=False)
    env = entrypoint_env(tmp_path, PORT=str(free_port()), WORKERS="2", DATABASE_URL=url)
    if unusable == "revoked key":
        env["TRADESTATS_ADMIN_KEY"], expected = key, REVOKED
    else:
        env["RATE_LIMIT_READS"], expected = "abc", "error: invalid settings: RATE_LIMIT_READS"
    command = {
        "make": ["make", "-s", "serve", f"PORT={env['PORT']}", "WORKERS=2"],
        "cli": [sys.executable, "-m", "app.cli", "serve", "--port", env["PORT"], "--workers", "2"],
        "entrypoint": ["sh", "docker/entrypoint.sh"],
    }[start]
    # In a session of its own: a start that never ends is stopped with every worker.
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as started:
        try:
            _, stderr = started.communicate(timeout=60)
        finally:
            if started.poll() is None:
                os.killpg(started.pid, signal.SIGKILL)
    assert started.returncode != 0
    assert "Uvicorn running" not in stderr and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-(2 if start == "make" else 1)].startswith(expected)


@pytest.mark.parametrize("port", ["99999", "0", "abc"])
def test_the_entrypoint_refuses_a_port_that_does_not_exist(tmp_path: Path, port: str) -> None:
    """PORT=99999 served on 34463 (uvicorn takes it modulo 65536) while it said 99999, and
    the healthcheck asked 99999."""
    ran = subprocess.run(
        ["sh", "docker/entrypoint.sh"],
        cwd=ROOT,
        env=entrypoint_env(tmp_path, PORT=port),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (ran.returncode, ran.stderr) == (
        2,
        f"error: PORT={port} is not a port: give 1 to 65535\n",
    )


@pytest.mark.parametrize("workers", ["0", "-1", "two", "02"])
def test_the_entrypoint_refuses_a_worker_count_that_is_none(tmp_path: Path, workers: str) -> None:
    """WORKERS=0 and WORKERS=-1 served with one worker, and said nothing."""
    ran = subprocess.run(
        ["sh", "docker/entrypoint.sh"],
        cwd=ROOT,
        env=entrypoint_env(tmp_path, PORT="8000", WORKERS=workers),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (ran.returncode, ran.stderr) == (
        2,
        f"error: WORKERS={workers} is not a number of processes: give 1 or more\n",
    )


def test_metrics_name_the_openapi_document_and_the_docs_files(client: TestClient) -> None:
    """Starlette's plain routes put no route in the scope: /openapi.json and the docs'
    files were counted as `unmatched`, beside requests that matched nothing."""
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/static/docs/favicon.png").status_code == 200
    assert client.get("/no/such/path").status_code == 404
    text = client.get("/metrics").text
    for route, status in (("/openapi.json", 200), ("/static/docs", 200), ("unmatched", 404)):
        assert f'route="{route}",status="{status}"' in text


@pytest.mark.parametrize(
    "command",
    [["-m", "alembic", "upgrade", "head"], ["-m", "app.seed"], ["-m", "app.preflight"]],
    ids=["migrate", "seed", "preflight"],
)
def test_migrations_and_seed_stop_with_one_line_when_the_database_is_unreachable(
    command: list[str],
) -> None:
    """The image migrates and seeds before it serves: a database that refused the
    connection printed a traceback of over a hundred lines there. So did the check of
    TRADESTATS_ADMIN_KEY that `make serve` and `tradestats serve` run first with several
    workers, and the app as it is imported."""
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    env["TRADESTATS_ADMIN_KEY"] = "a" * 48  # the check reads the database only with a key
    env.pop("LOG_CONFIG", None)
    done = subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot connect to the database: ")
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(
    "command",
    [["-m", "app.preflight"], ["-m", "uvicorn", "app.main:app", "--port", "0"]],
    ids=["preflight", "serve"],
)
def test_an_admin_key_on_a_database_never_migrated_stops_with_one_line(
    databases: SqliteDatabases | PostgresDatabases, command: list[str]
) -> None:
    """With TRADESTATS_ADMIN_KEY set, the start read its row from a table that was not
    there: a traceback of SQL ending in "no such table: api_key"."""
    url = databases.empty()
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url, "TRADESTATS_ADMIN_KEY": "a" * 48}
    try:
        done = subprocess.run(
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        databases.drop(url)
    assert (done.returncode, done.stderr) == (
        1,
        "error: the database is not migrated: run `tradestats migrate` first\n",
    )
