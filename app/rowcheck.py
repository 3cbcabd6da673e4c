"""Fast validation of one observation row for bulk import.

It accepts exactly what `POST /v1/observations` accepts (the strict ObservationCreate
model plus app/writes.py's checks) and returns the same column values, but in plain
Python: a pydantic model per row costs about 25 µs, and a million-row import cannot
spend that. tests/test_rowcheck.py holds the two to the same answers on random rows.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from app.api.deps import _COUNTRY_CODES, to_alpha3
from app.errors import FieldError
from app.inputs import (
    CURRENCIES,
    FIRST_YEAR,
    MAX_DECIMALS,
    MAX_MAGNITUDE,
    MULTIPLIERS,
    NOTE_MAX,
    QUOTE_MAX,
    latest_year,
)
from app.models import IndicatorCode, ObservationData, ObservationStatus

FIELDS = {
    "reporter",
    "partner",
    "indicator",
    "year",
    "value",
    "currency",
    "multiplier",
    "precision",
    "source_id",
    "publication_id",
    "quote",
    "note",
}
REQUIRED = ("reporter", "partner", "indicator", "year", "value", "source_id", "quote")
_REQUIRED = frozenset(REQUIRED)
# What check_row returns, in the order check_values gives it: an observation's data
# but for created_at and updated_at, which the write sets.
COLUMNS = tuple(ObservationData.model_fields)[:-2]
INDICATORS = [code.value for code in IndicatorCode]
MAGNITUDE_DIGITS = len(str(MAX_MAGNITUDE)) - 1  # a value this many digits long may be too big
REPORTED = ObservationStatus.reported.value


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
    return code.strip().upper() if code.strip().upper() in INDICATORS else None


# KAZ, kaz, KZ and kz; EXPORTS and exports.
_COUNTRIES = _Spellings({s: a for c, a in _COUNTRY_CODES.items() for s in (c, c.lower())}, _alpha3)
_INDICATORS = _Spellings({s: c for c in INDICATORS for s in (c, c.lower())}, _indicator)


def check_row(
    row: dict[str, Any], source_ids: set[int], last_year: int | None = None
) -> dict[str, Any] | list[FieldError]:
    """The row's column values, or every problem with it. Pass `last_year` (next year)
    when checking many rows, rather than asking the clock for each."""
    values = check_values(row, source_ids, last_year or latest_year())
    if isinstance(values, list):
        return values
    columns = dict(zip(COLUMNS, values, strict=True))
    columns["value"] = Decimal(columns["value"])
    return columns


def check_values(
    row: dict[str, Any], source_ids: set[int], last_year: int
) -> tuple[Any, ...] | list[FieldError]:
    """check_row's answer as a tuple in COLUMNS order, with the value as the text the
    database stores (DecimalText), or every problem with the row. This runs once per
    imported row, so it avoids what costs there: Decimal.as_tuple, quantize, closures."""
    errors: list[FieldError] = []
    keys = row.keys()
    if not keys <= FIELDS:
        errors += [_problem(name, "Extra inputs are not permitted") for name in keys - FIELDS]
    if not keys >= _REQUIRED:
        errors += [_problem(name, "Field required") for name in REQUIRED if name not in row]
    get = row.get

    reporter, partner, indicator = get("reporter"), get("partner"), get("indicator")
    reporter = _COUNTRIES[reporter] if isinstance(reporter, str) else None
    if reporter is None and "reporter" in row:
        errors.append(_bad_country("reporter", row["reporter"]))
    partner = _COUNTRIES[partner] if isinstance(partner, str) else None
    if partner is None and "partner" in row:
        errors.append(_bad_country("partner", row["partner"]))
    indicator = _INDICATORS[indicator] if isinstance(indicator, str) else None
    if indicator is None and "indicator" in row:
        errors.append(_problem("indicator", "must be one of " + ", ".join(INDICATORS)))

    year = get("year")
    if "year" in row and not (type(year) is int and FIRST_YEAR <= year <= last_year):
        errors.append(_problem("year", f"must be an integer between {FIRST_YEAR} and {last_year}"))

    value = get("value")
    text, decimals = None, 0
    if "value" in row:
        if type(value) is int:
            value = Decimal(value)
        if (
            not isinstance(value, Decimal)
            or not value.is_finite()
            or (value.adjusted() >= MAGNITUDE_DIGITS and abs(value) >= MAX_MAGNITUDE)
        ):
            errors.append(_problem("value", "must be a finite JSON number below 1E+15 in size"))
            value = None
        else:
            text, decimals = _digits(value)
            if decimals > MAX_DECIMALS:
                errors.append(_problem("value", f"has more than {MAX_DECIMALS} decimals"))

    currency = get("currency", "USD")
    if not (isinstance(currency, str) and currency in CURRENCIES):
        errors.append(_problem("currency", f"unknown ISO 4217 currency {currency!r}"))
    multiplier = get("multiplier", 6)
    if not (type(multiplier) is int and multiplier in MULTIPLIERS):
        errors.append(_problem("multiplier", "must be one of 0, 3, 6, 9 (10^n units)"))
    precision = get("precision")
    if precision is not None and not (type(precision) is int and 0 <= precision <= MAX_DECIMALS):
        errors.append(_problem("precision", f"must be an integer from 0 to {MAX_DECIMALS}"))
        precision = None

    # `type(...) is int`: bool is an int subclass, and not a number here.
    source_id = get("source_id")
    if not (type(source_id) is int and source_id in source_ids) and "source_id" in row:
        errors.append(_problem("source_id", f"no source has id {source_id}"))
    publication_id = get("publication_id")
    if publication_id is not None and not (
        type(publication_id) is int and publication_id in source_ids
    ):
        errors.append(_problem("publication_id", f"no source has id {publication_id}"))

    quote, note = get("quote"), get("note")
    if not (isinstance(quote, str) and 1 <= len(quote) <= QUOTE_MAX) and "quote" in row:
        errors.append(_problem("quote", f"must be text of 1 to {QUOTE_MAX} characters"))
    if note is not None and not (isinstance(note, str) and len(note) <= NOTE_MAX):
        errors.append(_problem("note", f"must be text of at most {NOTE_MAX} characters"))

    if reporter and reporter == partner:
        errors.append(_problem("partner", "must differ from reporter"))
    negative = value is not None and value.is_signed() and value < 0
    if negative and indicator and indicator != "BALANCE":
        errors.append(_problem("value", f"{indicator} cannot be negative"))
    if precision is not None and value is not None and precision < decimals:
        errors.append(_problem("precision", f"{value} has more than {precision} decimals"))
    if errors:
        return errors

    assert text is not None
    if precision is not None and precision > decimals:
        text = _padded(text, decimals, precision)
    return (
        reporter,
        partner,
        indicator,
        year,
        text,
        currency,
        multiplier,
        decimals if precision is None else precision,
        REPORTED,
        source_id,
        publication_id,
        quote,
        note,
    )


def _digits(value: Decimal) -> tuple[str, int]:
    """The value's plain digits (as format(value, "f") writes them) and its decimals."""
    text = str(value)  # plain notation unless the exponent is positive or very small
    if "E" not in text:
        dot = text.find(".")
        return text, 0 if dot < 0 else len(text) - dot - 1
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return format(value, "f"), max(0, -exponent)


def _padded(text: str, decimals: int, places: int) -> str:
    """Plain digits with trailing zeros up to `places` decimals: 12.3 at 2 is 12.30."""
    return text + ("." if decimals == 0 else "") + "0" * (places - decimals)


def _problem(field: str, message: str) -> FieldError:
    return FieldError(location="body", field=field, message=message)


def _bad_country(field: str, code: Any) -> FieldError:
    return _problem(
        field, f"unknown country code {code!r}: use ISO 3166-1 alpha-3 (KAZ) or alpha-2 (KZ)"
    )
