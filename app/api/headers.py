"""Request headers that hold lists (Accept, If-Match, Content-Encoding …), read whole, and
those that hold one value (Content-Type, Authorization), read once."""

from starlette.datastructures import Headers

from app.errors import ProblemException


def listed(headers: Headers, name: str) -> str | None:
    """A list header sent on several lines, as the one comma-separated line it stands for
    (RFC 9110, 5.3): `If-Match: "1"` and `If-Match: "22"` together are `"1", "22"`."""
    values = headers.getlist(name)
    return ", ".join(values) if values else None


def single(lines: list[str]) -> str | None:
    """The value of a header that is no list (RFC 9110, 5.3), from its lines: "" when none
    was sent, None when they differ. The same line twice says one thing, as h11 takes a
    repeated equal Content-Length."""
    if len(lines) < 2:  # as nearly every request sends it: nothing to compare
        return lines[0].strip() if lines else ""
    values = {line.strip() for line in lines}
    return values.pop() if len(values) == 1 else None


def one_value(headers: Headers, name: str, why: str, *, show: bool = True) -> str:
    """`single`, or a 400 when the lines differ: either may have been meant, as with a
    name repeated in a JSON object. `why` ends the detail; `show=False` keeps the lines
    out of it (an API key is never written back)."""
    lines = headers.getlist(name)
    value = single(lines)
    if value is not None:
        return value
    if show:
        sent = "as " + " and as ".join(f"“{line}”" for line in dict.fromkeys(map(str.strip, lines)))
    else:
        sent = "on lines that differ"
    raise ProblemException(
        400,
        "conflicting-headers",
        "Conflicting headers",
        f"{name} is sent {sent}: send one, {why}.",
    )
