"""The hottest reads, served without FastAPI's per-request dependency solving.

FastAPI checks each query parameter on its own and looks up, per request and per
parameter, how to read it: for a series (ten parameters) that was a quarter of the time
the request took. A route marked `@lean` keeps its FastAPI declaration, which documents
it in OpenAPI, and is also served by a plain Starlette route placed ahead of it. That
route checks the same parameters, declared once on the endpoint, in one pydantic call, and
raises the same RequestValidationError, so the answers do not change.

Only what these routes use is supported: query and path parameters, a `Request`, and
dependencies that take nothing or the request. Anything else fails at startup.
"""

import inspect
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, ValidationError, create_model
from starlette.routing import Match, Route
from starlette.types import Scope

Endpoint = Callable[..., Awaitable[Response]]
_LEAN: set[Callable[..., Any]] = set()


def lean(endpoint: Endpoint) -> Endpoint:
    """Mark an async endpoint that returns a Response to be served by a lean route."""
    if not inspect.iscoroutinefunction(endpoint):
        raise TypeError(f"{endpoint.__name__}: a lean route's endpoint must be async")
    _LEAN.add(endpoint)
    return endpoint


def install_lean_routes(app: FastAPI, routers: list[APIRouter]) -> None:
    """Put a lean twin of every marked route of `routers` ahead of the app's routes."""
    twins = [
        _lean_route(app, route)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.endpoint in _LEAN
    ]
    app.router.routes[:0] = twins


class _Parameters:
    """The route's path and query parameters as one pydantic model, by their aliases."""

    def __init__(self, dependant: Dependant) -> None:
        self.where = {f.alias: "path" for f in dependant.path_params}
        self.where |= {f.alias: "query" for f in dependant.query_params}
        fields = dependant.path_params + dependant.query_params
        self.names = [f.name for f in fields]
        self.model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            "Parameters",
            **{f.name: (f.field_info.annotation, f.field_info) for f in fields},
        )

    def read(self, request: Request) -> dict[str, Any]:
        given = {**request.query_params, **request.path_params}
        try:
            checked = self.model.model_validate(given)
        except ValidationError as exc:
            raise RequestValidationError([self._located(e) for e in exc.errors()]) from None
        return {name: getattr(checked, name) for name in self.names}

    def _located(self, error: Any) -> Any:
        # As FastAPI reports it: ("query", alias), and no input for a missing parameter.
        alias = error["loc"][0]
        located = {**error, "loc": (self.where.get(alias, "query"), *error["loc"])}
        if error["type"] == "missing":
            located["input"] = None
        return located


def _calls_of(app: FastAPI, route: APIRoute) -> list[tuple[str | None, Callable[..., Any]]]:
    """The dependencies to call, with the endpoint argument each result goes to."""
    dependencies: list[tuple[str | None, Callable[..., Any]]] = [
        (None, depends.dependency)
        for depends in app.router.dependencies
        if depends.dependency is not None
    ]
    for sub in route.dependant.dependencies:
        if sub.call is None or sub.dependencies or sub.query_params or sub.path_params:
            raise TypeError(f"{route.path}: a lean route's dependencies take no parameters")
        dependencies.append((sub.name, sub.call))
    for _, call in dependencies:
        _takes_request(call)  # fails now rather than on the first request
    return dependencies


class LeanRoute(Route):
    """The lean twin of a FastAPI route: same path, same answers, none of its solving."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match != Match.NONE:  # as FastAPI's routes do: metrics and logs name the route
            child_scope["route"] = self
        return match, child_scope


def _lean_route(app: FastAPI, route: APIRoute) -> LeanRoute:
    dependant = route.dependant
    unsupported = (
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
        route.dependencies,
    )
    if any(unsupported) or route.methods != {"GET"}:
        raise TypeError(f"{route.path}: a lean route is a GET of query and path parameters")
    parameters = _Parameters(dependant)
    dependencies = _calls_of(app, route)
    endpoint = route.endpoint

    async def serve(request: Request) -> Response:
        arguments = {}
        for name, dependency in dependencies:
            call = app.dependency_overrides.get(dependency, dependency)
            result = call(request) if _takes_request(call) else call()
            if inspect.isawaitable(result):
                result = await result
            if name is not None:
                arguments[name] = result
        arguments |= parameters.read(request)
        if dependant.request_param_name:
            arguments[dependant.request_param_name] = request
        response = await endpoint(**arguments)
        if not isinstance(response, Response):
            raise TypeError(f"{route.path}: a lean route's endpoint must return a Response")
        return response

    twin = LeanRoute(route.path, serve, methods=["GET"], name=route.name, include_in_schema=False)
    twin.methods = route.methods  # Starlette would add HEAD, which FastAPI's route refuses
    return twin


@cache
def _takes_request(call: Callable[..., Any]) -> bool:
    """Whether a dependency is called with the request (its one parameter) or with nothing.
    One that yields (a session, say) needs FastAPI's clean-up: not supported."""
    count = len(inspect.signature(call).parameters)
    yields = inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call)
    if count > 1 or yields:
        raise TypeError(f"{call.__name__}: a lean route's dependency returns, from the request")
    return count == 1
