"""CSV renderings, conditional GETs, compression and CORS."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app import writes
from app.api import caching
from tests.conftest import TURNOVER_2023

PAIR = {"reporter": "KAZ", "partner": "BGR"}


def read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


@pytest.mark.parametrize("path", ["turnover", "exports", "imports", "balance", "investment"])
def test_series_csv_matches_the_json(client: TestClient, path: str) -> None:
    body = client.get(f"/v1/{path}", params=PAIR).json()
    response = client.get(f"/v1/{path}", params={**PAIR, "format": "csv"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="{path}-KAZ-BGR.csv"' in response.headers["content-disposition"]
    frame = read_csv(response.text)
    assert list(frame["year"]) == [p["year"] for p in body["observations"]]
    assert list(frame["value"]) == [p["value"] for p in body["observations"]]
    assert list(frame["status"]) == [p["status"] for p in body["observations"]]
    assert set(frame["reporter"]) == {"KAZ"} and set(frame["indicator"]) == {
        body["indicator"]["code"]
    }


def test_series_csv_writes_decimals_as_published(client: TestClient) -> None:
    text = client.get("/v1/balance", params={**PAIR, "format": "csv"}).text
    header, row = text.splitlines()
    assert dict(zip(header.split(","), row.split(","), strict=False))["value"] == "232.0"
    frame = read_csv(client.get("/v1/investment", params={**PAIR, "format": "csv"}).text)
    assert list(frame["growth_pch"].fillna(-1)) == [-1, 85.7143]
    assert list(frame["source_publisher"]) == ["National Bank of Kazakhstan"] * 2


def test_accept_header_chooses_csv(client: TestClient) -> None:
    response = client.get("/v1/claims", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    frame = read_csv(response.text)
    json_claims = client.get("/v1/claims").json()["data"]
    assert list(frame["verdict"]) == [c["verdict"] for c in json_claims]
    assert list(frame["allowed_low"]) == [c["allowed"]["low"] for c in json_claims]
    prefers_json = client.get("/v1/claims", headers={"Accept": "application/json, text/csv"})
    assert prefers_json.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        ("text/csv", True),
        ("TEXT/CSV", True),  # media types are case-insensitive
        ("application/json;q=0.1, text/csv", True),
        ("text/csv;q=0.9, application/json;q=0.5", True),
        ("text/*, application/json;q=0.5", True),
        ("text/csv, application/json", False),  # a tie: JSON, the default
        ("text/csv;q=0.5, */*", False),
        ("text/csv;q=0, */*;q=0.1", False),
        ("text/csv;q=nan", False),
        ("text/html,application/xhtml+xml,*/*;q=0.8", False),  # a browser
    ],
)
def test_accept_header_weights_decide_between_csv_and_json(
    client: TestClient, accept: str, csv: bool
) -> None:
    response = client.get("/v1/turnover?reporter=KAZ&partner=BGR", headers={"Accept": accept})
    assert response.status_code == 200
    wanted = "text/csv" if csv else "application/json"
    assert response.headers["content-type"].startswith(wanted)


@pytest.mark.parametrize(
    ("path", "rows"),
    [
        ("/v1/countries", 249),
        ("/v1/indicators", 5),
        ("/v1/sources", 3),
        ("/v1/claims", 3),
        ("/v1/qualifiers", 7),
        ("/v1/observations", 4),
        ("/v1/observations/1/revisions", 1),
        ("/v1/identity-checks?reporter=KAZ&partner=BGR", 0),
        ("/v1/growth?indicator=FDI_INFLOW&reporter=KAZ&partner=BGR&from=2023&to=2024", 1),
        ("/v1/investment/2024?reporter=KAZ&partner=BGR", 1),
        ("/v1/claims/3", 1),
    ],
)
def test_every_list_and_series_serves_csv_with_a_header(
    client: TestClient, path: str, rows: int
) -> None:
    response = client.get(path, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert len(lines) == rows + 1
    assert "," in lines[0]


@pytest.mark.parametrize("collection", ["observations", "sources", "claims"])
def test_a_list_and_one_of_its_items_have_the_same_csv_columns(
    client: TestClient, collection: str
) -> None:
    csv = {"Accept": "text/csv"}
    listed = client.get(f"/v1/{collection}", headers=csv).text.splitlines()
    item = client.get(f"/v1/{collection}/1", headers=csv).text.splitlines()
    assert listed[0] == item[0]
    assert item[1] in listed[1:]  # the same row, cell for cell


def test_empty_csv_still_has_its_columns(client: TestClient) -> None:
    text = client.get(
        "/v1/turnover", params={"reporter": "BGR", "partner": "KAZ", "format": "csv"}
    ).text
    assert text.startswith("reporter,partner,indicator,year,value,")
    assert len(text.splitlines()) == 1


def test_etag_and_304(client: TestClient, auth: dict) -> None:
    first = client.get("/v1/turnover", params=PAIR)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = client.get("/v1/turnover", params=PAIR, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    as_csv = client.get("/v1/turnover", params={**PAIR, "format": "csv"})
    assert as_csv.headers["etag"] != etag  # another representation, another tag
    assert "Accept" in first.headers["vary"] and "Accept" in again.headers["vary"]
    client.post("/v1/observations", json=TURNOVER_2023, headers=auth)
    changed = client.get("/v1/turnover", params=PAIR, headers={"If-None-Match": etag})
    assert changed.status_code == 200  # any write changes the data version
    assert changed.headers["etag"] != etag


def test_a_claims_tag_changes_with_a_release_that_may_judge_it_otherwise(
    client: TestClient, auth: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim's verdict and explanation are computed by the code as much as from the
    figures. Its strong tag named its revision and the data only: after a release that
    judges it otherwise, with no write, a client or a shared cache holding the old verdict
    was told 304. If-Match on a write still takes the tag read before the release."""
    for accept in ("application/json", "text/csv"):
        headers = {"Accept": accept}
        etag = client.get("/v1/claims/3", headers=headers).headers["etag"]
        with monkeypatch.context() as release:
            release.setattr(writes, "CODE_NUMBER", 12345)
            again = client.get("/v1/claims/3", headers={**headers, "If-None-Match": etag})
            assert again.status_code == 200
            assert again.headers["etag"] != etag
    etag = client.get("/v1/claims/3").headers["etag"]
    with monkeypatch.context() as release:  # the write comes after the release
        release.setattr(writes, "CODE_NUMBER", 12345)
        edited = client.patch(
            "/v1/claims/3", json={"note": "checked"}, headers={**auth, "If-Match": etag}
        )
    assert edited.status_code == 200, edited.text


@pytest.mark.parametrize("path", ["/v1/claims", "/v1/turnover.svg", "/v1/observations"])
def test_a_release_that_answers_otherwise_is_not_a_304(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """A tag named the data and the request, not the code: after a release that words a
    verdict (or rounds, or adds a field) differently, a client or a shared cache holding
    the old answer was told 304 for the new one until some write landed."""
    etag = client.get(path, params=PAIR if "svg" in path else None).headers["etag"]
    monkeypatch.setattr(caching, "CODE", b"another release, the data unchanged")
    again = client.get(
        path, params=PAIR if "svg" in path else None, headers={"If-None-Match": etag}
    )
    assert again.status_code == 200
    assert again.headers["etag"] != etag


def test_the_code_a_tag_names_is_every_module_of_the_app(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "render.py").write_text("ROUND = 4\n")
    first = caching.code_digest(tmp_path)
    assert caching.code_digest(tmp_path) == first  # the same in every worker
    (tmp_path / "api" / "render.py").write_text("ROUND = 6\n")
    assert caching.code_digest(tmp_path) != first
    assert caching.code_digest(Path(caching.__file__).parents[1]) == caching.CODE


GROWTH = {**PAIR, "indicator": "FDI_INFLOW"}


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/growth", {**GROWTH, "from": 2024, "to": 2023}, 422),
        ("/v1/growth", {**GROWTH, "partner": "KAZ", "from": 2023, "to": 2024}, 422),
        ("/v1/growth", {**GROWTH, "from": 2001, "to": 2002}, 404),
        (
            "/v1/growth/partners",
            {"indicator": "EXPORTS", "reporter": "KAZ", "from": 1, "to": 2},
            422,
        ),
        ("/v1/turnover", {"reporter": "KAZ", "partner": "KAZ"}, 422),
        ("/v1/turnover/1999", PAIR, 404),
        ("/v1/turnover/chart.svg", {"reporter": "KAZ", "partner": "KAZ"}, 422),
        ("/v1/claims", {"year": "2024x"}, 422),
        ("/v1/claims", {"verdict": "bogus"}, 422),
        ("/v1/claims", {"reporter": "ZZZ"}, 422),
        ("/v1/countries", {"format": "xml"}, 422),
        ("/v1/sources", {"as_of": "not a date"}, 422),
        ("/v1/identity-checks", {"reporter": "KAZ", "partner": "KAZ"}, 422),
        ("/v1/identity-checks", {**PAIR, "start_year": "abc"}, 422),
        ("/v1/identity-checks", {**PAIR, "start_year": 2025, "end_year": 2020}, 422),
    ],
)
def test_if_none_match_star_never_hides_an_error(
    client: TestClient, path: str, params: dict, status: int
) -> None:
    """`*` matches any current representation, and a request that is wrong, or asks for
    what is not there, has none: its precondition is ignored (RFC 9110, 13.2.1)."""
    answer = client.get(path, params=params, headers={"If-None-Match": "*"})
    assert (answer.status_code, answer.headers["content-type"]) == (
        status,
        "application/problem+json",
    )


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/growth", {**GROWTH, "from": 2023, "to": 2024}),
        ("/v1/turnover", PAIR),
        ("/v1/turnover/2024", PAIR),
        ("/v1/claims", {}),
        ("/v1/countries", {}),
        ("/v1/observations", {}),
        ("/v1/observations", {"format": "csv"}),
    ],
)
def test_if_none_match_star_is_a_304_where_there_is_an_answer(
    client: TestClient, path: str, params: dict
) -> None:
    tagged = client.get(path, params=params).headers["etag"]
    answer = client.get(path, params=params, headers={"If-None-Match": "*"})
    assert (answer.status_code, answer.content, answer.headers["etag"]) == (304, b"", tagged)
    assert answer.headers["cache-control"] == "public, no-cache"


def test_growth_answers_304_to_its_own_tag(client: TestClient) -> None:
    params = {**GROWTH, "from": 2023, "to": 2024}
    first = client.get("/v1/growth", params=params)
    again = client.get(
        "/v1/growth", params=params, headers={"If-None-Match": first.headers["etag"]}
    )
    assert (first.status_code, again.status_code) == (200, 304)
    assert again.headers["etag"] == first.headers["etag"]


def test_item_etag_serves_304_and_if_match(client: TestClient) -> None:
    first = client.get("/v1/observations/1")
    etag = first.headers["etag"]
    assert "Accept" in first.headers["vary"]  # JSON or CSV, by Accept
    again = client.get("/v1/observations/1", headers={"If-None-Match": etag})
    assert (again.status_code, again.headers["etag"]) == (304, etag)
    assert "Accept" in again.headers["vary"]


@pytest.mark.parametrize("path", ["/v1/observations/1", "/v1/observations/1/revisions"])
def test_a_read_as_of_a_time_still_varies_by_accept(client: TestClient, path: str) -> None:
    """No tag (it reads history), but JSON or CSV by Accept all the same: a shared cache
    must not hand one to a client of the other."""
    as_of = {"as_of": datetime.now(UTC).isoformat()}
    for accept in ("application/json", "text/csv"):
        response = client.get(path, params=as_of, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        assert "Accept" in response.headers["vary"]


def test_a_claims_tag_changes_with_its_verdict_and_if_match_reads_its_revision(
    client: TestClient, auth: dict
) -> None:
    """A claim's verdict reads figures that change without the claim: its strong tag once
    stayed the same as its body changed (RFC 9110, 8.8.3). Its tag now moves with the data,
    so a 304 is safe; If-Match still takes it after a figure changed, for the claim, all a
    write changes, is the same."""
    first = client.get("/v1/claims/3")
    etag, verdict = first.headers["etag"], first.json()["verdict"]
    same = client.get("/v1/claims/3", headers={"If-None-Match": etag})
    assert (same.status_code, same.headers["etag"]) == (304, etag)
    client.patch("/v1/observations/4", json={"value": 5.0}, headers=auth)  # FDI 2024
    again = client.get("/v1/claims/3", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["etag"] != etag
    assert (verdict, again.json()["verdict"]) == ("consistent", "inconsistent")
    note = {"note": "checked"}
    edited = client.patch("/v1/claims/3", json=note, headers={**auth, "If-Match": etag})
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == client.get("/v1/claims/3").headers["etag"]
    stale = client.patch("/v1/claims/3", json=note, headers={**auth, "If-Match": etag})
    assert stale.status_code == 412  # the claim itself changed since that tag
    assert stale.json()["detail"].startswith("The resource changed since you read it")
    # Only a tag of the current revision: not its number unquoted, nor with a made-up tail.
    revision = edited.headers["etag"].strip('"').split(".")[0]
    for tag in (revision, f'"{revision}.junk"', f'"{revision}0"', f'W/"{revision}"'):
        refused = client.patch("/v1/claims/3", json=note, headers={**auth, "If-Match": tag})
        assert refused.status_code == 412, tag
    for tag in (f'"{revision}"', f'"{revision}.csv"', edited.headers["etag"]):
        taken = client.patch("/v1/claims/3", json=note, headers={**auth, "If-Match": tag})
        assert taken.status_code == 200, tag


@pytest.mark.parametrize(
    "path",
    [
        "/v1/turnover?reporter=KAZ&partner=BGR",  # a lean route
        "/v1/turnover?reporter=KAZ&partner=BGR&format=csv",  # streamed
        "/v1/observations/1",
        "/v1/countries",  # gzipped when asked
        "/healthz",
        "/",
    ],
)
def test_head_answers_what_get_would_without_the_body(client: TestClient, path: str) -> None:
    got = client.get(path, headers={"Accept-Encoding": "gzip"})
    head = client.head(path, headers={"Accept-Encoding": "gzip"})
    assert (head.status_code, head.content) == (200, b"")
    unstable = {"x-request-id", "date", "ratelimit-remaining", "ratelimit-reset"}
    assert {k: v for k, v in head.headers.items() if k not in unstable} == {
        k: v for k, v in got.headers.items() if k not in unstable
    }


def test_large_responses_are_compressed(client: TestClient) -> None:
    response = client.get("/v1/countries", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("GZIP;q=0.5, br", True),
        ("gzip;q=0", False),  # RFC 9110, 12.5.3: not acceptable
        ("br, gzip; q=0.000", False),
        ("gzip;q=abc", False),  # not a weight: the plain body is never wrong
        ("x-gzip, deflate", False),
    ],
)
def test_gzip_only_where_the_client_accepts_it(
    client: TestClient, accept_encoding: str, gzipped: bool
) -> None:
    response = client.get("/v1/countries", headers={"Accept-Encoding": accept_encoding})
    assert response.status_code == 200
    assert ("content-encoding" in response.headers) is gzipped
    assert response.json()["data"]  # httpx decodes what was gzipped; plain stays plain


@pytest.mark.parametrize(
    ("lines", "gzipped"),
    [
        (["br", "gzip"], True),  # gzip named on the second line only
        (["gzip;q=0", "br"], False),
    ],
)
def test_accept_encoding_may_come_on_several_lines(
    client: TestClient, lines: list[str], gzipped: bool
) -> None:
    """RFC 9110, 5.3: the lines are one comma-separated list; the first alone said br."""
    headers = [("Accept-Encoding", line) for line in lines]
    response = client.get("/v1/countries", headers=headers)
    assert ("content-encoding" in response.headers) is gzipped
    assert response.json()["data"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/countries",  # gzipped
        "/v1/turnover/2024?reporter=KAZ&partner=BGR",  # weakly tagged, too small to gzip
        "/v1/turnover.svg?reporter=KAZ&partner=BGR",
        "/v1/observations/1",  # strongly tagged: never gzipped
        "/v1/observations/1?format=csv",  # strongly tagged and streamed
        "/v1/claims/1",  # strongly tagged and over gzip's minimum size
    ],
)
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_a_304_varies_as_its_200_does(client: TestClient, path: str, encoding: str) -> None:
    """RFC 9110, 15.4.5: a 304 sends the Vary its 200 would, or a cache could pair the
    gzipped body it holds with a client that cannot read it. Each name once, gzipped or
    not (an answer left plain once named Accept-Encoding twice)."""
    gzip = {"Accept-Encoding": encoding, "Origin": "https://example.org"}
    answer = client.get(path, headers=gzip)
    again = client.get(path, headers={**gzip, "If-None-Match": answer.headers["etag"]})
    assert (answer.status_code, again.status_code) == (200, 304)
    assert again.headers["vary"] == answer.headers["vary"]
    names = [name.strip() for name in answer.headers["vary"].split(",")]
    assert len(names) == len(set(names)), names


def test_list_headers_may_come_on_several_lines(client: TestClient, auth: dict) -> None:
    """RFC 9110, 5.3: two If-Match lines are one list, as are two If-None-Match lines."""
    tag = client.get("/v1/turnover", params=PAIR).headers["etag"]
    lines = [("If-None-Match", 'W/"0-stale"'), ("If-None-Match", tag)]
    assert client.get("/v1/turnover", params=PAIR, headers=lines).status_code == 304
    current = client.get("/v1/observations/1").headers["etag"]
    guarded = [*auth.items(), ("If-Match", '"999999"'), ("If-Match", current)]
    patched = client.patch("/v1/observations/1", json={"note": "Checked."}, headers=guarded)
    assert patched.status_code == 200
    stale = [*auth.items(), ("If-Match", '"999999"'), ("If-Match", current)]
    assert (
        client.patch("/v1/observations/1", json={"note": "No."}, headers=stale).status_code == 412
    )


def test_an_item_is_never_gzipped_under_its_strong_tag(client: TestClient, auth: dict) -> None:
    """A strong tag names these bytes: a gzipped body under it would be another
    representation with the same tag. The weak-tagged lists are still compressed."""
    long = {**TURNOVER_2023, "quote": "A long sentence. " * 100}
    url = client.post("/v1/observations", json=long, headers=auth).headers["location"]
    for params in ({}, {"format": "csv"}):
        item = client.get(url, params=params, headers={"Accept-Encoding": "gzip"})
        assert len(item.content) > 1024 and item.headers["etag"].startswith('"')
        assert "content-encoding" not in item.headers
    listed = client.get("/v1/observations", headers={"Accept-Encoding": "gzip"})
    assert listed.headers["etag"].startswith('W/"')
    assert listed.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(
    "url",
    [
        "/v1/countries",
        "/v1/observations",
        "/v1/observations/1",
        "/v1/turnover?reporter=KAZ&partner=BGR",
    ],
)
def test_an_accept_header_on_two_lines_is_one_list(client: TestClient, url: str) -> None:
    """RFC 9110, 5.3: only its first line was read, so JSON preferred on the second line
    got CSV, under the tag of the first line alone."""
    two_lines = [("Accept", "text/csv;q=0.1"), ("Accept", "application/json")]
    json_wins = client.get(url, headers=two_lines)
    assert json_wins.headers["content-type"] == "application/json"
    assert json_wins.headers["etag"] != client.get(url, headers=two_lines[:1]).headers["etag"]
    csv_wins = [("Accept", "application/json;q=0.1"), ("Accept", "text/csv")]
    assert client.get(url, headers=csv_wins).headers["content-type"].startswith("text/csv")


def test_cors_exposes_the_headers_the_readme_documents(client: TestClient) -> None:
    """A page on another origin could not read a CSV export's filename (Content-Disposition)
    nor a 405's Allow: a browser hides every response header CORS does not expose."""
    origin = {"Origin": "https://example.org"}
    exported = client.get("/v1/observations", params={"format": "csv"}, headers=origin)
    refused = client.post("/v1/turnover", headers=origin)
    assert "content-disposition" in exported.headers and refused.status_code == 405
    for response in (exported, refused):
        exposed = response.headers["access-control-expose-headers"].split(", ")
        assert {"Content-Disposition", "Allow", "Accept", "Accept-Patch"} <= set(exposed)


def test_cors_allows_cross_origin_reads_only(client: TestClient) -> None:
    read = client.get("/v1/sources", headers={"Origin": "https://example.org"})
    assert read.headers["access-control-allow-origin"] == "*"
    assert "ETag" in read.headers["access-control-expose-headers"]
    preflight = client.options(
        "/v1/observations",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400  # writes are not allowed cross-origin by default


def test_if_match_on_an_item_read_is_evaluated(client: TestClient) -> None:
    """RFC 9110, 13.1.1: a GET whose If-Match names no current tag is a 412, not the item
    (it was ignored). Strong comparison: the weak form of the tag does not match."""
    tag = client.get("/v1/observations/1").headers["etag"]
    csv_tag = client.get("/v1/observations/1", params={"format": "csv"}).headers["etag"]
    for sent, status in ((tag, 200), ("*", 200), (f'"0", {tag}', 200), ('"0"', 412)):
        assert client.get("/v1/observations/1", headers={"If-Match": sent}).status_code == status
    assert client.get("/v1/observations/1", headers={"If-Match": f"W/{tag}"}).status_code == 412
    csv = client.get("/v1/observations/1?format=csv", headers={"If-Match": csv_tag})
    assert csv.status_code == 200
    refused = client.get("/v1/observations/1", headers={"If-Match": csv_tag})
    assert refused.status_code == 412  # the JSON form is another representation
    assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/turnover", PAIR),
        ("/v1/turnover.svg", PAIR),
        ("/v1/turnover/2024", PAIR),
        ("/v1/growth", {**GROWTH, "from": 2023, "to": 2024}),
        ("/v1/claims", {}),
        ("/v1/countries", {}),
        ("/v1/observations", {}),
        ("/v1/observations", {"format": "csv"}),
        ("/v1/observations/1/revisions", {}),
    ],
)
def test_if_match_on_a_weakly_tagged_read_holds_only_as_star(
    client: TestClient, path: str, params: dict
) -> None:
    """It was ignored: a list or series read with `If-Match: "x"` answered 200. A weak tag
    never matches If-Match, which compares strongly (RFC 9110, 13.1.1), so only `*` holds,
    as on a POST to a collection; and If-Match comes before If-None-Match (13.2.2)."""
    tag = client.get(path, params=params).headers["etag"]
    for sent, status in (("*", 200), ('"x"', 412), (tag, 412), (f"*, {tag}", 200)):
        answer = client.get(path, params=params, headers={"If-Match": sent})
        assert answer.status_code == status, (sent, answer.text)
    refused = client.get(path, params=params, headers={"If-Match": '"x"', "If-None-Match": tag})
    assert (refused.status_code, refused.headers["content-type"]) == (
        412,
        "application/problem+json",
    )
    assert client.head(path, params=params, headers={"If-Match": '"x"'}).status_code == 412


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/turnover", {**PAIR, "year": "abc"}, 422),
        ("/v1/turnover/2023", PAIR, 404),
        ("/v1/observations", {"cursor": "nope"}, 400),
    ],
)
def test_if_match_never_hides_an_error(
    client: TestClient, path: str, params: dict, status: int
) -> None:
    answer = client.get(path, params=params, headers={"If-Match": '"x"'})
    assert answer.status_code == status, answer.text
