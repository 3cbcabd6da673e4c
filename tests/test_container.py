"""The Docker image, built and run for real: it migrates, seeds and serves; runs uvicorn as
PID 1 under a user that is not root; passes its environment through; stops on SIGTERM; and
keeps its data in the /data volume across a restart.

tests/container/prepare.sh sets Docker up where it can (it needs root and apt, or a running
daemon). Where it cannot, these tests skip, unless REQUIRE_CONTAINER_TEST=1, as in CI, which
makes that an error. Containers use the host's network, so this needs a Linux host.
"""

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest

from tests.conftest import TURNOVER_2023
from tests.databases import ROOT

pytestmark = pytest.mark.container

PREPARE = ROOT / "tests" / "container" / "prepare.sh"
IMAGE = "tradestats:test"
REDIS_URL = "redis://127.0.0.1:6379/9"
# Docker hands these build arguments to RUN without an ARG, so pip in the build can use
# this machine's proxy while the Dockerfile knows nothing of it.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


@dataclass
class Container:
    name: str  # also the name of its /data volume
    port: int
    admin_key: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("REQUIRE_CONTAINER_TEST") == "1":
        pytest.fail(f"{reason} (REQUIRE_CONTAINER_TEST=1 requires the container test)")
    pytest.skip(reason)


def docker(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, env=env
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-3000:]
        pytest.fail(f"docker {args[0]} failed with {result.returncode}:\n{output}")
    return result.stdout.strip()


def inspect(container: Container, field: str) -> str:
    return docker("inspect", "--format", "{{.State." + field + "}}", container.name)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(container: Container, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and inspect(container, "Running") == "true":
        try:
            get_json(container.url + "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the container is not serving; its log:\n{docker('logs', container.name)}")


def process_file(container: Container, name: str) -> list[str]:
    """/proc/1/<name> of the container: its lines, or its NUL-ended fields."""
    text = docker("exec", container.name, "cat", f"/proc/1/{name}")
    return [field for field in text.replace("\0", "\n").split("\n") if field]


def first_created_at(container: Container) -> str:
    # created_at is not in the API. Read it from the file: the file is what must persist.
    query = "SELECT min(created_at) FROM observation"
    script = (
        "import sqlite3; "
        f"print(sqlite3.connect('/data/tradestats.db').execute({query!r}).fetchone()[0])"
    )
    return docker("exec", container.name, "python3", "-c", script)


def turnover_values(container: Container) -> list[float]:
    series = get_json(container.url + "/v1/turnover?reporter=KAZ&partner=BGR")
    return [observation["value"] for observation in series["observations"]]


def post_json(url: str, body: dict[str, Any], key: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def write_with_admin_key(container: Container) -> int:
    """Record a figure with the container's TRADESTATS_ADMIN_KEY; return its id."""
    status, _ = post_json(container.url + "/v1/observations", TURNOVER_2023, None)
    assert status == 401
    status, body = post_json(container.url + "/v1/observations", TURNOVER_2023, container.admin_key)
    assert status == 201, body
    return int(body["id"])


@pytest.fixture(scope="module")
def image() -> str:
    try:
        prepared = subprocess.run(
            ["bash", str(PREPARE)], capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        unavailable(f"Docker could not be set up: {error}")
    if prepared.returncode != 0:
        reason = prepared.stderr.strip().splitlines()[-1:] or ["no reason given"]
        unavailable(f"Docker could not be set up: {reason[0]}")
    base = prepared.stdout.strip()
    proxies = [arg for v in PROXY_VARIABLES if v in os.environ for arg in ("--build-arg", v)]
    docker(
        "build", "--network", "host", "--build-arg", f"BASE={base}", *proxies,
        "--tag", IMAGE, str(ROOT),
        timeout=900,
    )  # fmt: skip
    return IMAGE


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[Container]:
    running = Container(
        name=f"tradestats-test-{secrets.token_hex(6)}",
        port=free_port(),
        admin_key=secrets.token_urlsafe(24),
    )
    # The key goes by environment, as a secret should: `--env NAME` copies it from ours, so
    # it never appears on a command line.
    docker(
        "run", "--detach", "--name", running.name, "--network", "host",
        "--volume", f"{running.name}:/data",
        "--env", f"PORT={running.port}", "--env", "WORKERS=2",
        "--env", f"REDIS_URL={REDIS_URL}", "--env", "TRADESTATS_ADMIN_KEY",
        "--health-interval", "1s",  # so that the HEALTHCHECK test need not wait 30 s
        image,
        env={**os.environ, "TRADESTATS_ADMIN_KEY": running.admin_key},
    )  # fmt: skip
    try:
        wait_until_serving(running)
        yield running
    finally:
        docker("rm", "--force", running.name)
        docker("volume", "rm", running.name)


def test_migrates_seeds_and_serves(container: Container) -> None:
    assert get_json(container.url + "/healthz") == {"status": "ok"}
    assert turnover_values(container) == [375.2]


def test_uvicorn_is_pid_1_and_not_root(container: Container) -> None:
    # The entrypoint exec'd uvicorn, so the SIGTERM from `docker stop` goes straight to it.
    assert process_file(container, "cmdline")[1:] == [
        "/venv/bin/uvicorn", "app.main:app",
        "--host", "0.0.0.0", "--port", str(container.port), "--workers", "2", "--loop", "asyncio",
        "--no-access-log", "--no-server-header", "--log-config", "/app/app/logging.json",
    ]  # fmt: skip
    status = dict(line.split(":", 1) for line in process_file(container, "status"))
    assert status["Uid"].split()[0] == "10001"


def test_every_line_it_logs_is_json(container: Container) -> None:
    get_json(container.url + "/healthz")  # an access log line, among the start-up ones
    logged = subprocess.run(
        ["docker", "logs", container.name], capture_output=True, text=True, timeout=30
    )
    lines = (logged.stdout + logged.stderr).splitlines()
    loggers = {json.loads(line)["logger"] for line in lines}  # each line, or this raises
    assert {"alembic.runtime.migration", "tradestats.seed", "uvicorn.error"} <= loggers


def test_environment_reaches_the_app(container: Container) -> None:
    environ = dict(field.split("=", 1) for field in process_file(container, "environ"))
    assert environ["DATABASE_URL"] == "sqlite:////data/tradestats.db"
    assert environ["REDIS_URL"] == REDIS_URL
    # Compared apart from the assert, which would otherwise print the key when it fails.
    key_arrived = environ.get("TRADESTATS_ADMIN_KEY") == container.admin_key
    assert key_arrived, "TRADESTATS_ADMIN_KEY did not reach the app"


def test_healthcheck_reports_healthy(container: Container) -> None:
    deadline = time.monotonic() + 30
    while (status := inspect(container, "Health.Status")) == "starting":
        assert time.monotonic() < deadline, "still starting after 30 s"
        time.sleep(0.5)
    # On failure, what the checks printed and what the server logged say why.
    assert status == "healthy", (
        f"checks: {inspect(container, 'Health.Log')}\nits log:\n{docker('logs', container.name)}"
    )


def test_stops_on_sigterm_and_keeps_its_data_across_a_restart(container: Container) -> None:
    written = write_with_admin_key(container)
    created_at = first_created_at(container)
    docker("stop", "--time", "20", container.name)
    # 0, not 137: uvicorn shut down on SIGTERM; Docker did not have to kill it.
    assert inspect(container, "ExitCode") == "0"
    docker("start", container.name)
    wait_until_serving(container)
    # Reseeding an empty database would stamp new times; the volume kept the old rows.
    assert first_created_at(container) == created_at
    assert turnover_values(container) == [95.0, 375.2]
    assert get_json(f"{container.url}/v1/observations/{written}")["value"] == 95.0
