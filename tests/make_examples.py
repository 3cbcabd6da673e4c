"""Write app/api/examples.json: each route's example request and its seeded response.

Run with `make examples` after changing a response shape. tests/test_docs.py replays
the same requests and fails when a response no longer matches its documented example.
"""

import json
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.api.openapi import EXAMPLES_FILE
from app.db import get_engine, get_session
from app.main import app
from app.seed import seed
from tests.conftest import BASE_URL, alembic_config, sqlite_url

PAIR = "reporter=KAZ&partner=BGR"
EXAMPLE_REQUESTS = {
    "get_turnover_series": f"/v1/turnover?{PAIR}",
    "get_turnover_year": f"/v1/turnover/2024?{PAIR}",
    "get_turnover_chart": f"/v1/turnover.svg?{PAIR}&include=implied",
    "get_exports_series": f"/v1/exports?{PAIR}",
    "get_exports_year": f"/v1/exports/2024?{PAIR}",
    "get_exports_chart": f"/v1/exports.svg?{PAIR}&include=implied",
    "get_imports_series": f"/v1/imports?{PAIR}",
    "get_imports_year": f"/v1/imports/2024?{PAIR}",
    "get_imports_chart": f"/v1/imports.svg?{PAIR}&include=implied",
    "get_balance_series": f"/v1/balance?{PAIR}",
    "get_balance_year": f"/v1/balance/2024?{PAIR}",
    "get_balance_chart": f"/v1/balance.svg?{PAIR}&include=implied",
    "get_investment_series": f"/v1/investment?{PAIR}",
    "get_investment_year": f"/v1/investment/2024?{PAIR}",
    "get_investment_chart": f"/v1/investment.svg?{PAIR}&include=implied",
    "get_growth": f"/v1/growth?indicator=FDI_INFLOW&{PAIR}&from=2023&to=2024",
    "list_claims": "/v1/claims",
    "get_claim": "/v1/claims/3",
    "list_qualifiers": "/v1/qualifiers",
    "list_identity_checks": f"/v1/identity-checks?{PAIR}",
    "list_observations": "/v1/observations?indicator=FDI_INFLOW&limit=1",
    "list_countries": "/v1/countries",
    "list_indicators": "/v1/indicators",
    "list_sources": "/v1/sources",
    "get_source": "/v1/sources/3",
    "get_health": "/healthz",
}
LIST_EXAMPLE_ROWS = 3  # long lists are shown by their first rows


def shorten(body: Any) -> Any:
    """What the docs show of a response: long `data` lists cut to their first rows."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return {**body, "data": body["data"][:LIST_EXAMPLE_ROWS]}
    return body


def documented(response: Response) -> Any:
    """What the docs show of a response: a chart's SVG text, or JSON, shortened."""
    if response.headers["content-type"].startswith("image/svg+xml"):
        return response.text
    return shorten(response.json())


def seeded_client(directory: Path) -> TestClient:
    url = sqlite_url(directory / "examples.db")
    command.upgrade(alembic_config(url), "head")
    with Session(get_engine(url)) as session:
        seed(session)

    def session_override():  # type: ignore[no-untyped-def]
        with Session(get_engine(url)) as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    return TestClient(app, base_url=BASE_URL)


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        client = seeded_client(Path(directory))
        examples = {}
        for operation_id, url in EXAMPLE_REQUESTS.items():
            response = client.get(url)
            response.raise_for_status()
            examples[operation_id] = {"request": url, "response": documented(response)}
        app.dependency_overrides.clear()
    EXAMPLES_FILE.write_text(
        json.dumps(examples, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(examples)} examples to {EXAMPLES_FILE}")


if __name__ == "__main__":
    main()
