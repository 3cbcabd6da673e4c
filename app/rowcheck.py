"""Fast validation of one observation row for bulk import.

It accepts exactly what `POST /v1/observations` accepts (the strict ObservationCreate
model plus app/writes.py's checks) and returns the same column values, but in plain
Python: a pydantic model per row costs about 25 µs, and a million-row import cannot
spend that. tests/test_rowcheck.py holds the two to the same answers on random rows.
"""

from decimal import Decimal
from functools import lru_cache
from typing import Any

from app.api.deps import to_alpha3
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
from app.models import IndicatorCode, ObservationStatus

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
INDICATORS = {code.value for code in IndicatorCode}
QUANTA = [Decimal(1).scaleb(-p) for p in range(MAX_DECIMALS + 1)]
REPORTED = ObservationStatus.reported.value


@lru_cache(maxsize=4096)
def _country(code: str) -> str | None:
    try:
        return to_alpha3(code)
    except ValueError:
        return None


def _is_int(value: Any) -> bool:
    return type(value) is int  # bool is an int subclass, and not a number here


def check_row(
    row: dict[str, Any], source_ids: set[int], last_year: int | None = None
) -> dict[str, Any] | list[FieldError]:
    """The row's column values, or every problem with it. Pass `last_year` (next year)
    when checking many rows, rather than asking the clock for each."""
    last_year = last_year or latest_year()
    errors: list[FieldError] = []

    def bad(field: str, message: str) -> None:
        errors.append(FieldError(location="body", field=field, message=message))

    for name in row.keys() - FIELDS:
        bad(name, "Extra inputs are not permitted")
    for name in REQUIRED:
        if name not in row:
            bad(name, "Field required")

    reporter = _country_field(row, "reporter", bad)
    partner = _country_field(row, "partner", bad)
    indicator = row.get("indicator")
    if isinstance(indicator, str) and indicator.strip().upper() in INDICATORS:
        indicator = indicator.strip().upper()
    elif "indicator" in row:
        bad("indicator", "must be one of " + ", ".join(c.value for c in IndicatorCode))
        indicator = None

    year = row.get("year")
    if "year" in row and not (type(year) is int and FIRST_YEAR <= year <= last_year):
        bad("year", f"must be an integer between {FIRST_YEAR} and {last_year}")

    value = row.get("value")
    decimals = 0
    if "value" in row:
        if type(value) is int:
            value = Decimal(value)
        if not isinstance(value, Decimal) or not value.is_finite() or abs(value) >= MAX_MAGNITUDE:
            bad("value", "must be a finite JSON number below 1E+15 in size")
            value = None
        else:
            exponent = value.as_tuple().exponent
            decimals = max(0, -exponent) if isinstance(exponent, int) else 0
            if decimals > MAX_DECIMALS:
                bad("value", f"has more than {MAX_DECIMALS} decimals")

    currency = row.get("currency", "USD")
    if not (isinstance(currency, str) and currency in CURRENCIES):
        bad("currency", f"unknown ISO 4217 currency {currency!r}")
    multiplier = row.get("multiplier", 6)
    if not (_is_int(multiplier) and multiplier in MULTIPLIERS):
        bad("multiplier", "must be one of 0, 3, 6, 9 (10^n units)")
    precision = row.get("precision")
    if precision is not None and not (_is_int(precision) and 0 <= precision <= MAX_DECIMALS):
        bad("precision", f"must be an integer from 0 to {MAX_DECIMALS}")
        precision = None

    source_id = row.get("source_id")
    if "source_id" in row and not (_is_int(source_id) and source_id in source_ids):
        bad("source_id", f"no source has id {source_id}")
    publication_id = row.get("publication_id")
    if publication_id is not None and not (
        _is_int(publication_id) and publication_id in source_ids
    ):
        bad("publication_id", f"no source has id {publication_id}")

    quote, note = row.get("quote"), row.get("note")
    if "quote" in row and not (isinstance(quote, str) and 1 <= len(quote) <= QUOTE_MAX):
        bad("quote", f"must be text of 1 to {QUOTE_MAX} characters")
    if note is not None and not (isinstance(note, str) and len(note) <= NOTE_MAX):
        bad("note", f"must be text of at most {NOTE_MAX} characters")

    if reporter and partner and reporter == partner:
        bad("partner", "must differ from reporter")
    if isinstance(value, Decimal) and value < 0 and indicator and indicator != "BALANCE":
        bad("value", f"{indicator} cannot be negative")
    if precision is not None and isinstance(value, Decimal) and precision < decimals:
        bad("precision", f"{value} has more than {precision} decimals")
    if errors:
        return errors

    assert isinstance(value, Decimal)
    places = decimals if precision is None else precision
    return {
        "reporter": reporter,
        "partner": partner,
        "indicator": indicator,
        "year": year,
        "value": value.quantize(QUANTA[places]),
        "currency": currency,
        "multiplier": multiplier,
        "precision": places,
        "status": REPORTED,
        "source_id": source_id,
        "publication_id": publication_id,
        "quote": quote,
        "note": note,
    }


def _country_field(row: dict[str, Any], name: str, bad: Any) -> str | None:
    if name not in row:
        return None
    code = row[name]
    alpha3 = _country(code) if isinstance(code, str) else None
    if alpha3 is None:
        bad(name, f"unknown country code {code!r}: use ISO 3166-1 alpha-3 (KAZ) or alpha-2 (KZ)")
    return alpha3
