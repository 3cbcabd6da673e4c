"""The hottest reads, served without FastAPI's per-request dependency solving.

FastAPI checks each query parameter on its own and looks up, per request and per
parameter, how to read it: for a series (ten parameters) that was a quarter of the time
the request took. A route marked `@lean` keeps its FastAPI declaration, which documents
it in OpenAPI, and is also served by a plain Starlette route placed ahead of it. That
route checks the same parameters, declared once on the endpoint, in one pydantic call, and
raises the same RequestValidationError, so the answers do not change.

Only what these routes use is supported: single-valued query and path parameters, a
`Request`, and dependencies (overrides included) that take at most the request and
return their value. A route that needs more fails at startup; an override that does,
on the request that meets it.
"""

import inspect
from collections import abc
from collections.abc import Awaitable, Callable
from types import UnionType
from typing import Annotated, Any, NamedTuple, Union, get_args, get_origin
from weakref import WeakKeyDictionary, WeakSet

from fastapi import FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, Json, ValidationError, create_model
from starlette.concurrency import run_in_threadpool

from app.middleware import ScopedRoute

Endpoint = Callable[..., Awaitable[Response]]
_LEAN: WeakSet[Callable[..., Any]] = WeakSet()


def lean(endpoint: Endpoint) -> Endpoint:
    """Mark an async endpoint that returns a Response to be served by a lean route."""
    if not inspect.iscoroutinefunction(endpoint):
        raise TypeError(f"{_name(endpoint)}: a lean route's endpoint must be async")
    _LEAN.add(endpoint)
    return endpoint


def install_lean_routes(app: FastAPI) -> None:
    """Put a lean twin of every marked route ahead of the app's routes. Each is built from
    the route as the app includes it: with the prefix and dependencies of its inclusion
    and of the app."""
    twins = [
        _lean_route(app, context)
        for context in iter_route_contexts(app.router.routes)
        if isinstance(context.original_route, APIRoute) and context.endpoint in _LEAN
    ]
    app.router.routes[:0] = twins


class LeanRoute(ScopedRoute):
    """The lean twin of a FastAPI route: same path, same answers, none of its solving."""

    dependant: Dependant  # the FastAPI route's: what it reads


def _lean_route(app: FastAPI, route: RouteContext) -> LeanRoute:
    dependant: Dependant = route.dependant
    if _beyond_request(dependant, params=False) or route.methods != {"GET"}:
        raise TypeError(f"{route.path}: a lean route is a GET of query and path parameters")
    parameters = _Parameters(route.path or "", dependant)
    dependencies = [(sub.name, sub.call) for sub in dependant.dependencies if sub.call]
    for _, call in dependencies:
        _how_to_call(call)  # fails now rather than on the first request
    endpoint: Endpoint = route.endpoint  # type: ignore[assignment]

    async def serve(request: Request) -> Response:
        arguments: dict[str, Any] = {}
        results: dict[Any, Any] = {}  # a dependency runs once a request, as in FastAPI
        for name, dependency in dependencies:
            call = app.dependency_overrides.get(dependency, dependency)
            if call not in results:
                results[call] = await _call(call, request)
            if name is not None:
                arguments[name] = results[call]
        arguments |= parameters.read(request)
        if dependant.request_param_name:
            arguments[dependant.request_param_name] = request
        response = await endpoint(**arguments)
        if not isinstance(response, Response):
            raise TypeError(f"{route.path}: a lean route's endpoint must return a Response")
        return response

    # In the schema as its FastAPI route is (which FastAPI documents: it skips this one).
    twin = LeanRoute(route.path or "", serve, name=route.name, include_in_schema=True)
    twin.methods = set(route.methods)  # Starlette would add HEAD, which FastAPI's route refuses
    twin.dependant = dependant  # what it reads, as on FastAPI's routes (app/api/deps.py)
    return twin


class _Parameters:
    """The route's path and query parameters as one pydantic model, by their aliases."""

    def __init__(self, path: str, dependant: Dependant) -> None:
        fields = dependant.path_params + dependant.query_params
        for field in fields:
            if not _single_valued(field):
                raise TypeError(f"{path}: a lean route's {field.alias} must be one plain value")
        self.location_of = {f.alias: "path" for f in dependant.path_params}
        self.location_of |= {f.alias: "query" for f in dependant.query_params}
        self.names = [f.name for f in fields]
        self.model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            "Parameters", **{f.name: (f.field_info.annotation, f.field_info) for f in fields}
        )

    def read(self, request: Request) -> dict[str, Any]:
        given = {**request.query_params, **request.path_params}
        try:
            checked = self.model.model_validate(given)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            raise RequestValidationError([self._as_fastapi_error(e) for e in errors]) from None
        return {name: getattr(checked, name) for name in self.names}

    def _as_fastapi_error(self, error: Any) -> Any:
        # As FastAPI reports it: ("query", alias), and no input for a missing parameter.
        alias = error["loc"][0]
        located = {**error, "loc": (self.location_of.get(alias, "query"), *error["loc"])}
        if error["type"] == "missing":
            located["input"] = None
        return located


def _single_valued(field: Any) -> bool:
    """Not a collection, a model or JSON, and read by its one alias: what a dict of the
    query string can hold, and what FastAPI reads as `values.get(alias)` too."""
    info = field.field_info
    union = get_origin(info.annotation) in (Union, UnionType)
    for kind in get_args(info.annotation) if union else (info.annotation,):
        if get_origin(kind) is Annotated:
            kind = get_args(kind)[0]
        base = get_origin(kind) or kind
        text = isinstance(base, type) and issubclass(base, (str, bytes))
        if not text and isinstance(base, type) and issubclass(base, (BaseModel, *COLLECTIONS)):
            return False
    json = any(type(item) is Json for item in info.metadata)
    return not json and info.validation_alias in (None, field.alias)


COLLECTIONS = (list, tuple, set, frozenset, dict, abc.Sequence, abc.Set, abc.Mapping)


def _beyond_request(dependant: Dependant, *, params: bool = True) -> bool:
    """Whether a call needs more than its query and path parameters and the request
    (with `params`, more than the request alone)."""
    needs: list[Any] = [
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
    ]
    if params:
        needs += [dependant.path_params, dependant.query_params, dependant.dependencies]
    return any(needs)


class _HowToCall(NamedTuple):
    request_param: str | None  # the parameter the request goes to, if it takes it
    is_async: bool


_HOW_TO_CALL: WeakKeyDictionary[Callable[..., Any], _HowToCall] = WeakKeyDictionary()


def _how_to_call(call: Callable[..., Any]) -> _HowToCall:
    """How to call a dependency; fails for one that needs more than the request, or that
    yields (a session, say: its clean-up needs FastAPI)."""
    how = _HOW_TO_CALL.get(call)
    if how is None:
        dependant = get_dependant(path="", call=call)
        yields = inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call)
        if yields or _beyond_request(dependant):
            raise TypeError(
                f"{_name(call)}: a lean route's dependencies take at most the request "
                "and return their value"
            )
        # A function, or an instance of a class whose __call__ is async.
        is_async = inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
            type(call).__call__
        )
        how = _HOW_TO_CALL[call] = _HowToCall(dependant.request_param_name, is_async)
    return how


async def _call(call: Callable[..., Any], request: Request) -> Any:
    how = _how_to_call(call)
    arguments = {how.request_param: request} if how.request_param else {}
    if how.is_async:
        return await call(**arguments)
    return await run_in_threadpool(call, **arguments)  # as FastAPI runs a plain `def`


def _name(call: Callable[..., Any]) -> str:
    return getattr(call, "__name__", repr(call))
