"""How every decimal of every JSON response is written (app.schemas.json_number)."""

from decimal import Decimal

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.schemas import json_number


def written(value: Decimal) -> str:
    return orjson.dumps(value, default=json_number).decode()


finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)


@given(finite_decimals)
@example(Decimal("-0"))
@example(Decimal("-0E+3"))
@example(Decimal("1E-7"))
@example(Decimal("9876543210987.649999"))
def test_a_decimal_is_written_with_its_exact_digits_and_no_exponent(value: Decimal) -> None:
    text = written(value)
    assert Decimal(text) == value
    assert "e" not in text.lower()
    assert not text.startswith("-0") or "." in text  # no signed whole zero, as an int


@given(
    st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=3),
)
@example(23200, 2, 0)  # 232.00
@example(16, 0, 0)
@example(1, 4, 0)  # 0.0001, the least a double writes without an exponent
def test_a_usual_figure_reads_as_a_double_writes_it(
    digits: int, places: int, trailing_zeros: int
) -> None:
    """A decimal a double holds (at most 15 significant digits, 0.0001 or more) is written
    as the double's shortest repr writes it: 232.00 as 232.0, a whole number as an int."""
    value = Decimal(digits).scaleb(-places) if places else Decimal(digits)
    if trailing_zeros and places:
        value = value.quantize(Decimal(1).scaleb(-(places + trailing_zeros)))
    if value and abs(value) < Decimal("0.0001"):
        return  # a double would take an exponent: the first test covers these
    as_double = float(value) if value.as_tuple().exponent < 0 else int(value)
    assert written(value) == orjson.dumps(as_double).decode()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("375.2", "375.2"),
        ("71.6", "71.6"),
        ("232.0", "232.0"),
        ("232.00", "232.0"),
        ("1.5E+3", "1500"),
        ("0.000001", "0.000001"),
        ("1E-7", "0.0000001"),
        ("-0.0", "-0.0"),
        ("-0", "0"),
        ("9876543210987.649999", "9876543210987.649999"),
    ],
)
def test_examples(value: str, text: str) -> None:
    assert written(Decimal(value)) == text


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("-Infinity"), object()])
def test_what_is_no_json_number_is_refused(value: object) -> None:
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps({"x": value}, default=json_number)
