"""Writes: strict validation, conflicts, ETags, soft deletes and revisions."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import writes
from app.imports import IMPORT_COLUMNS, import_observations, rows_from
from tests.conftest import TURNOVER_2023, count_rows

TABLES = (
    "observation",
    "observation_revision",
    "source",
    "source_revision",
    "claim",
    "claim_revision",
)


def snapshot(session: Session) -> dict[str, int]:
    return {table: count_rows(session, table) for table in TABLES}


def post_raw(
    client: TestClient,
    auth: dict,
    body: str,
    path: str = "/v1/observations",
    content_type: str = "application/json",
):  # type: ignore[no-untyped-def]
    return client.post(path, content=body.encode(), headers={**auth, "Content-Type": content_type})


def test_create_returns_the_figure_with_location_and_etag(client: TestClient, auth: dict) -> None:
    response = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    assert response.status_code == 201
    body = response.json()
    assert (body["value"], body["precision"], body["status"]) == (95.0, 1, "reported")
    assert response.headers["location"] == f"/v1/observations/{body['id']}"
    assert response.headers["etag"] == client.get(response.headers["location"]).headers["etag"]
    assert body["created_at"].endswith("Z")


def test_published_decimals_are_kept(client: TestClient, auth: dict) -> None:
    body = (
        '{"reporter":"KAZ","partner":"BGR","indicator":"EXPORTS","year":2023,'
        '"value":27.50,"source_id":2,"quote":"Exports were $27.50 million."}'
    )
    created = post_raw(client, auth, body).json()
    assert created["precision"] == 2
    csv = client.get("/v1/observations", params={"format": "csv", "year": 2023}).text
    assert ",27.50," in csv


def test_a_zero_has_no_sign(client: TestClient, auth: dict) -> None:
    """-0.0 is stored as 0.0, with its decimal: a sign on nothing says nothing."""
    body = json.dumps({**TURNOVER_2023, "indicator": "EXPORTS"}).replace(
        '"value": 95.0', '"value": -0.0'
    )
    created = post_raw(client, auth, body)
    assert created.status_code == 201, created.text
    assert ('"value":0.0,' in created.text, created.json()["precision"]) == (True, 1)


def test_a_value_with_more_digits_than_json_keeps_is_a_422(
    client: TestClient, auth: dict, session: Session
) -> None:
    """123456789012.345678 would be served as 123456789012.34567: refused, not changed."""
    before = snapshot(session)
    body = (
        '{"reporter":"KAZ","partner":"BGR","indicator":"EXPORTS","year":2023,'
        '"value":123456789012.345678,"source_id":2,"quote":"Too precise."}'
    )
    response = post_raw(client, auth, body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "more than 15 significant digits" in response.text
    assert snapshot(session) == before


def test_duplicate_is_a_409_naming_the_existing_figure(
    client: TestClient, auth: dict, session: Session
) -> None:
    first = client.post("/v1/observations", json=TURNOVER_2023, headers=auth).json()
    before = snapshot(session)
    response = client.post("/v1/observations", json={**TURNOVER_2023, "value": 96.0}, headers=auth)
    assert response.status_code == 409
    assert f"/v1/observations/{first['id']}" in response.json()["detail"]
    assert response.headers["location"] == f"/v1/observations/{first['id']}"
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reporter": "XX"}, "reporter"),
        ({"partner": "KAZ"}, "partner"),
        ({"year": 1899}, "year"),
        ({"year": datetime.now(UTC).year + 2}, "year"),
        ({"year": "2023"}, "year"),
        ({"year": 2023.5}, "year"),
        ({"value": "95.0"}, "value"),
        ({"value": False}, "value"),
        ({"value": None}, "value"),
        ({"value": -1.0}, "value"),
        ({"value": 1e16}, "value"),
        ({"indicator": "GDP"}, "indicator"),
        ({"currency": "XXY"}, "currency"),
        ({"currency": "XXX"}, "currency"),  # ISO 4217's "no currency"
        ({"currency": "XTS"}, "currency"),  # and its code for testing
        ({"currency": 840}, "currency"),
        ({"multiplier": 5}, "multiplier"),
        ({"multiplier": True}, "multiplier"),
        ({"precision": 0}, "precision"),
        ({"source_id": 999}, "source_id"),
        ({"source_id": "2"}, "source_id"),
        ({"publication_id": 999}, "publication_id"),
        ({"source_id": 1}, "source_id"),  # the article: a publication, not an agency
        ({"publication_id": 2}, "publication_id"),  # an agency, not a publication
        ({"quote": ""}, "quote"),
        ({"quote": "x" * 2001}, "quote"),
        ({"note": "x" * 2001}, "note"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_field_is_a_422_that_names_it_and_writes_nothing(
    client: TestClient, auth: dict, session: Session, change: dict, field: str
) -> None:
    before = snapshot(session)
    response = client.post("/v1/observations", json={**TURNOVER_2023, **change}, headers=auth)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert snapshot(session) == before


def test_a_source_of_the_wrong_kind_is_named_as_such(client: TestClient, auth: dict) -> None:
    body = {**TURNOVER_2023, "source_id": 1, "publication_id": 2}
    errors = client.post("/v1/observations", json=body, headers=auth).json()["errors"]
    assert {e["field"]: e["message"] for e in errors} == {
        "source_id": "source 1 is a publication, not an agency",
        "publication_id": "source 2 is an agency, not a publication",
    }
    rows = "reporter,partner,indicator,year,value,source_id,quote\nKAZ,DEU,EXPORTS,2024,1.5,1,q\n"
    imported = client.post(
        "/v1/imports", content=rows, headers={**auth, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 422
    assert imported.json()["errors"] == [
        {"location": "line 2", "field": "source_id", "message": errors[0]["message"]}
    ]


def test_every_field_error_is_listed_at_once(client: TestClient, auth: dict) -> None:
    body = {**TURNOVER_2023, "reporter": "XX", "year": 1800, "value": "12", "currency": "ZZZ"}
    errors = client.post("/v1/observations", json=body, headers=auth).json()["errors"]
    assert sorted(e["field"] for e in errors) == ["currency", "reporter", "value", "year"]
    assert all(e["location"] == "body" for e in errors)


@pytest.mark.parametrize(
    ("indicator", "allowed"),
    [
        ("BALANCE", True),
        ("FDI_INFLOW", True),  # net of disinvestment
        ("TURNOVER", False),
        ("EXPORTS", False),
        ("IMPORTS", False),
    ],
)
def test_negative_values_only_where_the_indicator_allows_them(
    client: TestClient, auth: dict, indicator: str, allowed: bool
) -> None:
    """By one write and by an import alike: the two check rows by separate code."""
    row = {**TURNOVER_2023, "indicator": indicator, "year": 2022, "value": -12.5}
    written = client.post("/v1/observations", json=row, headers=auth)
    header = "reporter,partner,indicator,year,value,source_id,quote\n"
    lines = f"{header}KAZ,DEU,{indicator},2024,-1.5,2,q\n"
    imported = client.post(
        "/v1/imports", content=lines, headers={**auth, "Content-Type": "text/csv"}
    )
    if allowed:
        assert (written.status_code, imported.status_code) == (201, 200)
    else:
        message = f"{indicator} cannot be negative"
        assert written.status_code == imported.status_code == 422
        assert [e["message"] for e in written.json()["errors"]] == [message]
        assert [e["message"] for e in imported.json()["errors"]] == [message]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"value": NaN}', 400),
        ('{"value": Infinity}', 400),
        ('{"value": -Infinity}', 400),
        ('{"reporter": "KAZ",', 400),
        ("[" * 100_000 + "]" * 100_000, 400),
        ("", 400),
        ('"just a string"', 422),
        ("[]", 422),
    ],
)
def test_unparseable_or_wrongly_shaped_bodies(
    client: TestClient, auth: dict, session: Session, body: str, status: int
) -> None:
    before = snapshot(session)
    response = post_raw(client, auth, body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert snapshot(session) == before


def test_invalid_utf8_is_a_400(client: TestClient, auth: dict) -> None:
    response = client.post(
        "/v1/observations",
        content=b'{"quote": "\xff\xfe"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_wrong_content_type_is_a_415(client: TestClient, auth: dict) -> None:
    response = post_raw(
        client, auth, "reporter=KAZ", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415


def test_a_415_names_the_media_types_the_route_takes(client: TestClient, auth: dict) -> None:
    """RFC 9110, 15.5.16: `Accept` says what would have been taken, and a PATCH's 415
    `Accept-Patch` too (RFC 5789, 2.2), as a content coding's 415 sends Accept-Encoding."""
    text = {**auth, "Content-Type": "text/plain"}
    posted = client.post("/v1/observations", content=b"{}", headers=text)
    patched = client.patch("/v1/observations/1", content=b"{}", headers=text)
    imported = client.post("/v1/imports", content=b"{}", headers=text)
    latin = {**auth, "Content-Type": "application/json; charset=latin-1"}
    declared = client.post("/v1/observations", content=b"{}", headers=latin)
    assert [r.status_code for r in (posted, patched, imported, declared)] == [415] * 4
    assert posted.headers["accept"] == declared.headers["accept"] == "application/json"
    both = "application/json, application/merge-patch+json"
    assert patched.headers["accept"] == patched.headers["accept-patch"] == both
    assert imported.headers["accept"] == "text/csv, application/json"
    assert "accept-patch" not in posted.headers


def body_writes(
    client: TestClient, body: bytes, headers: dict[str, str] | list[tuple[str, str]]
) -> list[httpx.Response]:
    """Each way a body is written, sent `headers`: a POST of `body`, an import of it, and a
    PATCH of figure 1's note."""
    return [
        client.post("/v1/observations", content=body, headers=headers),
        client.post("/v1/imports", content=b"[" + body + b"]", headers=headers),
        client.patch("/v1/observations/1", content=b'{"note": "x"}', headers=headers),
    ]


@pytest.mark.parametrize(
    "types",
    [
        ["application/json", "text/plain"],  # read as JSON: the second was never looked at
        ["text/plain", "application/json"],  # refused as text/plain, the first
        ["application/json", "application/json; charset=latin-1"],
    ],
)
def test_a_body_declared_in_two_types_is_a_400(
    client: TestClient, auth: dict, session: Session, types: list[str]
) -> None:
    """Content-Type is one value, not a list (RFC 9110, 5.3): two that differ leave the
    body's type to a guess. Only the first was read."""
    before = snapshot(session)
    headers = [*auth.items(), *(("Content-Type", t) for t in types)]
    body = json.dumps(TURNOVER_2023).encode()
    for response in body_writes(client, body, headers):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:tradestats:problem:conflicting-headers"
        assert all(t in problem["detail"] for t in types)
    assert snapshot(session) == before
    same = [*auth.items(), *[("Content-Type", "application/json")] * 2]  # one type, said twice
    assert client.post("/v1/observations", content=body, headers=same).status_code == 201


@pytest.mark.parametrize("body", ["[]", "null", '"text"', "12", "true"])
@pytest.mark.parametrize("path", ["/v1/observations", "/v1/sources", "/v1/claims", "/v1/sources/2"])
def test_a_body_that_is_no_object_is_a_422_that_says_so(
    client: TestClient, auth: dict, session: Session, path: str, body: str
) -> None:
    """It said "Input should be a valid dictionary or instance of ObservationCreate", a
    class name of the code's, where a PATCH and an import say "a JSON object"."""
    before = snapshot(session)
    headers = {**auth, "Content-Type": "application/json"}
    method = "PUT" if path[-1].isdigit() else "POST"
    response = client.request(method, path, content=body, headers=headers)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["location"], error["field"]) == ("body", "body")
    assert error["message"].startswith("must be a JSON object of the fields, not ")
    assert "Create" not in response.text
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("charset", "status"),
    [("utf-8", 201), ('"UTF-8"', 201), ("us-ascii", 201), ("latin-1", 415), ("utf-16", 415)],
)
def test_a_body_declared_in_another_charset_is_a_415(
    client: TestClient, auth: dict, session: Session, charset: str, status: int
) -> None:
    """It was read as UTF-8 regardless: a Latin-1 CSV was blamed as 'not UTF-8' (400) and a
    body declared UTF-16 was taken."""
    before = snapshot(session)
    body = json.dumps(TURNOVER_2023).encode()
    headers = {**auth, "Content-Type": f"application/json; charset={charset}"}
    response = client.post("/v1/observations", content=body, headers=headers)
    assert response.status_code == status, response.text
    if status == 415:
        assert "charset" in response.json()["detail"]
        assert snapshot(session) == before
    csv_body = b"reporter,partner,indicator,year,value,source_id,quote\n"
    imported = client.post(
        "/v1/imports?dry_run=true",
        content=csv_body,
        headers={**auth, "Content-Type": f"text/csv; charset={charset}"},
    )
    assert (imported.status_code == 415) is (status == 415), imported.text


@pytest.mark.parametrize("coding", ["gzip", "br", "identity, gzip"])
def test_a_body_declared_compressed_is_a_415(
    client: TestClient, auth: dict, session: Session, coding: str
) -> None:
    """Content-Encoding was ignored: a gzipped body was blamed as 'not valid JSON' (400)
    and a plain one labelled `br` was written as if it said nothing."""
    before = snapshot(session)
    headers = {**auth, "Content-Type": "application/json", "Content-Encoding": coding}
    body = json.dumps(TURNOVER_2023).encode()
    for response in body_writes(client, body, headers):
        assert response.status_code == 415, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["accept-encoding"] == "identity"
        assert "Content-Encoding" in response.json()["detail"]
    assert snapshot(session) == before
    identity = {**auth, "Content-Type": "application/json", "Content-Encoding": "identity"}
    assert client.post("/v1/observations", content=body, headers=identity).status_code == 201


def test_oversized_body_is_a_413(client: TestClient, auth: dict, session: Session) -> None:
    before = snapshot(session)
    body = '{"quote": "' + "x" * 1_100_000 + '"}'
    assert post_raw(client, auth, body).status_code == 413
    assert snapshot(session) == before


def test_put_replaces_and_if_match_guards_it(client: TestClient, auth: dict) -> None:
    created = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    url, etag = created.headers["location"], created.headers["etag"]
    changed = client.put(
        url, json={**TURNOVER_2023, "value": 96.5}, headers={**auth, "If-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.json()["value"] == 96.5
    assert changed.headers["etag"] != etag
    stale = client.put(
        url, json={**TURNOVER_2023, "value": 97.0}, headers={**auth, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert client.get(url).json()["value"] == 96.5


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_if_none_match_naming_the_current_revision_stops_a_write(
    client: TestClient, auth: dict, session: Session, method: str
) -> None:
    """RFC 9110, 13.1.2: a write must not be made when If-None-Match matches, as it was."""
    created = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    url, etag = created.headers["location"], created.headers["etag"]
    body = {"PUT": {**TURNOVER_2023, "value": 96.5}, "PATCH": {"value": 96.5}}.get(method)
    before = snapshot(session)
    for tag in (etag, f"W/{etag}", '"999", ' + etag, "*"):
        refused = client.request(method, url, json=body, headers={**auth, "If-None-Match": tag})
        assert refused.status_code == 412, (tag, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert snapshot(session) == before
    made = client.request(method, url, json=body, headers={**auth, "If-None-Match": '"999"'})
    assert made.status_code == (204 if method == "DELETE" else 200)


@pytest.mark.parametrize(
    ("if_match", "says"),
    [
        ("garbage", "names no entity tag"),
        ("W/{tag}", "a weak tag (W/…) never matches"),
        ('"999"', "changed since you read it"),
    ],
)
def test_a_412_says_why_the_tag_cannot_match(
    client: TestClient, auth: dict, if_match: str, says: str
) -> None:
    """'The resource changed since you read it' was the answer to a malformed or weak tag
    too, though nothing had changed."""
    created = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    url, tag = created.headers["location"], created.headers["etag"]
    headers = {**auth, "If-Match": if_match.format(tag=tag)}
    refused = client.patch(url, json={"note": "x"}, headers=headers)
    assert refused.status_code == 412
    assert says in refused.json()["detail"]


def test_w_star_is_no_tag_in_if_none_match(client: TestClient, auth: dict) -> None:
    """`W/*` is not `*` (RFC 9110, 8.8.3): a read is not a 304 for it, nor a write a 412."""
    url = client.post("/v1/observations", json=TURNOVER_2023, headers=auth).headers["location"]
    assert client.get(url, headers={"If-None-Match": "W/*"}).status_code == 200
    listed = client.get("/v1/observations", headers={"If-None-Match": "W/*"})
    assert listed.status_code == 200
    patched = client.patch(url, json={"note": "x"}, headers={**auth, "If-None-Match": "W/*"})
    assert patched.status_code == 200


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("If-Match", '"nope"', 412),  # lists are tagged weakly: no If-Match tag can match
        ("If-Match", 'W/"1-abc"', 412),
        ("If-None-Match", "*", 412),  # "only if nothing is there": the collection is
        ("If-Match", "*", None),  # the collection exists: the write goes ahead
        ("If-None-Match", '"nope"', None),
    ],
)
def test_a_write_to_a_collection_honours_its_preconditions(
    client: TestClient, auth: dict, session: Session, header: str, value: str, status: int | None
) -> None:
    """POST and an import ignored If-Match: a client guarding a bulk import with a stale
    tag was answered 201 (RFC 9110, 13.1.1 requires the condition be evaluated first)."""
    before = snapshot(session)
    headers = {**auth, header: value}
    posted = client.post("/v1/observations", json=TURNOVER_2023, headers=headers)
    imported = client.post("/v1/imports?dry_run=true", json=[TURNOVER_2023], headers=headers)
    if status is None:
        assert (posted.status_code, imported.status_code) == (201, 200)
        return
    for refused in (posted, imported):
        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert snapshot(session) == before


def test_an_items_csv_form_has_a_strong_tag_of_its_own(client: TestClient, auth: dict) -> None:
    """A strong ETag names one representation: a cache revalidating both forms picks the
    body by the tag, so JSON and CSV must not share one. Either form's tag guards a write."""
    url = client.post("/v1/observations", json=TURNOVER_2023, headers=auth).headers["location"]
    as_json, as_csv = client.get(url), client.get(url, params={"format": "csv"})
    assert as_json.headers["etag"] != as_csv.headers["etag"]
    by_accept = client.get(url, headers={"Accept": "text/csv"})
    assert by_accept.headers["etag"] == as_csv.headers["etag"]
    for form, tag in ((as_json, as_json.headers["etag"]), (as_csv, as_csv.headers["etag"])):
        params = {"format": "csv"} if form is as_csv else {}
        assert client.get(url, params=params, headers={"If-None-Match": tag}).status_code == 304
    other = client.get(url, headers={"If-None-Match": as_csv.headers["etag"]})
    assert (other.status_code, other.json()["id"]) == (200, as_json.json()["id"])

    guarded = {**auth, "If-Match": as_csv.headers["etag"]}
    changed = client.patch(url, json={"value": 96.5}, headers=guarded)
    assert changed.status_code == 200
    assert client.patch(url, json={"value": 97.0}, headers=guarded).status_code == 412


def test_put_without_changes_writes_no_revision(client: TestClient, auth: dict) -> None:
    created = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    url = created.headers["location"]
    again = client.put(url, json=TURNOVER_2023, headers=auth)
    assert again.headers["etag"] == created.headers["etag"]
    assert client.get(f"{url}/revisions").json()["count"] == 1


def test_patch_merges_and_revalidates(client: TestClient, auth: dict) -> None:
    url = client.post("/v1/observations", json=TURNOVER_2023, headers=auth).headers["location"]
    patched = client.patch(url, json={"value": 96.25, "note": "Revised."}, headers=auth)
    assert patched.status_code == 200
    assert (patched.json()["value"], patched.json()["precision"]) == (96.25, 2)
    assert patched.json()["quote"] == TURNOVER_2023["quote"]
    assert client.patch(url, json={"quote": None}, headers=auth).status_code == 422
    assert (
        client.patch(url, json={"year": 2020, "indicator": "FDI_INFLOW"}, headers=auth).status_code
        == 200
    )
    assert post_raw(client, auth, "[1]", path=url).status_code in (405, 422)
    not_object = client.patch(
        url, content=b"[1]", headers={**auth, "Content-Type": "application/merge-patch+json"}
    )
    assert not_object.status_code == 400


def test_patching_a_field_to_null_removes_it_so_it_takes_its_default(
    client: TestClient, auth: dict
) -> None:
    """RFC 7396: null removes a member. A figure stored in EUR thousands patched with
    currency and multiplier null is in USD millions, as a PUT without them would be."""
    body = {**TURNOVER_2023, "currency": "EUR", "multiplier": 3, "note": "In thousands."}
    url = client.post("/v1/observations", json=body, headers=auth).headers["location"]
    changes = {"currency": None, "multiplier": None, "note": None}
    patched = client.patch(url, json=changes, headers=auth)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["currency"], patched.json()["multiplier"]) == ("USD", 6)
    assert patched.json()["note"] is None
    missing = client.patch(url, json={"value": None}, headers=auth)
    assert missing.status_code == 422
    assert [(e["field"], e["message"]) for e in missing.json()["errors"]] == [
        ("value", "Field required")
    ]


@pytest.mark.parametrize(
    ("url", "field"),
    [("/v1/observations/1", "notes"), ("/v1/sources/1", "notes"), ("/v1/claims/1", "id")],
)
def test_a_null_for_a_field_there_is_not_is_refused(
    client: TestClient, auth: dict, session: Session, url: str, field: str
) -> None:
    """A null removes a field the body has, and no other: `"notes": null`, a typo for
    `note`, answered 200 having changed nothing, where `"notes": "x"` is a 422 (review)."""
    before = snapshot(session)
    response = client.patch(url, json={field: None}, headers=auth)
    assert response.status_code == 422, response.text
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        (field, "Extra inputs are not permitted")
    ]
    assert snapshot(session) == before


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_write_that_calls_a_figure_derived_is_refused(
    client: TestClient, auth: dict, session: Session, method: str
) -> None:
    """Stored figures are all reported: a body has no `status`, so one saying `derived`
    is refused, not stored as reported (an import refuses it too)."""
    url = "/v1/observations" + ("" if method == "POST" else "/1")
    body = {"status": "derived"} | ({} if method == "PATCH" else TURNOVER_2023)
    before = snapshot(session)
    response = client.request(method, url, json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("status", "Extra inputs are not permitted")
    ]
    assert snapshot(session) == before


def test_a_change_onto_another_figures_key_is_a_409(client: TestClient, auth: dict) -> None:
    url = client.post("/v1/observations", json=TURNOVER_2023, headers=auth).headers["location"]
    response = client.patch(url, json={"year": 2024}, headers=auth)  # 2024 is seeded
    assert response.status_code == 409


def test_delete_is_soft_and_readding_keeps_one_history(client: TestClient, auth: dict) -> None:
    created = client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    url = created.headers["location"]
    assert client.delete(url, headers={**auth, "If-Match": '"999"'}).status_code == 412
    assert client.delete(url, headers=auth).status_code == 204
    assert client.get(url).status_code == 410
    assert client.delete(url, headers=auth).status_code == 410
    listed = client.get("/v1/observations", params={"indicator": "TURNOVER"}).json()["data"]
    assert [o["year"] for o in listed] == [2024]
    readded = client.post("/v1/observations", json={**TURNOVER_2023, "value": 94.0}, headers=auth)
    assert readded.headers["location"] == url
    history = client.get(f"{url}/revisions").json()["data"]
    assert [r["action"] for r in history] == ["create", "delete", "create"]
    assert history[1]["old"]["value"] == 95.0 and history[1]["new"] is None
    assert history[2]["old"] is None and history[2]["new"]["value"] == 94.0
    assert all(r["api_key"]["name"] == "tests" for r in history)


def test_revisions_of_seeded_figures_name_no_key(client: TestClient) -> None:
    (revision,) = client.get("/v1/observations/1/revisions").json()["data"]
    assert (revision["action"], revision["api_key"], revision["old"]) == ("create", None, None)
    assert revision["new"]["value"] == 375.2


def test_a_patch_keeps_an_import_that_lands_while_it_waits_for_the_lock(
    client: TestClient, auth: dict, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PATCH reads the row once it holds the write lock: an import committed while it
    waited stays, in the live row and in the revision the PATCH opens."""
    take_lock = writes.lock_for_write
    revised = "KAZ,BGR,TURNOVER,2024,375.3,USD,6,1,2,,Revised to 375.3.,\n"

    def import_then_lock(session: Session) -> None:
        monkeypatch.setattr(writes, "lock_for_write", take_lock)
        with Session(engine) as other:
            body = (",".join(IMPORT_COLUMNS) + "\n" + revised).encode()
            assert import_observations(other, rows_from(body, "text/csv"), None).updated == 1
        take_lock(session)

    monkeypatch.setattr(writes, "lock_for_write", import_then_lock)
    assert client.patch("/v1/observations/1", json={"note": "C"}, headers=auth).status_code == 200
    live = client.get("/v1/observations/1").json()
    assert (live["value"], live["quote"], live["note"]) == (375.3, "Revised to 375.3.", "C")
    latest = client.get("/v1/observations/1/revisions").json()["data"][-1]["new"]
    assert {field: latest[field] for field in ("value", "quote", "note")} == {
        "value": 375.3,
        "quote": "Revised to 375.3.",
        "note": "C",
    }


def test_revisions_as_csv_hold_each_version_as_json(client: TestClient, auth: dict) -> None:
    """One row a revision; its old and new data are cells of JSON, as in the JSON answer."""
    client.patch("/v1/observations/1", json={"note": "Checked."}, headers=auth)
    as_json = client.get("/v1/observations/1/revisions").json()["data"]
    rows = list(
        csv.DictReader(io.StringIO(client.get("/v1/observations/1/revisions?format=csv").text))
    )
    assert [row["action"] for row in rows] == ["create", "update"]
    assert [json.loads(row["new"]) for row in rows] == [r["new"] for r in as_json]
    assert json.loads(rows[1]["old"]) == as_json[1]["old"]
    assert rows[0]["old"] == ""


def test_unknown_ids(client: TestClient, auth: dict) -> None:
    assert client.get("/v1/observations/999").status_code == 404
    assert client.get("/v1/observations/999/revisions").status_code == 404
    assert client.put("/v1/observations/999", json=TURNOVER_2023, headers=auth).status_code == 404
    assert client.delete("/v1/observations/999", headers=auth).status_code == 404


SOURCE = {
    "slug": "bnb",
    "kind": "agency",
    "title": "Bulgarian National Bank statistics",
    "publisher": "Bulgarian National Bank",
    "url": "https://example.org/bnb",
    "retrieved_on": "2026-11-28",
}


def test_sources_can_be_added_and_uncited_ones_deleted(client: TestClient, auth: dict) -> None:
    created = client.post("/v1/sources", json=SOURCE, headers=auth)
    assert created.status_code == 201
    assert created.json()["retrieved_on"] == "2026-11-28"
    assert client.post("/v1/sources", json=SOURCE, headers=auth).status_code == 409
    assert (
        client.post("/v1/sources", json={**SOURCE, "slug": "Not A Slug"}, headers=auth).status_code
        == 422
    )
    assert (
        client.post(
            "/v1/sources", json={**SOURCE, "slug": "x", "url": "ftp://x"}, headers=auth
        ).status_code
        == 422
    )
    assert client.delete(created.headers["location"], headers=auth).status_code == 204


HOST_NAMES = (
    "must name a host whose dot-separated names are not empty and neither start nor end "
    "with a hyphen"
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ('https://e.org/?a=1&b="><script>', "must not hold '\"' unencoded: write it as %22"),
        ("https://e.org/a b", "must not hold ' ' unencoded: write it as %20"),
        ("https://e.org/\na", "must not hold '\\n' unencoded: write it as %0A"),
        ("https://", "must name a host: https://example.org/..."),
        ("http://e.org:99999/", "has a port that is not a number from 0 to 65535"),
        ("http://[::1/", "is not a URL: Invalid IPv6 URL"),
        # A password, published with the source; a host no DNS name can be.
        ("https://user:secret@e.org/", "must not hold a user name or password (user@host)"),
        ("https://a..org/", HOST_NAMES),
        ("https://-a.org/", HOST_NAMES),
        ("https://a-.org/", HOST_NAMES),
        # Invisible leftovers of a copy: a zero-width space, a soft hyphen.
        ("https://e.org/a\u200bb", "must not hold '\\u200b' unencoded: write it as %E2%80%8B"),
        ("https://e.org/a\xadb", "must not hold '\\xad' unencoded: write it as %C2%AD"),
        # A % that starts no %XX escape.
        ("https://e.org/100%", "must write % as %25 where it does not start a %XX escape"),
        ("https://e.org/%zz", "must write % as %25 where it does not start a %XX escape"),
        # A C1 control, and a right-to-left override that shows "exe.pdf" as "fdp.exe".
        ("https://e.org/a\x9bb", "must not hold '\\x9b' unencoded: write it as %C2%9B"),
        ("https://e.org/\u202efdp.exe", "must not hold '\\u202e' unencoded: write it as %E2%80%AE"),
        # Half a UTF-16 pair, which JSON may escape: stored, it was a 500.
        ("https://e.org/\ud800", "must not hold '\\ud800', half of a UTF-16 pair alone"),
    ],
)
def test_a_source_url_that_is_no_url_is_refused(
    client: TestClient, auth: dict, session: Session, url: str, message: str
) -> None:
    """Quotes, spaces and a missing host were stored as a source's URL."""
    before = snapshot(session)
    body = json.dumps({**SOURCE, "url": url})  # "\ud800" escaped, as httpx's json= cannot
    headers = {**auth, "Content-Type": "application/json"}
    response = client.post("/v1/sources", content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"location": "body", "field": "url", "message": message}]
    assert snapshot(session) == before


@pytest.mark.parametrize(
    "url",
    [
        "https://bg.wikipedia.org/wiki/България",
        "http://[::1]:8080/a%20b?x=1#y",
        "https://www.stat.gov.kz./en/",  # fully qualified
        "https://xn--80ao21a.xn--p1ai/a-b",
        "HTTPS://Example.ORG/Stats",  # a scheme has no case (RFC 3986): it was refused
        "Http://example.org/",
    ],
)
def test_a_source_url_may_hold_letters_beyond_ascii_and_encoded_ones(
    client: TestClient, auth: dict, url: str
) -> None:
    response = client.post("/v1/sources", json={**SOURCE, "url": url}, headers=auth)
    assert response.status_code == 201, response.json()
    assert response.json()["url"] == url


@pytest.mark.parametrize("field", ["published_on", "retrieved_on"])
def test_a_source_dated_after_today_is_refused(client: TestClient, auth: dict, field: str) -> None:
    """A source published or retrieved tomorrow was accepted: a typo, stored as given. So
    was one dated in the year 25 (0025-06-12), before any figure a source here could hold."""
    today = datetime.now(UTC).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    for day, message in (
        (tomorrow, f"must not be after today, {today.isoformat()} (UTC)"),
        ("0025-06-12", "must not be before 1900-01-01"),
        ("1899-12-31", "must not be before 1900-01-01"),
    ):
        response = client.post("/v1/sources", json={**SOURCE, field: day}, headers=auth)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        error = {"location": "body", "field": field, "message": message}
        assert response.json()["errors"] == [error]
    first_day = {"published_on": "1900-01-01", "retrieved_on": "1900-01-01"}
    dated_1900 = {**SOURCE, **first_day, "slug": "yearbook-1900"}
    assert client.post("/v1/sources", json=dated_1900, headers=auth).status_code == 201
    # Retrieved today too: a copy is never taken before the document is published.
    dated_today = {**SOURCE, "retrieved_on": today.isoformat(), field: today.isoformat()}
    created = client.post("/v1/sources", json=dated_today, headers=auth)
    assert created.status_code == 201
    patch = {field: tomorrow}
    headers = {**auth, "Content-Type": "application/merge-patch+json"}
    patched = client.patch(created.headers["location"], json=patch, headers=headers)
    assert patched.status_code == 422
    assert patched.json()["errors"][0]["field"] == field
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for body in ("SourceCreate", "SourcePatch"):
        description = schemas[body]["properties"][field]["description"]
        assert "from 1900-01-01 and no later than today (UTC)" in description


def test_a_source_retrieved_before_it_was_published_is_refused(
    client: TestClient, auth: dict, session: Session
) -> None:
    """A source retrieved on 2020-01-01 and published on 2024-06-01 was stored: no copy is
    taken of a document before it exists, so the dates are swapped or one is a typo."""
    before = snapshot(session)
    dates = {"published_on": "2024-06-01", "retrieved_on": "2020-01-01"}
    response = client.post("/v1/sources", json={**SOURCE, **dates}, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    message = "must not be before published_on, 2024-06-01"
    assert response.json()["errors"] == [
        {"location": "body", "field": "retrieved_on", "message": message}
    ]
    assert snapshot(session) == before
    same_day = {"published_on": "2024-06-01", "retrieved_on": "2024-06-01"}
    created = client.post("/v1/sources", json={**SOURCE, **same_day}, headers=auth)
    assert created.status_code == 201
    headers = {**auth, "Content-Type": "application/merge-patch+json"}
    patched = client.patch(
        created.headers["location"], json={"published_on": "2024-06-02"}, headers=headers
    )
    assert patched.status_code == 422
    assert patched.json()["errors"][0]["field"] == "retrieved_on"


def test_a_cited_source_cannot_be_deleted(client: TestClient, auth: dict, session: Session) -> None:
    before = snapshot(session)
    response = client.delete("/v1/sources/3", headers=auth)
    assert response.status_code == 409
    assert "cited by" in response.json()["detail"]
    assert snapshot(session) == before


def test_a_source_cited_once_says_so_in_the_singular(client: TestClient, auth: dict) -> None:
    """It said "cited by 1 claims"."""
    source = {"slug": "cited-once", "kind": "agency", "title": "Cited once"}
    url = client.post("/v1/sources", json=source, headers=auth).headers["location"]
    claim = {**CLAIM, "source_id": int(url.rsplit("/", 1)[1])}
    assert client.post("/v1/claims", json=claim, headers=auth).status_code == 201
    detail = client.delete(url, headers=auth).json()["detail"]
    assert "cited by 1 claim;" in detail, detail


@pytest.mark.parametrize(
    ("source_id", "new_kind", "role"),
    [(3, "publication", "source_id"), (1, "agency", "publication_id")],
)
def test_a_cited_source_keeps_its_kind(
    client: TestClient, auth: dict, session: Session, source_id: int, new_kind: str, role: str
) -> None:
    """The seed's figures cite agency 3 as their source and publication 1 as where they
    were printed: neither may turn into the other kind under them, by PUT or PATCH."""
    before = snapshot(session)
    url = f"/v1/sources/{source_id}"
    replaced = {**client.get(url).json(), "kind": new_kind}
    body = {field: replaced[field] for field in SOURCE} | {"note": replaced["note"]}
    for response in (
        client.put(url, json=body, headers=auth),
        client.patch(url, json={"kind": new_kind}, headers=auth),
    ):
        assert response.status_code == 409, response.text
        assert f"cited as `{role}`" in response.json()["detail"]
    assert snapshot(session) == before


def test_an_uncited_source_may_change_its_kind(client: TestClient, auth: dict) -> None:
    url = client.post("/v1/sources", json=SOURCE, headers=auth).headers["location"]
    response = client.patch(url, json={"kind": "publication"}, headers=auth)
    assert (response.status_code, response.json()["kind"]) == (200, "publication")


CLAIM = {
    "kind": "ratio",
    "indicator": "EXPORTS",
    "reporter": "KAZ",
    "partner": "BGR",
    "base_year": 2022,
    "year": 2024,
    "stated": 20,
    "qualifier": "at_least",
    "source_id": 1,
    "quote": "Exports grew twentyfold since 2022.",
}


def test_claims_can_be_written_and_are_assessed(client: TestClient, auth: dict) -> None:
    created = client.post("/v1/claims", json=CLAIM, headers=auth)
    assert created.status_code == 201
    body = created.json()
    assert body["verdict"] == "unverifiable"
    assert body["statement"] == "at least 20 times"
    patched = client.patch(
        created.headers["location"], json={"qualifier": "less_than"}, headers=auth
    )
    assert patched.json()["statement"] == "less than 20 times"


def test_a_claim_restated_to_other_places_is_written(client: TestClient, auth: dict) -> None:
    """16.70 and 16.7 are one number but not one statement: `exact` reads the stated
    figure as rounded in print, so a change of places is a change, with its revision."""
    body = json.dumps({**CLAIM, "kind": "percent_change", "qualifier": "exact", "stated": 0})
    created = post_raw(client, auth, body.replace('"stated": 0', '"stated": 16.70'), "/v1/claims")
    url = created.headers["location"]
    assert created.json()["allowed"]["low"] == 16.695
    for stated, low in (("16.7", 16.65), ("16.70", 16.695)):
        restated = client.patch(
            url,
            content=f'{{"stated": {stated}}}',
            headers={**auth, "Content-Type": "application/json"},
        )
        assert (restated.status_code, restated.json()["allowed"]["low"]) == (200, low)
        assert client.get(url).json()["allowed"]["low"] == low  # stored, not just answered
    actions = [r["action"] for r in client.get(f"{url}/revisions").json()["data"]]
    assert actions == ["create", "update", "update"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stated": None}, "stated"),
        ({"stated": 0}, "stated"),
        ({"base_year": 2024}, "base_year"),
        ({"kind": "identity"}, "stated"),
        ({"kind": "identity", "stated": None}, "base_year"),
        # An identity states no number, so no hedge on one: CLAIM's at_least qualifies nothing.
        (
            {"kind": "identity", "stated": None, "base_year": 2024, "indicator": "TURNOVER"},
            "qualifier",
        ),
        ({"kind": "vibes"}, "kind"),
        ({"qualifier": "roughly"}, "qualifier"),
        ({"kind": "percent_change", "stated": -100.5}, "stated"),
    ],
)
def test_claim_rules(client: TestClient, auth: dict, change: dict, field: str) -> None:
    response = client.post("/v1/claims", json={**CLAIM, **change}, headers=auth)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/observations", TURNOVER_2023, "quote"),
        ("/v1/claims", CLAIM, "quote"),
        ("/v1/sources", SOURCE, "title"),
    ],
)
@pytest.mark.parametrize("blank", [" ", "\n\t\u00a0", "\u200b", "\ufeff \u200e\u2060"])
def test_required_text_that_shows_nothing_is_a_422(
    client: TestClient, auth: dict, session: Session, path: str, body: dict, field: str, blank: str
) -> None:
    """A quote of spaces quotes nothing; a title of spaces names nothing. Nor do invisible
    format characters (a zero-width space, a byte order mark, a direction mark)."""
    before = snapshot(session)
    response = client.post(path, json={**body, field: blank}, headers=auth)
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        (field, "must hold text, not white space or invisible characters alone")
    ]
    assert snapshot(session) == before
    created = client.post(path, json={**body, field: f"{blank}Said.{blank}"}, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()[field] == f"{blank}Said.{blank}"  # kept as written, spaces and all
    patched = client.patch(created.headers["location"], json={field: blank}, headers=auth)
    assert patched.status_code == 422
