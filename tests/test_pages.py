"""GET /: the overview for people, built from the same presenters as the JSON API."""

import re
from html import escape

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import app
from app.models import Source
from app.web.headers import source_hash
from app.web.pages import MAX_PAIRS
from tests.conftest import record_figure


def page(client: TestClient) -> str:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc", "/openapi.json", "/metrics"])
def test_pages_ignore_extras_even_repeated(client: TestClient, path: str) -> None:
    """The README: they ignore extras, which a link adds (utm_*); a repeated one was a 422
    "given more than once" everywhere but /openapi.json."""
    for query in ("?utm_source=a", "?utm_source=a&utm_source=b", "?_=1&_=2"):
        response = client.get(path + query)
        assert response.status_code == 200, (query, response.text[:200])


def test_overview_shows_every_series_as_a_chart(client: TestClient) -> None:
    html = page(client)
    assert html.count("<svg ") == 5
    for name in ("Trade turnover", "Exports", "Imports", "Trade balance", "Foreign direct"):
        assert f"<h3>{name}" in html


@pytest.mark.parametrize(
    "figure",
    ["375.2", "303.6", "71.6", "232.0", "4.2", "7.8", "93.78–107.22", "> 0, < 27.61"],
)
def test_overview_shows_the_figures(client: TestClient, figure: str) -> None:
    shown = escape(figure)
    assert f">{shown}</text>" in page(client)  # on its chart
    assert f"<td class='num value'>{shown}</td>" in page(client)  # and in its table


def test_overview_shows_growth_or_why_there_is_none(client: TestClient) -> None:
    html = page(client)
    assert "+85.7% (+3.6)" in html
    assert "no 2023 value" in html
    assert "range from claim 1" in html


def test_overview_changes_are_in_the_unit_the_values_are_shown_in(
    client: TestClient, session: Session
) -> None:
    """Values in thousands beside changes in millions read "10,000 +400.0% (+8)"."""
    for year, value, multiplier in ((2020, "2", 6), (2021, "10", 6), (2022, "10000", 3)):
        record_figure(session, "EXPORTS", year, value, multiplier=multiplier, reporter="USA")
    record_figure(session, "EXPORTS", 2023, "25", reporter="USA")
    section = page(client).split("United States – Bulgaria</h2>")[1]
    cells = [
        re.sub("<[^>]+>", "", cell)
        for cell in re.findall("<td class='num[^']*'>(.*?)</td>", section)
    ]
    assert cells[:8] == [
        *("2,000", "no 2019 value"),
        *("10,000", "+400.0% (+8,000)"),
        *("10,000", "0.0% (0)"),
        *("25,000", "+150.0% (+15,000)"),
    ]


@pytest.mark.parametrize(
    ("earlier", "later", "shown"),
    [
        ("10", "0.0001", "−99.9990% (−9.9999)"),  # not −100.0%: something is left
        ("10.4", "10", "−3.8% (−0.4)"),  # not (0): the change is exact
        ("1000000", "999999.9", "−0.000010% (−0.1)"),  # not 0.0%: it fell
        ("200", "224.6999", "+12.3% (+24.6999)"),  # 12.34995%, not +12.4% from its 12.3500
    ],
)
def test_overview_changes_are_never_rounded_across_a_boundary(
    client: TestClient, session: Session, earlier: str, later: str, shown: str
) -> None:
    record_figure(session, "EXPORTS", 2020, earlier, reporter="USA")
    record_figure(session, "EXPORTS", 2021, later, reporter="USA")
    assert f"<td class='num'>{shown}</td>" in page(client)


def test_overview_shows_statuses(client: TestClient) -> None:
    html = page(client)
    for status in ("reported", "derived", "implied"):
        assert f"<span class='chip {status}'>{status}</span>" in html


def test_overview_shows_claims_with_verdicts_and_explanations(client: TestClient) -> None:
    html = page(client)
    assert html.count('<span class="chip unverifiable">unverifiable</span>') == 2
    assert html.count('<span class="chip consistent">consistent</span>') == 1
    assert "the stated 86.5% differs from that point estimate by 0.8 percentage points" in html
    assert "if “almost 4 times” is right, it was 93.78 to 107.22 USD millions" in html
    assert "Kazakhstan reached $7.8 million in 2024, marking an 86.5% increase" in html


def test_overview_shows_sources_and_links_to_the_docs(client: TestClient, session: Session) -> None:
    # A scheme has no case: an upper-case one, now accepted, is linked as well.
    session.add(Source(slug="nsi", kind="agency", title="NSI", url="HTTPS://nsi.bg/en"))
    session.commit()
    html = page(client)
    assert "National Bank of Kazakhstan" in html
    assert "Ministry of Trade and Integration of the Republic of Kazakhstan" in html
    assert 'href="/docs"' in html
    assert 'href="/redoc"' in html
    assert '<a href="HTTPS://nsi.bg/en" rel="noreferrer">NSI</a>' in html


def test_overview_follows_the_data(client: TestClient, session: Session) -> None:
    record_figure(session, "EXPORTS", 2024, "70.1", reporter="BGR", partner="KAZ")
    html = page(client)
    assert "<h2>Bulgaria – Kazakhstan</h2>" in html
    # Exports alone fix no other series, and series with no figures are left out.
    assert html.count("<svg ") == 5 + 1
    assert "Exports: Bulgaria – Kazakhstan</title>" in html


def test_overview_shows_the_first_pairs_and_says_where_the_rest_are(
    client: TestClient, session: Session
) -> None:
    assert 'id="more-pairs"' not in page(client)
    partners = ["ARE", "ARG", "ARM", "AUS", "AUT", "AZE", "BEL", "BGD", "BLR", "BRA", "CAN"]
    partners += ["CHE", "CHN", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA", "GBR", "GEO"]
    for partner in partners:  # 22 more pairs, all before KAZ–BGR in code order
        record_figure(session, "EXPORTS", 2024, "1.5", reporter="ALB", partner=partner)
    html = page(client)
    shown = re.findall(r'<section id="([A-Z]{3}-[A-Z]{3})">', html)
    assert shown == [f"ALB-{partner}" for partner in partners[:MAX_PAIRS]]
    assert 'id="more-pairs"' in html and 'href="/v1/observations"' in html


def test_overview_loads_nothing_from_elsewhere_and_runs_no_script(client: TestClient) -> None:
    html = page(client)
    assert "<script" not in html
    links = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert links
    assert all(link.startswith("/") for link in links), links


def test_overview_security_headers_allow_its_own_style_only(client: TestClient) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    (style,) = re.findall(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert policy.startswith("default-src 'none'; ")
    assert f"style-src {source_hash(style)};" in policy
    assert "unsafe-inline" not in policy
    assert "script-src" not in policy  # no script at all
    assert response.headers["x-content-type-options"] == "nosniff"


def test_overview_escapes_what_it_shows(client: TestClient, session: Session) -> None:
    session.add(
        Source(
            slug="hostile",
            kind="agency",
            publisher="Smith & <Sons>",
            title='<img src=x onerror="alert(1)">',
            url="javascript:alert(1)",
            note='It\'s "quoted"',
        )
    )
    session.commit()
    html = page(client)
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "Smith &amp; &lt;Sons&gt;" in html
    assert "It&#x27;s &quot;quoted&quot;" in html
    assert "javascript:" not in html  # only http(s) source URLs become links


def test_overview_is_not_in_the_api_schema() -> None:
    assert "/" not in app.openapi()["paths"]
