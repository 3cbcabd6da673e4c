"""Rounding-aware verdicts, qualifier bounds and implied ranges, without HTTP."""

from decimal import ROUND_CEILING, localcontext
from decimal import Decimal as D

import pytest

from app.stats.figures import Figure
from app.stats.intervals import Interval, divide, multiply
from app.stats.verdicts import (
    ClaimKind,
    Implication,
    Labels,
    Qualifier,
    Verdict,
    allowed_range,
    assess_growth_claim,
    assess_identity,
    claimed_ratios,
    implied_by,
    jointly_implied,
    no_value_allowed,
    qualifier_range,
    stated_phrase,
)


def divided_up(numerator: D, denominator: D) -> D:
    """Upper bounds are rounded up (outward) at 28 digits, so they hold every value."""
    with localcontext() as ctx:
        ctx.rounding = ROUND_CEILING
        return numerator / denominator


LABELS = Labels("FDI_INFLOW", "KAZ–BGR", 2023, 2024, "USD millions")
EXPORTS = Labels("EXPORTS", "KAZ–BGR", 2023, 2024, "USD millions")  # never below zero


def fig(text: str) -> Figure:
    return Figure(D(text), 6, max(0, -D(text).as_tuple().exponent))


@pytest.mark.parametrize(
    ("qualifier", "stated", "value", "allowed"),
    [
        # exact: half a unit of the last printed digit either way, bounds included
        ("exact", "4", "3.5", True),
        ("exact", "4", "4.5", True),
        ("exact", "4", "3.49", False),
        ("exact", "4", "4.51", False),
        ("exact", "86.5", "86.45", True),
        ("exact", "86.5", "86.55", True),
        ("exact", "86.5", "86.44", False),
        ("exact", "86.5", "86.56", False),
        # approximately: [0.9·N, 1.1·N], widened to N's rounding where that is wider:
        # "about 4" allows at least what "4" does
        ("approximately", "4", "3.5", True),
        ("approximately", "4", "4.5", True),
        ("approximately", "4", "3.49", False),
        ("approximately", "4", "4.51", False),
        ("approximately", "4.0", "3.6", True),  # printed to 0.1: 10% is the wider
        ("approximately", "4.0", "3.59", False),
        ("approximately", "86.5", "77.85", True),
        ("approximately", "86.5", "95.15", True),
        ("approximately", "86.5", "77.84", False),
        ("approximately", "86.5", "95.16", False),
        # almost: [0.9·N, N], its low end widened to N's rounding where that is lower
        ("almost", "4", "3.5", True),
        ("almost", "4", "4", True),
        ("almost", "4", "3.8", True),
        ("almost", "4", "3.49", False),
        ("almost", "4", "4.01", False),
        ("almost", "11", "9.9", True),
        ("almost", "11", "9.89", False),
        # more_than: (N, ∞), N itself excluded
        ("more_than", "11", "11", False),
        ("more_than", "11", "11.0001", True),
        ("more_than", "11", "1000", True),
        ("more_than", "11", "10.9", False),
        # at_least: [N, ∞)
        ("at_least", "11", "11", True),
        ("at_least", "11", "10.9999", False),
        # less_than: (−∞, N)
        ("less_than", "4", "4", False),
        ("less_than", "4", "3.9999", True),
        ("less_than", "4", "-5", True),
        # at_most: (−∞, N]
        ("at_most", "4", "4", True),
        ("at_most", "4", "4.0001", False),
        # a decrease: the qualifier applies to the size of the fall
        ("more_than", "-20", "-20.01", True),
        ("more_than", "-20", "-20", False),
        ("more_than", "-20", "-19", False),
        ("less_than", "-20", "-19", True),
        ("less_than", "-20", "-20", False),
        ("almost", "-20", "-18", True),
        ("almost", "-20", "-20", True),
        ("almost", "-20", "-17.9", False),
        ("almost", "-20", "-20.1", False),
        ("exact", "-20", "-20.5", True),
        ("exact", "-20", "-20.6", False),
    ],
)
def test_qualifier_bounds(qualifier: str, stated: str, value: str, allowed: bool) -> None:
    assert qualifier_range(Qualifier(qualifier), D(stated)).contains(D(value)) is allowed


@pytest.mark.parametrize(
    ("kind", "qualifier", "stated", "phrase"),
    [
        ("ratio", "almost", "4", "almost 4 times"),
        ("ratio", "more_than", "11", "more than 11 times"),
        ("percent_change", "exact", "86.5", "an increase of 86.5%"),
        ("percent_change", "approximately", "-20", "a decrease of about 20%"),
        # As the source stated them, never rounded for the sentence:
        ("ratio", "exact", "2.001", "2.001 times"),
        ("percent_change", "exact", "12.345", "an increase of 12.345%"),
        ("ratio", "almost", "1.0005", "almost 1.0005 times"),
    ],
)
def test_stated_phrases(kind: str, qualifier: str, stated: str, phrase: str) -> None:
    assert stated_phrase(ClaimKind(kind), Qualifier(qualifier), D(stated)) == phrase


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("4.2", "4.15", "4.25"),  # precision 1
        ("12", "11.5", "12.5"),  # precision 0
        ("0.75", "0.745", "0.755"),  # precision 2
    ],
)
def test_rounding_intervals(text: str, low: str, high: str) -> None:
    assert fig(text).interval == Interval(D(low), D(high))


def test_a_narrow_miss_prints_apart() -> None:
    """The figures allow 82.352941% at least: at two places that reads 82.35%, which "at
    most 82.35%" would seem to allow."""
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.at_most, D("82.35"), fig("4.2"), fig("7.8"), LABELS
    )
    assert a.verdict is Verdict.inconsistent
    assert a.explanation.endswith(
        "(82.352% to 89.157% allowing for their rounding), which “an increase of at most "
        "82.35%” does not allow (0% to 82.35%)."
    )


def test_fdi_claim_is_consistent_within_rounding() -> None:
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.exact, D("86.5"), fig("4.2"), fig("7.8"), LABELS
    )
    assert a.verdict is Verdict.consistent
    assert a.point == D("85.7143")
    assert a.interval is not None
    # [7.75/4.25, 7.85/4.15] as percent changes
    assert a.interval.low == (D("7.75") / D("4.25") - 1) * 100
    assert a.interval.high == (D("7.85") / D("4.15") - 1) * 100
    assert a.explanation == (
        "Consistent: the figures (4.2 in 2023 and 7.8 in 2024) give an increase of 85.71% "
        "(82.35% to 89.16% allowing for their rounding); the stated 86.5% differs from that "
        "point estimate by 0.8 percentage points, within the rounding of the published "
        "figures."
    )


def test_the_gap_from_a_stated_number_is_shown_in_its_own_places() -> None:
    a = assess_growth_claim(
        ClaimKind.ratio, Qualifier.exact, D("2.001"), fig("100.0"), fig("200.0"), LABELS
    )
    assert a.verdict is Verdict.consistent
    assert "the stated 2.001 times differs from that point estimate by 0.001," in a.explanation


@pytest.mark.parametrize(
    ("kind", "stated", "measure"),
    [
        ("ratio", "0.0001", "a ratio of 0.000000095"),
        ("percent_change", "-99", "a decrease of 99.9999905%"),
    ],
)
def test_a_collapse_that_leaves_something_is_not_written_as_nothing_left(
    kind: str, stated: str, measure: str
) -> None:
    """4200 to 0.0004: two decimals would say "a ratio of 0" and "a decrease of 100%"."""
    a = assess_growth_claim(
        ClaimKind(kind), Qualifier.at_most, D(stated), fig("4200"), fig("0.0004"), LABELS
    )
    assert f"give {measure}," in a.explanation or f"give {measure} (" in a.explanation


def test_the_words_range_is_quoted_in_enough_places() -> None:
    a = assess_growth_claim(
        ClaimKind.ratio, Qualifier.at_most, D("0.0001"), fig("4200"), fig("0.0004"), LABELS
    )
    assert "which “at most 0.0001 times” allows (0 times to 0.0001 times)." in a.explanation


def test_figures_given_in_different_units_say_the_unit_they_are_written_in() -> None:
    published = ((D("100.0"), "USD millions"), (D("150000"), "USD thousands"))
    labels = Labels("FDI_INFLOW", "KAZ–BGR", 2023, 2024, "USD thousands", published)
    base = Figure(D("100.0"), 6, 1).in_multiplier(3)
    later = Figure(D("150000"), 3, 0)
    a = assess_growth_claim(ClaimKind.ratio, Qualifier.exact, D("1.5"), base, later, labels)
    # Not "100000 in 2023 … both in USD thousands": a figure to the thousand, which it is not.
    assert "the figures (100.0 USD millions in 2023 and 150000 USD thousands in 2024)" in (
        a.explanation
    )


def test_claim_that_the_point_estimate_itself_satisfies() -> None:
    a = assess_growth_claim(
        ClaimKind.ratio, Qualifier.almost, D("4"), fig("95.0"), fig("375.2"), LABELS
    )
    assert a.verdict is Verdict.consistent
    assert "which “almost 4 times” allows (3.5 times to 4 times)" in a.explanation


@pytest.mark.parametrize(
    ("base", "verdict"),
    [
        ("30", Verdict.inconsistent),  # 303.6 / 30 ≈ 10.1: not more than 11 times
        ("27.0", Verdict.consistent),  # ≈ 11.24
        ("27.6", Verdict.consistent),  # 11.0 exactly, but rounding allows a little more
        ("27.7", Verdict.inconsistent),  # at most 303.65 / 27.65 ≈ 10.98
    ],
)
def test_more_than_eleven_times(base: str, verdict: Verdict) -> None:
    a = assess_growth_claim(
        ClaimKind.ratio, Qualifier.more_than, D("11"), fig(base), fig("303.6"), LABELS
    )
    assert a.verdict is verdict


def test_inconsistent_explains_what_the_words_allow() -> None:
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.exact, D("50"), fig("4.2"), fig("7.8"), LABELS
    )
    assert a.verdict is Verdict.inconsistent
    assert a.explanation.startswith("Inconsistent: the figures (4.2 in 2023 and 7.8 in 2024)")
    assert "“an increase of 50%” does not allow (49.5% to 50.5%)" in a.explanation


def test_missing_base_implies_its_range() -> None:
    a = assess_growth_claim(ClaimKind.ratio, Qualifier.almost, D("4"), None, fig("375.2"), LABELS)
    assert a.verdict is Verdict.unverifiable
    assert a.missing_years == (2023,)
    assert a.implied_year == 2023
    assert a.implied == Interval(D("375.15") / 4, divided_up(D("375.25"), D("3.5")))
    assert "no FDI_INFLOW figure is recorded for KAZ–BGR in 2023" in a.explanation
    assert "93.78 to 107.22 USD millions" in a.explanation  # 107.2142857… rounded up


def test_missing_base_under_more_than_is_bounded_above_only() -> None:
    a = assess_growth_claim(
        ClaimKind.ratio, Qualifier.more_than, D("11"), None, fig("303.6"), LABELS
    )
    assert a.implied == Interval(D(0), divided_up(D("303.65"), D(11)), False, False)
    assert "less than 27.61 USD millions" in a.explanation


def test_missing_later_year_implies_its_range() -> None:
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.exact, D("86.5"), fig("4.2"), None, LABELS
    )
    assert a.implied_year == 2024
    assert a.implied == Interval(D("4.15") * D("1.8645"), D("4.25") * D("1.8655"))


def test_both_missing_implies_nothing() -> None:
    a = assess_growth_claim(ClaimKind.ratio, Qualifier.almost, D("4"), None, None, LABELS)
    assert a.verdict is Verdict.unverifiable
    assert a.missing_years == (2023, 2024)
    assert a.implied is None


@pytest.mark.parametrize(
    ("base", "least_ratio", "least_change"),
    [("0", "750.3", "74930"), ("0.0", "7503", "750200"), ("0.00", "75030", "7502900")],
)
def test_a_base_that_may_be_zero_checks_only_what_no_base_allows(
    base: str, least_ratio: str, least_change: str
) -> None:
    """A published 0 stands for 0 to 0.5 (0.0 to 0.05, 0.00 to 0.005): a base above zero
    gives 375.2 (375.15 at least) at least 750.3 times over, and a zero base no ratio. "More
    than 100 times" may be true, but no base makes it "almost 4 times", nor 86.5% more."""
    maybe = assess_growth_claim(
        ClaimKind.ratio, Qualifier.more_than, D("100"), fig(base), fig("375.2"), LABELS
    )
    assert maybe.verdict is Verdict.unverifiable
    assert "a base that may be zero" in maybe.explanation
    figures = f"the figures ({base} in 2023 and 375.2 in 2024) include a base that may be zero"
    for kind, qualifier, stated, least, words in (
        (ClaimKind.ratio, Qualifier.almost, "4", f"{least_ratio} times", "almost 4 times"),
        (
            ClaimKind.percent_change,
            Qualifier.exact,
            "86.5",
            f"{least_change}%",
            "an increase of 86.5%",
        ),
    ):
        never = assess_growth_claim(kind, qualifier, D(stated), fig(base), fig("375.2"), LABELS)
        assert never.verdict is Verdict.inconsistent
        allowed = "3.5 times to 4 times" if kind is ClaimKind.ratio else "86.45% to 86.55%"
        assert never.explanation == (
            f"Inconsistent: {figures}, but any base above zero gives at least {least} allowing "
            f"for their rounding, and a zero base no ratio at all, which “{words}” does not "
            f"allow ({allowed})."
        )


def test_both_figures_that_may_be_zero_still_contradict_words_no_ratio_meets() -> None:
    """With the later figure 0.0 too, a base above zero gives any ratio from 0 up, which
    "more than 100 times" may be; "a decrease of more than 100%" (stored before writes
    refused it) no base bears out, as with either figure missing (review)."""
    maybe = assess_growth_claim(
        ClaimKind.ratio, Qualifier.more_than, D("100"), fig("0.0"), fig("0.0"), LABELS
    )
    assert maybe.verdict is Verdict.unverifiable
    never = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.more_than, D("-100"), fig("0.0"), fig("0.0"), LABELS
    )
    assert never.verdict is Verdict.inconsistent
    assert never.explanation == (
        "Inconsistent: the figures (0.0 in 2023 and 0.0 in 2024) include a base that may be "
        "zero, but any base above zero gives at least -100% allowing for their rounding, and "
        "a zero base no ratio at all, which “a decrease of more than 100%” does not allow "
        "(less than -100%)."
    )


def test_identity_within_rounding() -> None:
    labels = Labels("TURNOVER", "KAZ–BGR", 2024, 2024, "USD millions")
    computed = Figure(D("375.3"), 6, 1, D("0.1"))  # exports + imports, each ±0.05
    a = assess_identity("TURNOVER = EXPORTS + IMPORTS", fig("375.2"), computed, labels)
    assert a.verdict is Verdict.consistent
    far = Figure(D("375.5"), 6, 1, D("0.1"))
    b = assess_identity("TURNOVER = EXPORTS + IMPORTS", fig("375.2"), far, labels)
    assert b.verdict is Verdict.inconsistent
    assert b.explanation.startswith(
        "Inconsistent: TURNOVER is reported as 375.2 USD millions and EXPORTS + IMPORTS "
        "give 375.5 USD millions (375.4 to 375.6 allowing for rounding)"
    )


@pytest.mark.parametrize(
    ("balance", "reach"),
    [
        ("30.0", "which the reported figure's own rounding reaches, but"),
        ("50.0", "beyond the reach of the reported figure's rounding, and"),
    ],
)
def test_an_identity_on_a_term_derived_below_zero_is_inconsistent_either_way(
    balance: str, reach: str
) -> None:
    """EXPORTS 20 minus IMPORTS = TURNOVER − EXPORTS = 10 − 20: whether or not the sum
    meets the balance, it rests on imports of -10."""
    labels = Labels("BALANCE", "KAZ–BGR", 2020, 2020, "USD millions")
    computed = Figure(D("30.0"), 6, 1, D("0.15"))
    imports = Figure(D("-10.0"), 6, 1, D("0.1"))
    formula = "BALANCE = EXPORTS − IMPORTS (IMPORTS = TURNOVER − EXPORTS)"
    a = assess_identity(formula, fig(balance), computed, labels, ("IMPORTS", imports))
    assert a.verdict is Verdict.inconsistent
    assert a.explanation == (
        f"Inconsistent: BALANCE is reported as {balance} USD millions and EXPORTS − IMPORTS "
        "(IMPORTS = TURNOVER − EXPORTS) give 30 USD millions (29.85 to 30.15 allowing for "
        f"rounding), {reach} that IMPORTS is -10 USD millions (-10.1 to -9.9 allowing for "
        "rounding), which it cannot be: the reported figures it is derived from contradict "
        "each other."
    )
    assert a.point == D("30.0")


@pytest.mark.parametrize(
    ("a", "b", "meets"),
    [
        (Interval(D(4), None, False, False), Interval(D(3), D(4)), False),
        (Interval(D(4), None, True, False), Interval(D(3), D(4)), True),
        (Interval(D(1), D(2)), Interval(D(2), D(3)), True),
        (Interval(D(1), D(2), True, False), Interval(D(2), D(3)), False),
        (Interval(None, None, False, False), Interval(D(5), D(5)), True),
    ],
)
def test_intervals_meet_only_when_they_share_a_number(
    a: Interval, b: Interval, meets: bool
) -> None:
    assert a.meets(b) is meets
    assert b.meets(a) is meets


def test_interval_division_and_multiplication() -> None:
    assert divide(Interval(D(6), D(8)), Interval(D(2), D(4))) == Interval(D("1.5"), D(4))
    assert divide(Interval(D(6), D(8)), Interval(D(0), D(4))) == Interval(
        D("1.5"), None, True, False
    )
    assert divide(Interval(D(1), D(2)), Interval(D(0), D(0))) is None
    assert multiply(Interval(D(2), D(3)), Interval(D(4), None, False, False)) == Interval(
        D(8), None, False, False
    )
    with pytest.raises(ValueError):
        divide(Interval(D(-1), D(2)), Interval(D(1), D(2)))


def implication(
    claim_id: int, known: Figure, ratio: Interval, known_year: int, known_is_later: bool = True
) -> Implication:
    """A claim that the known figure stands in `ratio` to the missing one."""
    implied = implied_by(known, ratio, known_is_later)
    assert implied is not None
    return Implication(claim_id, implied, ratio, known, known_year, known_is_later)


def exactly(text: str) -> Figure:
    return Figure(D(text), 6, 4, tolerance=D(0))


def test_claims_that_narrowly_miss_each_other_print_as_apart() -> None:
    """At two places at most 98.7449 and from 98.7451 would print as meeting at 98.75."""
    claims = [
        implication(3, exactly("98.7449"), Interval(D(1), None), 2024),
        implication(5, exactly("98.7451"), Interval(D("0.5"), D(1)), 2025),
    ]
    shown, text = jointly_implied("the 2023 TURNOVER figure", claims, "USD millions", 2)
    assert shown == claims[0].implied
    assert text == (
        "Contradictory: claims 3 and 5 each imply the 2023 TURNOVER figure (claim 3: at most "
        "98.7449; claim 5: 98.7451 to 197.4902, in USD millions), and no value is in every "
        "range, so they cannot all be right; shown is claim 3's range."
    )


def test_three_claims_narrow_to_what_all_allow() -> None:
    claims = [
        implication(1, exactly("10"), Interval(D(0), D(1)), 2020, known_is_later=False),
        implication(2, exactly("4"), Interval(D(1), None), 2021, known_is_later=False),
        implication(7, exactly("2"), Interval(D(1), D(3)), 2022, known_is_later=False),
    ]
    joint, text = jointly_implied("the 2023 EXPORTS figure", claims, "USD millions", 1)
    assert joint == Interval(D(4), D(6))
    assert text.startswith("Claims 1, 2 and 7 each imply the 2023 EXPORTS figure (claim 1:")
    assert text.endswith("if all are right, it was 4 to 6 USD millions.")


def test_claims_on_one_figure_must_agree_on_its_ratio() -> None:
    """2 (so 1.5 to 2.5) is "almost 2 times" 2023 and "more than 2.5 times" it: alone,
    each allows 2023 values from 0.75 to 1, but no ratio is both at most 2 and above 2.5."""
    two = Figure(D(2), 9, 0)
    claims = [
        implication(5, two, Interval(D("1.8"), D(2)), 2024),
        implication(6, two, Interval(D("2.5"), None, False, False), 2024),
    ]
    assert claims[0].implied.intersect(claims[1].implied) is not None  # alone, they meet
    shown, text = jointly_implied("the 2023 TURNOVER figure", claims, "USD billions", 1)
    assert shown == claims[0].implied
    assert text.startswith("Contradictory: claims 5 and 6 each imply the 2023 TURNOVER figure")
    assert text.endswith(
        "but claims 5 and 6 put one ratio to the 2024 figure in ranges that share no value "
        "(claim 5: 1.8 times to 2 times; claim 6: above 2.5 times), so they cannot all be "
        "right; shown is claim 5's range."
    )


def test_clashing_ratios_print_as_apart() -> None:
    """ "An increase of 86.5%" allows ratios of 1.8645 to 1.8655, and "at least 1.866
    times" none of them; at two places they read "1.86 times to 1.87 times" and "at least
    1.86 times", which meet, in a sentence that says they share no value."""
    known = Figure(D("375.2"), 6, 1)
    claims = [
        implication(1, known, Interval(D("1.8645"), D("1.8655")), 2024),
        implication(2, known, Interval(D("1.866"), None, True, False), 2024),
    ]
    _, text = jointly_implied("the 2023 TURNOVER figure", claims, "USD millions", 2)
    assert (
        "share no value (claim 1: 1.8645 times to 1.8655 times; claim 2: at least 1.866 times)"
        in text
    )


@pytest.mark.parametrize(
    ("qualifier", "allowed"),
    [
        (Qualifier.more_than, None),  # a fall larger than everything there was
        (Qualifier.at_least, Interval(D(0), D(0))),  # all of it, and no more
        (Qualifier.exact, Interval(D(0), D("0.005"))),  # 100 as printed: 99.5 to 100.5
    ],
)
def test_a_fall_of_more_than_everything_allows_no_ratio(
    qualifier: Qualifier, allowed: Interval | None
) -> None:
    ratios = claimed_ratios(
        ClaimKind.percent_change, allowed_range(qualifier, D(-100), ClaimKind.percent_change)
    )
    assert ratios == allowed


@pytest.mark.parametrize(
    ("kind", "qualifier", "stated", "allowed"),
    [
        # 10% either way of a 100% fall reached −110%: more than there was to lose.
        ("percent_change", "approximately", "-100", Interval(D(-100), D(-90))),
        ("percent_change", "approximately", "-95", Interval(D(-100), D("-85.5"))),
        ("percent_change", "exact", "-100", Interval(D(-100), D("-99.5"))),  # its rounding
        ("percent_change", "almost", "-100", Interval(D(-100), D(-90))),  # never reached past
        ("percent_change", "more_than", "-20", Interval(D(-100), D(-20), True, False)),
        ("percent_change", "at_least", "-100", Interval(D(-100), D(-100))),  # all of it
        ("ratio", "less_than", "3", Interval(D(0), D(3), True, False)),
        ("ratio", "at_most", "2", Interval(D(0), D(2))),
    ],
)
def test_words_allow_only_what_can_be(
    kind: str, qualifier: str, stated: str, allowed: Interval
) -> None:
    """A change of amounts that cannot be negative is never below −100%, nor their ratio
    below 0, whatever the hedge: figures cannot give it, so the words cannot allow it."""
    assert allowed_range(Qualifier(qualifier), D(stated), ClaimKind(kind)) == allowed


@pytest.mark.parametrize(
    ("qualifier", "allows"),
    [
        ("approximately", "“a decrease of about 100%” allows (-100% to -90%)."),
        ("at_least", "“a decrease of at least 100%” allows (-100%)."),  # not "-100% to -100%"
    ],
)
def test_a_fall_to_nothing_is_within_a_range_cut_at_100_percent(
    qualifier: str, allows: str
) -> None:
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier(qualifier), D(-100), fig("4.2"), fig("0"), EXPORTS
    )
    assert a.verdict is Verdict.consistent, a.explanation
    assert a.explanation.endswith(f"which {allows}"), a.explanation


def test_a_stored_claim_of_an_impossible_fall_is_inconsistent_whatever_the_figures() -> None:
    """Writes refuse it now; one stored before is inconsistent, with both figures (which
    fall by 100% at most) and with one missing (no figure could bear it out)."""
    both = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.more_than, D(-100), fig("4.2"), fig("0"), EXPORTS
    )
    assert (both.verdict, both.point) == (Verdict.inconsistent, D(-100))
    assert both.explanation.endswith(
        "which “a decrease of more than 100%” does not allow (less than -100%)."
    )
    one = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.more_than, D(-100), fig("4.2"), None, LABELS
    )
    assert (one.verdict, one.implied) == (Verdict.inconsistent, None)
    assert one.explanation == (
        "Inconsistent: “a decrease of more than 100%” allows no value: a fall of 100% leaves "
        "nothing, and none is larger."
    )


@pytest.mark.parametrize(
    ("kind", "stated", "point"),
    [("ratio", "11", "11.0000004"), ("percent_change", "1000", "1000.00004")],
)
def test_the_point_is_not_rounded_onto_a_bound_the_words_exclude(
    kind: str, stated: str, point: str
) -> None:
    """27500001 over 2500000 is 11.0000004 times: "more than 11 times" allows it, and the
    sentence says so, but `point` read 11 (1000 as a percent change), which they exclude."""
    a = assess_growth_claim(
        ClaimKind(kind), Qualifier.more_than, D(stated), fig("2500000"), fig("27500001"), LABELS
    )
    assert a.verdict is Verdict.consistent
    assert a.point == D(point)
    allowed = allowed_range(Qualifier.more_than, D(stated), ClaimKind(kind))
    assert allowed is not None and allowed.contains(a.point)


def test_a_fall_too_small_for_two_places_is_still_a_fall() -> None:
    """The rounded point (0.0) once chose the words: "an increase of 0%", beside a
    verdict that the fall broke "an increase of at least 0%"."""
    a = assess_growth_claim(
        ClaimKind.percent_change,
        Qualifier.at_least,
        D("0"),
        fig("1000000.0000"),
        fig("999999.9995"),
        LABELS,
    )
    assert a.verdict is Verdict.inconsistent
    assert a.point == D("-5.0E-8")
    assert "give a decrease of 0.00000005% (" in a.explanation


@pytest.mark.parametrize(
    ("kind", "qualifier", "stated", "verdict", "words"),
    [
        # The point is -0.00001%: not allowed by "at least 0%", though it rounds to 0.
        ("percent_change", "at_least", "0", Verdict.consistent, "differs from that point"),
        # ... and exactly what "a decrease of 0.00001%" says: no gap to report.
        ("percent_change", "exact", "-0.00001", Verdict.consistent, "which “a decrease"),
        # A ratio of 0.9999999 is less than 1, though it rounds to 1.000000.
        ("ratio", "less_than", "1", Verdict.consistent, "a ratio of 0.9999999, which"),
    ],
)
def test_the_figures_own_point_is_judged_unrounded(
    kind: str, qualifier: str, stated: str, verdict: Verdict, words: str
) -> None:
    a = assess_growth_claim(
        ClaimKind(kind), Qualifier(qualifier), D(stated), fig("1000000"), fig("999999.9"), LABELS
    )
    assert a.verdict is verdict
    assert words in a.explanation, a.explanation
    assert "by 0 " not in a.explanation and "of 0%" not in a.explanation


@pytest.mark.parametrize(
    ("stated", "qualifier", "later", "verdict"),
    [
        # "A decrease of less than 20%" is a fall, of under 20%: not the rise to 10 from 2.
        ("-20", "less_than", "10.00", Verdict.inconsistent),
        ("-20", "at_most", "10.00", Verdict.inconsistent),
        ("-20", "less_than", "1.90", Verdict.consistent),
        # "An increase of less than 10%" is a rise: not a fall by half.
        ("10", "less_than", "1.00", Verdict.inconsistent),
        ("10", "less_than", "2.10", Verdict.consistent),
        # No change is the edge of both, so either word allows it.
        ("-20", "less_than", "2.00", Verdict.consistent),
        ("10", "at_most", "2.00", Verdict.consistent),
    ],
)
def test_a_change_goes_the_way_its_word_says(
    stated: str, qualifier: str, later: str, verdict: Verdict
) -> None:
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier(qualifier), D(stated), fig("2.00"), fig(later), LABELS
    )
    assert a.verdict is verdict, a.explanation
    if verdict is Verdict.inconsistent:
        assert "does not allow" in a.explanation


def test_an_increase_of_less_than_nothing_allows_nothing() -> None:
    assert allowed_range(Qualifier.less_than, D(0), ClaimKind.percent_change) is None
    why = no_value_allowed(ClaimKind.percent_change, Qualifier.less_than, D(0))
    assert why == "allows no value: an increase is never below 0%"
    assert no_value_allowed(ClaimKind.percent_change, Qualifier.at_most, D(0)) is None
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.less_than, D(0), fig("2"), fig("1"), LABELS
    )
    assert a.verdict is Verdict.inconsistent and why in a.explanation


@pytest.mark.parametrize(
    ("qualifier", "stated", "base", "later", "where"),
    [
        # 375.2 / 107.21 = 3.49967: "almost 4" allows from 3.5, which the rounding reaches
        # (375.25 / 107.205 = 3.5003), but not 4, which is 0.5 away: the gap is to 3.5.
        (
            "almost",
            "4",
            "107.21",
            "375.2",
            "“almost 4 times” allows 3.5 times to 4 times, and that point estimate is "
            "0.00033 below it, within the rounding",
        ),
        # 303.6 / 27.6 = 11 exactly, which "more than 11" excludes; 11.02 is allowed.
        (
            "more_than",
            "11",
            "27.6",
            "303.6",
            "“more than 11 times” allows above 11 times, and that point estimate is on its "
            "excluded bound, within the rounding",
        ),
    ],
)
def test_a_consistent_point_outside_the_words_is_measured_to_their_range(
    qualifier: str, stated: str, base: str, later: str, where: str
) -> None:
    """ "Differs by 0.4, within the rounding" was false: the rounding never reaches 4."""
    a = assess_growth_claim(
        ClaimKind.ratio, Qualifier(qualifier), D(stated), fig(base), fig(later), LABELS
    )
    assert a.verdict is Verdict.consistent
    assert where in a.explanation, a.explanation
    assert "differs from that point estimate" not in a.explanation


@pytest.mark.parametrize(
    ("kind", "qualifier", "stated", "base", "later", "measure"),
    [
        # 303.6 / 27.61 = 10.996: two places would read 11, the bound it fails.
        ("ratio", "more_than", "11", "27.61", "303.6", "give a ratio of 10.996 ("),
        # 375.2 / 93.78 = 4.00085, which "almost 4" does not allow.
        ("ratio", "almost", "4", "93.78", "375.2", "give a ratio of 4.00085 ("),
        # 1.19996 / 1 - 1 = 19.996%, which "an increase of at least 20%" does not allow.
        ("percent_change", "at_least", "20", "1.00000", "1.19996", "give an increase of 19.996% ("),
    ],
)
def test_a_point_is_never_shown_on_the_bound_it_fails(
    kind: str, qualifier: str, stated: str, base: str, later: str, measure: str
) -> None:
    a = assess_growth_claim(
        ClaimKind(kind), Qualifier(qualifier), D(stated), fig(base), fig(later), LABELS
    )
    assert a.verdict is Verdict.inconsistent
    assert measure in a.explanation, a.explanation


@pytest.mark.parametrize(
    ("stated", "low", "high"), [("0", "-0.5", "0.5"), ("0.0", "-0.05", "0.05")]
)
def test_a_change_of_exactly_0_percent_keeps_its_rounding_both_ways(
    stated: str, low: str, high: str
) -> None:
    """ "0%" was read as "an increase of 0%", [0%, 0.5%]: a fall of 0.2% (100.0 to 99.8),
    well within the rounding of the printed 0, was judged inconsistent with it."""
    allowed = allowed_range(Qualifier.exact, D(stated), ClaimKind.percent_change)
    assert allowed == Interval(D(low), D(high))
    assert stated_phrase(ClaimKind.percent_change, Qualifier.exact, D(stated)) == (
        f"a change of {stated}%"
    )
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.exact, D("0"), fig("100.0"), fig("99.8"), LABELS
    )
    assert a.verdict is Verdict.consistent, a.explanation
    assert "which “a change of 0%” allows (-0.5% to 0.5%)" in a.explanation
    # A bound still says which way: "an increase of at least 0%" allows no fall.
    assert allowed_range(Qualifier.at_least, D("0"), ClaimKind.percent_change) == Interval(
        D("0"), None, True, False
    )


@pytest.mark.parametrize(
    ("kind", "stated", "base", "later", "words"),
    [
        # 6.989999 ÷ 2 is 3.4949995: 3.49 in two places, though its six (3.495000) read 3.5.
        ("ratio", "3.49", "2", "6.989999", "give a ratio of 3.49, which"),
        # 224.70999 ÷ 200 is a rise of 12.354995%: 12.35, though its four (12.3550) read 12.36.
        ("percent_change", "12.35", "200", "224.70999", "give an increase of 12.35%, which"),
    ],
)
def test_the_point_in_a_sentence_is_rounded_once(
    kind: str, stated: str, base: str, later: str, words: str
) -> None:
    a = assess_growth_claim(
        ClaimKind(kind), Qualifier.exact, D(stated), fig(base), fig(later), LABELS
    )
    assert words in a.explanation, a.explanation


def test_an_identity_prints_the_exact_sum_it_checks() -> None:
    """Figures to the thousandth sum exactly; two places would print 3.579 as 3.58."""
    labels = Labels("TURNOVER", "USA–MEX", 2020, 2020, "USD thousands")
    computed = Figure(D("3.579"), 3, 3, D("0.001"))  # 1.234 + 2.345, each ±0.0005
    a = assess_identity("TURNOVER = EXPORTS + IMPORTS", fig("3.58"), computed, labels)
    assert "give 3.579 USD thousands (3.578 to 3.58 allowing for rounding)" in a.explanation


def test_figures_that_do_not_change_give_no_change() -> None:
    """5.0 to 5.0 is neither way: it was written "an increase of 0%"."""
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.exact, D("-5"), fig("5.0"), fig("5.0"), LABELS
    )
    assert a.verdict is Verdict.inconsistent
    assert "give no change (" in a.explanation, a.explanation


def test_a_base_that_may_be_zero_quotes_the_words_it_cannot_check() -> None:
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.more_than, D("50"), fig("0.0"), fig("2.0"), LABELS
    )
    assert a.verdict is Verdict.unverifiable
    assert a.explanation.endswith(
        "no ratio exists to check “an increase of more than 50%” against."
    )


@pytest.mark.parametrize(
    ("stated", "later", "allowed"),
    [
        # -20% itself is not "a decrease of less than 20%": it read "-20% to 0%".
        ("-20", "10.00", "(above -20%, up to 0%)"),
        ("10", "1.00", "(0% to less than 10%)"),
    ],
)
def test_a_range_says_which_bound_it_leaves_out(stated: str, later: str, allowed: str) -> None:
    a = assess_growth_claim(
        ClaimKind.percent_change, Qualifier.less_than, D(stated), fig("2.00"), fig(later), LABELS
    )
    assert a.explanation.endswith(f"does not allow {allowed}."), a.explanation


@pytest.mark.parametrize(
    ("kind", "qualifier", "stated", "verdict", "says"),
    [
        # 0.0 may stand for a deficit of 0.05: no ratio says how it grew, as growth says.
        ("percent_change", "exact", "-100", Verdict.unverifiable, "as low as -0.05 within"),
        ("percent_change", "approximately", "-100", Verdict.unverifiable, "below zero"),
        # Even the values at or above zero (0 to 0.05 over 49.95 to 50.05) rule these out.
        ("ratio", "exact", "5", Verdict.inconsistent, "give 0 times to 0.01 times"),
        ("percent_change", "exact", "-50", Verdict.inconsistent, "give -100% to -99.89%"),
    ],
)
def test_a_growth_claim_to_a_balance_that_may_be_a_deficit(
    kind: str, qualifier: str, stated: str, verdict: Verdict, says: str
) -> None:
    """A balance from 50.0 to 0.0 may have turned into a deficit within its rounding. A
    fall to 0.0 of exports, which cannot, is "a decrease of 100%" (consistent, above)."""
    labels = Labels("BALANCE", "KAZ–BGR", 2023, 2024, "USD millions")
    a = assess_growth_claim(
        ClaimKind(kind), Qualifier(qualifier), D(stated), fig("50.0"), fig("0.0"), labels
    )
    assert a.verdict is verdict, a.explanation
    assert says in a.explanation
