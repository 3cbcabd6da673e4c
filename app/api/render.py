"""One result, two renderings: JSON (the response model) or CSV (its rows, flattened).

Routes build their documented response model, then call `render`. With `?format=csv` or
`Accept: text/csv` the same result is streamed as CSV: one row per item of a list (or per
year of a series), nested objects flattened to `parent_child` columns, in the model's
field order, so the columns are stable even when there are no rows.
"""

import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import orjson
from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel

from app.api.caching import cache_headers, conditional_get, not_modified_response
from app.api.csvio import stream_csv, wants_csv
from app.api.openapi import problems
from app.schemas import Series, SeriesPoint, json_number
from app.writes import weakly_tagged

Format = Annotated[
    Literal["json", "csv"] | None,
    Query(description="`csv` for the same result as CSV (also chosen by `Accept: text/csv`)."),
]


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


# What a tagged read sends beside its body (app/api/caching.py), and its 304.
CACHE_HEADERS = {
    "ETag": _header("Send it back in `If-None-Match` for a 304 while nothing changed"),
    "Cache-Control": _header("`public, no-cache`: keep it, but ask each time"),
    "Vary": _header("`Accept` among others: the URL is JSON or CSV by it"),
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "Not modified: the `If-None-Match` tag is current; no body",
        "headers": CACHE_HEADERS,
    }
}


def read_responses(*, csv: bool = True) -> dict[int | str, dict[str, Any]]:
    """A tagged read's 200 (JSON, or CSV when asked, with its cache headers), and its 304.
    `csv=False`: a read of one other media type (a chart), declared by its response class."""
    csv_content = {"content": {"text/csv": {"schema": {"type": "string"}}}} if csv else {}
    return {200: {**csv_content, "headers": CACHE_HEADERS}} | NOT_MODIFIED


def reads(*problem_statuses: int, tags_itself: bool = False) -> dict[str, Any]:
    """Decorator arguments for a read route: ETag/304 handling, CSV and problem docs.

    A route that reads through `app.api.caching.tagged_read` tags its response on that
    read's connection (`tags_itself`), rather than open a session for the tag alone."""
    return {
        "dependencies": [] if tags_itself else [Depends(conditional_get)],
        "responses": {**problems(*problem_statuses, 412), **read_responses()},
    }


def render(request: Request, format_: str | None, result: BaseModel, name: str) -> Response:
    """The result as JSON, or as CSV when asked.

    JSON is written here, once, by `json_bytes`: returning the model would make FastAPI
    validate it again against the response model before serialising it, for nothing, and
    write its decimals through doubles.
    """
    if not wants_csv(format_, request.headers):
        response: Response = json_response(result)
    else:
        header, rows = table_of(result)
        response = stream_csv(header, rows, f"{name}.csv")
    response.headers["Vary"] = "Accept"  # JSON or CSV by it, with a tag or not (`as_of`)
    return with_cache_headers(request, response)


def render_rows(request: Request, content: dict[str, Any]) -> Response:
    """Plain data (dicts of column values) as JSON, for hot reads of many rows.

    The same bytes the documented model would write (decimals as numbers, times as RFC
    3339 UTC), without building and validating a model per row: for a page of 200
    observations that was most of the request's time.
    """
    body = json_bytes(content)
    return with_cache_headers(request, Response(body, media_type="application/json"))


def json_response(
    result: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A documented model as a JSON response, written by `json_bytes`."""
    body = json_bytes(result.model_dump())
    return Response(body, status_code, headers, media_type="application/json")


def json_bytes(content: Any) -> bytes:
    """What the documented models would write (decimals as numbers, times as RFC 3339
    UTC, enums as their values), but every decimal digit for digit (`json_number`)."""
    # orjson writes every type these hold but Decimal, which it hands to `default`. No
    # wrapper there: it runs once per number, and one cost a fifth of the write.
    return orjson.dumps(
        content, default=json_number, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z
    )


def render_plain(
    request: Request,
    format_: str | None,
    content: dict[str, Any],
    model: type[BaseModel],
    name: str,
) -> Response:
    """`render` for a result built as plain data: JSON straight from it, CSV (rarely asked,
    and needing the model's columns) through the documented model."""
    if wants_csv(format_, request.headers):
        return render(request, format_, model.model_validate(content), name)
    return render_rows(request, content)


def with_cache_headers(request: Request, response: Response) -> Response:
    """Responses returned by hand skip FastAPI's header merge: copy the ETag across. Only a
    success gets here, so this is where `If-None-Match: *` becomes a 304, and an If-Match
    that a weak tag cannot hold a 412 (check_etag)."""
    etag = getattr(request.state, "etag", None)
    if not etag:
        return response
    if getattr(request.state, "if_match_fails", False):
        raise weakly_tagged()
    if getattr(request.state, "unless_any", False):
        return not_modified_response(etag)
    response.headers.update(cache_headers(etag))
    return response


def table_of(result: BaseModel) -> tuple[list[str], Iterator[list[Any]]]:
    context: dict[str, Any] = {}
    if isinstance(result, Series):  # a row per year, saying which series it belongs to
        context = {
            "reporter": result.reporter.alpha3,
            "partner": result.partner.alpha3,
            "indicator": result.indicator.code,
        }
        items: list[BaseModel] = list(result.observations)
        item_type: type[BaseModel] = SeriesPoint
    elif isinstance(getattr(result, "data", None), list):
        items = result.data  # type: ignore[attr-defined]
        item_type = _list_item(type(result).model_fields["data"].annotation)
    else:
        items, item_type = [result], type(result)
    header = list(context) + columns(item_type)
    rows = ([{**context, **flatten(item)}.get(column) for column in header] for item in items)
    return header, rows


def columns(model: type[BaseModel], prefix: str = "") -> list[str]:
    result = []
    for name, field in model.model_fields.items():
        nested = _model_in(field.annotation)
        if nested is not None:
            result += columns(nested, f"{prefix}{name}_")
        else:
            result.append(prefix + name)
    return result


def flatten(item: BaseModel, prefix: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in type(item).model_fields:
        value = getattr(item, name)
        if isinstance(value, BaseModel):
            row.update(flatten(value, f"{prefix}{name}_"))
        elif isinstance(value, list | dict):  # a derivation's inputs, a revision's data
            # One cell of JSON, its decimals digit for digit as the JSON answer writes them.
            row[prefix + name] = json_bytes(_plain(value)).decode()
        else:
            row[prefix + name] = value  # enums are str: they write their value
    return row


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value.model_dump() if isinstance(value, BaseModel) else value


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside `Model` or `Model | None`, if that is what the annotation is."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [
            a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        return models[0] if len(models) == 1 else None
    return None


def _list_item(annotation: Any) -> type[BaseModel]:
    (item,) = get_args(annotation)
    return item  # type: ignore[no-any-return]
