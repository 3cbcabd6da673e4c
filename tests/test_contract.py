"""What fuzzing the contract (tests/test_fuzz.py) found, pinned down one case at a time."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import app
from tests.conftest import TURNOVER_2023


def test_a_405_lists_every_method_the_path_serves(client: TestClient) -> None:
    response = client.options("/v1/sources/3")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE"
    assert client.post("/v1/turnover").headers["allow"] == "GET, HEAD"


def test_as_of_must_be_an_rfc3339_date_time(client: TestClient) -> None:
    for number in ("0.5", "1700000000"):  # not taken for Unix times
        response = client.get("/v1/sources", params={"as_of": number})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "as_of"
    assert client.get("/v1/sources", params={"as_of": "2026-11-28T12:00:00Z"}).status_code == 200


def test_an_item_read_before_it_existed_is_a_404(client: TestClient, auth: dict) -> None:
    created = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    response = client.get(created.headers["location"], params={"as_of": "2000-01-01T00:00:00Z"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("day", [0, "2025-01-01T00:00:00", "20250101", "2025-1-1", "2025-01-01\n"])
def test_a_date_must_be_a_date_string(client: TestClient, auth: dict, day: Any) -> None:
    """Not a Unix time, and not a date and time cut to its day."""
    body = {"slug": "a-source", "kind": "agency", "title": "A source", "retrieved_on": day}
    response = client.post("/v1/sources", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "location": "body",
        "field": "retrieved_on",
        "message": "must be an ISO 8601 date string: 2025-06-12",
    }


def test_a_slug_with_a_final_newline_is_refused(client: TestClient, auth: dict) -> None:
    """Python's `$` matches before a final newline: "abc\n" passed the slug's pattern, and
    stood beside an "abc" that looks the same."""
    body = {"slug": "abc\n", "kind": "agency", "title": "A source"}
    response = client.post("/v1/sources", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "slug"


def test_an_invalid_body_is_a_422_even_with_a_stale_etag(client: TestClient, auth: dict) -> None:
    headers = {**auth, "If-Match": '"999"'}
    assert client.put("/v1/sources/3", json=[None], headers=headers).status_code == 422


def test_writes_declare_the_bearer_scheme() -> None:
    document = app.openapi()
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    for path_item in document["paths"].values():
        for method, operation in path_item.items():
            assert ("security" in operation) == (method != "get"), operation["operationId"]


def test_country_codes_are_listed_once() -> None:
    document = app.openapi()
    codes = document["components"]["schemas"]["CountryCode"]["enum"]
    assert {"KAZ", "KZ", "BGR", "BG"} <= set(codes)
    reporter = document["paths"]["/v1/turnover"]["get"]["parameters"][0]
    assert reporter["schema"]["$ref"] == "#/components/schemas/CountryCode"


def test_a_whole_number_may_be_written_with_a_fraction(client: TestClient, auth: dict) -> None:
    """JSON Schema reads 2023.0 as the integer 2023; so do the write routes."""
    body = {**TURNOVER_2023, "year": 2023.0, "source_id": 2.0}
    response = client.post("/v1/observations", json=body, headers=auth)
    assert response.status_code == 201
    assert response.json()["year"] == 2023
    half = client.post("/v1/observations", json={**TURNOVER_2023, "year": 2023.5}, headers=auth)
    assert half.status_code == 422


def test_a_source_id_too_large_for_the_database_is_a_422(client: TestClient, auth: dict) -> None:
    body = {**TURNOVER_2023, "source_id": 2**63}
    response = client.post("/v1/observations", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "source_id"


@pytest.mark.parametrize("code", ["KAZ ", " KAZ", "KAZ\t", "KAZ\n", "ｋａｚ", "ﬁn"])
def test_a_code_is_taken_as_sent_not_trimmed(client: TestClient, auth: dict, code: str) -> None:
    """The schema's enum has no room for white space (" 2024" is refused alike), and
    upper-casing "ﬁn" makes FIN: no code is guessed at."""
    read = client.get("/v1/turnover", params={"reporter": code, "partner": "BGR"})
    spelled = code.replace("KAZ", "exports").replace("ｋａｚ", "ｅｘｐｏｒｔｓ")
    indicator = client.get("/v1/observations", params={"indicator": spelled})
    body = {**TURNOVER_2023, "reporter": code}
    written = client.post("/v1/observations", json=body, headers=auth)
    csv = "reporter,partner,indicator,year,value,source_id,quote\n"
    csv += f'"{code}",BGR,TURNOVER,2019,1.0,2,q\nKAZ,BGR,"{spelled}",2019,1.0,2,q\n'
    imported = client.post("/v1/imports", content=csv, headers={**auth, "Content-Type": "text/csv"})
    assert [r.status_code for r in (read, indicator, written, imported)] == [422] * 4
    assert [e["field"] for e in imported.json()["errors"]] == ["reporter", "indicator"]
