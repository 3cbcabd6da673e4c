"""Fuzzing the contract: schemathesis against every route of the OpenAPI document.

Schemathesis sends each operation examples, edge cases and random requests, valid and
invalid, in process. Every default check is on: no 5xx; only documented status codes,
content types and headers; bodies that match their schemas; invalid data rejected and
valid data accepted; writes refused without a valid key. Every operation is fuzzed
without a key, and the write routes again with one. Each operation runs against its own
fresh copy of the seeded database, so writes land there and no other test sees them.

The number of cases that passed is written to test-artifacts/fuzz-summary.json and
printed at the end of the module; the README quotes it.
"""

import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, settings
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.api.body import parse_json
from app.api.deps import distinct_pair, to_alpha3, year_range
from app.api.routes.imports import IMPORT_TYPES
from app.api.routes.observations import decode_cursor
from app.errors import ProblemException
from app.imports import import_observations, rows_from
from app.inputs import exact_number
from app.main import app
from app.writes import (
    CLAIMS,
    OBSERVATIONS,
    SOURCES,
    Preconditions,
    Resource,
    check_collection_preconditions,
    check_preconditions,
    current_revision_id,
    merge_patch,
)
from tests.conftest import serve_from
from tests.databases import ROOT, PostgresDatabases, SqliteDatabases

SUMMARY_FILE = ROOT / "test-artifacts" / "fuzz-summary.json"
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
RESOURCES = {resource.path: resource for resource in (SOURCES, OBSERVATIONS, CLAIMS)}
# Bounded and deterministic, so CI takes the same time and finds the same things.
FUZZ = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one database per operation, for all its cases
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
passed: Counter[str] = Counter()
Databases = SqliteDatabases | PostgresDatabases


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = {"passed": sum(passed.values()), "by_run": dict(sorted(passed.items()))}
    SUMMARY_FILE.parent.mkdir(exist_ok=True)
    SUMMARY_FILE.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"schemathesis: {report['passed']} cases passed {report['by_run']}")


def serve(engine: Engine) -> None:
    serve_from(engine)


@pytest.fixture
def served(engine: Engine) -> Iterator[Session]:
    """The app on this operation's own copy of the seeded database: writes land there,
    and no other test sees them."""
    serve(engine)
    with Session(engine) as session:
        yield session
    app.dependency_overrides.clear()


def breaks_an_unschematic_rule(case: schemathesis.Case, session: Session) -> bool:
    """Whether a case breaks a rule that the OpenAPI document states in words but JSON
    Schema cannot: parameters checked against each other, bodies checked against the
    database or against their own fields, the stored ETag, CSV content.

    Schemathesis counts every request that fits the schema as valid data and expects it
    accepted, so such cases are skipped when generated as valid. Schema-level rules are
    not judged here: a body the input model refuses still goes to the fuzzer.
    """
    session.rollback()  # see what earlier cases wrote
    if "\\u0000" in json.dumps(case.body, default=str):
        return True  # NUL in a string: PostgreSQL cannot store it, so bodies refuse it (400)
    query: dict[str, Any] = case.query or {}
    try:
        if query.get("reporter") and query.get("partner"):
            distinct_pair(to_alpha3(query["reporter"]), to_alpha3(query["partner"]))
        year_range(query.get("year"), query.get("start_year"), query.get("end_year"))
        if "from" in query and "to" in query and query["from"] >= query["to"]:
            return True
        if query.get("cursor") is not None:
            decode_cursor(query["cursor"])
        if case.method == "POST":  # to a collection, whose tags are weak
            headers = {name.lower(): value for name, value in (case.headers or {}).items()}
            conditions = Preconditions(headers.get("if-match"), headers.get("if-none-match"))
            check_collection_preconditions(conditions)
        resource = RESOURCES.get(case.path.removesuffix("/{item_id}"))
        if resource is not None:
            return breaks_a_write_rule(case, session, resource)
        if case.method == "POST" and case.path == "/v1/imports":
            return breaks_an_import_rule(case, session)
    except (ProblemException, TypeError, ValueError):
        return True
    return False


def too_precise(item: Any) -> bool:
    """More decimals or significant digits than a figure may have: JSON Schema's
    `multipleOf` cannot say these exactly for binary floating point, so the schema says
    them in words."""
    numbers = [item.get(field) for field in ("value", "stated")] if isinstance(item, dict) else []
    return any(isinstance(number, Decimal) and not _exact(number) for number in numbers)


def _exact(number: Decimal) -> bool:
    try:
        exact_number(number)
    except ValueError:
        return False
    return True


def breaks_a_write_rule(case: schemathesis.Case, session: Session, resource: Resource) -> bool:
    item_id = (case.path_parameters or {}).get("item_id")
    if item_id is not None:
        item_id = int(item_id)  # explicit examples give it as text
    row = session.get(resource.model, item_id) if item_id is not None else None
    if item_id is not None and row is None:  # a 404, or a 410 once an earlier case deleted it
        return current_revision_id(session, resource.model, item_id) is not None
    headers = {name.lower(): value for name, value in (case.headers or {}).items()}
    if row is not None:
        current = current_revision_id(session, resource.model, row.id) or 0
        conditions = Preconditions(headers.get("if-match"), headers.get("if-none-match"))
        check_preconditions(conditions, resource, current)
    body = as_the_app_reads_it(case.body)
    if too_precise(body):
        return True
    if case.method == "PATCH" and row is not None and isinstance(body, dict):
        body = merge_patch(resource, row, body)
    if case.method not in ("POST", "PUT", "PATCH"):
        return False
    try:
        model = resource.create_model.model_validate(body)
    except ValueError:
        return False  # the schema and the input model disagree: the fuzzer should see it
    return bool(resource.checks(session, model))


def as_the_app_reads_it(body: Any) -> Any:
    """A JSON body as app/api/body.py parses it: numbers with a fraction as Decimals."""
    return parse_json(json.dumps(body).encode()) if body is not None else None


def breaks_an_import_rule(case: schemathesis.Case, session: Session) -> bool:
    if case.media_type == "application/json" and isinstance(case.body, list):
        for item in as_the_app_reads_it(case.body):
            if too_precise(item):
                return True
            try:
                OBSERVATIONS.create_model.model_validate(item)
            except ValueError:
                return False
    data = case.body if isinstance(case.body, bytes) else str(case.body).encode()
    if case.media_type == "application/json":
        data = json.dumps(case.body).encode()
    media_type = case.media_type or IMPORT_TYPES[0]
    try:
        import_observations(session, rows_from(data, media_type), 0, True)  # dry run
    finally:
        session.rollback()  # and release SQLite's write lock
    return False


def run(case: schemathesis.Case, session: Session, headers: dict[str, str], label: str) -> None:
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assume(not breaks_an_unschematic_rule(case, session))
    case.call_and_validate(headers=headers)
    passed[label] += 1


@schema.parametrize()
@FUZZ
def test_every_route_without_a_key(
    case: schemathesis.Case, databases: Databases, served: Session
) -> None:
    run(case, served, {}, f"{databases.name} without a key")


@schema.include(method=WRITE_METHODS).parametrize()
@FUZZ
def test_write_routes_with_a_key(
    case: schemathesis.Case, databases: Databases, served: Session, auth: dict[str, str]
) -> None:
    run(case, served, auth, f"{databases.name} with a key")
