"""Every error is an RFC 9457 problem: application/problem+json with one shape."""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.api.paths import root_path

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:tradestats:problem:"
# Titles of the problems whose HTTP reason phrase reads oddly (RFC 9110 renamed both).
PAYLOAD_TOO_LARGE = "Payload too large"
URI_TOO_LONG = "URI too long"
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Field problems a request's 422 lists: more than any valid route or body has fields, so
# only a flood of unknown parameters or body fields (a URL or body of thousands) is cut.
MAX_LISTED = 20
log = logging.getLogger("tradestats")


class FieldError(BaseModel):
    location: str = Field(
        description="Where the bad field is: query, path, header or body; in an import, the "
        "row: `line 3` of a CSV, or `observation 3` of a JSON array (its place, from 1).",
        examples=["query"],
    )
    field: str = Field(examples=["reporter"])
    message: str = Field(examples=["unknown country code 'XX'"])


class Problem(BaseModel):
    type: str = Field(
        description="A URN naming the kind of problem.",
        examples=["urn:tradestats:problem:validation-error"],
    )
    title: str = Field(examples=["Invalid request"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["reporter: unknown country code 'XX'"])
    instance: str | None = Field(
        default=None, description="The request path.", examples=["/v1/turnover"]
    )
    errors: list[FieldError] | None = Field(default=None, description="Field problems, if any.")
    errors_truncated: bool | None = Field(
        default=None,
        description="Present, and true, when `errors` lists only the first of the problems "
        f"found: at most {MAX_LISTED} for a request, and for an import those of its first "
        "rows with problems, after which it stops checking (`detail` says how far it got).",
        examples=[True],
    )


class ProblemException(Exception):
    """Raise from anywhere to answer with a problem."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        truncated: bool = False,
        paths: tuple[str, ...] = (),
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors, self.headers = errors, headers
        self.truncated = truncated  # `errors` lists only the first problems found
        # The app's paths that `detail` names: written under the root path, as a client
        # behind the proxy must ask for them (Location, in `headers`, is so written too).
        self.paths = paths

    def detail_under(self, root: str) -> str:
        """`detail`, each path of the app it names under `root` (uvicorn's --root-path)."""
        detail = self.detail
        for path in self.paths:
            detail = detail.replace(path, root + path)
        return detail


NO_DATABASE = "The database is unreachable or has no schema yet."


def not_ready(detail: str) -> ProblemException:
    return ProblemException(
        503, "not-ready", "Service unavailable", detail, headers={"Retry-After": "5"}
    )


def internal_error() -> ProblemException:
    """What an exception no handler took is answered with: nothing of the exception."""
    return ProblemException(
        500,
        "internal-error",
        "Internal server error",
        "The server failed to answer this request. It has been logged.",
    )


def not_found(detail: str) -> ProblemException:
    return ProblemException(404, "not-found", "Not found", detail)


def conflict(
    detail: str, headers: dict[str, str] | None = None, paths: tuple[str, ...] = ()
) -> ProblemException:
    return ProblemException(409, "conflict", "Conflict", detail, headers=headers, paths=paths)


def invalid(field: str, message: str, location: str = "query") -> ProblemException:
    return invalid_fields([FieldError(location=location, field=field, message=message)])


def invalid_fields(errors: list[FieldError]) -> ProblemException:
    """A 422 listing the first MAX_LISTED problems, and saying how many there are."""
    listed = errors[:MAX_LISTED]
    detail = "; ".join(f"{e.field}: {e.message}" for e in listed)
    if len(errors) > MAX_LISTED:
        detail += f"; {len(errors)} problems in all, the first {MAX_LISTED} listed"
    return ProblemException(
        422,
        "validation-error",
        "Invalid request",
        detail,
        listed,
        truncated=len(errors) > MAX_LISTED,
    )


def problem_bytes(
    status: int, kind: str, title: str, detail: str, instance: str | None = None
) -> bytes:
    """A problem document as bytes, for answers sent below FastAPI's handlers."""
    problem = Problem(
        type=TYPE_PREFIX + kind, title=title, status=status, detail=detail, instance=instance
    )
    return problem.model_dump_json(exclude_none=True).encode()


def problem_data(problem: ProblemException, instance: str, root: str = "") -> dict[str, Any]:
    """A problem document as its JSON data (the documentation's examples are made here too);
    `root`: the root path the app is served under, "" when none."""
    document = Problem(
        type=TYPE_PREFIX + problem.kind,
        title=problem.title,
        status=problem.status,
        detail=problem.detail_under(root),
        instance=instance,
        errors=problem.errors,
        errors_truncated=problem.truncated or None,
    )
    return document.model_dump(exclude_none=True)


def problem_response(request: Request, problem: ProblemException) -> JSONResponse:
    headers = problem.headers
    root = root_path(request.scope)
    if headers and "Location" in headers:  # a path of the app's: under its root path
        headers = {**headers, "Location": root + headers["Location"]}
    return JSONResponse(
        problem_data(problem, request.url.path, root),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _kind_for(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors as problem field errors: `body.value` becomes location body, value."""
    result = []
    for err in errors:
        loc: tuple[Any, ...] = tuple(err.get("loc", ()))
        location = str(loc[0]) if loc else "request"
        field = ".".join(str(part) for part in loc[1:]) or location
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        result.append(FieldError(location=location, field=field, message=message))
    return result


BUSY = "The database is busy or unavailable. Try again shortly."


def database_fault(exc: DBAPIError) -> tuple[str, int] | None:
    """A passing database fault as (what to tell the client, seconds to wait), or None for a
    real bug. SQLite names its errors; PostgreSQL gives SQLSTATEs (25006 read-only
    transaction, class 53 out of resources)."""
    name = getattr(exc.orig, "sqlite_errorname", None) or ""
    state = getattr(exc.orig, "sqlstate", None) or ""
    if name.startswith("SQLITE_READONLY") or state == "25006":
        return "The database is read-only at the moment; reads still work.", 30
    if name == "SQLITE_FULL" or state.startswith("53"):
        return "The database is out of space at the moment; reads still work.", 30
    if isinstance(exc, OperationalError):  # locked, busy, unreachable, cut off
        return BUSY, 1
    return None


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette's own 405 names only the
    methods of the first route that matched, but a path may have several routes. HEAD is
    served wherever GET is (app/middleware.py, HeadAsGet), though no route declares it."""
    allowed = {
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    }
    if "GET" in allowed:
        allowed.add("HEAD")
    return ", ".join(method for method in HTTP_METHODS if method in allowed)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemException)
    async def _problem(request: Request, exc: ProblemException) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(request, invalid_fields(field_errors(exc.errors())))

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeoutError)
    async def _database_unavailable(
        request: Request, exc: DBAPIError | PoolTimeoutError
    ) -> JSONResponse:
        if isinstance(exc, PoolTimeoutError):  # every pooled connection stayed in use
            fault: tuple[str, int] | None = (BUSY, 1)
        else:
            fault = database_fault(exc)
        if fault is None:
            return await _unexpected(request, exc)
        detail, retry_after = fault
        # The request may well succeed later, so say so rather than answer 500.
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            getattr(exc, "orig", exc).__class__.__name__,
        )
        return problem_response(
            request,
            ProblemException(
                503,
                "database-unavailable",
                "Service unavailable",
                detail,
                headers={"Retry-After": str(retry_after)},
            ),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(exc.status_code).phrase
        title = phrase[0] + phrase[1:].lower()  # "Not found", like every other problem title
        detail = (
            exc.detail
            if isinstance(exc.detail, str) and exc.detail != phrase
            else {
                404: f"No route matches {request.url.path}.",
                405: f"{request.method} is not allowed on {request.url.path}.",
            }.get(exc.status_code, phrase)
        )
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette's Allow names the methods of one route. Not in a mounted app (the
            # docs' static files), whose own routes are not the app's: it knows its methods.
            theirs = [value for name, value in headers.items() if name.lower() == "allow"]
            headers = {name: value for name, value in headers.items() if name.lower() != "allow"}
            headers["Allow"] = allowed_methods(request) or "".join(theirs[:1])
        return problem_response(
            request,
            ProblemException(
                exc.status_code, _kind_for(exc.status_code), title, detail, headers=headers or None
            ),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, internal_error())
