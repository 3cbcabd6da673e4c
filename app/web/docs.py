"""Swagger UI and ReDoc from this service's own files, so they work with no network.

FastAPI's defaults load both from a CDN. The files come from the fastapi-offline package
(Swagger UI 5, which reads OpenAPI 3.1, and the ReDoc standalone bundle, less the one image
it loads from elsewhere), served with FastAPI's recipe for self-hosted docs.
"""

import hashlib
import os
import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import NotModifiedResponse, PathLike
from starlette.types import Message, Receive, Scope, Send

from app.api.caching import CACHE_CONTROL
from app.api.paths import root_path
from app.web.headers import security_headers, source_hash

STATIC = "/static/docs"
REDOC_JS = "redoc.standalone.js"
# ReDoc's side menu shows Redocly's logo from their CDN, and no option leaves it out: the
# page's policy blocked it (an error in the console). The bundle is sent without it.
CDN_LOGO = re.compile(rb'\w+\.createElement\("img",\{[^{}]*"https://cdn\.redoc\.ly/[^"]*"\}\)')
router = APIRouter(include_in_schema=False)


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    """Scripts from this origin and the page's own inline script; fetches to this origin."""
    inline = re.findall(r"<script>(.*?)</script>", bytes(page.body).decode(), re.DOTALL)
    page.headers.update(
        security_headers(
            "default-src 'none'",
            " ".join(["script-src 'self'", *map(source_hash, inline)]),
            "style-src 'self' 'unsafe-inline'",  # both UIs set styles at run time
            "img-src 'self' data: blob:",  # blob: shows image responses in Try it out
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src blob:",  # ReDoc searches in a worker
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    return page


def _urls(request: Request) -> tuple[str, str]:
    """The OpenAPI document and the static files, behind any proxy prefix."""
    root = root_path(request.scope)
    return root + request.app.openapi_url, root + STATIC


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    openapi, static = _urls(request)
    return _with_policy(
        get_swagger_ui_html(
            openapi_url=openapi,
            title=f"{request.app.title}: API docs",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon.png",
            swagger_ui_parameters=request.app.swagger_ui_parameters,
        )
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    openapi, static = _urls(request)
    page = get_redoc_html(
        openapi_url=openapi,
        title=f"{request.app.title}: API reference",
        redoc_js_url=f"{static}/{REDOC_JS}",
        redoc_favicon_url=f"{static}/favicon.png",
        with_google_fonts=False,
    )
    # Every country parameter lists ~500 accepted codes; showing a few (with "show more")
    # keeps the page quick to render.
    html = bytes(page.body).replace(b"<redoc ", b'<redoc max-displayed-enum-values="8" ', 1)
    return _with_policy(HTMLResponse(html))


@router.get("/favicon.ico")
def favicon(request: Request) -> RedirectResponse:
    """Where a browser looks for an icon on a page without one (any JSON it shows): the
    one the HTML pages name, rather than a 404 in its console."""
    _, static = _urls(request)
    return RedirectResponse(f"{static}/favicon.png", status_code=301)


class WholeFiles(StaticFiles):
    """Files sent whole: a Range is ignored, as RFC 9110 (14.2) allows. Starlette answers an
    unknown unit (which must be ignored) or a bad range with a text/plain 400 or 416, which
    no other error here is; the docs page never asks for part of a file. Each is sent
    `no-cache`, as the API's reads are: with none, a browser keeps a file as fresh for a
    tenth of its age, so an old Swagger bundle for days after an upgrade."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            unranged = [(k, v) for k, v in scope["headers"] if k not in (b"range", b"if-range")]
            scope = {**scope, "headers": unranged}

        async def send_whole(message: Message) -> None:
            if message["type"] == "http.response.start":  # no ranges offered, then
                message["headers"] = [
                    *((k, v) for k, v in message["headers"] if k != b"accept-ranges"),
                    (b"cache-control", CACHE_CONTROL.encode()),
                ]
            await send(message)

        await super().__call__(scope, receive, send_whole)

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        if Path(full_path).name != REDOC_JS:
            return super().file_response(full_path, stat_result, scope, status_code)
        body, etag = _without_cdn_logo(str(full_path))
        # No Last-Modified: the file's date says nothing of what is taken out of it.
        response = Response(body, status_code, {"etag": etag}, media_type="text/javascript")
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


@cache
def _without_cdn_logo(path: str) -> tuple[bytes, str]:
    """ReDoc's bundle with the logo dropped (the element becomes null), and its ETag."""
    body = CDN_LOGO.sub(b"null", Path(path).read_bytes())
    return body, f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc; create the app with docs_url=None and redoc_url=None."""
    app.mount(STATIC, WholeFiles(packages=[("fastapi_offline", "static")]), name="docs-static")
    app.include_router(router)
