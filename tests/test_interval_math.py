"""Property tests: the growth and claim arithmetic against a brute-force reference.

The reference works in `fractions.Fraction`, exactly, straight from the definitions in the
README ("Rounding", "Claims"): a figure v published to p decimals stands for the closed
interval [v − ½·10^−p, v + ½·10^−p]; a ratio of two figures ranges over every quotient of
points in their intervals; a claim is consistent when the range its words allow meets
that range. hypothesis draws the figures and claims, aiming at the edges.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.api.presenters import interval_data, shown_interval, shown_interval_data
from app.models import ObservationStatus
from app.queries import Point
from app.stats.figures import Figure
from app.stats.growth import PERCENT_DECIMALS, RATIO_DECIMALS, growth
from app.stats.intervals import Interval, divide
from app.stats.verdicts import (
    ClaimKind,
    Labels,
    Qualifier,
    Verdict,
    assess_growth_claim,
    qualifier_range,
)

LABELS = Labels("TURNOVER", "KAZ–BGR", 2023, 2024, "USD millions")
ONE_HUNDRED = Fraction(100)


@dataclass(frozen=True)
class Range:
    """An interval of exact fractions; None is unbounded."""

    low: Fraction | None
    high: Fraction | None
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, x: Fraction) -> bool:
        above = self.low is None or x > self.low or (self.low_closed and x == self.low)
        below = self.high is None or x < self.high or (self.high_closed and x == self.high)
        return above and below


def exact(value: Decimal | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def half_unit(precision: int) -> Fraction:
    return Fraction(1, 2 * 10**precision)


def published(units: int, precision: int) -> Decimal:
    """units·10^−precision, written with exactly `precision` decimals, as printed."""
    return Decimal(units).scaleb(-precision)


def rounds_to(x: Fraction, units: int, precision: int) -> bool:
    """Whether some publisher, rounding half up or half down, prints x as the figure."""
    scaled = x * 10**precision
    return (
        math.floor(scaled + Fraction(1, 2)) == units or math.ceil(scaled - Fraction(1, 2)) == units
    )


# ----------------------------------------------------------------- rounding intervals

units_ = st.integers(min_value=0, max_value=10**6)
precision_ = st.integers(min_value=0, max_value=4)


@settings(deadline=None)  # a loaded machine is slow; no timing here
@given(units_, precision_, st.integers(min_value=-30, max_value=30))
def test_a_figure_stands_for_exactly_what_rounds_to_it(
    units: int, precision: int, offset: int
) -> None:
    """Brute force on a grid 20 times finer than the last digit, across the neighbours."""
    interval = Figure(published(units, precision), 6, precision).interval
    x = Fraction(units, 10**precision) + Fraction(offset, 20 * 10**precision)
    assert interval.contains(Decimal(x.numerator) / Decimal(x.denominator)) == rounds_to(
        x, units, precision
    )
    assert exact(interval.low) == Fraction(units, 10**precision) - half_unit(precision)
    assert exact(interval.high) == Fraction(units, 10**precision) + half_unit(precision)


# ----------------------------------------------------------------------- growth


def half_even(x: Fraction, decimals: int) -> Fraction:
    return Fraction(round(x * 10**decimals), 10**decimals)  # round() on a Fraction is half-even


def clear_of(x: Fraction, decimals: int, boundary: int) -> Fraction:
    """Rounded to `decimals`, or, where that lands on `boundary` and x is not on it, to
    as many as keep two significant digits of the distance (README, "Precision")."""
    rounded = half_even(x, decimals)
    if rounded != boundary or x == boundary:
        return rounded
    first_digit = 0  # the place of the distance's first significant digit: 10^-first_digit
    while abs(x - boundary) * 10**first_digit < 1:
        first_digit += 1
    return half_even(x, first_digit + 1)


@settings(deadline=None)  # a loaded machine is slow; no timing here
@given(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=-(10**6), max_value=10**6),
    precision_,
    precision_,
    st.integers(min_value=1, max_value=30),
)
@example(earlier=8, later=15, p1=0, p2=0, years=1)  # 87.5%: a tie at RATIO_DECIMALS? no, exact
@example(earlier=3, later=1, p1=0, p2=0, years=2)  # a repeating ratio
@example(earlier=10**6, later=1, p1=0, p2=1, years=1)  # 1E-7 of it left: not a ratio of 0
@example(earlier=10**6, later=-1, p1=0, p2=1, years=1)  # a fall just past nothing: no ratio
@example(earlier=10**6, later=0, p1=0, p2=0, years=1)  # nothing left: exactly 0 and -100
def test_growth_matches_exact_fractions(
    earlier: int, later: int, p1: int, p2: int, years: int
) -> None:
    a, b = published(earlier, p1), published(later, p2)
    g = growth(a, b, years)
    ratio = Fraction(b) / Fraction(a)
    assert exact(g.chg) == Fraction(b) - Fraction(a)
    if b < 0:  # the sign changed: no ratio says how it grew
        assert (g.ratio, g.pch, g.cagr, g.log) == (None, None, None, None)
        assert "sign" in (g.reason or "")
        return
    assert exact(g.ratio) == clear_of(ratio, RATIO_DECIMALS, 0)
    assert exact(g.pch) == clear_of((ratio - 1) * ONE_HUNDRED, PERCENT_DECIMALS, -100)
    if ratio == 0:  # all gone: -100% a year compounded, and no log
        assert exact(g.cagr) == -100 and g.log is None and g.reason
        return
    # CAGR is a root, so not a fraction: check the rounded rate brackets the exact ratio.
    cagr = exact(g.cagr)
    assert cagr is not None
    step = Fraction(1, 2 * 10**PERCENT_DECIMALS)
    assert (1 + (cagr - step) / ONE_HUNDRED) ** years <= ratio <= (1 + (cagr + step) / 100) ** years
    assert g.log is not None and abs(float(g.log) - math.log(ratio)) <= 1e-6


# ----------------------------------------------------------------- qualifier bounds

REFERENCE_QUALIFIERS = {  # factor of |N| for each bound, and whether each is closed
    Qualifier.approximately: (Fraction(9, 10), Fraction(11, 10), True, True),
    Qualifier.almost: (Fraction(9, 10), Fraction(1), True, True),
    Qualifier.more_than: (Fraction(1), None, False, False),
    Qualifier.at_least: (Fraction(1), None, True, False),
    Qualifier.less_than: (None, Fraction(1), False, False),
    Qualifier.at_most: (None, Fraction(1), False, True),
}


def reference_allowed(qualifier: Qualifier, stated: Decimal) -> Range:
    size = abs(Fraction(stated))
    half = half_unit(-int(stated.as_tuple().exponent))  # of the last printed digit
    if qualifier is Qualifier.exact:
        allowed = Range(size - half, size + half)
    else:
        low, high, low_closed, high_closed = REFERENCE_QUALIFIERS[qualifier]
        allowed = Range(
            None if low is None else low * size,
            None if high is None else high * size,
            low_closed,
            high_closed,
        )
    # A hedge allows no less than the bare number: "about 4" what "4" does, and "almost 4"
    # as far below 4.
    if qualifier in (Qualifier.approximately, Qualifier.almost):
        assert allowed.low is not None and allowed.high is not None
        low = min(allowed.low, size - half)
        high = max(allowed.high, size + half) if qualifier is Qualifier.approximately else size
        allowed = Range(low, high, allowed.low_closed, allowed.high_closed)
    if stated < 0:  # a fall: the words bound its size
        return Range(
            None if allowed.high is None else -allowed.high,
            None if allowed.low is None else -allowed.low,
            allowed.high_closed,
            allowed.low_closed,
        )
    return allowed


stated_ = st.builds(
    published, st.integers(min_value=-5000, max_value=5000), st.integers(min_value=0, max_value=2)
)


def as_range(interval: Interval) -> Range:
    return Range(
        exact(interval.low), exact(interval.high), interval.low_closed, interval.high_closed
    )


@settings(deadline=None)  # a loaded machine is slow; no timing here
@given(st.sampled_from(list(Qualifier)), stated_)
def test_qualifier_bounds(qualifier: Qualifier, stated: Decimal) -> None:
    assert as_range(qualifier_range(qualifier, stated)) == reference_allowed(qualifier, stated)


# ----------------------------------------------------------- ratios and verdicts


def clamp(r: Range) -> Range:
    """Figures of these indicators cannot be negative."""
    if r.low is not None and r.low >= 0:
        return r
    return Range(Fraction(0), r.high, True, r.high_closed)


def figure_range(units: int, precision: int) -> Range:
    v = Fraction(units, 10**precision)
    return clamp(Range(v - half_unit(precision), v + half_unit(precision)))


def quotient(numerator: Range, denominator: Range) -> Range:
    """{a / b}: for non-negative ranges the extremes are at the corners."""
    assert numerator.low is not None and numerator.high is not None
    assert denominator.low and denominator.high
    return Range(numerator.low / denominator.high, numerator.high / denominator.low)


def meets(a: Range, b: Range) -> bool:
    def before(low: Fraction | None, lc: bool, high: Fraction | None, hc: bool) -> bool:
        return low is None or high is None or low < high or (low == high and lc and hc)

    return before(a.low, a.low_closed, b.high, b.high_closed) and before(
        b.low, b.low_closed, a.high, a.high_closed
    )


@st.composite
def claims(draw: st.DrawFn) -> tuple[ClaimKind, Qualifier, Decimal, int, int, int, int]:
    """A claim about two figures, its number drawn near what the figures give, so that
    the verdict often sits at the edge between consistent and inconsistent."""
    kind = draw(st.sampled_from([ClaimKind.ratio, ClaimKind.percent_change]))
    qualifier = draw(st.sampled_from(list(Qualifier)))
    p1, p2 = draw(precision_), draw(precision_)
    base = draw(st.integers(min_value=1, max_value=10**4))
    later = draw(st.integers(min_value=0, max_value=10**5))
    ratio = Fraction(later, 10**p2) / Fraction(base, 10**p1)
    point = ratio if kind is ClaimKind.ratio else (ratio - 1) * ONE_HUNDRED
    decimals = draw(st.integers(min_value=0, max_value=2))
    nudge = draw(st.integers(min_value=-3, max_value=3))
    stated = round(point * 10**decimals) + nudge
    if kind is ClaimKind.ratio and stated <= 0:
        stated = 1
    return kind, qualifier, published(stated, decimals), base, p1, later, p2


@settings(max_examples=500, deadline=None)  # no timing here: a loaded machine is slow
@given(claims())
@example((ClaimKind.percent_change, Qualifier.exact, Decimal("86.5"), 42, 1, 78, 1))
@example((ClaimKind.ratio, Qualifier.almost, Decimal("4"), 950, 1, 3752, 1))
@example((ClaimKind.percent_change, Qualifier.exact, Decimal("0"), 1000, 1, 998, 1))
def test_claim_intervals_and_verdicts_match_exact_fractions(
    claim: tuple[ClaimKind, Qualifier, Decimal, int, int, int, int],
) -> None:
    kind, qualifier, stated, base, p1, later, p2 = claim
    assessment = assess_growth_claim(
        kind,
        qualifier,
        stated,
        Figure(published(base, p1), 6, p1),
        Figure(published(later, p2), 6, p2),
        LABELS,
    )
    allowed = reference_allowed(qualifier, stated)
    # A percent change goes the way its word says: an increase is no fall, nor the reverse.
    way = Range(Fraction(0), None) if stated >= 0 else Range(None, Fraction(0))
    if qualifier is Qualifier.exact and stated == 0:  # "0%" says neither way: both, rounded
        way = Range(None, None)
    if kind is ClaimKind.percent_change and not meets(allowed, way):
        assert (assessment.verdict, assessment.interval) == (Verdict.inconsistent, None)
        return
    ratios = quotient(figure_range(later, p2), figure_range(base, p1))
    if kind is ClaimKind.percent_change:
        assert ratios.low is not None and ratios.high is not None
        ratios = Range((ratios.low - 1) * ONE_HUNDRED, (ratios.high - 1) * ONE_HUNDRED)
    # The service divides with 28 significant digits: its bounds may differ from the
    # exact ones in the 28th digit of the ratio (times 100 for a percentage), no further.
    assert assessment.interval is not None
    for bound, reference in (
        (assessment.interval.low, ratios.low),
        (assessment.interval.high, ratios.high),
    ):
        assert bound is not None and reference is not None
        assert abs(Fraction(bound) - reference) <= (abs(reference) + ONE_HUNDRED) / 10**25

    if kind is ClaimKind.ratio:
        allowed = clamp(allowed)
    # Intervals that meet two by two share a point (Helly, in one dimension).
    directed = kind is ClaimKind.ratio or meets(ratios, way)
    expected = Verdict.consistent if meets(ratios, allowed) and directed else Verdict.inconsistent
    assert assessment.verdict is expected, assessment.explanation


@settings(deadline=None)  # a loaded machine is slow; no timing here
@given(
    st.integers(min_value=0, max_value=10**5),
    st.integers(min_value=1, max_value=10**5),
    st.booleans(),
    st.booleans(),
    st.integers(min_value=0, max_value=10**5),
    st.integers(min_value=1, max_value=10**4),
    st.booleans(),
    st.booleans(),
)
def test_divide_is_every_quotient_and_nothing_more(
    a_low: int,
    a_width: int,
    a_low_closed: bool,
    a_high_closed: bool,
    b_low: int,
    b_width: int,
    b_low_closed: bool,
    b_high_closed: bool,
) -> None:
    """Soundness and tightness by brute force: quotients of points on a grid of each
    interval all lie in the result, and the result's bounds are reached (or approached,
    for open bounds) by them."""
    a = Interval(Decimal(a_low), Decimal(a_low + a_width), a_low_closed, a_high_closed)
    b = Interval(Decimal(b_low), Decimal(b_low + b_width), b_low_closed, b_high_closed)
    result = divide(a, b)
    assert result is not None
    steps = 8

    def grid(low: int, width: int, low_closed: bool, high_closed: bool) -> list[Fraction]:
        points = [low + Fraction(width * i, steps) for i in range(1, steps)]
        return [*([Fraction(low)] if low_closed else []), *points] + (
            [Fraction(low + width)] if high_closed else []
        )

    quotients = [
        x / y
        for x in grid(a_low, a_width, a_low_closed, a_high_closed)
        for y in grid(b_low, b_width, b_low_closed, b_high_closed)
        if y != 0
    ]
    r = as_range(result)
    assert all(r.contains(q) for q in quotients)
    # Tight: the exact extremes (to 28 digits), each closed exactly when it is reached.
    assert r.low is not None
    assert abs(r.low - Fraction(a_low, b_low + b_width)) <= r.low / 10**26
    assert r.low_closed == (a_low_closed and (b_high_closed or a_low == 0))
    if b_low == 0:
        assert r.high is None
    else:
        assert r.high is not None
        assert abs(r.high - Fraction(a_low + a_width, b_low)) <= r.high / 10**26
        assert r.high_closed == (a_high_closed and b_low_closed)


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    """Intervals with bounds among a few integers (so they often touch), or unbounded."""
    bound = st.none() | st.integers(min_value=-3, max_value=3).map(Decimal)
    low, high = draw(bound), draw(bound)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return Interval(low, high, draw(st.booleans()), draw(st.booleans()))


@given(intervals(), intervals())
def test_an_intersection_holds_exactly_the_numbers_in_both(a: Interval, b: Interval) -> None:
    both = a.intersect(b)
    # Every bound, and a point between each two, tells the sets apart.
    for x in (Decimal(n) / 2 for n in range(-8, 9)):
        assert (both is not None and both.contains(x)) == (a.contains(x) and b.contains(x))
    assert (both is None) == (not a.meets(b))


def test_rounding_outward_to_zero_gives_a_zero_without_a_sign() -> None:
    shown = Interval(Decimal("-0.00000006"), Decimal("-0.00000004")).rounded_outward(6)
    assert shown == (Decimal("-0.000001"), Decimal(0), True, True)
    assert shown.high is not None and not shown.high.is_signed()


# ------------------------------------------------------- a series point's interval


@settings(deadline=None)
@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=6),
    st.sampled_from(["EXPORTS", "BALANCE", "FDI_INFLOW"]),  # cut at zero, or signed
)
@example(units=0, decimals=2, extra=0, indicator="EXPORTS")  # 0.00: from 0, not -0.005
@example(units=-4, decimals=2, extra=0, indicator="EXPORTS")  # all below zero: kept whole
@example(units=-4, decimals=2, extra=0, indicator="BALANCE")
def test_a_stored_figure_s_interval_is_shown_digit_for_digit_as_rounding_shows_it(
    units: int, decimals: int, extra: int, indicator: str
) -> None:
    """The shortcut for stored figures gives what shown_interval and interval_data give."""
    precision = min(decimals + extra, 6)  # 7.80: more decimals published than the value has
    figure = Figure(published(units, decimals), 6, precision)
    point = Point(indicator, 2024, figure, "USD", ObservationStatus.reported)
    general = interval_data(shown_interval(point))
    assert [str(v) for v in shown_interval_data(point).values()] == [
        str(v) for v in general.values()
    ]
