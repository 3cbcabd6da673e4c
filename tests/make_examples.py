"""Write app/api/examples.json: an example request and response for every route.

The examples are one scenario on a freshly seeded database: the reads first, then the
writes, in order, with one API key. tests/test_docs.py replays the scenario and fails
when a response no longer matches its documented example. Run `make examples` after
changing a response shape.
"""

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.api.openapi import EXAMPLES_FILE
from app.auth import create_key
from app.db import get_engine
from app.imports import IMPORT_COLUMNS
from app.main import app
from app.seed import seed
from tests.conftest import BASE_URL, serve_from, sqlite_url
from tests.databases import alembic_config

PAIR = "reporter=KAZ&partner=BGR"
LIST_EXAMPLE_ROWS = 3  # long lists are shown by their first rows
EXAMPLE_NOTE = "Example only: not a published figure."
NEW_OBSERVATION = {
    "reporter": "KAZ",
    "partner": "BGR",
    "indicator": "TURNOVER",
    "year": 2023,
    "value": 95.0,
    # Given, not inferred: a browser (Swagger UI's Try it out) sends 95.0 as 95.
    "precision": 1,
    "source_id": 2,
    "publication_id": 1,
    "quote": "Turnover in 2023 was $95.0 million.",
    "note": EXAMPLE_NOTE,
}
NEW_SOURCE = {
    "slug": "bulgarian-national-bank",
    "kind": "agency",
    "publisher": "Bulgarian National Bank",
    "title": "Direct investment statistics",
    "url": None,
    "published_on": None,
    "retrieved_on": "2026-11-28",
    "note": EXAMPLE_NOTE,
}
NEW_CLAIM = {
    "kind": "ratio",
    "indicator": "EXPORTS",
    "reporter": "KAZ",
    "partner": "BGR",
    "base_year": 2022,
    "year": 2024,
    "stated": 20,
    "qualifier": "at_least",
    "source_id": 2,
    "publication_id": None,
    "quote": "Exports grew at least twentyfold since 2022.",
    "note": EXAMPLE_NOTE,
}
IMPORT_CSV = (
    ",".join(IMPORT_COLUMNS) + "\n"
    "KAZ,BGR,EXPORTS,2023,20.0,USD,6,,2,1,Exports in 2023 were $20.0 million.,"
    + EXAMPLE_NOTE
    + "\n"
)


@dataclass(frozen=True)
class Step:
    operation_id: str
    method: str
    url: str
    body: Any = None
    content_type: str = "application/json"


SCENARIO = [
    Step("get_turnover_series", "GET", f"/v1/turnover?{PAIR}"),
    Step("get_turnover_year", "GET", f"/v1/turnover/2024?{PAIR}"),
    Step("get_turnover_chart", "GET", f"/v1/turnover.svg?{PAIR}&include=implied"),
    Step("get_exports_series", "GET", f"/v1/exports?{PAIR}"),
    Step("get_exports_year", "GET", f"/v1/exports/2024?{PAIR}"),
    Step("get_exports_chart", "GET", f"/v1/exports.svg?{PAIR}&include=implied"),
    Step("get_imports_series", "GET", f"/v1/imports?{PAIR}"),
    Step("get_imports_year", "GET", f"/v1/imports/2024?{PAIR}"),
    Step("get_imports_chart", "GET", f"/v1/imports.svg?{PAIR}&include=implied"),
    Step("get_balance_series", "GET", f"/v1/balance?{PAIR}"),
    Step("get_balance_year", "GET", f"/v1/balance/2024?{PAIR}"),
    Step("get_balance_chart", "GET", f"/v1/balance.svg?{PAIR}&include=implied"),
    Step("get_investment_series", "GET", f"/v1/investment?{PAIR}"),
    Step("get_investment_year", "GET", f"/v1/investment/2024?{PAIR}"),
    Step("get_investment_chart", "GET", f"/v1/investment.svg?{PAIR}&include=implied"),
    Step("get_growth", "GET", f"/v1/growth?indicator=FDI_INFLOW&{PAIR}&from=2023&to=2024"),
    Step(
        "list_partner_growth",
        "GET",
        "/v1/growth/partners?indicator=FDI_INFLOW&reporter=KAZ&from=2023&to=2024",
    ),
    Step("list_claims", "GET", "/v1/claims"),
    Step("get_claim", "GET", "/v1/claims/3"),
    Step("list_qualifiers", "GET", "/v1/qualifiers"),
    Step("list_identity_checks", "GET", f"/v1/identity-checks?{PAIR}"),
    Step("list_observations", "GET", "/v1/observations?indicator=FDI_INFLOW&limit=1"),
    Step("get_observation", "GET", "/v1/observations/3"),
    Step("list_countries", "GET", "/v1/countries"),
    Step("list_indicators", "GET", "/v1/indicators"),
    Step("list_sources", "GET", "/v1/sources"),
    Step("get_source", "GET", "/v1/sources/3"),
    Step("get_health", "GET", "/healthz"),
    Step("get_readiness", "GET", "/readyz"),
    # Writes, each building on the one before.
    Step("create_observation", "POST", "/v1/observations", NEW_OBSERVATION),
    # Each write's quote says what its figure or claim says: an example is copied.
    Step(
        "replace_observation",
        "PUT",
        "/v1/observations/5",
        {**NEW_OBSERVATION, "value": 95.5, "quote": "Turnover in 2023 was $95.5 million."},
    ),
    Step(
        "patch_observation",
        "PATCH",
        "/v1/observations/5",
        {
            "value": 96.0,
            "quote": "Turnover in 2023 was $96.0 million.",
            "note": "Revised by the ministry. " + EXAMPLE_NOTE,
        },
        "application/merge-patch+json",
    ),
    Step("list_observation_revisions", "GET", "/v1/observations/5/revisions"),
    Step("delete_observation", "DELETE", "/v1/observations/5"),
    Step("import_observations", "POST", "/v1/imports", IMPORT_CSV, "text/csv"),
    Step("create_source", "POST", "/v1/sources", NEW_SOURCE),
    Step("replace_source", "PUT", "/v1/sources/4", {**NEW_SOURCE, "url": "https://www.bnb.bg"}),
    Step("patch_source", "PATCH", "/v1/sources/4", {"title": "Foreign direct investment"}),
    Step("list_source_revisions", "GET", "/v1/sources/4/revisions"),
    Step("delete_source", "DELETE", "/v1/sources/4"),
    Step("create_claim", "POST", "/v1/claims", NEW_CLAIM),
    Step(
        "replace_claim",
        "PUT",
        "/v1/claims/4",
        {
            **NEW_CLAIM,
            "qualifier": "more_than",
            "quote": "Exports grew more than twentyfold since 2022.",
        },
    ),
    Step(
        "patch_claim",
        "PATCH",
        "/v1/claims/4",
        {"stated": 15, "quote": "Exports grew more than fifteenfold since 2022."},
    ),
    Step("list_claim_revisions", "GET", "/v1/claims/4/revisions"),
    Step("delete_claim", "DELETE", "/v1/claims/4"),
]


def documented(response: Response) -> Any:
    """What the docs show of a response: a chart's SVG text, or JSON, shortened."""
    if not response.content:
        return None
    if response.headers["content-type"].startswith("image/svg+xml"):
        return response.text
    return shorten(response.json())


def shorten(body: Any) -> Any:
    """What the docs show of a response: long `data` lists cut to their first rows."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return {**body, "data": body["data"][:LIST_EXAMPLE_ROWS]}
    return body


TIMESTAMP = re.compile(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"')


def without_times(body: Any) -> Any:
    """The body with timestamps blanked, to compare runs made at different moments."""
    return json.loads(TIMESTAMP.sub('"<time>"', json.dumps(body)))


def csv_example(text: str) -> str:
    """A CSV answer's header and first rows, whole records (a quoted cell may hold a line
    break), as the service wrote them."""
    reader = csv.reader(io.StringIO(text, newline=""))
    for _ in islice(reader, LIST_EXAMPLE_ROWS + 1):
        pass
    return "".join(text.splitlines(keepends=True)[: reader.line_num])


CSV_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def text_without_times(text: str | None) -> str | None:
    return None if text is None else CSV_TIMESTAMP.sub("<time>", text)


def answers_csv(operation_id: str) -> bool:
    """Whether the route documents a CSV form of its 200."""
    for item in app.openapi()["paths"].values():
        for operation in item.values():
            if operation["operationId"] == operation_id:
                ok = operation["responses"].get("200", {})
                return "text/csv" in ok.get("content", {})
    return False


def run_scenario(directory: Path) -> Iterator[tuple[Step, int, Any, str | None]]:
    """Each step with the status and (shortened) body the seeded service answers, and
    for a read with a CSV form, that form's first rows."""
    url = sqlite_url(directory / "examples.db")
    command.upgrade(alembic_config(url), "head")
    with Session(get_engine(url)) as session:
        seed(session)
        _, key = create_key(session, "docs")

    serve_from(get_engine(url))
    client = TestClient(app, base_url=BASE_URL)
    headers = {"Authorization": f"Bearer {key}"}
    try:
        for step in SCENARIO:
            content = (
                None
                if step.body is None
                else (step.body if isinstance(step.body, str) else json.dumps(step.body))
            )
            response = client.request(
                step.method,
                step.url,
                content=content,
                headers={
                    **(headers if step.method != "GET" else {}),
                    **({"Content-Type": step.content_type} if content else {}),
                },
            )
            as_csv = None
            if step.method == "GET" and answers_csv(step.operation_id):
                as_csv = csv_example(client.get(step.url, headers={"Accept": "text/csv"}).text)
            yield step, response.status_code, documented(response), as_csv
    finally:
        app.dependency_overrides.clear()
        get_engine(url).dispose()


def same_but_for_time(new: Any, old: Any) -> Any:
    """`new`, with `old`'s text wherever the two differ only in timestamps: each run
    records the scenario at another moment, and examples that differ by nothing else
    should not churn the file."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {key: same_but_for_time(value, old.get(key)) for key, value in new.items()}
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return [same_but_for_time(n, o) for n, o in zip(new, old, strict=True)]
    if isinstance(new, str) and isinstance(old, str):
        return old if text_without_times(new) == text_without_times(old) else new
    return new


def main() -> None:
    examples = {}
    with tempfile.TemporaryDirectory() as directory:
        for step, status, body, as_csv in run_scenario(Path(directory)):
            if status >= 400:
                raise SystemExit(f"{step.operation_id}: {step.method} {step.url} gave {status}")
            examples[step.operation_id] = {
                "method": step.method,
                "request": step.url,
                "status": status,
                "content_type": step.content_type,
                "body": step.body,
                "response": body,
                **({"csv": as_csv} if as_csv is not None else {}),
            }
    if EXAMPLES_FILE.exists():
        examples = same_but_for_time(examples, json.loads(EXAMPLES_FILE.read_text("utf-8")))
    EXAMPLES_FILE.write_text(
        json.dumps(examples, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(examples)} examples to {EXAMPLES_FILE}")


if __name__ == "__main__":
    main()
