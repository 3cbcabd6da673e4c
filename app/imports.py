"""Bulk import of observations from CSV or JSON: all rows or none, upserted, revisioned.

Each row is validated as a POST body would be (app/inputs.py), and its errors are
reported with where it is: a CSV row by its line ("line 3"), a JSON one by its place in
the array ("observation 3"; a JSON body may be all one line). A valid file is applied in
one transaction: new figures are created, changed ones updated, identical ones left
alone, so importing the same file twice changes nothing and writes no revisions.

CSV columns (a header row is required; order is free): IMPORT_COLUMNS. The export
columns of `GET /v1/observations?format=csv` are these plus EXPORT_ONLY, which are
ignored here, so an export imports again unchanged; but a `status` other than reported
(or empty) is refused, for stored figures are all reported (rowcheck.with_status).
"""

import codecs
import csv
import io
import json
import logging
import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import chain, compress, islice, repeat
from operator import attrgetter, getitem, itemgetter
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import Field, create_model
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from app.api.body import DECODING, RepeatedName, malformed_json, no_nul, parse_json
from app.api.csvio import restore
from app.api.deps import WHOLE_NUMBER
from app.db import lock_for_write
from app.errors import FieldError, ProblemException, conflict
from app.inputs import (
    FIRST_YEAR,
    MAX_WHOLE_DIGITS,
    ObservationCreate,
    counted,
    latest_year,
    whole,
)
from app.models import (
    Observation,
    ObservationRevision,
    RevisionAction,
    Source,
    as_utc,
    utcnow,
)
from app.rowcheck import (
    COLUMNS,
    DEFAULTS,
    FIELDS,
    STATUS_TAKEN,
    Problem,
    Rules,
    check_values,
    join_columns,
    plain_values,
    with_status,
)
from app.versioning import HISTORY

log = logging.getLogger("tradestats")
IMPORT_COLUMNS = FIELDS  # what a row of an import holds, in the order problems are listed
COLUMN_LIST = ", ".join(IMPORT_COLUMNS)
EXPORT_ONLY = ("id", "status", "created_at", "updated_at")
STATUS = "status"  # the one export column read: what it says must be true of a stored figure
IGNORED = frozenset(EXPORT_ONLY) - {STATUS}  # what a JSON row drops
# A JSON import's row, as OpenAPI documents it: a POST body, or a row of the JSON export.
_EXPORT_FIELDS: dict[str, Any] = {
    name: (Any, Field(default=None, description="Ignored: a column of the export."))
    if name != STATUS
    else (
        Literal["reported", ""] | None,
        Field(
            default=None,
            description="A column of the export, ignored when `reported`, empty or null. "
            "Any other (`derived`, `implied`) is refused: tradestats stores reported figures "
            "only, and derives or implies the others itself.",
        ),
    )
    for name in EXPORT_ONLY
}
ImportRow = create_model(
    "ImportRow",
    __base__=ObservationCreate,
    __doc__="An observation as `POST /v1/observations` takes it, or as `GET /v1/observations` "
    "gives it: the export's own fields are read and ignored, but for a `status` other than "
    "`reported`, which is refused.",
    **_EXPORT_FIELDS,
)

WHOLE_NUMBERS = ("year", "multiplier", "precision", "source_id", "publication_id")
KEY = ("reporter", "partner", "indicator", "year")
BATCH = 2000  # rows written at a time
CHUNK = 100  # rows read and checked at a time: few records alive at once, so few outlive a GC pass
PARAMETERS = 32766  # bound values per statement: SQLite's limit (PostgreSQL's is 65535)
# A 422 lists the problems of the first this many rows that have any, and checking stops
# at the next. A fault of the whole file (a wrong source, a shifted column) shows in its
# first rows as well as in all of them; typos are seldom a hundred; and the list stays one
# a person reads: 100 problems (9 kB) when each row has one, 1,100 (120 kB) when every
# field of every row is wrong.
MAX_BAD_ROWS = 100
# Problems listed at most: a CSV row has a dozen at most (a field has one, and fields taken
# together a few), so only JSON rows naming thousands of unknown fields are cut short.
MAX_ERRORS = 20 * MAX_BAD_ROWS


@dataclass
class ImportReport:
    rows: int = 0  # rows read: all of them, or those up to where checking stopped
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[FieldError] = field(default_factory=list)  # located by row: "line 3"
    problems: int = 0  # every problem found, though `errors` keeps only the first MAX_ERRORS
    bad_rows: int = 0  # the rows those problems are in
    stopped_at: str | None = None  # where checking stopped: a bad row past MAX_BAD_ROWS
    dry_run: bool = False

    def add_problems(self, place: str, errors: list[FieldError]) -> None:
        """A row's problems, at `place` (Rows.PLACE filled in: "line 3", "observation 3")."""
        self.problems += len(errors)
        self.bad_rows += 1
        kept = errors[: MAX_ERRORS - len(self.errors)]  # memory stays flat on a broken file
        self.errors += [FieldError(location=place, field=e.field, message=e.message) for e in kept]


class ImportFailed(ProblemException):
    def __init__(self, report: ImportReport) -> None:
        found = counted(report.problems, "problem")
        listed = len(report.errors)
        cut = f", the first {listed} listed" if listed < report.problems else ""
        if report.stopped_at is None:
            detail = f"{found} in {report.bad_rows} of {counted(report.rows, 'row')}{cut}; "
            detail += "nothing was imported."
        else:
            detail = (
                f"{found} in the first {report.bad_rows} rows with problems, of "
                f"{report.rows} rows checked{cut}; {report.stopped_at} has problems too, "
                "and checking stopped there: later rows were not checked. Nothing was "
                "imported: fix these and import again."
            )
        super().__init__(
            422,
            "import-invalid",
            "Invalid import",
            detail,
            report.errors,
            truncated=report.stopped_at is not None or listed < report.problems,
        )
        self.report = report


# ----------------------------------------------------------------------------- parsing


@dataclass
class Chunk:
    """Rows read together, by line (a JSON row's place in its array): when every row is
    valid (`results` is None), their `columns` (rowcheck.COLUMNS, one sequence each); else
    each row's `results`, its column values or its problems."""

    lines: Sequence[int]
    columns: list[Sequence[Any]] | None = None
    results: list[tuple[Any, ...] | list[FieldError]] | None = None


class CsvRows:
    """The rows of a CSV import. Iterating gives (line number, row) pairs, with cells as
    the types a JSON body would carry; `checked` gives Chunks of rows checked as
    check_values would, but column by column, each field's rule seeing each distinct cell
    once. `source` is the whole text, or lines (a text stream opened with newline="")."""

    PLACE = "line {}"  # where a row's problems are: its physical line in the file
    REPEAT = "repeats the figure on line {}"

    def __init__(self, source: str | Iterable[str]) -> None:
        self.source = source

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        reader, header = self._open()
        columns = _CsvColumns(header)
        with _readable(reader):
            for record in reader:
                if record:  # blank lines are skipped
                    yield reader.line_num, columns.row(record)

    def checked(self, rules: Rules, size: int) -> Iterator[Chunk]:
        """Chunks of up to `size` rows."""
        reader, header = self._open()
        columns = _CsvColumns(header, rules)
        # Each record with the line it ends on, read without a Python loop.
        records = zip(reader, map(attrgetter("line_num"), repeat(reader)), strict=False)
        with _readable(reader):
            while True:
                chunk: list[tuple[list[str], int]] = []
                read = reader.line_num  # the line the rows read so far end on
                try:
                    chunk.extend(islice(records, size))  # keeps the records read before an error
                except csv.Error as exc:
                    if chunk:  # the rows before the unreadable one go first
                        yield columns.checked(chunk)
                    if str(exc) != _END_IN_QUOTE:
                        raise
                    # A row, not the file, is broken: reported with the line it starts on.
                    start = (chunk[-1][1] if chunk else read) + 1
                    yield Chunk([start], results=[_QUOTE_LEFT_OPEN])
                    return
                if not chunk:
                    return
                yield columns.checked(chunk)

    def _open(self) -> tuple[Any, list[str]]:
        source = self.source
        # strict: a quote left open is an error, not a cell that takes in the rest of the file.
        reader = csv.reader(
            io.StringIO(source, newline="") if isinstance(source, str) else source, strict=True
        )
        with _readable(reader):
            header = next(reader, [])
        _usable_columns(header)
        return reader, header


class _CsvColumns:
    """How one CSV file's columns are read: cells to JSON values (_Cells), and with the
    import's rules, checked (each field's rule applied to the last column of its name)."""

    def __init__(self, header: list[str], rules: Rules | None = None) -> None:
        self.width = len(header)
        self.kept = [i for i, name in enumerate(header) if name in IMPORT_COLUMNS]
        self.names = [header[i] for i in self.kept]
        self.cells = [_column(name) for name in self.names]
        self.pick = itemgetter(*self.kept)
        if rules is None:
            return
        self.rules = rules
        self.status = header.index(STATUS) if STATUS in header else None
        self.tally = _Tally()
        last = {name: i for i, name in enumerate(self.names)}  # a repeated column: the last
        self.checks = [
            _column(name, rules.each[FIELDS.index(name)], self.tally) if last[name] == i else cells
            for i, (name, cells) in enumerate(zip(self.names, self.cells, strict=True))
        ]
        self.defaults = {name: DEFAULTS[name] for name in FIELDS if name not in last}
        # A row's fields (FIELDS order) from its checked cells and the defaults after them.
        place = last | {name: len(self.names) + i for i, name in enumerate(self.defaults)}
        self.arrange = itemgetter(*(place[name] for name in FIELDS))

    def row(self, record: list[str]) -> dict[str, Any]:
        """A record as a JSON object would hold it (a short record lacks its last columns)."""
        if len(record) >= self.width:  # the usual case, without a loop in Python
            converted = map(getitem, self.cells, self.pick(record))
            return dict(zip(self.names, converted, strict=True))
        columns = zip(self.kept, self.names, self.cells, strict=True)
        return {name: cells[record[i]] for i, name, cells in columns if i < len(record)}

    def checked(self, chunk: list[tuple[list[str], int]]) -> Chunk:
        """The rows of these (record, line) pairs checked; blank records are skipped."""
        records, lines = zip(*chunk, strict=True)
        if list(map(len, records)).count(self.width) != len(records):  # blank, short or long
            return self._checked_one_by_one(chunk)
        texts = list(zip(*records, strict=True))  # column by column
        found: dict[str, list[Any]] = {}
        for i, name, check in zip(self.kept, self.names, self.checks, strict=True):
            # A repeated column is read every time, and its last reading counts.
            plain = plain_values(texts[i]) if name == "value" and check.rule else None
            found[name] = plain or list(map(getitem, repeat(check), texts[i]))
        n = len(records)
        fields: list[Sequence[Any]] = [
            found[name] if name in found else [self.defaults[name]] * n for name in FIELDS
        ]
        # Usually no status column, or one all `reported`: one set test for the chunk.
        status = () if self.status is None else texts[self.status]
        taken = STATUS_TAKEN.issuperset(status)
        columns = None if self.tally.problems or not taken else join_columns(fields)
        if columns is not None:
            return Chunk(lines, columns)
        self.tally.problems = 0  # a field's problem, or fields to check together: row by row
        results = list(map(self.rules.finish, zip(*fields, strict=True)))
        return Chunk(lines, results=results if taken else list(map(with_status, results, status)))

    def _checked_one_by_one(self, chunk: list[tuple[list[str], int]]) -> Chunk:
        lines, results = [], []
        defaults = tuple(self.defaults.values())
        for record, line in chunk:
            if len(record) == self.width:
                found = (*map(getitem, self.checks, self.pick(record)), *defaults)
                result = self.rules.finish(self.arrange(found))
                status = None if self.status is None else record[self.status]
                results.append(with_status(result, status))
            elif record:  # rows joined or split by a lost or stray line end: cells would shift
                message = f"has {counted(len(record), 'cell')}; the header has {self.width}"
                results.append([FieldError(location="body", field="row", message=message)])
            else:
                continue  # a blank line
            lines.append(line)
        self.tally.problems = 0
        return Chunk(lines, results=results)


@contextmanager
def _readable(reader: Any) -> Iterator[None]:
    """A CSV the reader cannot read is a 400 naming the line."""
    try:
        yield
    except csv.Error as exc:
        raise ProblemException(
            400,
            "malformed-import",
            "Malformed import",
            f"The CSV cannot be read at line {reader.line_num}: {exc}. Columns: {COLUMN_LIST}.",
        ) from exc


def csv_rows(source: str | Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs; CSV cells become the types a JSON body would carry."""
    return iter(CsvRows(source))


def _usable_columns(header: list[str]) -> None:
    """A 422 when the header cannot be imported."""
    unknown = [c for c in header if c not in IMPORT_COLUMNS and c not in EXPORT_ONLY]
    missing = [
        c
        for c in ("reporter", "partner", "indicator", "year", "value", "source_id", "quote")
        if c not in header
    ]
    # A column named twice: which of its cells is meant would be a guess.
    read = (*IMPORT_COLUMNS, STATUS)
    repeated = sorted(c for c, n in Counter(header).items() if n > 1 and c in read)
    if unknown or missing or repeated:
        # Name ten at most: a hostile header may hold millions.
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        problems = ([f"unknown columns: {', '.join(unknown[:10])}{more}"] if unknown else []) + (
            [f"missing columns: {', '.join(missing)}"] if missing else []
        )
        problems += [f"columns named twice: {', '.join(repeated)}"] if repeated else []
        # Listed field by field too, as a row's problems are: the header is line 1.
        errors = [
            FieldError(location=CsvRows.PLACE.format(1), field=column, message=message)
            for columns, message in (
                (unknown[:10], f"is not a column; the columns are {COLUMN_LIST}"),
                (missing, "is a required column, missing"),
                (repeated, "is named twice"),
            )
            for column in columns
        ]
        raise ProblemException(
            422,
            "import-invalid",
            "Invalid import",
            "The CSV header is not usable: " + "; ".join(problems) + f". Columns: {COLUMN_LIST}.",
            errors,
            truncated=len(unknown) > 10,
        )


_INTEGER_COLUMNS = ("year", "multiplier", "precision", "source_id", "publication_id")
# A number as JSON writes it, in ASCII digits (leading zeros allowed, as in query
# parameters): Decimal and int would also read `+1`, `1_000`, ` 1`, `.5` and `١٢٣`.
DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_END_IN_QUOTE = "unexpected end of data"  # what a strict csv.reader says of a quote left open
_QUOTE_LEFT_OPEN = [
    FieldError(
        location="body",
        field="row",
        message="has an unterminated quoted cell, which would take in the rest of the file",
    )
]
CELL_MEMORY = 4096  # distinct cells remembered per column


class _Tally:
    """How many Problems the rules found in a chunk's cells."""

    problems = 0


class _Cells(dict[str, Any]):
    """One column's cells as the JSON values they stand for, or with the field's rule,
    as what the rule makes of those. Most cells repeat (codes, years, sources), so each
    distinct one is converted once, up to CELL_MEMORY of them. A Problem is never kept
    but counted in `tally`, so a row's cells are known good without looking at each."""

    def __init__(
        self, column: str, rule: Callable[[Any], Any] | None = None, tally: _Tally | None = None
    ) -> None:
        super().__init__()
        self.column = column
        self.rule = rule
        self.tally = tally or _Tally()

    def __missing__(self, text: str) -> Any:
        value = self.check(_cell(self.column, text))
        if len(self) < CELL_MEMORY and type(value) is not Problem:
            self[text] = value
        return value

    def check(self, value: Any) -> Any:
        if self.rule is None:
            return value
        value = self.rule(value)
        if type(value) is Problem:
            self.tally.problems += 1
        return value


class _Numbers(_Cells):
    """The value column's cells: numbers seldom repeat, so each is read as met, none kept."""

    def __getitem__(self, text: str) -> Any:
        return self.check(_number(text) if text[:1] in _NUMBER_STARTS else _cell("value", text))


def _column(
    name: str, rule: Callable[[Any], Any] | None = None, tally: _Tally | None = None
) -> _Cells:
    return (_Numbers if name == "value" else _Cells)(name, rule, tally)


_NUMBER_STARTS = frozenset("-0123456789")


def _cell(column: str, text: str) -> Any:
    """A CSV cell as the JSON value it stands for; what cannot be read stays text. An
    empty cell is the field's default (USD, millions), as a column left out is."""
    if text == "":
        return DEFAULTS.get(column)
    text = restore(text)
    # Longer digit strings stay text (int() refuses over 4,300 digits): the rule refuses them.
    if (
        column in _INTEGER_COLUMNS
        and len(text) <= MAX_WHOLE_DIGITS
        and WHOLE_NUMBER.fullmatch(text)
    ):
        return int(text)
    if column == "value":
        return _number(text)
    return text


def _number(text: str) -> Decimal | str:
    """A finite number, or the text: the validator names the problem."""
    if not DECIMAL.fullmatch(text):
        return text
    try:
        return Decimal(text)
    except InvalidOperation:  # an exponent beyond Decimal's reach
        return text


def json_rows(body: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows from `[...]` or `{"observations": [...]}`, numbered by place in the array from 1.
    The body is parsed now, not as the rows are taken: before an import takes the write
    lock, which other writers would wait for while a large body is parsed."""
    data = parse_json(body)
    if isinstance(data, dict) and set(data) == {"observations"}:
        data = data["observations"]
    if not isinstance(data, list):
        raise ProblemException(
            400,
            "malformed-import",
            "Malformed import",
            'A JSON import is an array of observations, or {"observations": [...]}.',
        )
    return ((index, _json_row(row)) for index, row in enumerate(data, start=1))


def _json_row(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        return {"__row__": row}
    for key in WHOLE_NUMBERS:  # 2023.0 is the integer 2023, as JSON Schema reads it
        if key in row:
            row[key] = whole(row[key])
    if IGNORED.isdisjoint(row):
        return row
    return {k: v for k, v in row.items() if k not in IGNORED}


JSON_CHUNK = 1 << 20  # characters read at a time
_DECODER = json.JSONDecoder(**DECODING)
_SPACE = re.compile(r"[ \t\n\r]*")


def json_array_rows(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    """json_rows for a stream holding a JSON array, decoded one element at a time, so
    a file of millions of rows never sits in memory whole."""
    text, at, offset, index = "", 0, 0, 0  # text[at] is character offset + at of the file

    def more() -> bool:  # at the end, the window stays: an error's place is in it
        nonlocal text, at, offset
        chunk = stream.read(JSON_CHUNK)
        if chunk:
            text, offset, at = text[at:] + chunk, offset + at, 0
        return chunk != ""

    def next_char() -> str:  # the next character that is not white space ("" at the end)
        nonlocal at
        while True:
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            if at < len(text) or not more():
                return text[at : at + 1]

    try:
        if next_char() != "[":
            raise ValueError("expected '['")
        at += 1
        if next_char() == "]":
            at += 1
        else:
            while True:
                next_char()
                try:  # an element is whole when `text` holds the separator after it
                    row, end = _DECODER.raw_decode(text, at)
                    stop = _SPACE.match(text, end).end()  # type: ignore[union-attr]
                    if text[stop : stop + 1] not in (",", "]"):
                        raise json.JSONDecodeError("expected ',' or ']'", text, stop)
                except json.JSONDecodeError:
                    if more():
                        continue
                    raise
                index += 1
                yield index, _json_row(no_nul(row))  # as parse_json checks a body
                at = stop + 1
                if text[stop] == "]":
                    break
        if next_char():
            raise ValueError(f"extra data at character {offset + at}")
    except RepeatedName as exc:
        raise malformed_json(f"Observation {index + 1}: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # bad UTF-8 and bad JSON are ValueErrors
        reason = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        if isinstance(exc, json.JSONDecodeError):
            reason = f"{exc.msg} at character {offset + exc.pos}"
        raise malformed_json(f"The body is not valid JSON: {reason}.") from exc


class DictRows:
    """Rows that arrive as dicts (a JSON import): each checked by check_values."""

    # Numbered by place in the array, from 1, not by line: a JSON body may be one line.
    PLACE = "observation {}"
    REPEAT = "repeats the figure in observation {}"

    def __init__(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
        self.rows = rows

    def checked(self, rules: Rules, size: int) -> Iterator[Chunk]:
        """Chunks of up to `size` rows, each checked by check_values."""
        rows = iter(self.rows)
        while chunk := list(islice(rows, size)):
            yield Chunk(
                [line for line, _ in chunk],
                results=[_checked_row(row, rules) for _, row in chunk],
            )


def _checked_row(row: dict[str, Any], rules: Rules) -> tuple[Any, ...] | list[FieldError]:
    if "__row__" in row:
        return NOT_AN_OBJECT
    status = row.pop(STATUS, None)  # not a field of a body: check_values would refuse it
    return with_status(check_values(row, rules), status)


Rows = CsvRows | DictRows
NOT_AN_OBJECT = [FieldError(location="body", field="row", message="must be a JSON object")]


def rows_from(body: bytes, media_type: str) -> Rows:
    if media_type == "text/csv":
        body = body.removeprefix(codecs.BOM_UTF8)  # so an error's offset is the body's
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(_where_not_utf8(body, exc.start)) from exc
        if (nul := text.find("\x00")) >= 0:
            raise _holds_nul(f" on line {_line_at(text[:nul])}")
        return CsvRows(text)
    return DictRows(json_rows(body))


def rows_from_file(path: Path, media_type: str) -> Rows:
    """rows_from for a file, read as the rows are taken (a JSON array, or CSV)."""
    if media_type == "text/csv":
        return CsvRows(_csv_lines(path))
    return DictRows(_json_file_rows(path))


def _csv_lines(path: Path) -> Iterator[str]:
    """A file's lines, split as _line_at counts them; a NUL refused with its line, as
    rows_from refuses one in a body."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        try:
            for line, text in enumerate(stream, start=1):
                if "\x00" in text:
                    raise _holds_nul(f" on line {line}")
                yield text
        except UnicodeDecodeError as exc:
            raise _not_utf8(_where_not_utf8_in(path)) from exc


# A byte that is not UTF-8, as errors="surrogateescape" decodes it (no UTF-8 gives these).
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _where_not_utf8_in(path: Path) -> str:
    """_where_not_utf8 for a file, read again a line at a time, its lines split as
    _csv_lines splits them (CR, LF or CRLF ends one), the bytes UTF-8 refuses escaped."""
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as stream:
        for line, text in enumerate(stream, start=1):
            if escaped := _ESCAPED_BYTE.search(text):
                return _holds_byte(line, ord(escaped.group()) - 0xDC00)
    return ""


def _json_file_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as peek:
        start = peek.read(JSON_CHUNK).removeprefix(codecs.BOM_UTF8)
        array = start.lstrip(b" \t\n\r").startswith(b"[")
    if not array:  # {"observations": [...]}, or not JSON at all
        yield from json_rows(path.read_bytes())
        return
    with path.open(encoding="utf-8-sig") as stream:  # a BOM ignored, as in a CSV
        yield from json_array_rows(stream)


def _not_utf8(where: str = "") -> ProblemException:
    detail = f"The CSV is not UTF-8{where}. Save it as UTF-8 and import it again."
    return ProblemException(400, "malformed-import", "Malformed import", detail)


def _where_not_utf8(body: bytes, start: int) -> str:
    """The line and the byte where the body stops being UTF-8 (all before it is)."""
    return _holds_byte(_line_at(body[:start].decode("utf-8")), body[start])


def _holds_byte(line: int, byte: int) -> str:
    return f": line {line} holds the byte 0x{byte:02X}, which UTF-8 does not allow there"


def _line_at(head: str) -> int:
    """The line that follows `head`, counted as CsvRows counts them: CR, LF or CRLF ends one."""
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def _holds_nul(where: str = "") -> ProblemException:
    """PostgreSQL cannot store NUL, so it is refused alike everywhere."""
    detail = f"The CSV holds a NUL character{where}."
    return ProblemException(400, "malformed-import", "Malformed import", detail)


# ----------------------------------------------------------------------------- applying


def import_observations(
    session: Session,
    rows: Rows,
    api_key_id: int | None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    precondition: Callable[[], None] | None = None,
) -> ImportReport:
    """Validate every row and apply them all in one transaction, or nothing.

    Rows stream through in batches: each valid batch is written at once, and the
    transaction is rolled back at the end on a dry run, so memory stays flat however long
    the file is. The first bad row rolls it back at once, letting the write lock go; later
    rows are then only checked, until more than MAX_BAD_ROWS rows have problems, and the
    import fails with those of the first MAX_BAD_ROWS (ImportFailed). `precondition` (a
    request's If-Match) runs before the first write, once the first rows are found valid
    (a body that is not is a 422 first), and raises to refuse."""
    report = ImportReport(dry_run=dry_run)
    lock_for_write(session)
    put_ids_back = _id_sequences(session)
    batches = _told(_checked_batches(rows, _rules(session), report), progress)
    try:
        with _larger_cache(session):  # put back before the commit or rollback, either way
            writer = _Writer(session, api_key_id, utcnow())
            for batch in batches:
                if report.problems:
                    break  # the import fails: nothing more is written
                if precondition:  # once, before anything is written
                    precondition()
                    precondition = None
                writer.apply(batch, report)
            if precondition and not report.problems:
                precondition()
        if dry_run or report.problems:
            put_ids_back()
            session.rollback()
        else:
            session.commit()
    except ProblemException:  # a failed precondition, a malformed file: the transaction works
        put_ids_back()
        session.rollback()
        raise
    except IntegrityError as exc:  # PostgreSQL: a concurrent write took one of the keys
        session.rollback()
        raise conflict(
            "Another write added some of these figures at the same time; "
            "nothing was imported. Retry the import.",
        ) from exc
    except BaseException:
        session.rollback()
        raise
    if report.problems:
        for _ in batches:  # checked on, the lock let go, as far as MAX_BAD_ROWS allows
            pass
        raise ImportFailed(report)
    return report


def _told(
    batches: Iterator[list[list[Any]]], progress: Callable[[int], None] | None
) -> Iterator[list[list[Any]]]:
    """The batches, each one's rows told to `progress` once the caller is done with it."""
    for batch in batches:
        yield batch
        if progress:
            progress(len(batch[0]))


IMPORT_CACHE_KIB = 65536  # SQLite's page cache while an import writes (its default: 2 MiB)


@contextmanager
def _larger_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache while an import writes; the connection's own size is
    put back as it ends, before the commit or rollback hands the connection back to the
    pool.

    With the default 2 MiB, an import's new pages (about 9 MiB for 18,000 rows, its
    figures, revisions and their indexes) overflow the cache mid-transaction: SQLite spills
    them to the WAL early and writes many again when the next rows land on them, and
    re-reads what it let go. 64 MiB holds an import of 100,000 rows. Only memory changes:
    what is written at the commit, and when it is synced, do not (synchronous stays FULL).
    A dirty page stays in the cache until the commit writes it, so the size can be put
    back before the commit; the clean pages beyond it are freed then."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        # A connection that broke, or that an interrupt (Ctrl-C) left invalid, is not
        # written to: the rollback that follows says so, or lets the interrupt through.
        if not connection.invalidated:
            with suppress(DBAPIError):
                connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


# The sequences an import draws ids from: the figures' and their revisions' (the ETags).
ID_SEQUENCES = (("observation", "id"), ("observation_revision", "revision_id"))
SEQUENCE = "pg_get_serial_sequence(:table, :column)"
SETVAL = f"SELECT setval({SEQUENCE}, :value, :called)"


def _id_sequences(session: Session) -> Callable[[], None]:
    """What puts the id sequences back where they stand now, for an import that is not
    kept. PostgreSQL never rolls a sequence back, so the ids a dry run or a refused import
    took were skipped by the next figure, whose id and tag then differed from SQLite's
    (where a rollback takes its ids back). Called before the rollback, while the write lock
    (lock_for_write) still keeps every other writer from drawing on them.

    Best effort: setval needs UPDATE on a sequence, which a role that may draw ids (USAGE)
    need not have. Such a role keeps the gap, as before, rather than turn every dry run
    into a 500; the transaction, aborted by the refusal, is rolled back next anyway."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return lambda: None
    places = [{"table": table, "column": column} for table, column in ID_SEQUENCES]

    def last_values() -> list[int | None]:
        read = text(f"SELECT pg_sequence_last_value({SEQUENCE})")
        return [connection.execute(read, place).scalar() for place in places]

    before = last_values()

    def put_back() -> None:
        try:
            # Only a sequence that moved: one that did not needs no write (nor a writable
            # server).
            for place, value, now in zip(places, before, last_values(), strict=True):
                if now != value:  # None: none taken yet, so 1 comes next, as it would have
                    restart = {"value": value or 1, "called": value is not None}
                    connection.execute(text(SETVAL), place | restart)
        except DBAPIError as exc:
            log.warning("import: ids taken by an import not kept stay taken: %s", exc.orig)

    return put_back


def check_only(rows: Rows, rules: Rules) -> ImportReport:
    """What an import finds checking `rows`, against `rules` rather than a database's
    sources; nothing is written (the docs' example of its 422 is made so)."""
    report = ImportReport()
    for _ in _checked_batches(rows, rules, report):
        pass
    return report


def _rules(session: Session) -> Rules:
    """The rules of an import into this database: its sources, and years up to now."""
    kinds = session.execute(select(Source.id, Source.kind))  # type: ignore[call-overload]
    return Rules({source_id: kind for source_id, kind in kinds}, latest_year())


def _checked_batches(rows: Rows, rules: Rules, report: ImportReport) -> Iterator[list[list[Any]]]:
    """The valid rows' column values, BATCH rows at a time, column by column
    (rowcheck.COLUMNS); every problem goes to the report, a repeated key included.

    The chunk that holds the first row with a problem ends a batch at once, so the caller
    learns that the import fails and writes no more. Checking goes on until a row with
    problems is found past the first MAX_BAD_ROWS, where it stops (report.stopped_at)."""
    seen = FirstLines(rules.last_year)
    batch: list[list[Any]] = [[] for _ in COLUMNS]
    for chunk in rows.checked(rules, min(BATCH, CHUNK)):
        report.rows += len(chunk.lines)
        lines, columns, problems = chunk.lines, chunk.columns, []
        if chunk.results is not None:
            valid = [
                (line, v) for line, v in zip(lines, chunk.results, strict=True) if type(v) is tuple
            ]
            problems = [
                (line, v) for line, v in zip(lines, chunk.results, strict=True) if type(v) is list
            ]
            lines = [line for line, _ in valid]
            columns = list(zip(*(values for _, values in valid), strict=True)) if valid else None
        if columns:
            repeats = seen.repeats(lines, columns)
            if repeats:
                problems += [
                    (lines[at], _repeat(rows.REPEAT.format(first))) for at, first in repeats.items()
                ]
                problems.sort(key=itemgetter(0))
                kept = [at not in repeats for at in range(len(lines))]
                columns = [list(compress(column, kept)) for column in columns]
            for gathered, column in zip(batch, columns, strict=True):
                gathered += column
        failed_before = report.problems > 0
        for line, errors in problems:
            if report.bad_rows == MAX_BAD_ROWS:  # one more: the list is not all there is
                report.rows -= len(chunk.lines) - bisect_left(chunk.lines, line)
                report.stopped_at = rows.PLACE.format(line)
                break
            report.add_problems(rows.PLACE.format(line), errors)
        if len(batch[0]) >= BATCH or (report.problems and not failed_before):
            yield batch  # at once when the import is found to fail: the caller stops writing
            batch = [[] for _ in COLUMNS]
        if report.stopped_at is not None:
            return
    if batch[0]:
        yield batch


def _repeat(message: str) -> list[FieldError]:
    return [FieldError(location="body", field="year", message=message)]


class FirstLines:
    """The line where each key (reporter, partner, indicator, year) first appeared.

    A dict of millions of tuples would take gigabytes; one small array of line numbers
    per series, indexed by year, takes about 500 bytes per series."""

    def __init__(self, last_year: int) -> None:
        self.years = last_year - FIRST_YEAR + 1
        self.series: dict[tuple[str, str, str], array[int]] = {}

    def repeats(self, lines: Sequence[int], columns: list[Sequence[Any]]) -> dict[int, int]:
        """{row: first line} for the rows (given by line, and by column: COLUMNS) whose key
        was seen before; the other rows' lines are remembered."""
        repeats = {}
        years, series = self.years, self.series
        keys = zip(columns[0], columns[1], columns[2], strict=True)
        for at, (key, year, line) in enumerate(zip(keys, columns[3], lines, strict=True)):
            seen = series.get(key)
            if seen is None:
                seen = series[key] = array("I", bytes(4 * years))
            if seen[year - FIRST_YEAR]:
                repeats[at] = seen[year - FIRST_YEAR]
            else:
                seen[year - FIRST_YEAR] = line
        return repeats


DATA = tuple(HISTORY[Observation].fields)  # what a revision copies, created_at and updated_at last
KEY_OF = itemgetter(*range(4))  # reporter, partner, indicator, year in COLUMNS
REVISION_COLUMNS = (*DATA, "observation_id", "action", "valid_from", "api_key_id")


class _Writer:
    """Writes batches of checked rows straight through the driver (executemany), with
    values already as it stores them: SQLAlchemy's per-row type processing and ORM
    objects would cost more than the inserts. Revisions are copied from the written rows
    by one INSERT ... SELECT per batch, so no Python builds them row by row."""

    def __init__(self, session: Session, api_key_id: int | None, now: datetime) -> None:
        self.session = session
        self.connection = session.connection()
        self.sqlite = self.connection.dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self.api_key_id = api_key_id
        self.now = now
        # A time as the driver stores it: SQLite keeps UTC text, PostgreSQL takes datetimes.
        self.when: Any = as_utc(now).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else now

    def apply(self, columns: Sequence[Sequence[Any]], report: ImportReport) -> None:
        """Write rows given column by column (COLUMNS)."""
        pairs = list(set(zip(columns[0], columns[1], strict=True)))
        existing = {KEY_OF(row[1:]): row for row in self._rows_of(pairs)}
        updates = []
        if existing:
            rows = list(zip(*columns, strict=True))
            new = [True] * len(rows)
            for at, row in enumerate(rows):
                old = existing.get(KEY_OF(row))
                if old is not None:
                    new[at] = False
                    if old[1:] != row:
                        updates.append((*row, self.when, old[0]))
                    else:
                        report.unchanged += 1
            if not all(new):
                columns = [list(compress(column, new)) for column in columns]
        if columns[0]:
            self._create(columns, pairs)
            report.created += len(columns[0])
        if updates:
            columns_set = ", ".join(f"{c} = {self.mark}" for c in (*COLUMNS, "updated_at"))
            self._run(f"UPDATE observation SET {columns_set} WHERE id = {self.mark}", updates)
            ids = [row[-1] for row in updates]
            _close_revisions(self.session, ids, self.now)
            self._copy_to_revisions(ids, RevisionAction.update)
            report.updated += len(updates)

    def _create(self, columns: Sequence[Sequence[Any]], pairs: list[tuple[str, str]]) -> None:
        # A figure deleted before and imported again keeps its id, and so one history.
        deleted = self._deleted_ids(pairs)
        if deleted:
            reused = [deleted.get(key) for key in zip(*columns[:4], strict=True)]
            new_ids = iter(_reserve_ids(self.session, reused.count(None)))
            ids = [row_id if row_id is not None else next(new_ids) for row_id in reused]
            _close_revisions(self.session, [row_id for row_id in reused if row_id], self.now)
        else:
            ids = _reserve_ids(self.session, len(columns[0]))
        times = [self.when] * len(ids)
        self._insert("observation", ("id", *DATA), [ids, *columns, times, times])
        self._copy_to_revisions(ids, RevisionAction.create)

    def _insert(self, table: str, names: tuple[str, ...], columns: list[Sequence[Any]]) -> None:
        """INSERT rows given column by column (the first column must differ from row to
        row). Binding a value costs about as much as inserting it, so a column that every
        row shares (the source, the quote, the times) is bound once per statement, and the
        rest once per row, from a VALUES list of up to PARAMETERS values."""
        varying = [0] + [i for i, c in enumerate(columns) if i and c.count(c[0]) != len(c)]
        shared = [i for i in range(len(columns)) if i not in varying]
        per_statement = (PARAMETERS - len(shared)) // len(varying)
        picked = [columns[i] for i in varying]
        for start in range(0, len(columns[0]), per_statement):
            rows = [c[start : start + per_statement] for c in picked]
            selected = {v: f"column{n}" for n, v in enumerate(varying, start=1)}
            one = f"({', '.join([self.mark] * len(varying))})"
            self._run(
                f"INSERT INTO {table} ({', '.join(names)}) "
                f"SELECT {', '.join(selected.get(i, self.mark) for i in range(len(columns)))} "
                f"FROM (VALUES {', '.join([one] * len(rows[0]))}) AS v",
                (*(columns[i][0] for i in shared), *chain.from_iterable(zip(*rows, strict=True))),
            )

    def _copy_to_revisions(self, ids: list[int], action: RevisionAction) -> None:
        """Open a revision holding each row's data as just written."""
        m = self.mark
        # New ids are usually consecutive: a range is read faster than a list of ids.
        consecutive = ids == list(range(ids[0], ids[0] + len(ids)))
        self._run(
            f"INSERT INTO observation_revision ({', '.join(REVISION_COLUMNS)}) "
            f"SELECT {', '.join(DATA)}, id, {m}, {m}, CAST({m} AS INTEGER) FROM observation "
            f"WHERE {f'id BETWEEN {m} AND {m}' if consecutive else self._ids_in()} "
            # Revision ids (the ETags) in id order, not the order the engine reads rows in:
            # PostgreSQL's is where each row was last written, so the same writes would
            # otherwise give different tags on the two engines.
            "ORDER BY id",
            (action.value, self.when, self.api_key_id)
            + ((ids[0], ids[-1]) if consecutive else (self._id_list(ids),)),
        )

    def _rows_of(self, pairs: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
        """The live rows (id, *COLUMNS) of these reporter-partner pairs."""
        return self._query(
            f"SELECT id, {', '.join(COLUMNS)} FROM observation AS o "
            f"JOIN ({self._pairs_table(pairs)}) AS p "
            "ON o.reporter = p.column1 AND o.partner = p.column2",
            pairs,
        )

    def _deleted_ids(self, pairs: list[tuple[str, str]]) -> dict[tuple[Any, ...], int]:
        rows = self._query(
            f"SELECT {', '.join(KEY)}, observation_id FROM observation_revision AS r "
            f"JOIN ({self._pairs_table(pairs)}) AS p "
            "ON r.reporter = p.column1 AND r.partner = p.column2 "
            f"WHERE r.action = '{RevisionAction.delete.value}' AND r.valid_to IS NULL",
            pairs,
        )
        return {tuple(row[:4]): row[4] for row in rows}

    def _pairs_table(self, pairs: list[tuple[str, str]]) -> str:
        # A join on a VALUES list uses the (reporter, partner, ...) indexes; SQLite's
        # `(reporter, partner) IN (...)` scans the whole table instead.
        return "VALUES " + ", ".join([f"({self.mark}, {self.mark})"] * len(pairs))

    def _ids_in(self) -> str:
        # One parameter for any number of ids: a JSON array on SQLite, an array on PostgreSQL.
        return "id IN (SELECT value FROM json_each(?))" if self.sqlite else "id = ANY(%s)"

    def _id_list(self, ids: list[int]) -> Any:
        return json.dumps(ids) if self.sqlite else ids

    def _query(self, sql: str, pairs: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
        params = tuple(code for pair in pairs for code in pair)
        return [tuple(row) for row in self.connection.exec_driver_sql(sql, params)]

    def _run(self, sql: str, params: Any) -> None:
        self.connection.exec_driver_sql(sql, params)


def _close_revisions(session: Session, observation_ids: list[int], now: datetime) -> None:
    """End the current revisions of rows that are about to get new ones."""
    if observation_ids:
        rev = ObservationRevision.__table__  # type: ignore[attr-defined]
        session.execute(
            update(rev)
            .where(rev.c.observation_id.in_(observation_ids), rev.c.valid_to.is_(None))
            .values(valid_to=now)
        )


def _reserve_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` new rows, taken up front so one executemany inserts them all."""
    if count <= 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return list(
            connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('observation', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            ).scalars()
        )
    # SQLite: under the write lock, nobody else takes ids; AUTOINCREMENT keeps them unique.
    last = (
        connection.execute(
            text(
                "SELECT max(seq) FROM (SELECT seq FROM sqlite_sequence WHERE name = 'observation' "
                "UNION ALL SELECT max(id) FROM observation)"
            )
        ).scalar()
        or 0
    )
    return list(range(last + 1, last + 1 + count))
