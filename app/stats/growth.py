"""Growth between two figures in FRED's transformations, in exact decimal arithmetic.

`chg` is exact. Ratios and logarithms are rounded half-even to a fixed number of
decimals (RATIO_DECIMALS, PERCENT_DECIMALS) after computing with 28 significant digits.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

RATIO_DECIMALS = 6
PERCENT_DECIMALS = 4
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Growth:
    chg: Decimal  # absolute change, exact
    ratio: Decimal | None  # later / earlier
    pch: Decimal | None  # percent change
    cagr: Decimal | None  # compound annual growth rate, percent per year
    log: Decimal | None  # natural log of the ratio
    reason: str | None  # why the undefined transformations are null


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


def growth(earlier: Decimal, later: Decimal, years: int, *, rates: bool = True) -> Growth:
    """Change from `earlier` to `later` over `years` years (years >= 1), both in one unit.

    `rates=False` leaves `cagr` and `log` null: they cost a power and a logarithm, and a
    series' year-on-year growth shows neither."""
    if years < 1:
        raise ValueError("growth needs a span of at least one year")
    chg = later - earlier
    if earlier == 0:
        return Growth(chg, None, None, None, None, "the base value is zero, so no ratio exists")
    if earlier < 0:
        reason = "the base value is negative, so a ratio would read backwards"
        return Growth(chg, None, None, None, None, reason)

    with localcontext() as ctx:
        ctx.prec = 28
        ratio = later / earlier
        pch = (ratio - 1) * HUNDRED
        if ratio <= 0:
            reason = "the later value is not positive, so log and CAGR are undefined"
            return Growth(
                chg,
                _round(ratio, RATIO_DECIMALS),
                _round(pch, PERCENT_DECIMALS),
                None,
                None,
                reason,
            )
        cagr = log = None
        if rates:
            cagr = _round((ratio ** (Decimal(1) / years) - 1) * HUNDRED, PERCENT_DECIMALS)
            log = _round(ratio.ln(), RATIO_DECIMALS)
    return Growth(
        chg=chg,
        ratio=_round(ratio, RATIO_DECIMALS),
        pch=_round(pch, PERCENT_DECIMALS),
        cagr=cagr,
        log=log,
        reason=None,
    )
