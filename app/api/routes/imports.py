"""Bulk import of observations."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app.api.body import read_body, require_media_type
from app.api.crud import CollectionConditions
from app.api.deps import SessionDep
from app.api.openapi import problems, schema_ref
from app.auth import WriterKey
from app.core.config import get_settings
from app.imports import (
    IMPORT_COLUMNS,
    MAX_BAD_ROWS,
    ImportRow,
    import_observations,
    rows_from,
)
from app.writes import check_collection_preconditions

router = APIRouter(prefix="/v1", tags=["Imports"])
IMPORT_TYPES = ("text/csv", "application/json")
LIMIT = get_settings().max_import_bytes


ROWS = {"type": "array", "items": schema_ref(ImportRow)}
JSON_ROW = {  # the CSV example's row, as JSON
    "reporter": "KAZ",
    "partner": "BGR",
    "indicator": "TURNOVER",
    "year": 2023,
    "value": 95.0,
    "currency": "USD",
    "multiplier": 6,
    "source_id": 2,
    "quote": "Turnover was $95.0 million.",
}


class ImportResult(BaseModel):
    rows: int = Field(examples=[4])
    created: int = Field(examples=[1])
    updated: int = Field(examples=[0])
    unchanged: int = Field(examples=[3])
    dry_run: bool = Field(description="True when nothing was written.")


async def import_body(request: Request) -> tuple[bytes, str]:
    media_type = require_media_type(request, IMPORT_TYPES)
    return await read_body(request, LIMIT), media_type


@router.post(
    "/imports",
    response_model=ImportResult,
    summary="Import many observations at once",
    description=f"""\
Upload observations as CSV (`Content-Type: text/csv`) or JSON (`application/json`: an
array of objects shaped like `POST /v1/observations` bodies, or `{{"observations": [...]}}`;
the rows of the JSON export of `/v1/observations` import too, their `id`, `status`,
`created_at` and `updated_at` ignored). A `status` (in CSV too) other than `reported` or
empty is refused: tradestats stores reported figures only, and derives or implies the
others itself.
The whole file applies in one transaction, or none of it does: a 422 lists each bad row's
problems field by field, the row in `location`: a CSV row by its line (`line 3`), a JSON
one by its place in the array, from 1 (`observation 3`). It lists those of the first
{MAX_BAD_ROWS} bad rows: at the next, checking stops, `detail` says where, and
`errors_truncated` is true. Fix those and import again.
Rows are matched on reporter, partner, indicator and year: new ones are created, changed
ones updated (with a revision), identical ones left alone, so importing the same file
again changes nothing.

CSV columns, with a header row: `{"`, `".join(IMPORT_COLUMNS)}`. An empty cell is a field
left out: `currency` USD, `multiplier` 6 (millions), `precision` inferred from `value`,
and null for the optional rest. The CSV export of `/v1/observations`
imports again unchanged. Bodies are limited to {LIMIT:,} bytes (413 beyond).
`dry_run=true` validates and counts without writing, and stops checking where an import
would. Needs `Authorization: Bearer <key>`.""",
    operation_id="import_observations",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": (
                        ",".join(IMPORT_COLUMNS) + "\n"
                        "KAZ,BGR,TURNOVER,2023,95.0,USD,6,,2,,Turnover was $95.0 million.,\n"
                    ),
                },
                "application/json": {
                    "schema": {
                        "oneOf": [
                            ROWS,
                            {
                                "type": "object",
                                "properties": {"observations": ROWS},
                                "required": ["observations"],
                                "additionalProperties": False,
                            },
                        ]
                    },
                    "example": [JSON_ROW],
                },
            },
        }
    },
    # 409: on PostgreSQL, a write that took one of the keys as the import ran.
    responses=problems(400, 401, 409, 412, 413, 415, 422),
)
def post_import(
    session: SessionDep,
    key: WriterKey,
    conditions: CollectionConditions,
    body: Annotated[tuple[bytes, str], Depends(import_body)],
    dry_run: Annotated[bool, Query(description="Validate and count; write nothing.")] = False,
) -> ImportResult:
    data, media_type = body
    report = import_observations(
        session,
        rows_from(data, media_type),
        key.id,
        dry_run,
        precondition=lambda: check_collection_preconditions(conditions),
    )
    return ImportResult(
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        dry_run=dry_run,
    )
