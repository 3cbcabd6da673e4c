"""The import's fast row check accepts and produces exactly what POST does."""

from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.inputs import ObservationCreate
from app.models import Source
from app.rowcheck import (
    COLUMNS,
    DEFAULTS,
    FIELDS,
    Problem,
    Rules,
    check_row,
    join_columns,
    plain_values,
)
from app.writes import observation_checks, observation_columns

SOURCES = {1: "publication", 2: "agency", 3: "agency"}  # as the seed has them


class KnownSources:
    """The one thing observation_checks asks of a session: which source has this id?"""

    def get(self, model: type, key: int) -> object | None:
        return SimpleNamespace(kind=SOURCES[key]) if model is Source and key in SOURCES else None


def post_rules(row: dict[str, Any]) -> tuple[dict[str, Any] | None, set[str]]:
    """What POST /v1/observations makes of a body: its columns, or its bad fields."""
    try:
        model = ObservationCreate.model_validate(row)
    except ValidationError as exc:
        return None, {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    errors = observation_checks(KnownSources(), model)  # type: ignore[arg-type]
    if errors:
        return None, {e.field for e in errors}
    return observation_columns(model), set()


def maybe(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(valid, valid, valid, invalid)  # mostly valid, so both paths are tried


rows = st.fixed_dictionaries(
    {
        "reporter": maybe(
            st.sampled_from(["KAZ", "kz", "BGR", "bg"]), st.sampled_from(["XX", "", 1, None])
        ),
        "partner": maybe(st.sampled_from(["BGR", "DEU", "kaz"]), st.sampled_from(["ZZZ", 2])),
        "indicator": maybe(
            st.sampled_from(["TURNOVER", "exports", "BALANCE", "FDI_INFLOW"]),
            st.sampled_from(["GDP", 3, None]),
        ),
        "year": maybe(st.integers(1900, 2027), st.sampled_from([1899, 3000, "2024", True, 2.5])),
        "value": maybe(
            st.decimals(
                min_value=-1000, max_value=10**6, allow_nan=False, allow_infinity=False, places=2
            )
            | st.integers(0, 10**6)
            # Spellings whose digits are not the plain ones: exponents, trailing zeros, -0.
            | st.sampled_from(
                [Decimal("1E+2"), Decimal("-0.0"), Decimal("0E-3"), Decimal("12.300"), 10**15 - 1]
            ),
            st.sampled_from(["12", False, None, Decimal("1E+20"), Decimal("0.1234567")]),
        ),
        "source_id": maybe(st.sampled_from([1, 2, 3]), st.sampled_from([0, 9, "1", True])),
        "quote": maybe(
            st.text(min_size=1, max_size=20), st.sampled_from(["", " \n", "\u200b ", 5, None])
        ),
    },
    optional={
        "currency": maybe(st.sampled_from(["USD", "EUR"]), st.sampled_from(["usd", "XXY", 840])),
        "multiplier": maybe(st.sampled_from([0, 3, 6, 9]), st.sampled_from([5, True, "6"])),
        "precision": maybe(st.integers(0, 6), st.sampled_from([-1, 7, "2", False])),
        "publication_id": maybe(st.sampled_from([None, 1]), st.sampled_from([7, "1"])),
        "note": maybe(st.none() | st.text(max_size=20), st.sampled_from([3, "x" * 2001])),
        "colour": st.just("red"),
    },
)


@settings(
    max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(rows)
def test_fast_check_agrees_with_the_post_rules(row: dict[str, Any]) -> None:
    expected, bad_fields = post_rules(row)
    got = check_row(row, SOURCES)
    if expected is not None:
        assert got == expected
        assert {k: str(v) for k, v in got.items()} == {k: str(v) for k, v in expected.items()}
    else:
        assert isinstance(got, list), row
        # The fast check lists at least the fields POST names (often more at once).
        assert bad_fields <= {e.field for e in got}, row


def rules_value(text: str) -> Any:
    try:
        return Rules.value(Decimal(text))
    except InvalidOperation:
        return None


number_texts = st.from_regex(r"-?[0-9]{0,17}(\.[0-9]{0,8})?(E[+-]?[0-9])?", fullmatch=True)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(number_texts | st.sampled_from(["0", "1.5", "12.30", "007", "1\n2", " 1", "١"])))
def test_plain_values_reads_cells_as_the_value_rule_does(texts: list[str]) -> None:
    plain = plain_values(texts) if texts else None
    if plain is not None:
        assert plain == [rules_value(text) for text in texts]
        assert [number[0] for number in plain] == texts  # stored as written


valid_rows = st.fixed_dictionaries(
    {
        "reporter": st.sampled_from(["KAZ", "kz", "BGR"]),
        "partner": st.sampled_from(["BGR", "DEU"]),
        "indicator": st.sampled_from(["EXPORTS", "BALANCE"]),
        "year": st.integers(1900, 2027),
        "value": st.decimals(-100, 10**6, places=2) | st.integers(0, 10**6),
        "source_id": st.sampled_from([1, 2]),
        "quote": st.sampled_from(["q", "Q."]),
    },
    optional={"precision": st.integers(0, 6), "currency": st.sampled_from(["USD", "EUR"])},
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(valid_rows | rows, min_size=1, max_size=6))
def test_join_columns_joins_as_rows_are_joined(many: list[dict[str, Any]]) -> None:
    rules = Rules(SOURCES, 2027)
    fields = [
        tuple(
            rule(row.get(name, DEFAULTS.get(name)))
            for name, rule in zip(FIELDS, rules.each, strict=True)
        )
        for row in many
    ]
    fields = [f for f in fields if Problem not in map(type, f)]  # each field valid alone
    if not fields:
        return
    joined = join_columns([list(column) for column in zip(*fields, strict=True)])
    if joined is not None:
        assert list(zip(*joined, strict=True)) == [Rules.join(f) for f in fields]


def test_columns_are_the_observation_data_but_its_times() -> None:
    assert (*FIELDS[:8], "status", *FIELDS[8:]) == COLUMNS
