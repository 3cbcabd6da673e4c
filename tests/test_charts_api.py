"""GET /v1/<series>.svg: the series as a chart, with the JSON endpoint's parameters and errors."""

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import TURNOVER_2023, record_figure
from tests.test_errors import assert_problem

SVG = "{http://www.w3.org/2000/svg}"
PATHS = ["turnover", "exports", "imports", "balance", "investment"]
PAIR = {"reporter": "KAZ", "partner": "BGR"}


def chart(client: TestClient, path: str, **params: object) -> ET.Element:
    response = client.get(f"/v1/{path}.svg", params={**PAIR, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    return ET.fromstring(response.text)


def labels(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def bar_classes(root: ET.Element) -> list[str]:
    return [r.get("class", "") for r in root.iter(f"{SVG}rect") if r.get("class")]


@pytest.mark.parametrize(
    ("path", "value", "status"),
    [
        ("turnover", "375.2", "reported"),
        ("exports", "303.6", "reported"),
        ("imports", "71.6", "derived"),
        ("balance", "232.0", "derived"),
        ("investment", "7.8", "reported"),
    ],
)
def test_chart_shows_the_series_values(
    client: TestClient, path: str, value: str, status: str
) -> None:
    root = chart(client, path)
    assert value in labels(root)
    assert f"bar {status}" in bar_classes(root)
    assert root.get("role") == "img"


def test_chart_is_locked_down_when_opened_on_its_own(client: TestClient) -> None:
    response = client.get("/v1/turnover.svg", params=PAIR)
    assert response.headers["content-security-policy"] == "default-src 'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in response.text
    assert "href" not in response.text


def test_values_match_the_json_series(client: TestClient) -> None:
    for path in PATHS:
        json_values = [
            str(p["value"]) for p in client.get(f"/v1/{path}", params=PAIR).json()["observations"]
        ]
        assert set(json_values) <= set(labels(chart(client, path)))


def test_implied_ranges_only_when_asked(client: TestClient) -> None:
    assert "bar implied" not in bar_classes(chart(client, "turnover"))
    root = chart(client, "turnover", include="implied")
    assert bar_classes(root) == ["bar implied", "bar reported"]
    assert "93.78–107.22" in labels(root)
    # "more than 11 times" the year before leaves exports above 0 and below 27.6045...
    assert "> 0, < 27.61" in labels(chart(client, "exports", include="implied"))


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"year": 2023}, "4.2", "7.8"),
        ({"start_year": 2024}, "7.8", "4.2"),
        ({"end_year": 2023}, "4.2", "7.8"),
    ],
)
def test_year_filters(client: TestClient, params: dict, shown: str, hidden: str) -> None:
    values = labels(chart(client, "investment", **params))
    assert shown in values
    assert hidden not in values


def test_negative_balance(client: TestClient, session: Session) -> None:
    record_figure(session, "TURNOVER", 2023, "100.0")
    record_figure(session, "EXPORTS", 2023, "10.0")  # imports 90.0, balance −80.0
    assert client.get("/v1/balance/2023", params=PAIR).json()["value"] == -80.0
    root = chart(client, "balance")
    assert {"−80.0", "232.0"} <= set(labels(root))


def test_pair_without_figures_gives_a_chart_that_says_so(client: TestClient) -> None:
    root = chart(client, "turnover", reporter="BGR", partner="KAZ")
    assert bar_classes(root) == []
    assert "No figures for this pair and these years" in labels(root)


def test_a_series_in_two_currencies_says_so_to_eyes_and_screen_readers(
    client: TestClient, session: Session
) -> None:
    """No bars can share an axis across currencies: the chart, its caption and its <desc>
    (what a screen reader reads) all say why, and none names one unit for every figure."""
    record_figure(session, "FDI_INFLOW", 2022, "3.9", currency="EUR")
    root = chart(client, "investment")
    assert bar_classes(root) == []
    assert "Values in several currencies: see the JSON series" in labels(root)
    assert "Kazakhstan – Bulgaria" in labels(root)
    assert not any("USD" in text or "EUR" in text for text in labels(root))
    desc = next(root.iter(f"{SVG}desc")).text
    assert desc == "Values in several currencies: see the JSON series."


def test_chart_of_another_pair(client: TestClient, session: Session) -> None:
    record_figure(session, "EXPORTS", 2024, "70.1", reporter="BGR", partner="KAZ")
    root = chart(client, "exports", reporter="bg", partner="kz")
    assert "70.1" in labels(root)
    assert next(root.iter(f"{SVG}title")).text == "Exports: Bulgaria – Kazakhstan"


@pytest.mark.parametrize(
    "query",
    [
        "reporter=XX&partner=BGR",
        "reporter=KAZ",
        "reporter=KAZ&partner=KZ",
        "reporter=KAZ&partner=BGR&year=abc",
        "reporter=KAZ&partner=BGR&year=2024&start_year=2023",
        "reporter=KAZ&partner=BGR&start_year=2024&end_year=2023",
        "reporter=KAZ&partner=BGR&year=1800",
        "reporter=KAZ&partner=BGR&include=everything",
    ],
)
@pytest.mark.parametrize("path", PATHS)
def test_errors_are_the_json_endpoints_problems(client: TestClient, path: str, query: str) -> None:
    from_chart = assert_problem(client.get(f"/v1/{path}.svg?{query}"), 422)
    from_json = client.get(f"/v1/{path}?{query}").json()
    assert from_chart == {**from_json, "instance": f"/v1/{path}.svg"}


@pytest.mark.parametrize("url", ["/v1/nothing.svg", "/v1/turnover.png", "/v1/turnover.svg/2024"])
def test_unknown_chart_is_a_404_problem(client: TestClient, url: str) -> None:
    assert_problem(client.get(f"{url}?reporter=KAZ&partner=BGR"), 404)


def test_year_route_is_not_mistaken_for_a_chart(client: TestClient) -> None:
    # "/v1/turnover/2024.svg" is the one-year route with a year that is not a number.
    assert_problem(client.get("/v1/turnover/2024.svg?reporter=KAZ&partner=BGR"), 422)
    assert client.get("/v1/turnover/2024?reporter=KAZ&partner=BGR").json()["value"] == 375.2


def test_post_is_not_allowed(client: TestClient) -> None:
    assert_problem(client.post("/v1/turnover.svg?reporter=KAZ&partner=BGR"), 405)


def test_a_chart_is_tagged_and_redrawn_only_when_the_data_changes(
    client: TestClient, auth: dict
) -> None:
    """As the series it draws: a 304 for the tag the client has, until a write lands."""
    url = "/v1/turnover.svg?reporter=KAZ&partner=BGR"
    first = client.get(url)
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert client.post("/v1/observations", json=TURNOVER_2023, headers=auth).status_code == 201
    redrawn = client.get(url, headers={"If-None-Match": etag})
    assert redrawn.status_code == 200 and redrawn.headers["etag"] != etag
    assert "95.0" in labels(ET.fromstring(redrawn.text))  # the new 2023 figure
