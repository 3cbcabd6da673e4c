"""Fast validation of one observation row for bulk import.

It accepts exactly what `POST /v1/observations` accepts (the strict ObservationCreate
model plus app/writes.py's checks) and returns the same column values, but in plain
Python: a pydantic model per row costs about 25 µs, and a million-row import cannot
spend that. tests/test_rowcheck.py holds the two to the same answers on random rows.

Each field has one rule (`Rules.<field>`: a JSON value to its column value, or a
Problem), and `Rules.finish` applies what the fields decide together. A row of a JSON
import goes through `check_values`. The CSV reader (app/imports.py) works on a chunk of
rows column by column: each rule sees each distinct cell once (most cells repeat), value
cells written plainly are read together (`plain_values`), and `join_columns` finishes
rows whose every field is valid; any other chunk is finished row by row.

An import row may also carry `status`, a column of the export: `with_status` adds its
problem, if any, to what the row's fields gave. The CSV reader tests a chunk's status
cells together (STATUS_TAKEN), and goes row by row only when one says something else.
"""

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import repeat
from operator import eq, itemgetter
from typing import Any, NamedTuple

from app.api.deps import _COUNTRY_CODES, to_alpha3
from app.errors import FieldError
from app.inputs import (
    AGENCY,
    CURRENCIES,
    FIRST_YEAR,
    MAGNITUDE_DIGITS,
    MAX_DECIMALS,
    MAX_DIGITS,
    MULTIPLIERS,
    NO_TEXT,
    NOTE_MAX,
    PUBLICATION,
    QUOTE_MAX,
    TOO_MANY_DIGITS,
    ObservationCreate,
    above_the_unit,
    blank,
    half_pair,
    latest_year,
    more_decimals_than,
    note_or_none,
    significant_digits,
    source_problem,
    too_large,
)
from app.models import SIGNED, IndicatorCode, ObservationData, ObservationStatus

# The fields of a row as ObservationCreate (the body of a POST) declares them, in the order
# their problems are listed; optional ones have its defaults.
FIELDS = tuple(ObservationCreate.model_fields)
_FIELD_SET = frozenset(FIELDS)
_PRECISION = FIELDS.index("precision")
REQUIRED = tuple(n for n, f in ObservationCreate.model_fields.items() if f.is_required())
_REQUIRED = frozenset(REQUIRED)
DEFAULTS: dict[str, Any] = {
    n: f.default for n, f in ObservationCreate.model_fields.items() if not f.is_required()
}
# What check_row returns, in the order check_values gives it: an observation's data
# but for created_at and updated_at, which the write sets.
COLUMNS = tuple(ObservationData.model_fields)[:-2]
INDICATORS = [code.value for code in IndicatorCode]
REPORTED = ObservationStatus.reported.value


# A valid value: its plain digits (as format(value, "f") writes them), its decimals (below
# 0 when its last digit is above the unit: -1 for 1.50E+3), whether it is below zero, and
# the number. A plain tuple: one is made for every row.
Number = tuple[str, int, bool, Decimal]


class Problem(NamedTuple):
    """What is wrong with one field's value. A value with too many decimals keeps its
    number, so the checks of fields taken together still see it."""

    message: str
    number: Number | None = None


ABSENT = Problem("")  # a required field left out: "Field required" says it all


class _Spellings(dict[str, str | None]):
    """Codes as typed to their canonical form (None when unknown). The usual spellings
    answer from the dict itself; any other goes through `canonical`, and is remembered
    while the dict is small, so a hostile file cannot grow it without bound."""

    def __init__(self, usual: dict[str, str], canonical: Callable[[str], str | None]) -> None:
        super().__init__(usual)
        self.canonical = canonical
        self.limit = len(usual) + 4096

    def __missing__(self, code: str) -> str | None:
        answer = self.canonical(code)
        if len(self) < self.limit:
            self[code] = answer
        return answer


def _alpha3(code: str) -> str | None:
    try:
        return to_alpha3(code)
    except ValueError:
        return None


def _indicator(code: str) -> str | None:
    return code.upper() if code.isascii() and code.upper() in INDICATORS else None


# KAZ, kaz, KZ and kz; EXPORTS and exports.
_COUNTRIES = _Spellings({s: a for c, a in _COUNTRY_CODES.items() for s in (c, c.lower())}, _alpha3)
_INDICATORS = _Spellings({s: c for c in INDICATORS for s in (c, c.lower())}, _indicator)
_BAD_INDICATOR = Problem("must be one of " + ", ".join(INDICATORS))
_NOT_A_NUMBER = Problem(
    "must be a number such as 12.5: digits with '.' for the decimal point (in JSON, not a "
    "string in quotes)"
)
_BAD_NUMBER = Problem("must be a finite number below 1E+15 in size")
_BAD_MULTIPLIER = Problem("must be one of 0, 3, 6, 9 (10^n units)")
_BAD_PRECISION = Problem(f"must be an integer from 0 to {MAX_DECIMALS}")
_TOO_MANY_DECIMALS = Problem(f"has more than {MAX_DECIMALS} decimals")
_BAD_QUOTE = Problem(f"must be text of 1 to {QUOTE_MAX} characters")
_BLANK_QUOTE = Problem(NO_TEXT)
_NOT_AN_ID = Problem("must be an integer, the id of a source")
_NOT_A_COUNTRY = Problem("must be a country code: ISO 3166-1 alpha-3 (KAZ) or alpha-2 (KZ)")
_BAD_NOTE = Problem(f"must be text of at most {NOTE_MAX} characters")
_HALF_PAIR = re.compile("[\ud800-\udfff]")


def _half_pair(text: str) -> Problem | None:
    found = None if text.isascii() else _HALF_PAIR.search(text)
    return found and Problem(half_pair(found.group()))


class Rules:
    """The rules of one import: which sources exist, and the latest year allowed."""

    def __init__(self, source_kinds: dict[int, str], last_year: int) -> None:
        self.source_kinds = source_kinds  # id -> agency or publication
        self.last_year = last_year
        self.bad_year = Problem(f"must be an integer between {FIRST_YEAR} and {last_year}")
        self.each: tuple[Callable[[Any], Any], ...] = tuple(getattr(self, f) for f in FIELDS)

    # One rule per field: the JSON value to its column value, or a Problem.

    @staticmethod
    def reporter(code: Any) -> str | Problem:
        if not isinstance(code, str):  # an empty cell or a null: no repr of it to show
            return _NOT_A_COUNTRY
        return _COUNTRIES[code] or Problem(
            f"unknown country code {code!r}: use ISO 3166-1 alpha-3 (KAZ) or alpha-2 (KZ)"
        )

    partner = reporter

    @staticmethod
    def indicator(code: Any) -> str | Problem:
        return (_INDICATORS[code] if isinstance(code, str) else None) or _BAD_INDICATOR

    def year(self, year: Any) -> int | Problem:
        # `type(...) is int`: bool is an int subclass, and not a number here.
        return year if type(year) is int and FIRST_YEAR <= year <= self.last_year else self.bad_year

    @staticmethod
    def value(value: Any) -> Number | Problem:
        """Avoids what costs once per row: Decimal.as_tuple, quantize, closures."""
        if type(value) is int:
            value = Decimal(value)
        if not isinstance(value, Decimal):
            return _NOT_A_NUMBER
        if not value.is_finite() or too_large(value):
            return _BAD_NUMBER
        if value.is_zero():
            value = value.copy_abs()  # -0.0 is 0.0, as exact_number has it
        text = str(value)  # plain notation unless the exponent is positive or very small
        if "E" in text:
            exponent = value.as_tuple().exponent
            assert isinstance(exponent, int)  # finite
            if -exponent > MAX_DECIMALS:  # 1E-1000000000 written out would take a gigabyte
                return _TOO_MANY_DECIMALS
            text, decimals = format(value, "f"), -exponent
        else:
            dot = text.find(".")
            decimals = 0 if dot < 0 else len(text) - dot - 1
        number = (text, decimals, value.is_signed() and value < 0, value)
        if decimals > MAX_DECIMALS:
            return _TOO_MANY_DECIMALS._replace(number=number)
        if len(text) > MAX_DIGITS and significant_digits(text) > MAX_DIGITS:
            return Problem(TOO_MANY_DIGITS, number)
        return number

    @staticmethod
    def currency(code: Any) -> str | Problem:
        if isinstance(code, str) and code in CURRENCIES:
            return code
        return Problem(f"unknown ISO 4217 currency {code!r}")

    @staticmethod
    def multiplier(multiplier: Any) -> int | Problem:
        return (
            multiplier if type(multiplier) is int and multiplier in MULTIPLIERS else _BAD_MULTIPLIER
        )

    @staticmethod
    def precision(precision: Any) -> int | Problem | None:
        if precision is None or (type(precision) is int and 0 <= precision <= MAX_DECIMALS):
            return precision
        return _BAD_PRECISION

    def source_id(self, source_id: Any) -> int | Problem:
        return self._source(source_id, AGENCY)

    def publication_id(self, publication_id: Any) -> int | Problem | None:
        return None if publication_id is None else self._source(publication_id, PUBLICATION)

    def _source(self, source_id: Any, wanted: str) -> int | Problem:
        if type(source_id) is not int:
            return _NOT_AN_ID
        problem = source_problem(source_id, self.source_kinds.get(source_id), wanted)
        return source_id if problem is None else Problem(problem)

    @staticmethod
    def quote(quote: Any) -> str | Problem:
        if not isinstance(quote, str) or not 1 <= len(quote) <= QUOTE_MAX:
            return _BAD_QUOTE
        return _half_pair(quote) or (_BLANK_QUOTE if blank(quote) else quote)

    @staticmethod
    def note(note: Any) -> str | Problem | None:
        if note is None:
            return None
        if isinstance(note, str) and len(note) <= NOTE_MAX:
            return _half_pair(note) or note_or_none(note)  # as in a body
        return _BAD_NOTE

    def finish(self, fields: tuple[Any, ...]) -> tuple[Any, ...] | list[FieldError]:
        """The row's column values (COLUMNS order) from what its fields' rules gave
        (FIELDS order), or every problem: each field's, then those of fields together."""
        return _problems(fields) if Problem in map(type, fields) else self.join(fields)

    @staticmethod
    def join(fields: tuple[Any, ...]) -> tuple[Any, ...] | list[FieldError]:
        """finish, for fields each known to be valid on its own."""
        (reporter, partner, indicator, year, number, currency, multiplier, precision,
         source_id, publication_id, quote, note) = fields  # fmt: skip
        if _together(reporter, partner, indicator, number, precision):
            return _problems(fields)
        text, decimals = number[0], number[1]
        if precision is None:
            precision = decimals  # not below 0: _together saw to it
        # 12.3 published as 12.30 keeps both decimals; 1.50E+3 is written 1500, with none.
        elif precision > (places := max(decimals, 0)):
            text += ("." if places == 0 else "") + "0" * (precision - places)
        return (reporter, partner, indicator, year, text, currency, multiplier, precision,
                REPORTED, source_id, publication_id, quote, note)  # fmt: skip


# A value cell written plainly: digits, no leading zero, perhaps a fraction of at most
# MAX_DECIMALS digits, and below MAX_MAGNITUDE. Rules.value takes it as written.
_PLAIN = rf"(?:0|[1-9][0-9]{{0,{MAGNITUDE_DIGITS - 1}}})(?:\.[0-9]{{1,{MAX_DECIMALS}}})?"
_PLAIN_LINES = re.compile(rf"(?:{_PLAIN}\n)*{_PLAIN}")


def plain_values(texts: Sequence[str]) -> list[Number] | None:
    """What Rules.value makes of these CSV value cells, in one regular expression for
    all, when every one is written plainly (the usual case); None when any is not."""
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1 or not _PLAIN_LINES.fullmatch(joined):
        return None
    if max(map(len, texts)) > MAX_DIGITS + 1:  # may have too many digits: checked one by one
        return None
    decimals = map(len, map(itemgetter(2), map(str.partition, texts, repeat("."))))
    return list(zip(texts, decimals, repeat(False), map(Decimal, texts), strict=False))


def join_columns(fields: list[Sequence[Any]]) -> list[Sequence[Any]] | None:
    """Rules.join for many rows at once, given column by column (FIELDS order), each field
    of each row valid on its own: the columns of COLUMNS. None when some row may have a
    problem of fields together (_together), or a precision to check: join those one by one."""
    reporter, partner, indicator, year, number, currency, multiplier, precision, *rest = fields
    decimals = list(map(itemgetter(1), number))
    if (
        any(map(eq, reporter, partner))
        or any(map(itemgetter(2), number))  # a value below zero
        or precision.count(None) != len(precision)
        or min(decimals) < 0  # a value such as 1.50E+3 needs its precision
    ):
        return None
    texts = list(map(itemgetter(0), number))
    status = [REPORTED] * len(texts)
    return [
        reporter,
        partner,
        indicator,
        year,
        texts,
        currency,
        multiplier,
        decimals,
        status,
        *rest,
    ]


def _problems(fields: tuple[Any, ...]) -> list[FieldError]:
    errors = [
        _problem(name, result.message)
        for name, result in zip(FIELDS, fields, strict=True)
        if type(result) is Problem and result is not ABSENT
    ]
    valid: list[Any] = [r if type(r) is not Problem else r.number for r in fields]
    reporter, partner, indicator, _, number, *_ = valid
    return errors + _together(reporter, partner, indicator, number, fields[_PRECISION])


def _together(
    reporter: str | None,
    partner: str | None,
    indicator: str | None,
    number: Number | None,
    precision: int | Problem | None,
) -> list[FieldError]:
    """The problems of fields taken together (None: a field that is missing or wrong; but
    a precision left out is None, and a wrong one its Problem)."""
    errors = []
    if reporter and reporter == partner:
        errors.append(_problem("partner", "must differ from reporter"))
    if number is not None:
        if number[2] and indicator and indicator not in SIGNED:
            errors.append(_problem("value", f"{indicator} cannot be negative"))
        if precision is None:  # left out: the value's own decimals, which must reach the unit
            if number[1] < 0:
                errors.append(_problem("value", above_the_unit(number[3], -number[1], "precision")))
        elif type(precision) is int and precision < number[1]:
            errors.append(_problem("precision", more_decimals_than(number[3], precision)))
    return errors


def check_row(
    row: dict[str, Any], source_kinds: dict[int, str], last_year: int | None = None
) -> dict[str, Any] | list[FieldError]:
    """The row's column values, or every problem with it. Pass `last_year` (next year)
    when checking many rows, rather than asking the clock for each."""
    values = check_values(row, Rules(source_kinds, last_year or latest_year()))
    if isinstance(values, list):
        return values
    columns = dict(zip(COLUMNS, values, strict=True))
    columns["value"] = Decimal(columns["value"])
    return columns


def check_values(row: dict[str, Any], rules: Rules) -> tuple[Any, ...] | list[FieldError]:
    """check_row's answer as a tuple in COLUMNS order, with the value as the text the
    database stores (DecimalText), or every problem with the row."""
    errors: list[FieldError] = []
    keys = row.keys()
    if not keys <= _FIELD_SET:
        errors += [_problem(name, "Extra inputs are not permitted") for name in keys - _FIELD_SET]
    if not keys >= _REQUIRED:
        errors += [_problem(name, "Field required") for name in REQUIRED if name not in row]
    fields = tuple(
        rule(row[name]) if name in row else DEFAULTS.get(name, ABSENT)
        for name, rule in zip(FIELDS, rules.each, strict=True)
    )
    result = rules.finish(fields)
    if isinstance(result, list):
        return errors + result
    return errors or result


def _problem(field: str, message: str) -> FieldError:
    return FieldError(location="body", field=field, message=message)


# What an import row's `status` (a column of the export) may say. Stored figures are all
# reported: tradestats derives and implies the others itself, as it reads, so a row said
# to be derived or implied must not be stored as reported. Empty (a CSV cell, "" or null in
# JSON) says nothing, as a column left out does. Exact, as an export writes it, like the
# words a claim takes (kind, qualifier).
STATUS_TAKEN = frozenset({REPORTED, ""})
_NOT_REPORTED = [
    _problem(
        "status",
        f"must be {REPORTED} or empty: tradestats stores reported figures only, and derives "
        "or implies the others itself; leave it empty, or remove the row",
    )
]


def with_status(
    result: tuple[Any, ...] | list[FieldError], status: Any
) -> tuple[Any, ...] | list[FieldError]:
    """A row's result (its column values, or its problems) with its `status` checked."""
    if status is None or (type(status) is str and status in STATUS_TAKEN):
        return result
    return (result if isinstance(result, list) else []) + _NOT_REPORTED
