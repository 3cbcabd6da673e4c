"""GET /v1/observations: filters, stable order and cursor pagination."""

import base64
import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.api.routes.observations import filters_tag
from app.models import Observation
from tests.conftest import record_figure

ORDER = [("EXPORTS", 2024), ("FDI_INFLOW", 2023), ("FDI_INFLOW", 2024), ("TURNOVER", 2024)]


def keys(body: dict) -> list[tuple[str, int]]:
    return [(o["indicator"], o["year"]) for o in body["data"]]


def test_lists_every_stored_figure_in_key_order(client: TestClient) -> None:
    body = client.get("/v1/observations").json()
    assert keys(body) == ORDER
    assert body["next"] is None
    assert body["limit"] == 100
    first = body["data"][0]
    assert (first["value"], first["precision"], first["status"]) == (303.6, 1, "reported")
    assert first["quote"].startswith("Exports from Kazakhstan")


def test_derived_values_are_not_listed(client: TestClient) -> None:
    body = client.get("/v1/observations", params={"indicator": "IMPORTS"}).json()
    assert body["data"] == []


def test_pages_follow_next_links_to_the_end(client: TestClient) -> None:
    seen, url, pages = [], "/v1/observations?limit=1", 0
    while url:
        response = client.get(url)
        body = response.json()
        seen += keys(body)
        pages += 1
        url = body["next"]
        if url:
            assert response.headers["link"] == f'<{url}>; rel="next"'
        else:
            assert "link" not in response.headers
    assert seen == ORDER
    assert pages == 4


def test_a_cache_buster_stays_off_the_next_link(client: TestClient) -> None:
    """A client adding its own `_` to the link it follows must not send two."""
    body = client.get("/v1/observations", params={"limit": 1, "_": "1733140000000"}).json()
    assert "_=" not in body["next"] and "limit=1" in body["next"]
    following = client.get(body["next"] + "&_=1733140000001")
    assert following.status_code == 200 and len(following.json()["data"]) == 1


def test_order_is_stable_while_rows_are_added(client: TestClient, session: Session) -> None:
    page = client.get("/v1/observations", params={"limit": 2}).json()
    # A row that sorts before the cursor must not shift the next page.
    session.add(
        Observation(
            reporter="KAZ",
            partner="BGR",
            indicator="EXPORTS",
            year=2020,
            value=Decimal("1.0"),
            precision=1,
            source_id=2,
            quote="Test.",
        )
    )
    session.commit()
    rest = client.get(page["next"]).json()
    assert keys(page) + keys(rest) == ORDER


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"indicator": "fdi_inflow"}, [("FDI_INFLOW", 2023), ("FDI_INFLOW", 2024)]),
        ({"year": 2023}, [("FDI_INFLOW", 2023)]),
        ({"start_year": 2024}, [("EXPORTS", 2024), ("FDI_INFLOW", 2024), ("TURNOVER", 2024)]),
        ({"end_year": 2023}, [("FDI_INFLOW", 2023)]),
        ({"reporter": "kz", "partner": "BG"}, ORDER),
        ({"reporter": "BGR"}, []),
        ({"partner": "KAZ"}, []),
    ],
)
def test_filters(client: TestClient, params: dict, expected: list) -> None:
    response = client.get("/v1/observations", params=params)
    assert response.status_code == 200
    assert keys(response.json()) == expected


def cursor_of(text: str) -> str:
    """A cursor as the API writes one: its JSON text in base64url, unpadded."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Cursors for a listing with no filters carry this tag; one with a bad key must fail on it.
UNFILTERED = filters_tag(
    {k: None for k in ("reporter", "partner", "indicator", "start_year", "end_year", "as_of")}
)


@pytest.mark.parametrize(
    "cursor",
    [
        "zz",
        "not-base64!",
        "",  # as if no cursor were given: a 400, as an empty `year` is a 422
        cursor_of("[]"),
        cursor_of('["a"]'),
        cursor_of('{"a": 1}'),
        cursor_of("5"),
        cursor_of('["KAZ", "BGR", "EXPORTS", 2024]'),  # without its filters' tag
        cursor_of(f'["KAZ", "BGR", "EXPORTS", "2024", "{UNFILTERED}"]'),
        cursor_of('["KAZ", "BGR", "EXPORTS", 2024, 5]'),
        # a year far past what SQLite's INTEGER holds
        cursor_of(f'["KAZ", "BGR", "EXPORTS", 1e30, "{UNFILTERED}"]'),
        cursor_of(f'["KAZ", "BGR", "EXPORTS", {10**24}, "{UNFILTERED}"]'),
        # codes no row has: with a NUL, which PostgreSQL refused with a 500, or lower case
        cursor_of(f'["K\\u0000Z", "BGR", "EXPORTS", 2024, "{UNFILTERED}"]'),
        cursor_of(f'["KAZ", "BGR", "EXP\\u0000", 2024, "{UNFILTERED}"]'),
        cursor_of(f'["kaz", "BGR", "EXPORTS", 2024, "{UNFILTERED}"]'),
        # nested deeper than json.loads reads: its RecursionError was a 500
        cursor_of("[" * 5000),
    ],
)
@pytest.mark.parametrize("format", ["json", "csv"])
def test_invalid_cursor_is_a_400_problem(client: TestClient, cursor: str, format: str) -> None:
    response = client.get("/v1/observations", params={"cursor": cursor, "format": format})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:tradestats:problem:invalid-cursor"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": -5}, "limit"),
        ({"reporter": "XX"}, "reporter"),
        ({"indicator": "GDP"}, "indicator"),
        ({"year": 2024, "end_year": 2024}, "year"),
    ],
)
def test_bad_filters_are_422(client: TestClient, params: dict, field: str) -> None:
    response = client.get("/v1/observations", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "filters",
    [
        {"partner": "BGR"},
        {"indicator": "EXPORTS"},
        {"indicator": "EXPORTS", "start_year": 2024},
        {"year": 2024},
        {"partner": "BGR", "as_of": "now"},
        {"indicator": "FDI_INFLOW", "as_of": "now"},
    ],
)
def test_the_export_has_the_rows_of_the_pages_in_their_order(
    client: TestClient, session: Session, filters: dict[str, str]
) -> None:
    """Without a reporter an export reads reporter by reporter, and pages do not
    (app/queries.py): both give the same rows, in key order."""
    for reporter, partner in (("DEU", "BGR"), ("AUT", "BGR"), ("DEU", "AUT"), ("ZAF", "BGR")):
        for year in (2023, 2024):
            record_figure(session, "EXPORTS", year, "1.5", reporter=reporter, partner=partner)
    if filters.get("as_of") == "now":
        filters = {**filters, "as_of": datetime.now(UTC).isoformat()}
    paged: list[int] = []
    url: str | None = "/v1/observations?" + urlencode({**filters, "limit": 2})
    while url:
        body = client.get(url).json()
        paged += [row["id"] for row in body["data"]]
        url = body["next"]
    export = client.get("/v1/observations", params={**filters, "format": "csv"})
    assert export.status_code == 200
    assert [int(row["id"]) for row in csv.DictReader(io.StringIO(export.text))] == paged
    assert len(paged) >= 2


def test_a_cursor_from_before_filters_were_named_says_so(client: TestClient) -> None:
    """A client paging across the upgrade holds a cursor this API did issue: the 400 must
    not say otherwise."""
    old = cursor_of('["KAZ", "BGR", "EXPORTS", 2024]')
    response = client.get("/v1/observations", params={"cursor": old})
    assert response.status_code == 400
    assert "did not name their filters" in response.json()["detail"]


def test_a_cursor_is_refused_with_other_filters(client: TestClient) -> None:
    """A cursor is a place in one listing: sent with other filters it started theirs at a
    key of another, and answered an empty page where DEU has rows."""
    first = client.get("/v1/observations", params={"reporter": "KAZ", "limit": 1}).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    assert client.get("/v1/observations", params={"reporter": "KAZ", "cursor": cursor}).json()[
        "data"
    ]
    for other in ({"reporter": "DEU"}, {"reporter": "KAZ", "year": 2024}, {}):
        response = client.get("/v1/observations", params={**other, "cursor": cursor})
        assert response.status_code == 400, other
        detail = response.json()["detail"]
        assert "issued for other filters" in detail and "start again" not in detail


def test_csv_pages_follow_limit_cursor_and_link_as_json_pages_do(
    client: TestClient, session: Session
) -> None:
    """Without `limit` an export is every row; with it, a page and a Link to the next.
    A cursor starts after a page in either format, and one the API never issued is a 400."""
    for partner in ("AUT", "DEU", "FRA"):
        record_figure(session, "EXPORTS", 2024, "1.5", partner=partner)
    every = client.get("/v1/observations", params={"year": 2024, "format": "csv"})
    every_id = [row["id"] for row in csv.DictReader(io.StringIO(every.text))]
    assert "link" not in every.headers and len(every_id) >= 4
    paged: list[str] = []
    url: str | None = "/v1/observations?" + urlencode({"year": 2024, "limit": 2, "format": "csv"})
    while url:
        page = client.get(url)
        assert page.headers["content-type"].startswith("text/csv")
        rows = [row["id"] for row in csv.DictReader(io.StringIO(page.text))]
        assert 1 <= len(rows) <= 2
        paged += rows
        link = page.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert paged == every_id
    first = client.get("/v1/observations", params={"year": 2024, "limit": 2}).json()
    after = client.get(first["next"], headers={"Accept": "text/csv"})
    assert [row["id"] for row in csv.DictReader(io.StringIO(after.text))] == every_id[2:4]
    forged = client.get("/v1/observations", params={"format": "csv", "cursor": "bad"})
    assert (forged.status_code, forged.json()["type"].rsplit(":", 1)[-1]) == (400, "invalid-cursor")


def test_the_export_writes_each_value_as_its_digits(client: TestClient, session: Session) -> None:
    """An export reads values as the stored text (app/queries.py): each cell must hold the
    digits the JSON gives, sign included, with no formula guard on a minus sign."""
    given = {"DEU": "375.2", "AUT": "0.0001", "ZAF": "-71.6", "CHN": "12345678901234.5"}
    for reporter, value in given.items():
        record_figure(session, "BALANCE", 2024, value, reporter=reporter)
    export = client.get("/v1/observations?indicator=BALANCE&format=csv")
    cells = {row["reporter"]: row["value"] for row in csv.DictReader(io.StringIO(export.text))}
    page = json.loads(client.get("/v1/observations?indicator=BALANCE").text, parse_float=str)
    assert cells == given
    assert {row["reporter"]: row["value"] for row in page["data"]} == given
