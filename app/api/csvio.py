"""CSV responses: streamed row by row, so memory stays flat however many rows there are.

Text cells that a spreadsheet would run as a formula (=, +, -, @, tab or CR first) are
prefixed with an apostrophe (OWASP's advice); the importer strips it again, so an export still
imports unchanged. Text that already starts with apostrophes before a formula character
gets one more, so that stripping one gives back exactly what was stored.
"""

import csv
import io
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from typing import Any

from fastapi.responses import StreamingResponse
from starlette.datastructures import Headers

from app.api.headers import listed
from app.schemas import _rfc3339

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def neutralise(text: str) -> str:
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """The importer's inverse of `neutralise`."""
    return (
        text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS) else text
    )


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # digits as published: 375.20 stays 375.20
    if isinstance(value, datetime):
        return _time_cell(value)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value) if isinstance(value, str) else value


@lru_cache(maxsize=256)
def _time_cell(value: datetime) -> str:
    """Rows of one import share their times, so each is formatted once."""
    return _rfc3339(value)


def csv_writer(out: Any) -> Any:
    """RFC 4180's CRLF line ends: csv quotes only cells holding a character of the line
    end, so with "\n" alone a cell holding a bare CR would be written unquoted and split
    its row in two for any reader."""
    return csv.writer(out, lineterminator="\r\n")


Cells = Callable[[Sequence[Any]], list[Any]]  # a row's values -> its CSV cells


def every_cell(row: Sequence[Any]) -> list[Any]:
    return [cell(value) for value in row]


def cells_except(columns: Sequence[str], verbatim: Collection[str]) -> Cells:
    """`every_cell`, skipping the columns in `verbatim`: ints and nulls, which the csv
    module writes itself, numbers already in their digits, and codes from a closed
    vocabulary, which can never start like a formula. In an export of many rows, `cell`
    on every value was most of the time."""
    converted = [i for i, column in enumerate(columns) if column not in verbatim]

    def cells(row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for i in converted:
            out[i] = cell(out[i])
        return out

    return cells


CHUNK_ROWS = 2000  # rows sent at a time, not a line at a time


def stream_csv(
    header: Iterable[str],
    rows: Iterable[Sequence[Any]],
    filename: str,
    cells: Cells = every_cell,
) -> StreamingResponse:
    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        writer.writerow(header)
        yield buffer.getvalue()  # at once: the first byte need not wait for a query
        remaining = iter(rows)
        while chunk := list(islice(remaining, CHUNK_ROWS)):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(map(cells, chunk))
            yield buffer.getvalue()

    return StreamingResponse(
        lines(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def wants_csv(format_: str | None, headers: Headers) -> bool:
    """`?format=csv`, or an Accept header (every line of it) that prefers CSV to JSON
    (JSON on a tie)."""
    if format_ is not None:
        return format_ == "csv"
    accept = listed(headers, "accept")
    if not accept:
        return False
    accept = accept.lower()  # media types are case-insensitive
    if "/csv" not in accept and "text/*" not in accept:
        return False
    return _quality(accept, "text/csv") > _quality(accept, "application/json")


def _quality(accept: str, media_type: str) -> float:
    """The q-value an Accept header gives a media type: that of its most specific match
    (type/subtype, then type/*, then */*), or 0 if none matches (RFC 9110, 12.5.1)."""
    ranges = {media_type: 3, media_type.split("/")[0] + "/*": 2, "*/*": 1}
    specificity, quality = 0, 0.0
    for part in accept.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if ranges.get(name, 0) <= specificity:
            continue
        specificity, quality = ranges[name], 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
                if not 0 <= quality <= 1:  # NaN and out-of-range weights count as refusals
                    quality = 0.0
    return quality
