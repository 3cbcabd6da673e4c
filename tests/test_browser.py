"""/docs, /redoc and / in a real headless Chromium, against a real server, offline.

Needs Debian's chromium at /usr/bin/chromium (`make test` installs it where it can) and
Playwright for Python, which drives it without downloading a browser of its own. Without
them these tests skip, unless REQUIRE_BROWSER_TEST=1 (CI sets it): then they fail.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.databases import ROOT, SqliteDatabases
from tests.live_server import live_server

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the `browser` fixture says so: a skip, or a failure when required
    expect = sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# ReDoc lays out every operation before it shows any; on a busy CI machine that takes
# longer than expect()'s default 5 s. Only first renders wait this long.
FIRST_RENDER_MS = 30_000


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: `apt-get install chromium` (make test does, as root)"
    if sync_playwright is None:
        return "playwright is not installed: run `make test`, which installs it"
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn on a free loopback port, serving a copy of the seeded database."""
    databases = SqliteDatabases(tmp_path_factory.mktemp("browser"))
    try:
        with live_server(databases.seeded_copy()) as base:
            yield base
    finally:
        databases.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        if os.environ.get("REQUIRE_BROWSER_TEST") == "1":
            pytest.fail(f"REQUIRE_BROWSER_TEST=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A browser page that records every request it makes and every console error."""

    page: Any
    requests: list[Any] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def on_request(self, request: Any) -> None:
        self.requests.append(request)

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def screenshot(self, name: str, *, full_page: bool = False) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / name, full_page=full_page)

    def assert_stayed_on_loopback(self) -> None:
        """No request was even tried to another host: ReDoc's logo from cdn.redoc.ly was,
        and only the page's CSP stopped it, with an error in the console."""
        offsite = [
            r.url
            for r in self.requests
            if urlsplit(r.url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(r.url).hostname not in LOOPBACK
        ]
        assert offsite == []
        assert [m for m in self.console_errors if "Content Security Policy" in m] == []


@pytest.fixture
def visit(browser: Any) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    recorded = Visit(page)
    context.on("request", recorded.on_request)
    page.on("console", recorded.on_console)
    yield recorded
    context.close()


@pytest.mark.parametrize(
    ("operation_id", "shown"),
    [("Series-get_turnover_series", "375.2"), ("Growth-get_growth", '"pch": 85.7143')],
)
def test_swagger_ui_tries_the_documented_request(
    visit: Visit, server: str, operation_id: str, shown: str
) -> None:
    """Try it out comes filled in with the documented request (its parameters' `example`),
    so Execute alone gets the documented answer."""
    page = visit.page
    page.goto(f"{server}/docs")
    operation = page.locator(f"#operations-{operation_id}")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    # Country codes are an enum in the schema, so Swagger UI offers them as a list.
    for name, value in (("reporter", "KAZ"), ("partner", "BGR")):
        expect(operation.locator(f'tr[data-param-name="{name}"] select')).to_have_value(value)
    operation.get_by_role("button", name="Execute").click()
    body = operation.locator(".live-responses-table .response-col_description pre")
    expect(body.first).to_contain_text(shown, timeout=FIRST_RENDER_MS)
    body.first.scroll_into_view_if_needed()
    visit.screenshot(f"docs-{operation_id}.png")
    visit.assert_stayed_on_loopback()


def test_redoc_renders(visit: Visit, server: str) -> None:
    page = visit.page
    page.goto(f"{server}/redoc")
    heading = page.get_by_role("heading", name="TURNOVER series for a reporter and partner")
    expect(heading.first).to_be_visible(timeout=FIRST_RENDER_MS)
    expect(page.get_by_role("heading", name="List claims with their verdicts")).to_be_visible()
    visit.screenshot("redoc.png")
    visit.assert_stayed_on_loopback()


def test_overview_page_shows_charts_figures_and_verdicts(visit: Visit, server: str) -> None:
    page = visit.page
    page.goto(f"{server}/")
    charts = page.locator(".card svg")
    expect(charts).to_have_count(5)
    for i in range(5):
        expect(charts.nth(i)).to_be_visible()
    for figure in ("375.2", "303.6", "71.6", "232.0", "7.8", "93.78–107.22"):
        expect(page.locator("svg text", has_text=figure).first).to_be_visible()
        expect(page.locator("td", has_text=figure).first).to_be_visible()
    expect(page.locator(".chip.consistent")).to_have_text("consistent")
    expect(page.get_by_role("link", name="API docs").first).to_have_attribute("href", "/docs")
    visit.screenshot("overview.png")  # the first screen, 1280×900
    visit.screenshot("overview-full.png", full_page=True)
    visit.assert_stayed_on_loopback()
    assert visit.console_errors == []


def test_overview_page_fits_a_phone(browser: Any, server: str) -> None:
    """At 375 px the page does not scroll sideways, the header's links stay whole, and a
    chart keeps 400 px, its text legible, scrolling in its card rather than shrinking to
    fit (6 px text)."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{server}/")
        assert page.evaluate("document.documentElement.scrollWidth") == 375
        link = page.get_by_role("link", name="API reference").first
        assert link.bounding_box()["height"] < 30  # one line
        assert page.locator(".chart svg").first.bounding_box()["width"] >= 400
    finally:
        context.close()


def test_chart_opens_on_its_own(visit: Visit, server: str) -> None:
    page = visit.page
    page.goto(f"{server}/v1/balance.svg?reporter=KAZ&partner=BGR")
    expect(page.locator("rect.bar.derived")).to_have_count(1)
    expect(page.locator("text", has_text="232.0")).to_be_visible()
    visit.assert_stayed_on_loopback()
    assert visit.console_errors == []
