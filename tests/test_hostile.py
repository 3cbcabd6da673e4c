"""Hostile input: every case is a clear 4xx problem, and nothing in the database changes.

The read routes and their parameters come from the OpenAPI document, so a new route or
parameter is attacked too without editing this file. All tests share one seeded database
per backend; after each test, `fingerprint` (every table's row count and a hash of its
rows) must equal what it was before the first. A test that refuses several values checks
each response.
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.api.csvio import FORMULA_STARTS
from app.auth import create_key
from app.core.config import get_settings
from app.db import get_engine
from app.errors import PROBLEM_MEDIA_TYPE, TYPE_PREFIX, Problem
from app.main import app
from tests.conftest import BASE_URL, TURNOVER_2023, serve_from
from tests.databases import PostgresDatabases, SqliteDatabases, fingerprint

SCHEMA = app.openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
]
READS = [(path, op) for method, path, op in OPERATIONS if method == "GET"]
WRITES = [(method, path, op) for method, path, op in OPERATIONS if method != "GET"]
JSON_WRITES = [
    (method, path, op)
    for method, path, op in WRITES
    if "application/json" in op.get("requestBody", {}).get("content", {})
]

# Two valid values for every parameter any route takes: the first fills required
# parameters; both together make a duplicate. A new parameter must be added here.
VALID: dict[str, tuple[str, str]] = {
    "reporter": ("KAZ", "BGR"),
    "partner": ("BGR", "KAZ"),
    "indicator": ("FDI_INFLOW", "TURNOVER"),
    "year": ("2024", "2023"),
    "start_year": ("2023", "2020"),
    "end_year": ("2024", "2025"),
    "from": ("2023", "2022"),
    "to": ("2024", "2025"),
    "item_id": ("3", "2"),
    "limit": ("1", "2"),
    "cursor": ("WyJLQVoiLCJCR1IiLCJUVVJOT1ZFUiIsMjAyNF0", "WyJLQVoiXQ"),
    "as_of": ("2030-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
    "format": ("json", "csv"),
    "include": ("implied", "implied"),
    "verdict": ("consistent", "unverifiable"),
    "dry_run": ("true", "false"),
    "if-match": ('"1"', '"2"'),
    "if-none-match": ('"1"', '"2"'),
}

SQL_METACHARACTERS = [
    "' OR '1'='1",
    "KAZ' --",
    "KAZ'; DROP TABLE observation; --",
    '" OR ""="',
    "1 OR 1=1",
    "1; DELETE FROM api_key",
    "KAZ' UNION SELECT secret_hash, 1, 1 FROM api_key --",
    "%",
    "_",
    "\\",
    "KAZ\\'",
    "$1",
    "1)) OR pg_sleep(5) IS NULL --",
]
# Already percent-encoded: what a client that skips encoding, or a hostile one, sends.
RAW_QUERY_VALUES = [
    "%FF",  # not UTF-8
    "%C0%AF",  # an overlong encoding of "/"
    "%ED%A0%80",  # a UTF-16 surrogate
    "KAZ%00",  # NUL, which PostgreSQL refuses in text
    "%00",
]
HOSTILE_INTEGERS = [
    "99999",
    "-1",
    "0",
    "-99999",
    str(2**63),
    str(-(2**63) - 1),
    "1" + "0" * 30,
    "9" * 5000,
    "2023.5",
    "1e3",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "0x7E8",
]


def parameters(op: dict[str, Any], where: tuple[str, ...] = ("query", "path")) -> list[str]:
    return [p["name"] for p in op.get("parameters", []) if p["in"] in where]


def is_integer(op: dict[str, Any], name: str) -> bool:
    (param,) = [p for p in op.get("parameters", []) if p["name"] == name]
    schema = param["schema"]
    return "integer" in [schema.get("type"), *(s.get("type") for s in schema.get("anyOf", []))]


def url_for(path: str, op: dict[str, Any], raw: dict[str, str] | None = None) -> str:
    """The route with valid required parameters, and `raw` (already encoded) in place."""
    raw = raw or {}
    query = []
    for p in op.get("parameters", []):
        name = p["name"]
        if name in raw:
            value = raw[name]
        elif p["required"]:
            value = quote(VALID[name][0], safe="")
        else:
            continue
        if p["in"] == "path":
            path = path.replace("{" + name + "}", value)
        elif p["in"] == "query":
            query.append(f"{quote(name)}={value}")
    return path + ("?" + "&".join(query) if query else "")


def assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """A clear 4xx in the one problem shape (and never a 500)."""
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.json()
    Problem.model_validate(body)
    assert set(body) <= set(Problem.model_fields)
    assert body["type"].startswith(TYPE_PREFIX)
    assert body["status"] == response.status_code
    assert body["detail"] and "Traceback" not in body["detail"]
    return body  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def shared(
    databases: SqliteDatabases | PostgresDatabases,
) -> Iterator[tuple[Engine, str, dict[str, tuple[int, str]]]]:
    """One seeded database for every case here, with a key, and its fingerprint."""
    url = databases.seeded_copy()
    engine = get_engine(url)
    with Session(engine) as session:
        _, key = create_key(session, "hostile")
    yield engine, key, fingerprint(engine)
    databases.drop(url)


@pytest.fixture
def hostile(shared: tuple[Engine, str, dict[str, tuple[int, str]]]) -> Iterator[TestClient]:
    """A client with a valid key (so writes get past 401); checks nothing changed after."""
    engine, key, before = shared

    serve_from(engine)
    client = TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {key}"
    yield client
    app.dependency_overrides.clear()
    assert fingerprint(engine) == before, "a rejected request changed the database"


# ----------------------------------------------------------------- every read parameter


def test_every_parameter_has_valid_values() -> None:
    """The cases below need two valid values for each parameter; none is a list."""
    for _, _, op in OPERATIONS:
        for p in op.get("parameters", []):
            assert p["name"] in VALID, f"add {p['name']!r} to VALID"
            assert "array" not in json.dumps(p["schema"]), "a list parameter: allow repeats"


def read_cases(only_integers: bool = False) -> list[Any]:
    """Every parameter of every read route (the integer ones only, if asked)."""
    return [
        pytest.param(path, name, id=f"{op['operationId']}-{name}")
        for path, op in READS
        for name in parameters(op)
        if not only_integers or is_integer(op, name)
    ]


def operation_at(path: str) -> dict[str, Any]:
    return SCHEMA["paths"][path]["get"]  # type: ignore[no-any-return]


def assert_each_refused(
    client: TestClient, path: str, name: str, raw_values: list[str], *statuses: int
) -> list[dict[str, Any]]:
    """Each value (already percent-encoded) in place of the parameter is a problem."""
    bodies = []
    for value in raw_values:
        response = client.get(url_for(path, operation_at(path), {name: value}))
        try:
            bodies.append(assert_problem(response, *statuses))
        except AssertionError as exc:
            raise AssertionError(f"{name}={value!r}: {exc}") from exc
    return bodies


@pytest.mark.parametrize(("path", "name"), read_cases())
def test_sql_metacharacters_in_every_parameter(hostile: TestClient, path: str, name: str) -> None:
    values = [quote(value, safe="") for value in SQL_METACHARACTERS]
    assert_each_refused(hostile, path, name, values, 400, 404, 422)


@pytest.mark.parametrize(("path", "name"), read_cases())
def test_invalid_utf8_and_nul_in_every_parameter(hostile: TestClient, path: str, name: str) -> None:
    assert_each_refused(hostile, path, name, RAW_QUERY_VALUES, 400, 404, 422)


@pytest.mark.parametrize(("path", "name"), read_cases(only_integers=True))
def test_out_of_range_numbers_years_limits_nan_and_infinity(
    hostile: TestClient, path: str, name: str
) -> None:
    """Years like 99999, 0 or -1, limits huge or negative, NaN, Infinity: all refused.

    An id that merely does not exist (99999) is a 404; everything else is a 422 naming
    the parameter."""
    values = [quote(value, safe="") for value in HOSTILE_INTEGERS]
    for body in assert_each_refused(hostile, path, name, values, 404, 422):
        assert body["status"] == 404 or any(e["field"] == name for e in body["errors"]), body


@pytest.mark.parametrize(
    ("path", "name"), [case for case in read_cases() if case.values[1] == "as_of"]
)
def test_a_moment_beyond_the_years_in_utc_is_a_422(
    hostile: TestClient, path: str, name: str
) -> None:
    """Valid RFC 3339 whose UTC falls in year 0 or 10000: a 422 naming as_of on every
    read, lean routes included, not an OverflowError."""
    moments = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
    values = [quote(moment, safe="") for moment in moments]
    for body in assert_each_refused(hostile, path, name, values, 422):
        assert [e["field"] for e in body["errors"]] == [name], body
        assert "once converted to UTC" in body["detail"], body


def other_spellings(digits: str) -> list[str]:
    """A valid whole number as Python's int() would also read it, percent-encoded."""
    spellings = ["+" + digits, digits[:1] + "_" + digits[1:], " " + digits, digits + " "]
    spellings += [digits + ".0", "".join(chr(ord(d) + 0xFEE0) for d in digits)]  # full width
    return [quote(spelling, safe="") for spelling in spellings]


@pytest.mark.parametrize(("path", "name"), read_cases(only_integers=True))
def test_an_integer_is_written_in_digits(hostile: TestClient, path: str, name: str) -> None:
    """`+2024`, `2_024`, ` 2024` or `２０２４` are a 422 naming the parameter, not 2024: a
    client that sends them has made a mistake, and the answer would hide it."""
    digits = VALID[name][0]
    assert hostile.get(url_for(path, operation_at(path), {name: digits})).status_code == 200
    for body in assert_each_refused(hostile, path, name, other_spellings(digits), 422):
        assert [e["field"] for e in body["errors"]] == [name], body
        assert "whole number written in digits" in body["detail"], body


@pytest.mark.parametrize(
    ("path", "op"), [pytest.param(path, op, id=op["operationId"]) for path, op in READS]
)
def test_a_parameter_the_route_does_not_take_is_a_422(
    hostile: TestClient, path: str, op: dict[str, Any]
) -> None:
    """`?yaer=2024` answered with every year would look like the answer asked for."""
    response = hostile.get(
        url_for(path, op) + ("&" if "?" in url_for(path, op) else "?") + "yaer=2024"
    )
    body = assert_problem(response, 422)
    (error,) = body["errors"]
    assert (error["location"], error["field"]) == ("query", "yaer")
    takes = sorted(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
    assert error["message"].endswith(f"it takes {', '.join(takes)}" if takes else "it takes none")
    assert ("did you mean year?" in error["message"]) == ("year" in takes)


@pytest.mark.parametrize("count", [20, 1000])
def test_unknown_parameters_past_the_twentieth_are_counted_not_listed(
    hostile: TestClient, count: int
) -> None:
    """Some 2,000 fit in a URL of 8 kB, and listing each one made a 422 of 557 kB."""
    names = [f"p{n}" for n in range(count)]
    response = hostile.get("/v1/observations?" + "&".join(f"{name}=1" for name in names))
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == names[:20]
    cut = f"; {count} problems in all, the first 20 listed"
    assert (body["detail"].endswith(cut), body.get("errors_truncated")) == (
        (True, True) if count > 20 else (False, None)
    )
    assert len(response.content) < 8_000


def test_a_body_of_thousands_of_unknown_fields_lists_the_missing_ones_first(
    hostile: TestClient,
) -> None:
    """Listing each field of a 1 MB body made a 422 of 10 MB."""
    response = hostile.post("/v1/observations", json={f"f{n}": 0 for n in range(5000)})
    body = assert_problem(response, 422)
    required = ["reporter", "partner", "indicator", "year", "value", "source_id", "quote"]
    fields = [e["field"] for e in body["errors"]]
    assert fields == required + [f"f{n}" for n in range(20 - len(required))]
    assert body["detail"].endswith("; 5007 problems in all, the first 20 listed")
    assert body["errors_truncated"] is True


@pytest.mark.parametrize(
    ("path", "op"), [pytest.param(path, op, id=op["operationId"]) for path, op in READS]
)
def test_a_cache_buster_is_ignored_but_not_twice(
    hostile: TestClient, path: str, op: dict[str, Any]
) -> None:
    """jQuery's `cache: false` adds `_=<milliseconds>` to every GET: it asks for nothing."""
    url = url_for(path, op) + ("&" if "?" in url_for(path, op) else "?")
    plain = hostile.get(url_for(path, op))
    busted = hostile.get(url + "_=1733140000000")
    assert (busted.status_code, busted.content) == (plain.status_code, plain.content)
    body = assert_problem(hostile.get(url + "_=1&_=2"), 422)
    assert [(e["field"], e["message"]) for e in body["errors"]] == [("_", "given more than once")]


def duplicate_cases() -> list[Any]:
    return [
        pytest.param(method, path, name, id=f"{op['operationId']}-{name}")
        for method, path, op in OPERATIONS
        for name in parameters(op, ("query",))
    ]


@pytest.mark.parametrize(("method", "path", "name"), duplicate_cases())
def test_a_repeated_parameter_is_a_422_not_one_of_them(
    hostile: TestClient, method: str, path: str, name: str
) -> None:
    """`?reporter=KAZ&reporter=BGR` is refused: silently taking one would be a guess."""
    op = SCHEMA["paths"][path][method.lower()]
    first, second = (quote(v, safe="") for v in VALID[name])
    url = url_for(path, op, {name: f"{first}&{quote(name)}={second}"})
    content = "reporter,partner\n" if method == "POST" and "imports" in path else None
    response = hostile.request(method, url, content=content, headers={"Content-Type": "text/csv"})
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == [name]
    assert "more than once" in body["detail"]


# ----------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    "path",
    [
        "/v1/" + "a" * 20_000,
        "/v1/observations/" + "9" * 20_000,
        "/v1/turnover?reporter=" + "K" * 20_000 + "&partner=BGR",
        "/" + "%2e%2e/" * 2000 + "etc/passwd",
    ],
    ids=["long-path", "long-id", "long-query", "long-traversal"],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_path_that_is_too_long_is_a_414_problem(
    hostile: TestClient, path: str, method: str
) -> None:
    response = hostile.request(method, path, headers={"Origin": "https://example.org"})
    assert_problem(response, 414)
    assert response.headers["access-control-allow-origin"] == "*"  # a browser may read it


@pytest.mark.parametrize(
    "path",
    ["/v1/%FF", "/v1/turnover/%FF?reporter=KAZ&partner=BGR", "/v1/observations/%C0%AF", "/%00"],
)
def test_invalid_utf8_in_the_path(hostile: TestClient, path: str) -> None:
    assert_problem(hostile.get(path), 404, 422)


# ----------------------------------------------------------------------------- bodies

TEN_MB = 10 * 1024 * 1024


def json_write_cases() -> list[Any]:
    return [
        pytest.param(method, url_for(path, op), id=op["operationId"])
        for method, path, op in JSON_WRITES
    ]


def valid_body(method: str, url: str) -> dict[str, Any]:
    """A valid body for the route, to be made hostile one field at a time."""
    if url.startswith("/v1/observations") or url.startswith("/v1/imports"):
        return dict(TURNOVER_2023)
    if url.startswith("/v1/sources"):
        return {"slug": "hostile", "kind": "agency", "title": "Hostile"}
    return {
        "kind": "ratio",
        "indicator": "TURNOVER",
        "reporter": "KAZ",
        "partner": "BGR",
        "base_year": 2023,
        "year": 2024,
        "stated": 4,
        "qualifier": "almost",
        "source_id": 1,
        "quote": "almost four times",
    }


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_ten_megabyte_bodies_are_413(
    hostile: TestClient, method: str, url: str, declared: bool
) -> None:
    body = json.dumps({**valid_body(method, url), "quote": "x" * TEN_MB}).encode()
    if url.startswith("/v1/imports"):  # imports may be 50 MB: go one byte past their limit
        limit = get_settings().max_import_bytes
        body = b"[" + b" " * limit + b"]"
    content: Any = (
        body if declared else iter([body[i : i + 2**20] for i in range(0, len(body), 2**20)])
    )
    response = hostile.request(
        method, url, content=content, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)


# 1e1000000 is past Decimal's exponent limit; 1e-99999999999999 would be a gigabyte written out.
HUGE_EXPONENTS = ["1e1000000", "-1e1000000", "1e-99999999999999"]
NUMBER_TOKENS = [
    *("NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999", '"NaN"', '"1e3"'),
    *HUGE_EXPONENTS,
]


def send_with_token(
    hostile: TestClient, method: str, url: str, name: str, token: str
) -> httpx.Response:
    """The route's valid body with field `name` set to `token`, written as it is: JSON
    that json.dumps would never make (NaN, 1e1000000)."""
    text = json.dumps({**valid_body(method, url), name: "__TOKEN__"}).replace('"__TOKEN__"', token)
    if url.startswith("/v1/imports"):
        text = f"[{text}]"
    return hostile.request(
        method, url, content=text.encode(), headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("token", NUMBER_TOKENS)
def test_nan_and_infinity_in_json_bodies(
    hostile: TestClient, method: str, url: str, token: str
) -> None:
    """Python's json reads NaN and Infinity unless told not to; they are not JSON."""
    field = {"/v1/observations": "value", "/v1/sources": "title", "/v1/claims": "stated"}
    name = next((f for prefix, f in field.items() if url.startswith(prefix)), "value")
    if name == "title" and token.startswith('"'):
        token = "[NaN]"  # a string is a fine title: put the constant in an array instead
    assert_problem(send_with_token(hostile, method, url, name, token), 400, 404, 422)


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("year", [99999, -1, 0, 1899, 10**30, -(10**30)])
def test_out_of_range_years_in_bodies(
    hostile: TestClient, method: str, url: str, year: int
) -> None:
    """Observations, claims and imports carry years; sources have none to spoil."""
    body: Any = {**valid_body(method, url), "year": year}
    if url.startswith("/v1/sources"):
        body = {**valid_body(method, url), "kind": year}
    if url.startswith("/v1/imports"):
        body = [body]
    body_problem = assert_problem(hostile.request(method, url, json=body), 404, 422)
    assert body_problem["status"] == 404 or body_problem["errors"], body_problem


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("token", HUGE_EXPONENTS)
def test_huge_exponents_in_whole_number_fields(
    hostile: TestClient, method: str, url: str, token: str
) -> None:
    """A year of 1e1000000 is refused at once: made an int, it would take seconds."""
    name = "kind" if url.startswith("/v1/sources") else "year"
    assert_problem(send_with_token(hostile, method, url, name, token), 404, 422)


LONG_INTEGER = "9" * 5000  # valid JSON, past the 4,300 digits Python's int() reads


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("field", ["number", "year"])
def test_an_integer_too_long_for_python_is_refused_by_its_field(
    hostile: TestClient, method: str, url: str, field: str
) -> None:
    """Once a 400 "Malformed JSON" that quoted Python's int() limit: the body is valid
    JSON, and the field that cannot hold the number says so, as for 1e400."""
    numbers = {"/v1/observations": "value", "/v1/sources": "kind", "/v1/claims": "stated"}
    name = next((f for prefix, f in numbers.items() if url.startswith(prefix)), "value")
    if field == "year":
        name = "kind" if url.startswith("/v1/sources") else "year"
    problem = assert_problem(send_with_token(hostile, method, url, name, LONG_INTEGER), 404, 422)
    assert "int_max_str_digits" not in problem["detail"]


NESTINGS = {
    "arrays-100k": "[" * 100_000 + "]" * 100_000,
    "objects-100k": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "unclosed-100k": "[" * 100_000,
    "in-a-field-5k": '{"quote":' + "[" * 5_000 + "]" * 5_000 + "}",
    "in-a-field-500": '{"quote":' + "[" * 500 + "]" * 500 + "}",
}


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("nesting", list(NESTINGS))
def test_deeply_nested_json(hostile: TestClient, method: str, url: str, nesting: str) -> None:
    response = hostile.request(
        method,
        url,
        content=NESTINGS[nesting].encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 400, 404, 422)


BAD_UTF8 = [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"caf\xe9"]


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("where", ["value", "key"])
def test_nul_in_json_strings(hostile: TestClient, method: str, url: str, where: str) -> None:
    """PostgreSQL cannot store NUL; every backend refuses it alike."""
    body = valid_body(method, url)
    body = {**body, "quote": "a\x00b"} if where == "value" else {**body, "a\x00b": 1}
    if url.startswith("/v1/imports"):
        body = [body]  # type: ignore[assignment]
    assert_problem(hostile.request(method, url, json=body), 400)


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("name", ["quote", "surprise"])
def test_a_name_given_twice_in_an_object_is_a_400(
    hostile: TestClient, method: str, url: str, name: str
) -> None:
    """{"quote": "a", "quote": "b"}: parsers differ on which counts, so none is guessed.
    A field that does not exist is refused as a repeat too, not first as unknown."""
    text = json.dumps(valid_body(method, url))
    text = text[:-1] + f', "{name}": "b", "{name}": "c"}}'
    if url.startswith("/v1/imports"):
        text = f"[{json.dumps(valid_body(method, url))}, {text}]"
    response = hostile.request(
        method, url, content=text.encode(), headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert body["detail"] == f'An object names "{name}" twice; send each name once.'


def test_a_name_given_twice_among_very_many_is_found_in_one_pass(hostile: TestClient) -> None:
    """60,000 names, the last one a repeat: a check that compares each name with those
    before it would hold the event loop for most of a minute."""
    names = ", ".join(f'"k{i}": 0' for i in range(60_000))
    body = ("{" + names + ', "k0": 1}').encode()
    response = hostile.post(
        "/v1/observations", content=body, headers={"Content-Type": "application/json"}
    )
    assert (
        assert_problem(response, 400)["detail"]
        == 'An object names "k0" twice; send each name once.'
    )


@pytest.mark.parametrize(("method", "url"), json_write_cases())
@pytest.mark.parametrize("sequence", BAD_UTF8, ids=lambda b: b.hex())
def test_invalid_utf8_in_json_bodies(
    hostile: TestClient, method: str, url: str, sequence: bytes
) -> None:
    body = json.dumps({**valid_body(method, url), "quote": "__"}).encode()
    body = body.replace(b"__", sequence)
    if url.startswith("/v1/imports"):
        body = b"[" + body + b"]"
    response = hostile.request(
        method, url, content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400)


CSV_HEADER = (
    "reporter,partner,indicator,year,value,currency,multiplier,precision,"
    "source_id,publication_id,quote,note\n"
)
HOSTILE_CSV = {
    **{
        f"utf8-{b.hex()}": CSV_HEADER.encode()
        + b'KAZ,BGR,TURNOVER,2023,95.0,USD,6,,2,,"'
        + b
        + b'",\n'
        for b in BAD_UTF8
    },
    "ten-mb-cell": CSV_HEADER.encode()
    + b'KAZ,BGR,TURNOVER,2023,95.0,USD,6,,2,,"'
    + b"x" * TEN_MB
    + b'",\n',
    "ten-mb-unclosed-quote": CSV_HEADER.encode()
    + b'KAZ,BGR,TURNOVER,2023,95.0,USD,6,,2,,"'
    + b"x\n" * (TEN_MB // 2),
    "ten-mb-of-one-line": b"a," * (TEN_MB // 2),
    "nul-bytes": CSV_HEADER.encode() + b"KAZ\x00,BGR,TURNOVER,2023,95.0,USD,6,,2,,q\x00uote,\n",
    "value-nan": CSV_HEADER.encode() + b"KAZ,BGR,TURNOVER,2023,NaN,USD,6,,2,,quote,\n",
    "value-infinity": CSV_HEADER.encode() + b"KAZ,BGR,TURNOVER,2023,-Infinity,USD,6,,2,,quote,\n",
    "value-1e999": CSV_HEADER.encode() + b"KAZ,BGR,TURNOVER,2023,1e999,USD,6,,2,,quote,\n",
    "value-1e1000000": CSV_HEADER.encode() + b"KAZ,BGR,TURNOVER,2023,1e1000000,USD,6,,2,,quote,\n",
    "value-1e-1000000000": CSV_HEADER.encode()
    + b"KAZ,BGR,TURNOVER,2023,1e-1000000000,USD,6,,2,,quote,\n",
    "year-of-5000-digits": CSV_HEADER.encode()
    + b"KAZ,BGR,TURNOVER,"
    + b"1" * 5000
    + b",95.0,USD,6,,2,,quote,\n",
    "source-of-5000-digits": CSV_HEADER.encode()
    + b"KAZ,BGR,TURNOVER,2023,95.0,USD,6,,2"
    + b"0" * 5000
    + b",,quote,\n",
    "year-99999": CSV_HEADER.encode() + b"KAZ,BGR,TURNOVER,99999,95.0,USD,6,,2,,quote,\n",
    "year-negative": CSV_HEADER.encode() + b"KAZ,BGR,TURNOVER,-2023,95.0,USD,6,,2,,quote,\n",
    "sql-in-cells": CSV_HEADER.encode()
    + b"KAZ'; DROP TABLE observation; --,BGR,TURNOVER,2023,95.0,USD,6,,2,,quote,\n",
    "one-good-row-one-bad": CSV_HEADER.encode()
    + b"KAZ,BGR,TURNOVER,2023,95.0,USD,6,,2,,quote,\n"
    + b"KAZ,BGR,EXPORTS,2023,1 OR 1=1,USD,6,,2,,quote,\n",
}


CSV_CASES = [
    pytest.param(case, dry_run, id=f"{case}-dry_run={dry_run}")
    for case in HOSTILE_CSV
    for dry_run in (["false"] if case.startswith("ten-mb") else ["false", "true"])
]


@pytest.mark.parametrize(("case", "dry_run"), CSV_CASES)
def test_hostile_csv_imports(hostile: TestClient, case: str, dry_run: str) -> None:
    response = hostile.post(
        f"/v1/imports?dry_run={dry_run}",
        content=HOSTILE_CSV[case],
        headers={"Content-Type": "text/csv"},
    )
    assert_problem(response, 400, 413, 422)


# ---------------------------------------------------------------- content types


def content_type_cases() -> list[Any]:
    others = [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/csv",
        "application/json",
        "application/merge-patch+json",
        "application/octet-stream",
        "",
    ]
    cases = []
    for method, path, op in WRITES:
        accepted = set(op.get("requestBody", {}).get("content", {}))
        for content_type in others:
            if content_type not in accepted:
                cases.append(
                    pytest.param(
                        method,
                        url_for(path, op),
                        content_type,
                        id=f"{op['operationId']}-{content_type or 'none'}",
                    )
                )
    return cases


@pytest.mark.parametrize(("method", "url", "content_type"), content_type_cases())
def test_write_routes_refuse_other_content_types(
    hostile: TestClient, method: str, url: str, content_type: str
) -> None:
    """A body of a type the route does not document is a 415, whatever it holds.

    The body would be valid as JSON or CSV, so only the declared type is wrong."""
    body = json.dumps(valid_body(method, url))
    if url.startswith("/v1/imports"):
        body = f"[{body}]"
    headers = {"Content-Type": content_type} if content_type else {}
    response = hostile.request(method, url, content=body.encode(), headers=headers)
    assert_problem(response, 415)


# ---------------------------------------------------------------- formula injection

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_csv_export_neutralises_formulas_and_json_keeps_the_text(
    client: TestClient, auth: dict, text: str
) -> None:
    created = client.post(
        "/v1/observations",
        json={**TURNOVER_2023, "quote": text, "note": text},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    item = client.get(f"/v1/observations/{created.json()['id']}").json()
    assert (item["quote"], item["note"]) == (text, text)

    exported = client.get("/v1/observations?format=csv&year=2023&indicator=TURNOVER").text
    (row,) = csv.DictReader(io.StringIO(exported, newline=""))
    assert (row["quote"], row["note"]) == ("'" + text, "'" + text)
    # Every CSV the API writes neutralises it, not only the export.
    series = client.get("/v1/turnover?reporter=KAZ&partner=BGR&year=2023&format=csv").text
    (point,) = csv.DictReader(io.StringIO(series, newline=""))
    assert point["quote"] == "'" + text

    # The export imports back unchanged: the apostrophe is taken off again.
    reimport = client.post(
        "/v1/imports", content=exported.encode(), headers={**auth, "Content-Type": "text/csv"}
    )
    assert reimport.json()["unchanged"] == 1, reimport.text
    assert client.get(f"/v1/observations/{item['id']}").json()["quote"] == text


def test_every_formula_start_is_covered() -> None:
    assert {t.lstrip("'")[0] for t in FORMULAS} == set(FORMULA_STARTS)


def test_no_cell_in_any_csv_starts_a_formula(client: TestClient, auth: dict) -> None:
    """Sources and claims carry text too: no CSV cell of any list starts with a formula."""
    client.post(
        "/v1/sources",
        json={"slug": "formula", "kind": "agency", "title": "=1+1", "publisher": "@x"},
        headers=auth,
    )
    for path, op in READS:
        if "format" not in parameters(op):
            continue
        response = client.get(url_for(path, op, {"format": "csv"}))
        if response.status_code != 200:
            continue
        for row in csv.reader(io.StringIO(response.text, newline="")):
            for value in row:
                assert not re.match(r"[=+@\t\r]|-[^0-9]", value), (path, value)
