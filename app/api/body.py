"""Request bodies: size-limited, strictly typed JSON with exact decimals.

FastAPI's own body parsing turns 375.20 into the float 375.2 and accepts "12" as a
number. Write routes read the body here instead: numbers with a fraction become
Decimals digit for digit, and the input models are strict (no coercion).
"""

import codecs
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from app.api.headers import listed, one_value
from app.core.config import get_settings
from app.errors import (
    PAYLOAD_TOO_LARGE,
    FieldError,
    ProblemException,
    field_errors,
    invalid_fields,
)

Model = TypeVar("Model", bound=BaseModel)
JSON_TYPES = ("application/json",)
MERGE_PATCH_TYPES = ("application/json", "application/merge-patch+json")  # PATCH takes both


def too_large(limit: int) -> ProblemException:
    return ProblemException(
        413,
        "payload-too-large",
        PAYLOAD_TOO_LARGE,
        f"Request bodies are limited to {limit} bytes.",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing anything over `limit` bytes before reading it all."""
    declared = request.headers.get("content-length")
    # isdigit() alone admits ² and the like, which int() cannot read.
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in _chunks(request):
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    """The body as it arrives; a client that closes before sending it all gets a 400 (its
    fault, not a 500 in the logs and metrics)."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect as exc:
        raise ProblemException(
            400,
            "incomplete-body",
            "Incomplete body",
            "The connection closed before the whole body arrived.",
        ) from exc


def require_media_type(request: Request, allowed: tuple[str, ...]) -> str:
    """The body's media type, one of `allowed` (else 415), in UTF-8: a body declared in
    another charset is refused (415) rather than read as UTF-8 regardless. So is a body
    declared compressed: it would be read as its compressed bytes, and a `Content-Encoding`
    the body does not really have would be ignored."""
    require_no_content_coding(request)
    declared = one_value(request.headers, "Content-Type", "so the body's type is not a guess")
    media_type, *parameters = declared.split(";")
    media_type = media_type.strip().lower()
    accepted = accept_headers(request.method, allowed)
    if media_type not in allowed:
        raise unsupported(allowed, media_type, accepted)
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in UTF_8:
            raise ProblemException(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                f"Send the body in UTF-8 (charset=utf-8, or no charset), not charset={value}.",
                headers=accepted,
            )
    return media_type


UTF_8 = {"utf-8", "utf8", "us-ascii"}  # ASCII is UTF-8


def require_no_content_coding(request: Request) -> None:
    """415 for a body in a content coding (gzip, br, ...), which is never decoded here,
    with `Accept-Encoding: identity` to say what is (RFC 9110, 15.5.16)."""
    declared = listed(request.headers, "content-encoding") or ""
    codings = [coding.strip().lower() for coding in declared.split(",") if coding.strip()]
    refused = [coding for coding in codings if coding != "identity"]
    if refused:
        raise ProblemException(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"Send the body uncompressed: Content-Encoding {', '.join(refused)} is not "
            "decoded here.",
            headers={"Accept-Encoding": "identity"},
        )


def accept_headers(method: str, media_types: tuple[str, ...]) -> dict[str, str]:
    """What a 415 sends to say which bodies are taken (RFC 9110, 15.5.16), and on a PATCH
    as RFC 5789 (2.2) asks."""
    names = ("Accept", "Accept-Patch") if method.upper() == "PATCH" else ("Accept",)
    return dict.fromkeys(names, ", ".join(media_types))


def unsupported(
    allowed: tuple[str, ...], media_type: str, headers: dict[str, str] | None = None
) -> ProblemException:
    return ProblemException(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        f"Send the body as {' or '.join(allowed)}, not {media_type or 'no content type'}.",
        headers=headers,
    )


def no_nul(data: Any) -> Any:
    """The data, unless a string in it holds NUL (\\u0000): no field takes one, and
    PostgreSQL cannot store it, so refuse it here alike on every backend."""
    pending = [data]
    while pending:  # a loop, not recursion: the data may be nested deep
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            raise malformed_json("The body holds a NUL character.")
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return data


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


class RepeatedName(ValueError):
    """An object names a member twice: parsers disagree on which one counts (RFC 8259)."""


def _one_of_each_name(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) < len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:  # one pass: an object may have a million names
            if name in seen:
                raise RepeatedName(
                    f"An object names {json.dumps(name)} twice; send each name once."
                )
            seen.add(name)
    return data


def _integer(text: str) -> int | Decimal:
    """A JSON integer; one too long for Python's int() (4,300 digits) as the Decimal it
    is, which the field it is in then refuses, as it refuses 1e400: it is valid JSON."""
    return int(text) if len(text) <= INT_DIGITS else Decimal(text)


INT_DIGITS = 4000  # under sys.get_int_max_str_digits()'s default, 4,300

# How the API reads any JSON: exact decimals, no NaN or Infinity, each name once.
DECODING: dict[str, Any] = {
    "parse_float": Decimal,
    "parse_int": _integer,
    "parse_constant": _reject_constant,
    "object_pairs_hook": _one_of_each_name,
}


def parse_json(body: bytes) -> Any:
    """JSON with exact decimals; a 400 problem when it cannot be parsed, or when an
    object repeats a name, which would leave the value meant to a guess."""
    try:
        # A byte order mark, which Windows tools write, may be ignored (RFC 8259, 8.1).
        data = json.loads(body.removeprefix(codecs.BOM_UTF8).decode("utf-8"), **DECODING)
    except RepeatedName as exc:
        raise malformed_json(str(exc)) from exc
    except (ValueError, RecursionError) as exc:  # bad UTF-8 and bad JSON are ValueErrors
        reason = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise malformed_json(f"The body is not valid JSON: {reason}.") from exc
    return no_nul(data)


def malformed_json(detail: str) -> ProblemException:
    return ProblemException(400, "malformed-json", "Malformed JSON", detail)


async def json_body(request: Request) -> Any:
    """A POST or PUT body: application/json only (415 otherwise)."""
    require_media_type(request, JSON_TYPES)
    return parse_json(await read_body(request, get_settings().max_body_bytes))


async def merge_patch_body(request: Request) -> Any:
    """A PATCH body: a JSON merge patch, sent as either of its media types."""
    require_media_type(request, MERGE_PATCH_TYPES)
    return parse_json(await read_body(request, get_settings().max_body_bytes))


async def no_body(request: Request) -> None:
    """DELETE takes no body: one that is sent is refused, not silently ignored."""
    async for chunk in _chunks(request):
        if chunk:
            raise ProblemException(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                f"{request.method} takes no body; send none.",
            )


# What a JSON body that is no object is, for a 422 that names it in JSON's words.
JSON_KINDS = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}


def validate(model: type[Model], data: Any, extra: list[FieldError] | None = None) -> Model:
    """The data as `model`, or a 422 problem listing every field error (plus `extra`)."""
    errors = list(extra or [])
    if not isinstance(data, dict):  # pydantic would name the model's class
        kind = JSON_KINDS.get(type(data), "a number")
        message = f"must be a JSON object of the fields, not {kind}"
        raise invalid_fields([FieldError(location="body", field="body", message=message)])
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) + errors
    if errors:
        raise invalid_fields(errors)
    return result
