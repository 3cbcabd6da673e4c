"""as_of: every read answers as the API would have at that moment (like ALFRED vintages)."""

import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TURNOVER_2023

PAIR = {"reporter": "KAZ", "partner": "BGR"}


def now() -> str:
    time.sleep(0.002)  # timestamps are stored to the microsecond; keep moments apart
    moment = datetime.now(UTC).isoformat()
    time.sleep(0.002)
    return moment


def turnover_claim(client: TestClient, **params: str) -> dict:
    claims = client.get("/v1/claims", params={"indicator": "TURNOVER", **params}).json()
    (claim,) = claims["data"]
    return claim


def test_the_issue_scenario(client: TestClient, auth: dict) -> None:
    """POST the 2023 turnover: the claim gets a verdict, but not as of before the POST."""
    before = now()
    assert client.post("/v1/observations", json=TURNOVER_2023, headers=auth).status_code == 201
    assert turnover_claim(client)["verdict"] == "consistent"
    assert turnover_claim(client, as_of=before)["verdict"] == "unverifiable"
    old = client.get("/v1/turnover", params={**PAIR, "as_of": before}).json()
    assert [p["year"] for p in old["observations"]] == [2024]
    assert old["observations"][0]["growth"]["reason"] == "no 2023 value"
    new = client.get("/v1/turnover", params=PAIR).json()
    assert new["observations"][1]["growth"]["ratio"] == 3.949474


def test_updates_and_deletes_are_seen_in_order(client: TestClient, auth: dict) -> None:
    created = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    url = created.headers["location"]
    first = now()
    client.patch(url, json={"value": 80.0}, headers=auth)
    second = now()
    client.delete(url, headers=auth)
    third = now()

    def value_at(moment: str) -> int | float | None:
        response = client.get("/v1/turnover/2023", params={**PAIR, "as_of": moment})
        return response.json()["value"] if response.status_code == 200 else None

    assert (value_at(first), value_at(second), value_at(third)) == (95.0, 80.0, None)
    assert client.get(url, params={"as_of": first}).json()["value"] == 95.0
    assert client.get(url, params={"as_of": third}).status_code == 410
    # the claim was consistent with 95, then inconsistent with 80 (4.69 times), then unknown
    verdicts = [turnover_claim(client, as_of=m)["verdict"] for m in (first, second, third)]
    assert verdicts == ["consistent", "inconsistent", "unverifiable"]
    growth = client.get(
        "/v1/growth",
        params={**PAIR, "indicator": "TURNOVER", "from": 2023, "to": 2024, "as_of": second},
    ).json()
    assert growth["inputs"][0]["value"] == 80.0
    revisions = client.get(f"{url}/revisions", params={"as_of": second}).json()["data"]
    assert [r["action"] for r in revisions] == ["create", "update"]


def test_a_deleted_item_is_410_while_deleted_and_404_before_it_existed(
    client: TestClient, auth: dict
) -> None:
    before = now()
    url = client.post("/v1/observations", json=TURNOVER_2023, headers=auth).headers["location"]
    client.delete(url, headers=auth)
    gap = now()
    readded = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    assert readded.headers["location"] == url  # one id, one history
    during_gap = client.get(url, params={"as_of": gap})
    assert during_gap.status_code == 410
    assert "had been deleted by" in during_gap.json()["detail"]
    assert "+00:00" not in during_gap.json()["detail"]  # RFC 3339 times, as everywhere
    client.delete(url, headers=auth)
    not_yet = client.get(url, params={"as_of": before})
    assert not_yet.status_code == 404  # deleted now, but not yet created then
    assert "did not exist yet" in not_yet.json()["detail"]
    assert client.get(url).status_code == 410
    history = client.get(f"{url}/revisions", params={"as_of": before})
    assert (history.status_code, history.json()["count"]) == (200, 0)  # none by then
    assert client.get("/v1/observations/999/revisions").status_code == 404


def test_derived_values_follow_the_vintage(client: TestClient, auth: dict) -> None:
    before = now()
    client.post(
        "/v1/observations",
        headers=auth,
        json={**TURNOVER_2023, "indicator": "IMPORTS", "year": 2024, "value": 71.7},
    )
    reported = client.get("/v1/imports/2024", params=PAIR).json()
    derived = client.get("/v1/imports/2024", params={**PAIR, "as_of": before}).json()
    assert (reported["status"], reported["value"]) == ("reported", 71.7)
    assert (derived["status"], derived["value"]) == ("derived", 71.6)
    checks = client.get("/v1/identity-checks", params={**PAIR, "as_of": before}).json()
    assert checks["count"] == 0
    assert client.get("/v1/identity-checks", params=PAIR).json()["count"] == 1


def test_before_anything_was_recorded_there_is_nothing(client: TestClient) -> None:
    params = {"as_of": "2000-01-01T00:00:00Z"}
    assert client.get("/v1/observations", params=params).json()["data"] == []
    assert client.get("/v1/sources", params=params).json()["count"] == 0
    assert client.get("/v1/claims", params=params).json()["count"] == 0
    assert client.get("/v1/turnover", params={**PAIR, **params}).json()["observations"] == []


def test_sources_as_they_were(client: TestClient, auth: dict) -> None:
    # A series read keeps today's sources in memory for the data version it saw.
    cited = client.get("/v1/investment", params=PAIR).json()["observations"][0]["source"]
    assert cited["title"].startswith("Bulgarian direct")
    before = now()
    client.patch("/v1/sources/3", json={"title": "Renamed"}, headers=auth)
    assert client.get("/v1/sources/3").json()["title"] == "Renamed"
    series = client.get("/v1/investment", params=PAIR).json()
    assert series["observations"][0]["source"]["title"] == "Renamed"
    assert (
        client.get("/v1/sources/3", params={"as_of": before})
        .json()["title"]
        .startswith("Bulgarian direct investment")
    )
    old_series = client.get("/v1/investment", params={**PAIR, "as_of": before}).json()
    assert old_series["observations"][0]["source"]["title"].startswith("Bulgarian direct")


@pytest.mark.parametrize("moment", ["2026-11-28T12:00:00", "yesterday", "2026-13-01T00:00Z"])
def test_as_of_needs_an_rfc3339_timestamp(client: TestClient, moment: str) -> None:
    response = client.get("/v1/observations", params={"as_of": moment})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "as_of"


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        ("2026-12-03T24:00:00Z", "names no moment: hour must be in 0..23"),
        ("2026-12-03T12:60:00Z", "names no moment: minute must be in 0..59"),
        ("2016-12-31T23:59:60Z", "names no moment: second must be in 0..59"),  # a leap second
        ("2026-02-30T12:00:00Z", "names no moment: day is out of range for month"),
        # An offset's hours and minutes too: this said "must be an RFC 3339 date-time".
        (
            "2026-12-03T12:00:00%2B24:00",
            "names no moment: its offset must be from -23:59 to +23:59",
        ),
        ("2026-12-03T12:00:00-05:60", "names no moment: its offset must be from -23:59 to +23:59"),
    ],
)
def test_an_as_of_of_the_right_form_naming_no_moment_says_which_part(
    client: TestClient, moment: str, message: str
) -> None:
    """Pydantic called an hour of 24, a minute of 60 or a leap second "unexpected extra
    characters at the end of the input", which they have none of: the part out of range is
    what to mend, and every such moment says so in the same words."""
    for path in ("/v1/observations", "/v1/turnover?reporter=KAZ&partner=BGR", "/v1/sources"):
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}as_of={moment}")
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"location": "query", "field": "as_of", "message": message}
        ]


def test_an_unencoded_plus_in_as_of_is_explained(client: TestClient) -> None:
    """`+` in a query string is a space: `?as_of=…12:00:00+01:00` by hand arrives without it."""
    for path in ("/v1/observations", "/v1/exports?reporter=KAZ&partner=BGR"):
        response = client.get(f"{path}{'&' if '?' in path else '?'}as_of=2026-12-03T12:00:00+01:00")
        assert response.status_code == 422
        assert "write it as %2B" in response.json()["errors"][0]["message"]
    encoded = client.get("/v1/observations?as_of=2026-12-03T12:00:00%2B01:00")
    assert encoded.status_code == 200


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_as_of_must_stay_within_the_years_in_utc(client: TestClient, moment: str) -> None:
    """Valid RFC 3339, but in UTC it falls in year 0 or 10000: a 422, not an overflow."""
    for path in ("/v1/observations", "/v1/sources", "/v1/observations/1/revisions"):
        response = client.get(path, params={"as_of": moment})
        assert response.status_code == 422, (path, response.text)
        (error,) = response.json()["errors"]
        assert error["field"] == "as_of" and "once converted to UTC" in error["message"]
    edges = ("0001-01-01T01:00:00+01:00", "9999-12-31T23:59:59.999999Z")
    for edge in edges:  # the same years' first and last moments in UTC are fine
        assert client.get("/v1/observations", params={"as_of": edge}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/v1/countries",
        "/v1/indicators",
        "/v1/qualifiers",
        "/v1/sources",
        "/v1/claims",
        "/v1/observations",
        "/v1/observations/1",
        "/v1/observations/1/revisions",
        "/v1/turnover?reporter=KAZ&partner=BGR",
        "/v1/investment/2024?reporter=KAZ&partner=BGR",
        "/v1/identity-checks?reporter=KAZ&partner=BGR",
    ],
)
def test_every_read_accepts_as_of(client: TestClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    later = client.get(f"{path}{sep}as_of=2999-01-01T00:00:00%2B02:00")
    assert later.status_code == 200
    assert later.json() == client.get(path).json()
