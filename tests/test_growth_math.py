"""Exact growth arithmetic and accounting identities, without HTTP."""

import random
import re
from decimal import ROUND_HALF_EVEN, Context
from decimal import Decimal as D

import pytest

from app.stats.figures import Figure, unit_label
from app.stats.growth import growth
from app.stats.identities import (
    BOTH_IDENTITIES,
    IDENTITIES,
    derive,
    fixed_by,
    identity_formula,
    solve,
)


def test_fdi_growth_matches_the_article_figures() -> None:
    g = growth(D("4.2"), D("7.8"), 1)
    assert g.chg == D("3.6")
    assert g.ratio == D("1.857143")
    assert g.pch == D("85.7143")
    assert g.cagr == g.pch  # over one year, CAGR is the percent change
    assert g.log == D("0.619039")
    assert g.reason is None


def test_change_is_exact() -> None:
    assert growth(D("303.6"), D("375.2"), 1).chg == D("71.6")
    assert str(growth(D("0.1"), D("0.3"), 1).chg) == "0.2"


def test_cagr_compounds_over_the_span() -> None:
    g = growth(D("100"), D("121"), 2)
    assert g.ratio == D("1.21")
    assert g.pch == D("21")
    assert g.cagr == D("10")  # 1.1 squared is 1.21


def test_decline() -> None:
    g = growth(D("8"), D("2"), 2)
    assert (g.ratio, g.pch, g.cagr) == (D("0.25"), D("-75"), D("-50"))
    assert g.log == D("-1.386294")


def test_zero_base_gives_change_but_no_ratio() -> None:
    g = growth(D("0"), D("5"), 1)
    assert g.chg == D("5")
    assert (g.ratio, g.pch, g.cagr, g.log) == (None, None, None, None)
    assert g.reason is not None and "zero" in g.reason


def test_negative_base_gives_change_but_no_ratio() -> None:
    g = growth(D("-10"), D("5"), 1)
    assert g.chg == D("15")
    assert g.ratio is None and "negative" in (g.reason or "")


def test_a_change_of_sign_gives_change_but_no_ratio() -> None:
    """A balance from a surplus of 5.25 to a deficit of 3 gave a ratio of -0.571429 and
    "-157.1429%": no growth means that, as no claim of one is checked against it."""
    g = growth(D("5.25"), D("-3"), 1)
    assert g.chg == D("-8.25")
    assert (g.ratio, g.pch, g.cagr, g.log) == (None, None, None, None)
    assert "sign" in (g.reason or "")


def test_a_later_value_that_may_have_changed_sign_gives_no_ratio() -> None:
    """A balance from 100 to one derived as 10 ± 50.5 (1.5 billions less 1490 millions)
    gave a ratio of 0.1 and "-90%", though it may have turned into a deficit of 40.5."""
    g = growth(D("100"), D("10"), 1, latest=D("-40.5"))
    assert g.chg == D("-90")
    assert (g.ratio, g.pch, g.cagr, g.log) == (None, None, None, None)
    assert g.reason == (
        "the later value may be as low as -40.5 within its rounding, below zero, so no "
        "ratio is meaningful"
    )
    # One that may be zero, and no lower, keeps its ratio; so does a fall to a zero that
    # cannot stand for less (exports of 0.0).
    assert growth(D("100"), D("10"), 1, latest=D("0")).ratio == D("0.1")
    assert growth(D("100"), D("0"), 1, latest=D("0")).pch == D("-100")


def test_a_fall_to_a_zero_that_may_be_a_deficit_gives_no_ratio() -> None:
    """A balance from 50 to one of 0.0 (published, or derived as 0 ± 0.1) may have become
    a deficit, as one of 0.05 ± 0.055 may have: neither says how much of it is left."""
    for later, latest in (("0.0", "-0.05"), ("0", "-0.1"), ("0.05", "-0.005")):
        g = growth(D("50"), D(later), 1, latest=D(latest))
        assert (g.ratio, g.pch) == (None, None)
        assert g.reason == (
            f"the later value may be as low as {latest} within its rounding, below zero, "
            "so no ratio is meaningful"
        )


@pytest.mark.parametrize("years", [1, 4])
def test_fall_to_zero_has_a_ratio_and_a_compound_rate_but_no_log(years: int) -> None:
    """(0 / 4)^(1/4) − 1 is −100% a year: CAGR was null, as if undefined like ln 0."""
    g = growth(D("4"), D("0"), years)
    assert (g.ratio, g.pch, g.cagr) == (D("0"), D("-100"), D("-100"))
    assert g.log is None and g.reason == "the later value is zero, so log is undefined"
    without_rates = growth(D("4"), D("0"), years, rates=False)
    assert without_rates.cagr is None and without_rates.log is None
    assert without_rates.reason is None  # no log asked for: nothing given is undefined


def test_a_change_too_small_for_the_usual_places_is_shown_not_rounded_to_none() -> None:
    """A fall of 0.00001% rounded to 4 places read as a change of 0 (and a ratio of 1)
    beside a `chg` of -0.1: it gets the places that show it, as near 0 and -100."""
    fall = growth(D("1000000"), D("999999.9"), 2)
    assert (fall.ratio, fall.pch, fall.log) == (D("0.99999990"), D("-0.000010"), D("-1.0E-7"))
    assert fall.cagr == D("-0.0000050")
    rise = growth(D("3"), D("3.0000000001"), 1)
    assert (rise.ratio, rise.pch, rise.cagr) == (D("1.000000000033"), D("3.3E-9"), D("3.3E-9"))
    assert rise.log == D("3.3E-11")


def test_no_change_is_zero_without_a_sign() -> None:
    g = growth(D("10.0"), D("10"), 3)
    assert (g.ratio, g.pch, g.cagr, g.log) == (1, 0, 0, 0)
    assert not any(value.is_signed() for value in (g.pch, g.cagr, g.log) if value is not None)


def test_a_ratio_below_28_digits_still_keeps_its_change_off_minus_100() -> None:
    """1E-30 of it left: ratio − 1 at 28 digits alone would be exactly −1."""
    g = growth(D("999999999999999000000000"), D("0.000001"), 1)
    assert g.ratio == D("1E-30")
    assert g.pch == D("-99.9999999999999999999999999999")  # −100 + 1E-28, exactly


def test_usual_figures_round_as_the_28_digit_results_do() -> None:
    """growth() takes shortcuts (a float logarithm, the usual rounding inlined): on 20,000
    pairs of figures as published (up to 6 decimals, 1E-6 to 1E+12), ratio, percent change
    and log are the 28-digit results rounded half-even, digit for digit, with the same
    exponent; pairs that round onto a boundary (0, 1, −100) are left to the tests above."""
    rng = random.Random(20261203)
    context = Context(prec=28, rounding=ROUND_HALF_EVEN)
    ratio_step, percent_step = D("1E-6"), D("1E-4")
    compared = 0
    for _ in range(20_000):
        earlier, later = (D(rng.randint(1, 10**12)).scaleb(-rng.randint(0, 6)) for _ in "ab")
        ratio = context.divide(later, earlier)
        expected = (
            ratio.quantize(ratio_step, context=context),
            context.multiply(context.subtract(ratio, 1), 100).quantize(percent_step),
            context.ln(ratio).quantize(ratio_step, context=context),
        )
        if any(v.is_zero() for v in expected) or expected[0] == 1 or expected[1] == -100:
            continue
        g = growth(earlier, later, 1)
        got = (g.ratio, g.pch, g.log)
        assert [str(v) for v in got] == [str(v) for v in expected], (earlier, later)
        assert g.cagr == g.pch
        compared += 1
    assert compared > 19_000


def test_span_must_be_positive() -> None:
    with pytest.raises(ValueError):
        growth(D("1"), D("2"), 0)


def test_identities_read_as_formulas() -> None:
    assert [identity_formula(i) for i in IDENTITIES] == [
        "TURNOVER = EXPORTS + IMPORTS",
        "BALANCE = EXPORTS − IMPORTS",
    ]


def fig(value: str, multiplier: int = 6) -> Figure:
    return Figure(D(value), multiplier, max(0, -D(value).as_tuple().exponent))


def test_imports_then_balance_follow_from_turnover_and_exports() -> None:
    derived = derive({"TURNOVER": fig("375.2"), "EXPORTS": fig("303.6")})
    imports = derived["IMPORTS"].figure
    assert (imports.value, imports.multiplier, imports.precision) == (D("71.6"), 6, 1)
    assert imports.half_width == D("0.1")  # each input may be off by 0.05
    assert derived["IMPORTS"].formula == "IMPORTS = TURNOVER − EXPORTS"
    assert derived["BALANCE"].figure.value == D("232.0")
    assert derived["BALANCE"].figure.interval.low == D("231.85")
    assert derived["BALANCE"].inputs == ("EXPORTS", "IMPORTS")


@pytest.mark.parametrize(
    ("known", "target", "value", "formula"),
    [
        (
            {"EXPORTS": "10.5", "IMPORTS": "2.25"},
            "TURNOVER",
            "12.75",
            "TURNOVER = EXPORTS + IMPORTS",
        ),
        (
            {"TURNOVER": "12.75", "IMPORTS": "2.25"},
            "EXPORTS",
            "10.50",
            "EXPORTS = TURNOVER − IMPORTS",
        ),
        ({"BALANCE": "-3", "IMPORTS": "10"}, "EXPORTS", "7", "EXPORTS = BALANCE + IMPORTS"),
        ({"BALANCE": "-3", "EXPORTS": "7"}, "IMPORTS", "10", "IMPORTS = EXPORTS − BALANCE"),
        (
            {"TURNOVER": "375.3", "BALANCE": "71.6"},
            "EXPORTS",
            "223.45",
            "EXPORTS = (TURNOVER + BALANCE) / 2",
        ),
        (
            {"TURNOVER": "375.3", "BALANCE": "71.6"},
            "IMPORTS",
            "151.85",
            "IMPORTS = (TURNOVER − BALANCE) / 2",
        ),
    ],
)
def test_any_missing_term_is_derived(known: dict, target: str, value: str, formula: str) -> None:
    derived = derive({k: fig(v) for k, v in known.items()})
    assert derived[target].figure.value == D(value)
    assert derived[target].formula == formula


# Each identity solved for each term, and both at once for each halved term.
REARRANGEMENTS = [(identity, code) for identity in IDENTITIES for code in identity] + [
    (both, code) for both in BOTH_IDENTITIES for code in both if abs(both[code]) == 2
]


@pytest.mark.parametrize(
    ("equation", "unknown"),
    REARRANGEMENTS,
    ids=[f"{unknown}-from-{'-'.join(equation)}" for equation, unknown in REARRANGEMENTS],
)
def test_a_derivation_lists_its_inputs_in_formula_order(equation: dict, unknown: str) -> None:
    """As the Derivation says: IMPORTS = EXPORTS − BALANCE used (BALANCE, EXPORTS)."""
    derivation = solve(equation, unknown, {code: fig("1") for code in equation})
    terms_in_formula = re.findall(r"[A-Z]+", derivation.formula.split(" = ")[1])
    assert derivation.inputs == tuple(terms_in_formula)


def test_nothing_is_derived_from_one_figure_or_when_all_are_known() -> None:
    assert derive({"TURNOVER": fig("1")}) == {}
    full = {"TURNOVER": fig("3"), "EXPORTS": fig("2"), "IMPORTS": fig("1"), "BALANCE": fig("1")}
    assert derive(full) == {}


def test_the_identities_at_once_are_their_sum_and_difference() -> None:
    """What derive() solves when TURNOVER and BALANCE alone are known, from IDENTITIES."""
    first, second = IDENTITIES

    def combined(sign: int) -> dict[str, int]:
        terms = {code: first.get(code, 0) + sign * second.get(code, 0) for code in first | second}
        return {code: coefficient for code, coefficient in terms.items() if coefficient}

    assert (combined(1), combined(-1)) == BOTH_IDENTITIES


def test_exports_and_imports_follow_from_turnover_and_balance_alone() -> None:
    """Each identity alone is two terms short; together they give both, each from the two
    figures, exactly, with one decimal more than theirs: a half of 446.9 is 223.45."""
    derived = derive({"TURNOVER": fig("375.3"), "BALANCE": fig("71.6")})
    assert list(derived) == ["EXPORTS", "IMPORTS"]
    exports, imports = derived["EXPORTS"], derived["IMPORTS"]
    assert (exports.figure.value, exports.figure.multiplier, exports.figure.precision) == (
        D("223.45"),
        6,
        2,
    )
    assert (imports.figure.value, imports.figure.precision) == (D("151.85"), 2)
    assert exports.formula == "EXPORTS = (TURNOVER + BALANCE) / 2"
    assert imports.formula == "IMPORTS = (TURNOVER − BALANCE) / 2"
    assert exports.inputs == imports.inputs == ("TURNOVER", "BALANCE")
    # Each input may be off by 0.05, so their half-sum by (0.05 + 0.05) / 2.
    assert exports.figure.half_width == imports.figure.half_width == D("0.05")
    assert (exports.figure.interval.low, exports.figure.interval.high) == (
        D("223.40"),
        D("223.50"),
    )
    assert exports.conflict is None and imports.conflict is None


def test_a_half_keeps_its_extra_decimal_when_it_ends_in_zero() -> None:
    """Every value of the formula has the decimal a half may need, as a difference keeps
    its inputs' decimals (232.0): 223.40, precision 2, not 223.4 beside 223.45."""
    exports = derive({"TURNOVER": fig("375.2"), "BALANCE": fig("71.6")})["EXPORTS"].figure
    assert (str(exports.value), exports.precision) == ("223.40", 2)
    whole = derive({"TURNOVER": fig("375"), "BALANCE": fig("-71")})["IMPORTS"].figure
    assert (str(whole.value), whole.precision, whole.half_width) == ("223.0", 1, D("0.5"))


def test_turnover_and_balance_in_two_multipliers_give_halves_in_the_finer() -> None:
    """1.5 billions (1,450 to 1,550 millions) and a deficit of 300 millions."""
    derived = derive({"TURNOVER": fig("1.5", 9), "BALANCE": fig("-300", 6)})
    exports, imports = derived["EXPORTS"].figure, derived["IMPORTS"].figure
    assert (exports.value, exports.multiplier, exports.precision) == (D("600.0"), 6, 1)
    assert (imports.value, imports.multiplier) == (D("900.0"), 6)
    assert exports.half_width == D("25.25")  # (50 + 0.5) / 2


@pytest.mark.parametrize(
    ("balance", "negative", "other"),
    [("30.0", "IMPORTS", "EXPORTS"), ("-30.0", "EXPORTS", "IMPORTS")],
)
def test_a_balance_beyond_the_turnover_contradicts_it(
    balance: str, negative: str, other: str
) -> None:
    """A surplus (or deficit) of 30 on a turnover of 10 leaves one flow at -10: both
    values rest on the same two figures, which contradict each other."""
    derived = derive({"TURNOVER": fig("10.0"), "BALANCE": fig(balance)})
    assert derived[negative].figure.value == D("-10.00")
    assert derived[negative].conflict == (
        f"{negative} cannot be negative: the reported figures it is derived from contradict "
        "each other."
    )
    assert derived[other].figure.value == D("20.00")
    assert derived[other].conflict == (
        "The reported figures it is derived from contradict each other: they give "
        f"{derived[negative].formula} below zero, and {negative} cannot be negative."
    )


def test_a_balance_beyond_the_turnover_within_rounding_is_no_contradiction() -> None:
    """10.0 and 10.1 may be 10.05 each: IMPORTS of -0.05 ± 0.05 may be 0."""
    derived = derive({"TURNOVER": fig("10.0"), "BALANCE": fig("10.1")})
    assert derived["IMPORTS"].figure.value == D("-0.05")
    assert derived["IMPORTS"].conflict is None and derived["EXPORTS"].conflict is None


def test_any_two_trade_values_fix_all_four() -> None:
    codes = ("TURNOVER", "EXPORTS", "IMPORTS", "BALANCE")
    for i, first in enumerate(codes):
        for second in codes[i + 1 :]:
            assert fixed_by([first, second]) == frozenset(codes), (first, second)
    assert fixed_by(["TURNOVER"]) == frozenset({"TURNOVER"})


def test_mixed_multipliers_are_scaled_exactly() -> None:
    derived = derive({"TURNOVER": fig("1.5", 9), "EXPORTS": fig("300", 6)})
    imports = derived["IMPORTS"].figure
    assert (imports.value, imports.multiplier) == (D("1200"), 6)


def test_figures_convert_between_multipliers() -> None:
    billions = Figure(D("1.5"), 9, 1).in_multiplier(6)
    assert (billions.value, billions.precision, billions.half_width) == (D("1500"), 0, D("50"))
    thousands = Figure(D("7.8"), 6, 1).in_multiplier(3)
    assert (thousands.value, thousands.interval.low, thousands.interval.high) == (
        D("7800"),
        D("7750"),
        D("7850"),
    )


@pytest.mark.parametrize(
    ("value", "precision", "low", "high"),
    [("4.2", 1, "4.15", "4.25"), ("375", 0, "374.5", "375.5"), ("0.07", 2, "0.065", "0.075")],
)
def test_a_published_figure_stands_for_half_its_last_digit_either_way(
    value: str, precision: int, low: str, high: str
) -> None:
    interval = Figure(D(value), 6, precision).interval
    assert (interval.low, interval.high) == (D(low), D(high))
    assert interval.low_closed and interval.high_closed


@pytest.mark.parametrize(
    ("currency", "multiplier", "label"),
    [
        ("USD", 6, "USD millions"),
        ("EUR", 3, "EUR thousands"),
        ("USD", 0, "USD"),
        ("USD", 5, "USD ×10^5"),
    ],
)
def test_unit_labels(currency: str, multiplier: int, label: str) -> None:
    assert unit_label(currency, multiplier) == label


def test_consistent_figures_derive_without_a_conflict() -> None:
    derived = derive({"TURNOVER": fig("375.2"), "EXPORTS": fig("303.6"), "BALANCE": fig("232")})
    assert derived["IMPORTS"].figure.value == D("71.6")
    assert derived["IMPORTS"].conflict is None  # BALANCE = 303.6 − 71.6 holds


def test_figures_that_fix_a_value_twice_and_disagree_say_so() -> None:
    reported = {"TURNOVER": fig("100.0"), "EXPORTS": fig("60.0"), "BALANCE": fig("50.0")}
    imports = derive(reported)["IMPORTS"]  # 40.0 from TURNOVER, 10.0 from BALANCE
    assert imports.figure.value == D("40.0")
    assert imports.conflict is not None
    assert "BALANCE = EXPORTS − IMPORTS does not hold" in imports.conflict


@pytest.mark.parametrize(
    ("contradicting", "code", "formula"),
    [
        ("TURNOVER", "BALANCE", "TURNOVER = EXPORTS + IMPORTS"),
        ("BALANCE", "TURNOVER", "BALANCE = EXPORTS − IMPORTS"),
    ],
)
def test_a_value_derived_from_terms_of_an_identity_that_fails_says_so(
    contradicting: str, code: str, formula: str
) -> None:
    """Its own identity holds by construction; the other, on the same figures, does not."""
    derived = derive({"EXPORTS": fig("1"), "IMPORTS": fig("10"), contradicting: fig("5")})
    assert derived[code].conflict == (
        f"The reported figures it is derived from contradict the year's {contradicting}: "
        f"{formula} does not hold for them, even allowing for their rounding."
    )


def test_a_negative_derived_trade_flow_says_its_inputs_contradict_each_other() -> None:
    derived = derive({"TURNOVER": fig("100.0"), "EXPORTS": fig("150.0")})
    assert derived["IMPORTS"].figure.value == D("-50.0")
    assert derived["IMPORTS"].conflict == (
        "IMPORTS cannot be negative: the reported figures it is derived from contradict each other."
    )
    assert derived["BALANCE"].conflict == (
        "Derived from IMPORTS, whose reported figures contradict each other."
    )
    # Within rounding of zero is no contradiction: 0.04 − 0.05 may be 0.
    assert derive({"TURNOVER": fig("0.04"), "EXPORTS": fig("0.05")})["IMPORTS"].conflict is None


def test_a_ratio_above_28_digits_keeps_every_digit_it_is_rounded_to() -> None:
    """1E+24 USD over 0.000007 USD is a ratio of 142857142857142714285714285714.285714…:
    at 28 significant digits it was served as …285700.0, its last two whole digits and its
    six decimals made up, and its percent change likewise."""
    g = growth(D("0.000007"), D("999999999999999000000000"), 1)
    assert g.ratio == D("142857142857142714285714285714.285714")
    assert str(g.ratio) == "142857142857142714285714285714.285714"
    assert g.pch == D("14285714285714271428571428571328.5714")
    assert g.cagr == g.pch
    assert g.log == D("67.131643")
    exact = growth(D("0.000001"), D("999999999999999000000000"), 1)
    assert exact.pch == D("99999999999999899999999999999900")  # (ratio − 1) × 100: the − 1 kept


def test_a_ratio_just_below_1e20_is_rounded_once() -> None:
    """8.314338456778E+22 over 2932.46 is 28352777043090101825.77085450440…: at 28 digits
    it was …770854|50, a tie rounded half-even down to …770854, where the ratio rounds to
    …770855; its percent change likewise."""
    g = growth(D("2932.46"), D("8.314338456778E+22"), 1)
    assert g.ratio == D("28352777043090101825.770855")
    assert g.pch == D("2835277704309010182477.0855")


def test_a_reason_quotes_its_bound_in_plain_digits() -> None:
    """EXPORTS derived as (1 + 0) / 2 billions, 0.5 ± 0.5, is 5E+2 ± 5.0E+2 in millions:
    the reason said the base "may be as low as 0E+1", and a balance of 0 ± 1 billions "as
    low as -1.0E+3"."""
    g = growth(D("5E+2"), D("300"), 1, earliest=D("0E+1"))
    assert g.reason == (
        "the base value may be as low as 0 within its rounding, so no ratio is meaningful"
    )
    g = growth(D("100"), D("0E+3"), 1, latest=D("-1.0E+3"))
    assert g.reason == (
        "the later value may be as low as -1000 within its rounding, below zero, so no ratio "
        "is meaningful"
    )
