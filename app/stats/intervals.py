"""Intervals of exact decimals, for what a rounded figure or a vague phrase allows.

Bounds are Decimals, or None for unbounded. Published figures are taken as closed
intervals, [4.15, 4.25] for 4.2: publishers round differently, and under half-even
rounding 4.25 itself prints as 4.2.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, localcontext
from functools import cache
from typing import NamedTuple

DIGITS = 28  # significant digits for interval arithmetic
# Sums, differences and changes of unit of figures, exactly. A figure has at most 6
# decimals and is below 10^15 in a unit of up to 10^9 (app/inputs.py): in the finest unit
# a few of them add up to under 10^25 with 7 decimals, 32 digits, which the default 28
# would round. Quantizing for display needs the same room.
EXACT = Context(prec=50)


@cache
def quantum(decimals: int) -> Decimal:
    """10^-decimals, the step `quantize` rounds to."""
    return Decimal(1).scaleb(-decimals)


class Interval(NamedTuple):
    low: Decimal | None  # None: unbounded below
    high: Decimal | None  # None: unbounded above
    low_closed: bool = True
    high_closed: bool = True

    @classmethod
    def around(cls, value: Decimal, half_width: Decimal) -> "Interval":
        return cls(EXACT.subtract(value, half_width), EXACT.add(value, half_width))

    def contains(self, x: Decimal) -> bool:
        above = self.low is None or x > self.low or (self.low_closed and x == self.low)
        below = self.high is None or x < self.high or (self.high_closed and x == self.high)
        return above and below

    def meets(self, other: "Interval") -> bool:
        """Whether the two intervals share at least one number."""
        return _before(self.low, self.low_closed, other.high, other.high_closed) and _before(
            other.low, other.low_closed, self.high, self.high_closed
        )

    def intersect(self, other: "Interval") -> "Interval | None":
        """The numbers in both, or None when they share none."""
        if not self.meets(other):
            return None
        low, low_closed = _inner(self.low, self.low_closed, other.low, other.low_closed, max)
        high, high_closed = _inner(self.high, self.high_closed, other.high, other.high_closed, min)
        return Interval(low, high, low_closed, high_closed)

    def scaleb(self, places: int) -> "Interval":
        """The same amounts in a unit 10^-places as large (a change of multiplier), exactly."""
        return Interval(
            None if self.low is None else self.low.scaleb(places, EXACT),
            None if self.high is None else self.high.scaleb(places, EXACT),
            self.low_closed,
            self.high_closed,
        )

    def map(self, f: "Affine") -> "Interval":
        """The image under x ↦ scale·x + shift (scale > 0)."""
        return Interval(
            None if self.low is None else f.apply(self.low),
            None if self.high is None else f.apply(self.high),
            self.low_closed,
            self.high_closed,
        )

    def negate(self) -> "Interval":
        return Interval(
            None if self.high is None else -self.high,
            None if self.low is None else -self.low,
            self.high_closed,
            self.low_closed,
        )

    def clamp_low(self, floor: Decimal) -> "Interval":
        """Cut off what lies below `floor` (for quantities that cannot be negative)."""
        if self.low is not None and self.low >= floor:
            return self
        return Interval(floor, self.high, True, self.high_closed)

    def places_apart(self, other: "Interval", decimals: int) -> int:
        """The fewest places, from `decimals` on, at which this and `other`, rounded
        outward, do not meet either, when they do not meet: a narrow miss must not print
        as a meeting (82.352941% to 89.16%, not 82.35% to 89.16%, against "at most
        82.35%"). `decimals` when they meet."""
        if self.meets(other):
            return decimals
        return next(
            (
                d
                for d in range(decimals, DIGITS)
                if not self.rounded_outward(d).meets(other.rounded_outward(d))
            ),
            DIGITS,
        )

    def unsigned(self) -> "Interval":
        """The same bounds with no signed zero (−0 would read as below zero)."""
        return Interval(
            None if self.low is None else unsigned_zero(self.low),
            None if self.high is None else unsigned_zero(self.high),
            self.low_closed,
            self.high_closed,
        )

    def rounded_outward(self, decimals: int) -> "Interval":
        """For display: widened to `decimals` places, so it still holds every value (and
        -0.000001 rounded up is 0, not -0: a zero has no sign)."""
        step = quantum(decimals)
        return Interval(
            None
            if self.low is None
            else unsigned_zero(self.low.quantize(step, ROUND_FLOOR, EXACT)),
            None
            if self.high is None
            else unsigned_zero(self.high.quantize(step, ROUND_CEILING, EXACT)),
            self.low_closed,
            self.high_closed,
        )


def plain(value: Decimal) -> str:
    """A decimal as a sentence quotes it: every digit, never rounded, never an exponent (a
    figure converted to a finer unit keeps one: 0.5 ± 0.5 billions is 0E+1 millions at
    least, which str writes so)."""
    return format(value, "f")


def unsigned_zero(value: Decimal) -> Decimal:
    """A zero has no sign: -0.0000 would still read as a fall."""
    return value.copy_abs() if value.is_zero() else value


@dataclass(frozen=True)
class Affine:
    scale: Decimal
    shift: Decimal

    def apply(self, x: Decimal) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = DIGITS
            return self.scale * x + self.shift


def _inner(
    a: Decimal | None,
    a_closed: bool,
    b: Decimal | None,
    b_closed: bool,
    pick: Callable[[Decimal, Decimal], Decimal],
) -> tuple[Decimal | None, bool]:
    """Of two lower bounds (`pick=max`) or two upper ones (`min`), the one that binds."""
    if a is None or b is None:
        return (b, b_closed) if a is None else (a, a_closed)
    if a == b:
        return a, a_closed and b_closed
    return (a, a_closed) if pick(a, b) == a else (b, b_closed)


def _before(low: Decimal | None, low_closed: bool, high: Decimal | None, high_closed: bool) -> bool:
    """Whether a lower bound lies at or below an upper bound, so they overlap."""
    if low is None or high is None:
        return True
    return low < high or (low == high and low_closed and high_closed)


def divide(numerator: Interval, denominator: Interval) -> Interval | None:
    """{a / b} for a in numerator, b in denominator, both non-negative.

    None when the denominator reaches zero from a positive numerator range and
    no finite, meaningful quotient bounds exist (a base that may be zero).
    """
    if denominator.low is None or denominator.low < 0 or numerator.low is None or numerator.low < 0:
        raise ValueError("divide() takes non-negative intervals")
    # 0 ÷ anything is 0, so a closed zero numerator reaches 0 whatever the denominator.
    zero = numerator.low == 0 and numerator.low_closed
    with localcontext() as ctx:
        ctx.prec = DIGITS
        if denominator.high is None:
            low, low_closed = Decimal(0), zero
        elif denominator.high == 0:
            return None
        else:
            ctx.rounding = ROUND_FLOOR  # rounded outward, so the bound holds every quotient
            low = numerator.low / denominator.high
            low_closed = zero or (numerator.low_closed and denominator.high_closed)
        if numerator.high is None or denominator.low == 0:
            high, high_closed = None, False
        else:
            ctx.rounding = ROUND_CEILING
            high = numerator.high / denominator.low
            high_closed = numerator.high_closed and denominator.low_closed
    return Interval(low, high, low_closed, high_closed)


def multiply(a: Interval, b: Interval) -> Interval:
    """{x · y} for x in a, y in b, both non-negative."""
    if a.low is None or b.low is None or a.low < 0 or b.low < 0:
        raise ValueError("multiply() takes non-negative intervals")
    with localcontext() as ctx:
        ctx.prec = DIGITS
        ctx.rounding = ROUND_FLOOR  # rounded outward, so the bounds hold every product
        low = a.low * b.low
        ctx.rounding = ROUND_CEILING
        high = None if a.high is None or b.high is None else a.high * b.high
    zero = (a.low == 0 and a.low_closed) or (b.low == 0 and b.low_closed)  # 0 × y is 0
    return Interval(
        low,
        high,
        zero or (a.low_closed and b.low_closed),
        high is not None and a.high_closed and b.high_closed,
    )
