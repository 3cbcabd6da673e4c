"""Growth between two figures in FRED's transformations, in exact decimal arithmetic.

`chg` is exact. Ratios and logarithms are rounded half-even to a fixed number of
decimals (RATIO_DECIMALS, PERCENT_DECIMALS) after computing with 28 significant digits
(more for a ratio above 1E+10, whose decimals 28 digits barely reach, or not at all), and
to more where that would round a ratio onto 0 or a percent change onto −100, or any of
them onto no change (a ratio of 1, a change or logarithm of 0) when there was one.
"""

import math
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import NamedTuple

from app.stats.intervals import EXACT, plain, quantum, unsigned_zero

RATIO_DECIMALS = 6
PERCENT_DECIMALS = 4
HUNDRED = Decimal(100)
ZERO, ALL_GONE = Decimal(0), Decimal(-100)  # a ratio of nothing left, its percent change
ONE = Decimal(1)  # the ratio of no change; its percent change and logarithm are ZERO
DIGITS = Context(prec=28, rounding=ROUND_HALF_EVEN)  # significant digits of intermediate results
# Up to this many whole digits, a 28-digit ratio keeps 12 digits past the 6 decimals it is
# rounded to (its percent change past its 4): rounding twice, to 28 digits and then to
# those, differs from rounding once only where those 12 read 5000…0 or 4999…9.
WHOLE_DIGITS = 10


class Growth(NamedTuple):
    chg: Decimal  # absolute change, exact
    ratio: Decimal | None  # later / earlier
    pch: Decimal | None  # percent change
    cagr: Decimal | None  # compound annual growth rate, percent per year
    log: Decimal | None  # natural log of the ratio
    reason: str | None  # why the undefined transformations are null


def _round(value: Decimal, decimals: int) -> Decimal:
    digits = value.adjusted() + decimals + 1  # that the result holds, more than 28 if need be
    context = DIGITS if digits <= DIGITS.prec else Context(prec=digits, rounding=ROUND_HALF_EVEN)
    # Half-even, the contexts' rounding. The context's method, not Decimal.quantize with
    # keywords: three times quicker, and growth rounds every partner's figures twice.
    return unsigned_zero(context.quantize(value, quantum(decimals)))


def round_clear_of(value: Decimal, decimals: int, *boundaries: Decimal) -> Decimal:
    """`value` rounded to `decimals`, or, where that lands on a boundary that `value` is
    not on, to as many as show two significant digits of the distance: a ratio of 1E-7 is
    0.00000010, not 0.000000, which would say that nothing was left, and a fall of
    0.00000005% is not a change of 0."""
    rounded = _round(value, decimals)
    if rounded not in boundaries or value == rounded:
        return rounded
    return _round(value, 1 - DIGITS.subtract(value, rounded).adjusted())


def _rounded_ln(x: Decimal, approx: float, decimals: int) -> Decimal:
    """ln(x) rounded to `decimals` places, as from the 28-digit logarithm; `approx` is x
    as a float, to a few units in the last place.

    Its float logarithm is within 1e-13 of the true one (for the ratios of real figures),
    so it rounds the same way unless it lies that close to a half-way point; only then is
    the 28-digit logarithm, about a hundred times slower, computed."""
    if 0 < approx < math.inf:  # not out of float's range
        estimate = math.log(approx)
        scaled = estimate * 10**decimals  # within 1e-8 of the exact product
        distance = abs(scaled)
        if abs(estimate) < 100 and abs(distance - math.floor(distance) - 0.5) > 1e-6:
            steps = round(scaled)  # half-even, and not near a half: as the exact one rounds
            if steps or x == ONE:
                return Decimal(steps).scaleb(-decimals)  # a zero with no sign
    return round_clear_of(DIGITS.ln(x), decimals, ZERO)


def _may_be_zero(which: str) -> str:
    """Why no ratio, from or to a value below zero that cannot be, whose rounding reaches 0
    (IMPORTS derived as 10.0 − 10.1): not "as low as 0", which it is below."""
    return (
        f"the {which} value is below zero, which it cannot be, though within its rounding it "
        "may be 0: no ratio is given"
    )


def _cannot_be_below_zero(which: str) -> str:
    """Why no ratio, from or to a value wholly below zero that cannot be negative (IMPORTS
    derived as 10 − 20): not a quantity whose sign changed, but figures that contradict
    each other."""
    return (
        f"the {which} value is below zero, which it cannot be: the reported figures it is "
        "derived from contradict each other, so no ratio is given"
    )


def growth(
    earlier: Decimal,
    later: Decimal,
    years: int,
    *,
    rates: bool = True,
    earliest: Decimal | None = None,
    latest: Decimal | None = None,
    signed: bool = True,
) -> Growth:
    """Change from `earlier` to `later` over `years` years (years >= 1), both in one unit.

    `rates=False` leaves `cagr` and `log` null: they cost a power and a logarithm, and a
    series' year-on-year growth shows neither. `earliest` is the least the earlier figure
    may be within its rounding: a derived one (500 ± 50,000.5) may be zero, and then no
    ratio means anything, as a claim's verdict already says. `latest` is the least the later
    figure may be: one of zero or above that may be below zero (a balance derived as
    10 ± 50, or published as 0.0) may have changed sign, and then no ratio says how it
    grew either. `signed=False`: the figures are of an indicator that cannot be negative,
    so one below zero comes from figures that contradict each other."""
    if years < 1:
        raise ValueError("growth needs a span of at least one year")
    chg = EXACT.subtract(later, earlier)
    # Against Decimal constants: comparing with an int converts it first, every time.
    if earlier == ZERO:
        return Growth(chg, None, None, None, None, "the base value is zero, so no ratio exists")
    # A value derived below zero that its rounding takes to zero, where the indicator cannot
    # be negative (`earliest` or `latest` 0), is not negative: it may be 0.
    if earlier < ZERO and earliest is not None and earliest >= ZERO:
        return Growth(chg, None, None, None, None, _may_be_zero("base"))
    if earlier < ZERO and not signed:
        return Growth(chg, None, None, None, None, _cannot_be_below_zero("base"))
    if earlier < ZERO:
        reason = "the base value is negative, so a ratio would read backwards"
        return Growth(chg, None, None, None, None, reason)
    if earliest is not None and earliest <= 0:
        reason = (
            f"the base value may be as low as {plain(earliest)} within its rounding, so no "
            "ratio is meaningful"
        )
        return Growth(chg, None, None, None, None, reason)
    if latest is not None and latest < ZERO <= later:
        reason = (
            f"the later value may be as low as {plain(latest)} within its rounding, below "
            "zero, so no ratio is meaningful"
        )
        return Growth(chg, None, None, None, None, reason)
    if later < ZERO and latest is not None and latest >= ZERO:  # as for the base, above
        return Growth(chg, None, None, None, None, _may_be_zero("later"))
    if later < ZERO and not signed:
        return Growth(chg, None, None, None, None, _cannot_be_below_zero("later"))
    if later < ZERO:
        reason = (
            "the later value is negative and the base positive: no ratio says how a "
            "quantity grew when its sign changed"
        )
        return Growth(chg, None, None, None, None, reason)
    if later == ZERO:  # nothing left: a fall of 100%, exactly, and of 100% a year compounded
        # (0^(1/years) − 1 is −1, as FRED's compounded rate gives it); only ln 0 is undefined,
        # and without `rates` no log is asked for: nothing given is null, so no reason.
        if not rates:
            return Growth(chg, ZERO, ALL_GONE, None, None, None)
        return Growth(
            chg, ZERO, ALL_GONE, ALL_GONE, None, "the later value is zero, so log is undefined"
        )

    # Explicit context methods rather than localcontext(), which costs more than the maths.
    # Above 1E+20, 28 significant digits would not reach the 6 decimals the ratio is
    # rounded to: 1E+24 ÷ 0.000007 is 142857…714.285714, which they made …700. Just
    # below, a digit or two to spare made a tie of …825.7708545044, rounded down.
    whole = later.adjusted() - earlier.adjusted() + 1  # the ratio's digits before its point
    digits = DIGITS if whole <= WHOLE_DIGITS else Context(prec=DIGITS.prec + whole)
    ratio = digits.divide(later, earlier)
    # Below 1E-20, 28 digits of ratio − 1 would lose the ratio: 1E-30 would make it −1.
    tiny = ratio.adjusted() < -20
    wide = Context(prec=DIGITS.prec - ratio.adjusted()) if tiny else digits
    pch = wide.multiply(wide.subtract(ratio, ONE), HUNDRED)
    rounded_pch = round_clear_of(pch, PERCENT_DECIMALS, ALL_GONE, ZERO)
    cagr = log = None
    if rates:
        # Over one year the compound rate is the percent change itself: no power needed.
        cagr = rounded_pch if years == 1 else _compound_rate(ratio, years)
        # The figures as floats give the ratio's float more cheaply than the ratio does;
        # below normal floats (1e-308) they lose digits, and the 28-digit log is taken.
        low, high = float(earlier), float(later)
        approx = high / low if low > 1e-300 and high > 1e-300 else 0.0
        log = _rounded_ln(ratio, approx, RATIO_DECIMALS)
    rounded_ratio = round_clear_of(ratio, RATIO_DECIMALS, ZERO, ONE)
    return Growth(chg, rounded_ratio, rounded_pch, cagr, log, None)


def _compound_rate(ratio: Decimal, years: int) -> Decimal:
    """(ratio^(1/years) − 1) × 100, the percent a year that compounds to `ratio`."""
    yearly = DIGITS.power(ratio, DIGITS.divide(1, years))
    rate = DIGITS.multiply(DIGITS.subtract(yearly, 1), HUNDRED)
    return round_clear_of(rate, PERCENT_DECIMALS, ALL_GONE, ZERO)
