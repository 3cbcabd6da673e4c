"""Accounting identities between trade indicators, and values derived from them.

Each identity is a linear equation whose coefficients sum the terms to zero:
    TURNOVER − EXPORTS − IMPORTS = 0
    BALANCE  − EXPORTS + IMPORTS = 0
When every term but one is known for a reporter, partner and year, the missing one
follows exactly. TURNOVER and BALANCE alone leave each identity two terms short; taken
together, the two fix both: their sum leaves out IMPORTS and their difference EXPORTS,
    TURNOVER + BALANCE − 2·EXPORTS = 0    EXPORTS = (TURNOVER + BALANCE) / 2
    TURNOVER − BALANCE − 2·IMPORTS = 0    IMPORTS = (TURNOVER − BALANCE) / 2
Derived values are returned separately and never stored.

Reported figures can contradict each other: TURNOVER, EXPORTS and BALANCE fix IMPORTS
twice, and the two may disagree; EXPORTS, IMPORTS and TURNOVER may break the first
identity while giving BALANCE by the second; or a value that cannot be negative comes out
below zero (IMPORTS from a BALANCE above the TURNOVER). A value derived from such figures
still follows its formula, and says what is wrong.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from app.models import IndicatorCode as I
from app.stats.figures import Figure, common_multiplier, exact_sum
from app.stats.intervals import EXACT, plain

Equation = dict[str, int]  # each term's coefficient: the terms so weighted sum to zero
IDENTITIES: tuple[Equation, ...] = (
    {I.TURNOVER: 1, I.EXPORTS: -1, I.IMPORTS: -1},
    {I.BALANCE: 1, I.EXPORTS: -1, I.IMPORTS: 1},
)
# The two identities at once, for what neither gives alone: their sum and their difference.
BOTH_IDENTITIES: tuple[Equation, ...] = (
    {I.TURNOVER: 1, I.BALANCE: 1, I.EXPORTS: -2},
    {I.TURNOVER: 1, I.BALANCE: -1, I.IMPORTS: -2},
)
TRADE_INDICATORS = (I.TURNOVER, I.EXPORTS, I.IMPORTS, I.BALANCE)
NEVER_NEGATIVE = frozenset({I.TURNOVER, I.EXPORTS, I.IMPORTS})  # BALANCE may be


@dataclass(frozen=True)
class Derivation:
    figure: Figure
    formula: str  # e.g. "IMPORTS = TURNOVER − EXPORTS"
    inputs: tuple[str, ...]  # indicator codes used, in formula order
    # The identities it holds by construction: the one it was solved from, or both. Not
    # compared (nor hashed, which a dict cannot be): the formula already tells them apart.
    identities: tuple[Equation, ...] = field(compare=False)
    conflict: str | None = None  # why the figures it comes from cannot all be right

    def rests_on(self, identity: Equation) -> bool:
        """Whether it was solved from `identity` (alone or with the other), so holds it
        whatever the figures: no check of the identity."""
        return identity in self.identities


def identity_formula(identity: Equation) -> str:
    """'TURNOVER = EXPORTS + IMPORTS' for the first identity."""
    target, *terms = identity
    return _formula(target, _formula_order([(t, -identity[t] * identity[target]) for t in terms]))


def _formula_order(terms: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Added terms first: "IMPORTS = EXPORTS − BALANCE" rather than "−BALANCE + EXPORTS".
    A derivation lists its inputs in this order too, so they read as its formula does."""
    return sorted(terms, key=lambda term: term[1] < 0)


def _formula(target: str, terms: list[tuple[str, int]], halved: bool = False) -> str:
    """`target` = the signed `terms`, as they are ordered."""
    text = ""
    for i, (code, sign) in enumerate(terms):
        if i == 0:
            text = code if sign > 0 else f"−{code}"
        else:
            text += f" {'+' if sign > 0 else '−'} {code}"
    return f"{target} = ({text}) / 2" if halved else f"{target} = {text}"


HALF = Decimal("0.5")


def solve(
    equation: Equation,
    unknown: str,
    known: dict[str, Figure],
    identities: tuple[Equation, ...] | None = None,
) -> Derivation:
    """The value of `unknown` that makes the equation hold, given all other terms.
    `identities`: those the equation comes from, when it is not one of them itself."""
    others = [code for code in equation if code != unknown]
    multiplier = common_multiplier(*(known[c] for c in others))
    scaled = {c: known[c].in_multiplier(multiplier) for c in others}
    # unknown = −Σ(coef_i · x_i) / coef_unknown. The other coefficients are ±1; the
    # unknown's is ±1, or ±2 in an equation of both identities, whose value is a half.
    share = abs(equation[unknown])
    signs = _formula_order([(c, -equation[c] * equation[unknown] // share) for c in others])
    value = exact_sum(_term(sign, scaled[c].value) for c, sign in signs)
    precision = max(f.precision for f in scaled.values())
    tolerance = exact_sum(f.half_width for f in scaled.values())
    halved = share == 2
    if halved:
        # Exact, with one decimal more (223.45 from 446.9), which every such value keeps:
        # 223.40 from 446.8, as a difference keeps its inputs' decimals (232.0).
        value, precision = EXACT.multiply(value, HALF), precision + 1
        tolerance = EXACT.multiply(tolerance, HALF)
    figure = Figure(value, multiplier, precision, tolerance)
    formula = _formula(unknown, signs, halved)
    inputs = tuple(code for code, _ in signs)
    return Derivation(figure, formula, inputs, identities or (equation,))


def derive(reported: dict[str, Figure]) -> dict[str, Derivation]:
    """Every trade value that the identities fix, given one year's reported values.

    Derived values may feed further identities (IMPORTS, then BALANCE from it). Both
    identities at once come last, for what no identity alone gives: EXPORTS and IMPORTS
    from TURNOVER and BALANCE, each straight from those two (not one from the other, which
    would add the rounding of both to the second).
    """
    known: dict[str, Figure] = dict(reported)
    derived: dict[str, Derivation] = {}
    _solve_each(IDENTITIES, known, derived)
    if len(known) < len(TRADE_INDICATORS):
        _solve_each(BOTH_IDENTITIES, known, derived, IDENTITIES)
    conflicts = _conflicts(known, derived)
    return {code: replace(d, conflict=conflicts.get(code)) for code, d in derived.items()}


def _solve_each(
    equations: tuple[Equation, ...],
    known: dict[str, Figure],
    derived: dict[str, Derivation],
    identities: tuple[Equation, ...] | None = None,
) -> None:
    """Solve every equation with one term unknown, in turn, until none is left; each
    solution is known to the next (`known` and `derived` gain them)."""
    progress = True
    while progress:
        progress = False
        for equation in equations:
            missing = [code for code in equation if code not in known]
            if len(missing) == 1:
                result = solve(equation, missing[0], known, identities)
                derived[missing[0]] = result
                known[missing[0]] = result.figure
                progress = True


def fixed_by(codes: Iterable[str]) -> frozenset[str]:
    """The trade values that figures for `codes`, in one currency, give: those codes and
    every one `derive` derives from them (whatever the figures, so any will do)."""
    known = {code: Figure(Decimal(0), 0, 0) for code in codes}
    return frozenset(known) | frozenset(derive(known))


def below_zero(code: str, figure: Figure) -> bool:
    """Whether a value that cannot be negative is below zero whatever its rounding: the
    figures it was derived from contradict each other."""
    high = figure.interval.high
    return code in NEVER_NEGATIVE and high is not None and high < 0


def derived_explanation(code: str, derivation: Derivation) -> str | None:
    """What the reader of a derived value must know: why the reported figures it comes from
    cannot all be right (its conflict), or why one below zero, which within their rounding
    may be 0, is shown from 0."""
    if derivation.conflict is not None:
        return derivation.conflict
    if code in NEVER_NEGATIVE and derivation.figure.value < 0:  # else it would conflict
        return (
            f"{code} cannot be negative: the reported figures it is derived from give "
            f"{plain(derivation.figure.value)}, but within their rounding it may be 0, where "
            "its interval starts."
        )
    return None


def _conflicts(known: dict[str, Figure], derived: dict[str, Derivation]) -> dict[str, str]:
    """What makes the figures each derived value rests on contradict each other, if
    anything does: an identity they break, as identity checks find it, or a value below
    zero where it cannot be."""
    conflicts: dict[str, str] = {}
    for identity in IDENTITIES:
        # A value rests on an identity's figures as one of its terms (fixed a second time),
        # or as derived from some: BALANCE = EXPORTS − IMPORTS, when TURNOVER contradicts them.
        resting: dict[str, str] = {}
        for code, derivation in derived.items():
            if code in identity:
                resting[code] = "each other"
            elif not identity.keys().isdisjoint(derivation.inputs):
                others = [term for term in identity if term not in derivation.inputs]
                resting[code] = f"the year's {' and '.join(others)}"
        if resting and all(code in known for code in identity) and not _holds(identity, known):
            for code, contradicted in resting.items():
                conflicts.setdefault(
                    code,
                    f"The reported figures it is derived from contradict {contradicted}: "
                    f"{identity_formula(identity)} does not hold for them, even allowing for "
                    "their rounding.",
                )
    for code, derivation in derived.items():
        if below_zero(code, derivation.figure):
            conflicts.setdefault(
                code,
                f"{code} cannot be negative: the reported figures it is derived from "
                "contradict each other.",
            )
            # So does any value solved from the same figures: EXPORTS from the TURNOVER
            # and BALANCE that leave IMPORTS below zero.
            for other, alike in derived.items():
                if set(alike.inputs) == set(derivation.inputs):
                    conflicts.setdefault(
                        other,
                        "The reported figures it is derived from contradict each other: they "
                        f"give {derivation.formula} below zero, and {code} cannot be negative.",
                    )
    for code, derivation in derived.items():  # in the order they were derived
        suspect = [term for term in derivation.inputs if term in conflicts]
        if suspect and code not in conflicts:
            conflicts[code] = (
                f"Derived from {suspect[0]}, whose reported figures contradict each other."
            )
    return conflicts


def _holds(identity: Equation, known: dict[str, Figure]) -> bool:
    """Whether the terms' sum can be zero, each allowed its rounding."""
    multiplier = common_multiplier(*(known[code] for code in identity))
    scaled = [known[code].in_multiplier(multiplier) for code in identity]
    terms = zip(identity.values(), scaled, strict=True)
    total = exact_sum(_term(coefficient, f.value) for coefficient, f in terms)
    return total.copy_abs() <= exact_sum(f.half_width for f in scaled)


def _term(sign: int, value: Decimal) -> Decimal:
    """±value, exactly (unary minus would round to the context's digits)."""
    return value if sign > 0 else value.copy_negate()
