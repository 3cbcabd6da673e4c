"""Before anything is timed: both systems must answer each query with the same rows."""

import csv
import io
import json
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from typing import Any

from bench.config import Endpoint, Query

Row = tuple[str, ...]


def url(base: str, endpoint: Endpoint, values: dict[str, str]) -> str:
    """The endpoint's URL with the dataset's values in its placeholders."""
    params = {k: v.format(**values) for k, v in endpoint.params.items()}
    query = urllib.parse.urlencode(params)
    return f"{base}{endpoint.path.format(**values)}" + (f"?{query}" if query else "")


def fetch(address: str) -> bytes:
    with urllib.request.urlopen(address, timeout=300) as response:
        body: bytes = response.read()
        return body


def _canonical(value: Any) -> str:
    """Numbers compared as decimals (125.0 and "125.0" agree), anything else as text."""
    try:
        return str(Decimal(str(value)).normalize())
    except InvalidOperation:
        return str(value)


def rows(body: bytes, endpoint: Endpoint, csv_body: bool) -> list[Row]:
    """The compared fields of every row of an answer, sorted."""
    if csv_body:
        records: list[Any] = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    else:
        data = json.loads(body, parse_float=Decimal)
        records = data if endpoint.rows_at is None else data[endpoint.rows_at]
    return sorted(tuple(_canonical(r[f]) for f in endpoint.fields) for r in records)


def difference(ours: list[Row], theirs: list[Row]) -> str | None:
    """None when the two row lists agree; otherwise what differs, briefly."""
    if ours == theirs:
        return None
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    return (
        f"{len(ours)} rows against {len(theirs)}; "
        f"only tradestats: {only_ours[:3]}; only Datasette: {only_theirs[:3]}"
    )


def check(query: Query, bases: tuple[str, str], values: dict[str, str]) -> int:
    """Rows both systems return for the query; raises when they differ or are none."""
    answers = [
        rows(fetch(url(base, endpoint, values)), endpoint, query.csv)
        for base, endpoint in zip(bases, (query.tradestats, query.datasette), strict=True)
    ]
    problem = difference(*answers)
    if problem is None and not answers[0]:
        problem = "both answered with no rows: the query tests nothing"
    if problem:
        raise Disagreement(f"{query.name}: {problem}")
    return len(answers[0])


class Disagreement(Exception):
    pass
