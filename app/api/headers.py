"""Request headers that hold lists (Accept, If-Match, Content-Encoding …), read whole."""

from starlette.datastructures import Headers


def listed(headers: Headers, name: str) -> str | None:
    """A list header sent on several lines, as the one comma-separated line it stands for
    (RFC 9110, 5.3): `If-Match: "1"` and `If-Match: "22"` together are `"1", "22"`."""
    values = headers.getlist(name)
    return ", ".join(values) if values else None
