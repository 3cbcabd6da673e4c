"""Exact figures in a unit: a decimal value times 10^multiplier of a currency."""

from collections.abc import Iterable
from decimal import Decimal
from functools import cache, reduce
from typing import NamedTuple

from app.models import SIGNED
from app.stats.intervals import EXACT, Interval

_ZERO = Decimal(0)  # compared against: an int would be converted each time
MULTIPLIER_NAMES = {0: "", 3: "thousands", 6: "millions", 9: "billions"}


def unit_label(currency: str, multiplier: int) -> str:
    """'USD millions', or 'USD ×10^5' for a multiplier without a common name."""
    name = MULTIPLIER_NAMES.get(multiplier, f"×10^{multiplier}")
    return f"{currency} {name}".strip()


def precision_of(value: Decimal) -> int:
    """Decimals as written: 375.2 has 1, 12 has 0."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@cache
def half_unit(precision: int) -> Decimal:
    """Half a unit of the last of `precision` decimals: 0.05 for 1."""
    return Decimal(5).scaleb(-(precision + 1))


class Figure(NamedTuple):
    value: Decimal
    multiplier: int
    precision: int  # decimals as published
    # How far the true amount may lie from `value`. A published figure is off by at most
    # half its last digit (4.2 stands for 4.15 to 4.25); a sum or difference of figures
    # by the sum of theirs.
    tolerance: Decimal | None = None

    @property
    def half_width(self) -> Decimal:
        if self.tolerance is not None:
            return self.tolerance
        return half_unit(self.precision)

    @property
    def least(self) -> Decimal:
        """The least amount it may stand for (the low end of `interval`)."""
        return EXACT.subtract(self.value, self.half_width)

    @property
    def interval(self) -> Interval:
        """Every amount the figure may stand for."""
        return Interval.around(self.value, self.half_width)

    def in_multiplier(self, multiplier: int) -> "Figure":
        """The same amount expressed with another multiplier, exactly."""
        shift = self.multiplier - multiplier
        return Figure(
            self.value.scaleb(shift, EXACT),
            multiplier,
            max(0, self.precision - shift),
            self.half_width.scaleb(shift, EXACT),
        )


def possible_range(indicator: str, figure: Figure) -> Interval:
    """What a figure may stand for: within its rounding, and never below zero where the
    indicator cannot be (a published 0.0 of exports is 0 to 0.05). A value derived below
    zero from contradicting figures keeps its range: its explanation says why, and cut at
    zero it would end below where it starts."""
    interval = figure.interval
    below_zero = interval.high is not None and interval.high < _ZERO
    return interval if indicator in SIGNED or below_zero else interval.clamp_low(_ZERO)


def least_possible(indicator: str, figure: Figure) -> Decimal:
    """The least amount a figure may stand for within its rounding, not below zero where
    the indicator cannot be (unless contradicting figures leave it wholly below): what a
    growth reason quotes, as a series shows it."""
    least = possible_range(indicator, figure).low
    assert least is not None  # a figure's range is bounded
    return least


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum of figures' values (or tolerances), every digit kept."""
    return reduce(EXACT.add, values, Decimal(0))


def common_multiplier(*figures: Figure) -> int:
    """The finest multiplier among figures, so converting to it loses nothing."""
    return min(f.multiplier for f in figures)
