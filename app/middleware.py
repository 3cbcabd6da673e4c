"""What every request passes through: request id, rate limit, metrics, log line, headers.

One pure ASGI middleware rather than a stack of BaseHTTPMiddleware layers, which each
cost a task and a copy of the body per request.
"""

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.headers import listed, single
from app.api.paths import root_path
from app.auth import hash_key
from app.errors import PROBLEM_MEDIA_TYPE, URI_TOO_LONG, internal_error, problem_bytes
from app.ratelimit import RateLimiter, SharedRateLimiter

log = logging.getLogger("tradestats.access")

REQUESTS = Counter(
    "tradestats_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "tradestats_request_duration_seconds",
    "Time to answer a request.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# Each label set's counter and histogram, found once: `labels()` takes a lock and checks
# its arguments on every call: 3 µs a request, a fifteenth of what /healthz takes.
_COUNTED: dict[tuple[str, str, int], Any] = {}
_TIMED: dict[tuple[str, str], Any] = {}


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    counter = _COUNTED.get((method, route, status))
    if counter is None:
        counter = _COUNTED[method, route, status] = REQUESTS.labels(method, route, str(status))
    timer = _TIMED.get((method, route))
    if timer is None:
        timer = _TIMED[method, route] = LATENCY.labels(method, route)
    counter.inc()
    timer.observe(seconds)


READ_METHODS = {"GET", "HEAD", "OPTIONS"}
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
NOSNIFF = (b"x-content-type-options", b"nosniff")
UNMETERED = {"/healthz", "/readyz", "/metrics"}
# Longest path and query string, in bytes, as many servers and proxies allow.
MAX_URL_BYTES = 8192
URL_TOO_LONG = f"The path and query string are limited to {MAX_URL_BYTES} bytes."


def budget_spent(reset: int) -> str:
    return f"This client's request budget is spent; retry in {reset} s."


class LiveKeys:
    """Which bearer tokens are live API keys, for the rate limiter. A request counts
    against its key's budget only when the key is real: any made-up `ts_x_y` would
    otherwise be a fresh budget. Each token's answer is kept for `seconds` (a key revoked
    meanwhile is counted as itself that long), under the token's hash, not the token."""

    def __init__(
        self,
        lookup: Callable[[str], Awaitable[str | None]],
        seconds: float = 60,
        size: int = 10_000,
    ) -> None:
        self.lookup, self.seconds, self.size = lookup, seconds, size
        self.known: dict[str, tuple[str | None, float]] = {}

    async def prefix(self, token: str) -> str | None:
        digest, now = hash_key(token), time.monotonic()
        kept = self.known.get(digest)
        if kept is not None and kept[1] > now:
            return kept[0]
        prefix = await self.lookup(token)
        if len(self.known) >= self.size:  # made-up tokens must not grow it without end
            self.known.clear()
        self.known[digest] = (prefix, now + self.seconds)
        return prefix


async def client_of(scope: Scope, keys: LiveKeys) -> str:
    """The API key's public prefix when a live key is sent, else the client's IP address."""
    # Every line, as app.auth reads them: lines that differ name no key, as an invalid one
    # does (the IP's budget pays), and app.auth refuses the write with a 400.
    lines = [v.decode("latin-1") for name, v in scope["headers"] if name == b"authorization"]
    scheme, _, token = (single(lines) or "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        prefix = await keys.prefix(token)
        if prefix is not None:
            return "key:" + prefix
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


class InScope:
    """Puts the route a request matched in its scope, as FastAPI's routes do and
    Starlette's plain Route and Mount do not: logs and metrics name a request by that
    route's path, and would call /openapi.json `unmatched`, like a 404."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)  # type: ignore[misc]
        if match != Match.NONE:
            child_scope["route"] = self
        return match, child_scope


class ScopedRoute(InScope, Route):
    pass


class ScopedMount(InScope, Mount):
    pass


def scope_plain_routes(routes: list[BaseRoute]) -> None:
    """Make the plain Starlette routes among `routes` (FastAPI's /openapi.json, a mount of
    static files) put themselves in the scope."""
    for i, route in enumerate(routes):
        if type(route) is Route:
            routes[i] = ScopedRoute(
                route.path,
                route.endpoint,
                methods=list(route.methods or ()),
                name=route.name,
                include_in_schema=route.include_in_schema,
            )
        elif type(route) is Mount:
            routes[i] = ScopedMount(route.path, app=route.app, name=route.name)


class Refusal(NamedTuple):
    """A problem OperationsMiddleware decides on before the app runs (send_problem's)."""

    status: int
    kind: str
    title: str
    detail: str
    instance: str | None = None
    headers: list[Any] | None = None


REFUSAL = "tradestats.refusal"  # the scope key that carries one to Refusals


class Refusals:
    """Answers from inside the CORS middleware, so that a site on another origin can read
    the answer (a browser hides one without CORS headers from it):

    - the Refusal OperationsMiddleware put in the scope, such as a 429 and its Retry-After;
    - the 500 of an exception no handler took. Starlette's ServerErrorMiddleware, outside
      every middleware, would send it bare: no CORS headers, no X-Request-ID to find its
      log line by, no nosniff. The exception goes on up, for that middleware to log; it
      sends nothing once an answer has started.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = scope.get(REFUSAL)
        if refusal is not None:
            await send_problem(send, *refusal)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception:
            if not started:
                problem = internal_error()
                await send_problem(
                    send, problem.status, problem.kind, problem.title, problem.detail, scope["path"]
                )
            raise


class OperationsMiddleware:
    def __init__(
        self, app: ASGIApp, limiter: RateLimiter | SharedRateLimiter | None, keys: LiveKeys
    ) -> None:
        self.app, self.keys = app, keys
        self.metered = limiter is not None
        # Counted in this process, or in Redis, which is awaited.
        self.local = limiter if isinstance(limiter, RateLimiter) else None
        self.shared = limiter if isinstance(limiter, SharedRateLimiter) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        sent_id = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = sent_id if REQUEST_ID.fullmatch(sent_id) else uuid.uuid4().hex
        extra = [(b"x-request-id", request_id.encode()), NOSNIFF]
        status = 500

        verdict = None
        # The path holds the root path a proxy serves the app under (uvicorn's --root-path):
        # /stats/healthz is a health check too.
        if self.metered and scope["path"].removeprefix(root_path(scope)) not in UNMETERED:
            kind = "read" if scope["method"] in READ_METHODS else "write"
            try:
                client = await client_of(scope, self.keys)
                if self.local:
                    verdict = self.local.check(client, kind)
                elif self.shared:
                    verdict = await self.shared.check(client, kind)
            except Exception as exc:
                log.warning("rate limiter unavailable: %s", exc.__class__.__name__)
            if verdict is not None:
                extra += [
                    (b"ratelimit-limit", str(verdict.limit).encode()),
                    (b"ratelimit-remaining", str(verdict.remaining).encode()),
                    (b"ratelimit-reset", str(verdict.reset).encode()),
                ]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = headers + [h for h in extra if h[0] not in present]
            await send(message)

        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if url_bytes > MAX_URL_BYTES:
            scope[REFUSAL] = Refusal(414, "uri-too-long", URI_TOO_LONG, URL_TOO_LONG)
        elif verdict is not None and not verdict.allowed:
            scope[REFUSAL] = Refusal(
                429,
                "too-many-requests",
                "Too many requests",
                budget_spent(verdict.reset),
                scope["path"],
                [(b"retry-after", str(verdict.reset).encode())],
            )
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            count_request(scope["method"], route, status, elapsed)
            if log.isEnabledFor(logging.INFO):  # the record is built only to be written
                log.info(
                    {
                        "event": "request",
                        "request_id": request_id,
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                        "client": (scope.get("client") or ("-",))[0],
                    }
                )


async def send_problem(
    send: Send,
    status: int,
    kind: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: list[Any] | None = None,
) -> None:
    """A problem answered before the app sees the request (so without its handlers).

    `instance` is left out when the path itself is the problem: it may be huge."""
    body = problem_bytes(status, kind, title, detail, instance)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HeadAsGet:
    """HEAD wherever GET is served (RFC 9110, 9.3.2): the GET's status and headers, and no
    body. FastAPI's routes answer only the methods they declare, so HEAD was a 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b""})

        # A copy: uvicorn reads the method from the scope it made as the body goes out, and
        # would wait for a GET's body. What the router notes there (the route matched, for
        # the log and metrics) is copied back.
        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, headers_only)
        finally:
            scope.update({key: value for key, value in as_get.items() if key != "method"})


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, but a refused preflight is a problem like every other error, not
    its text/plain "Disallowed CORS method": the detail says what was refused and how to
    allow it. The CORS headers Starlette puts on the refusal stay."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                response = self.preflight_response(request_headers=headers)
                if response.status_code == 400:
                    response = self.refusal(response, headers, scope["path"])
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def refusal(self, refused: Response, request_headers: Headers, path: str) -> Response:
        reasons = []
        origin = request_headers["origin"]
        if not self.is_allowed_origin(origin):
            reasons.append(
                f"the origin {origin} is not allowed: the server's CORS_ALLOW_ORIGINS "
                "setting lists the origins it allows"
            )
        method = request_headers["access-control-request-method"]
        if method not in self.allow_methods:
            reasons.append(
                f"the method {method} is not allowed cross-origin, only "
                f"{', '.join(self.allow_methods)}: the server's CORS_ALLOW_METHODS "
                "setting lists the methods it allows"
            )
        requested = request_headers.get("access-control-request-headers")
        if requested is not None and not self.allow_all_headers:
            names = [name.strip() for name in requested.split(",")]
            unread = [name or '""' for name in names if name.lower() not in self.allow_headers]
            if unread:
                allowed = refused.headers.get("access-control-allow-headers", "none")
                reasons.append(
                    f"the headers {', '.join(unread)} are not allowed: send only {allowed}, "
                    "the headers this API reads"
                )
        private_network = "access-control-request-private-network" in request_headers
        if private_network and not self.allow_private_network:
            reasons.append("requests from public sites to a private network are not allowed")
        detail = (
            "This cross-origin request is refused: " + "; ".join(reasons) + "."
            if reasons
            else bytes(refused.body).decode("utf-8", "replace")
        )
        headers = {
            name: value
            for name, value in refused.headers.items()
            if name not in ("content-type", "content-length")
        }
        body = problem_bytes(400, "cors-refused", "Cross-origin request refused", detail, path)
        return Response(body, 400, headers, media_type=PROBLEM_MEDIA_TYPE)


class GZipUnlessStrongTag(GZipMiddleware):
    """gzip when asked, except a response with a strong ETag (one item's revision). A
    strong tag names one representation byte for byte: gzipped bytes under the same tag
    would let a cache holding both pick the wrong one (RFC 9110, 8.8.3). Items are small;
    lists and series, the large answers, carry weak tags and are still compressed."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        responder: IdentityResponder | GZipResponder
        if accepts_gzip(listed(Headers(scope=scope), "accept-encoding") or ""):
            responder = _GZipUnlessStrongTag(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
        else:
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=self.exclude_content_types
            )

        async def send_varied_once(message: Message) -> None:
            if message["type"] == "http.response.start":
                _vary_once(message)
            await send(message)

        await responder(scope, receive, send_varied_once)


_QVALUE = re.compile(r"q=(0(\.[0-9]{0,3})?|1(\.0{0,3})?)", re.IGNORECASE)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether the client named gzip with a weight above 0 (RFC 9110, 12.5.3): `gzip;q=0`
    refuses it. A weight that is not one (`q=abc`) counts as 0, for the plain body is
    never wrong."""
    accept_encoding = accept_encoding.lower()
    if "gzip" not in accept_encoding:
        return False
    for coding in accept_encoding.split(","):
        name, _, weight = coding.partition(";")
        if name.strip() == "gzip":
            weight = weight.strip()
            if not weight:
                return True
            matched = _QVALUE.fullmatch(weight.replace(" ", ""))
            return matched is not None and float(matched[1]) > 0
    return False


class _GZipUnlessStrongTag(GZipResponder):
    async def send_with_compression(self, message: Message) -> None:
        await super().send_with_compression(message)
        if message["type"] != "http.response.start":
            return
        passed_on = self.content_encoding_set or self.partial_response
        etag = Headers(raw=message["headers"]).get("etag", "")
        if etag.startswith('"') and not (passed_on or self.content_type_is_excluded):
            self.content_encoding_set = True  # what Starlette passes on as it is, from now
            await self.send(message)


def _vary_once(message: Message) -> None:
    """Starlette adds Accept-Encoding to a Vary that a weakly tagged read already lists,
    whether it compresses or not. It adds it to a large or streamed answer that it leaves
    plain too, a strongly tagged item's among them: that one is never gzipped, so it does
    not vary by Accept-Encoding, and its 304 (and its 200 to a client taking gzip) must
    not name it either."""
    headers = MutableHeaders(raw=message["headers"])
    names = [name.strip() for line in headers.getlist("vary") for name in line.split(",")]
    once = list(dict.fromkeys(names))
    if headers.get("etag", "").startswith('"'):
        once = [name for name in once if name.lower() != "accept-encoding"]
    if once and once != names:
        headers["vary"] = ", ".join(once)
    elif not once and names:
        del headers["vary"]
