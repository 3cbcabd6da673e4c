"""Requests too malformed to reach the app still get a problem, not uvicorn's plain text.

uvicorn answers a request it cannot parse (a bad request line, a header without a colon,
control bytes in the target) with its own `text/plain` 400 before any ASGI code runs, and
no middleware sees it. Its protocol classes expose that answer as `send_400_response`, so
`install()` replaces it in both of them (httptools, which uvicorn picks when installed, and
h11) with the same problem document and headers every other error has.
"""

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.errors import PROBLEM_MEDIA_TYPE, URI_TOO_LONG, problem_bytes
from app.middleware import MAX_URL_BYTES, NOSNIFF, URL_TOO_LONG

BAD_REQUEST = problem_bytes(
    400,
    "bad-request",
    "Bad request",
    "The request is not valid HTTP/1.1: its request line or a header could not be parsed. "
    "Percent-encode bytes outside ASCII in the path and query.",
)
# The same 414 app.middleware answers: httptools gives up on a request line of about
# 64 kB with a parse error, before any ASGI code could count its bytes.
TOO_LONG = problem_bytes(414, "uri-too-long", URI_TOO_LONG, URL_TOO_LONG)


def _send_problem_400(protocol: H11Protocol | HttpToolsProtocol, msg: str) -> None:
    """Write the 400 (or the 414 of an overlong URL) and close: after a parse error the
    connection cannot be trusted."""
    too_long = len(getattr(protocol, "url", b"")) > MAX_URL_BYTES  # httptools reads it so far
    status, body = (
        (b"414 Request-URI Too Long", TOO_LONG) if too_long else (b"400 Bad Request", BAD_REQUEST)
    )
    head = [b"HTTP/1.1 " + status]
    head += [name + b": " + value for name, value in protocol.server_state.default_headers]
    head += [
        b"content-type: " + PROBLEM_MEDIA_TYPE.encode(),
        b"content-length: " + str(len(body)).encode(),
        b": ".join(NOSNIFF),
        b"connection: close",
    ]
    protocol.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
    protocol.transport.close()


def install() -> None:
    for protocol in (H11Protocol, HttpToolsProtocol):
        protocol.send_400_response = _send_problem_400  # type: ignore[method-assign, assignment]
