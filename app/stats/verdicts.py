"""Check what a source says against what the figures give, allowing for rounding.

A claim's words ("almost four times", "an 86.5% increase") allow a range for a ratio or
a percent change (QUALIFIERS). The published figures, each standing for half a unit of
its last digit either way, give another range. The claim is consistent when the two
ranges meet. When one figure is missing, the claim implies a range for it instead.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.models import SIGNED
from app.stats.figures import Figure, least_possible, precision_of
from app.stats.growth import (
    ONE,
    PERCENT_DECIMALS,
    RATIO_DECIMALS,
    ZERO,
    growth,
    round_clear_of,
)
from app.stats.intervals import DIGITS, EXACT, Affine, Interval, divide, multiply, plain

HUNDRED = Decimal(100)
PERCENT_TO_RATIO = Affine(Decimal("0.01"), Decimal(1))  # +86.5 % ↦ ×1.865
RATIO_TO_PERCENT = Affine(HUNDRED, -HUNDRED)
SHOWN_DECIMALS = 2  # in explanations; the API's numeric fields carry more


class ClaimKind(StrEnum):
    ratio = "ratio"  # later = N × earlier ("four times")
    percent_change = "percent_change"  # later = (1 + N/100) × earlier ("86.5% increase")
    identity = "identity"  # an accounting identity holds for one year


class Qualifier(StrEnum):
    exact = "exact"
    approximately = "approximately"
    almost = "almost"
    more_than = "more_than"
    at_least = "at_least"
    less_than = "less_than"
    at_most = "at_most"


class Verdict(StrEnum):
    consistent = "consistent"
    inconsistent = "inconsistent"
    unverifiable = "unverifiable"


@dataclass(frozen=True)
class QualifierRule:
    words: str  # as a writer puts it before the number
    meaning: str
    low: Decimal | None  # factor of N, or None for unbounded
    high: Decimal | None
    low_closed: bool
    high_closed: bool
    # Widened, where it allows less, to the rounding of N as printed: a hedge never allows
    # less than N alone ("about 4" allows what "4" does, 3.5 to 4.5, and more).
    rounded_low: bool = False
    rounded_high: bool = False


# The interpretation table: what each qualifier allows for a stated number N > 0.
# For a decrease (N < 0) it applies to the size of the fall: "fell by more than 20%"
# allows anything below −20% (allowed_range stops it at −100%).
QUALIFIERS: dict[Qualifier, QualifierRule] = {
    Qualifier.exact: QualifierRule(
        "",
        "N as rounded in print: within half a unit of its last printed digit "
        "(86.5 allows 86.45 to 86.55; 4 allows 3.5 to 4.5)",
        Decimal(1),
        Decimal(1),
        True,
        True,
        rounded_low=True,
        rounded_high=True,
    ),
    Qualifier.approximately: QualifierRule(
        "about ",
        "within 10% of N either way, [0.9·N, 1.1·N], and never less than N as rounded in "
        "print allows (4 allows 3.5 to 4.5; 86.5 allows 77.85 to 95.15)",
        Decimal("0.9"),
        Decimal("1.1"),
        True,
        True,
        rounded_low=True,
        rounded_high=True,
    ),
    Qualifier.almost: QualifierRule(
        "almost ",
        "up to 10% short of N, or N itself, [0.9·N, N], reaching at least as far down as "
        "N as rounded in print (4 allows 3.5 to 4; 11 allows 9.9 to 11)",
        Decimal("0.9"),
        Decimal(1),
        True,
        True,
        rounded_low=True,
    ),
    Qualifier.more_than: QualifierRule(
        "more than ", "anything above N: (N, ∞)", Decimal(1), None, False, False
    ),
    Qualifier.at_least: QualifierRule(
        "at least ", "N or anything above: [N, ∞)", Decimal(1), None, True, False
    ),
    Qualifier.less_than: QualifierRule(
        "less than ", "anything below N: (−∞, N)", None, Decimal(1), False, False
    ),
    Qualifier.at_most: QualifierRule(
        "at most ", "N or anything below: (−∞, N]", None, Decimal(1), False, True
    ),
}


NOT_NEGATIVE = Interval(Decimal(0), None, True, False)
NOT_POSITIVE = Interval(None, Decimal(0), False, True)
# What a claim's figures can give: a ratio of amounts that cannot be negative is not
# below 0, nor their change below −100% (nothing left).
POSSIBLE = {
    ClaimKind.ratio: NOT_NEGATIVE,
    ClaimKind.percent_change: Interval(-HUNDRED, None, True, False),
}
NO_SUCH_FALL = "allows no value: a fall of 100% leaves nothing, and none is larger"
NO_SUCH_RISE = "allows no value: an increase is never below 0%"


def qualifier_range(qualifier: Qualifier, stated: Decimal) -> Interval:
    """The values a stated number with this qualifier allows, by the qualifier alone."""
    rule = QUALIFIERS[qualifier]
    size = abs(stated)
    low = None if rule.low is None else rule.low * size
    high = None if rule.high is None else rule.high * size
    half_unit = Decimal(5).scaleb(stated.as_tuple().exponent - 1)  # type: ignore[operator]
    if rule.rounded_low and low is not None:
        low = min(low, size - half_unit)
    if rule.rounded_high and high is not None:
        high = max(high, size + half_unit)
    interval = Interval(low, high, rule.low_closed, rule.high_closed)
    return interval.negate() if stated < 0 else interval


def allowed_range(qualifier: Qualifier, stated: Decimal, kind: ClaimKind) -> Interval | None:
    """The values a claim's words allow; None when they allow none ("an increase of less
    than 0%")."""
    interval = qualifier_range(qualifier, stated)
    if kind is ClaimKind.percent_change and not _no_change(qualifier, stated):
        # Its word says which way: "a decrease of less than 20%" is (−20%, 0], never a rise.
        directed = interval.intersect(NOT_NEGATIVE if stated >= 0 else NOT_POSITIVE)
        if directed is None:
            return None
        interval = directed
    # Every hedge is cut to what can be: "about a 100% fall" allows −100% to −90%, not
    # −110%. Words that allow nothing that can be ("a decrease of more than 100%") keep
    # their own range, which no figures meet and from which claimed_ratios takes none.
    return interval.intersect(POSSIBLE[kind]) or interval


def _no_change(qualifier: Qualifier, stated: Decimal) -> bool:
    """A change of exactly 0% as printed: no word says which way, and its rounding reaches
    both ("0.0%" stands for −0.05% to 0.05%)."""
    return qualifier is Qualifier.exact and stated == 0


def no_value_allowed(kind: ClaimKind, qualifier: Qualifier, stated: Decimal) -> str | None:
    """Why a claim's words allow no figures at all, if they do not."""
    allowed = allowed_range(qualifier, stated, kind)
    if allowed is None:
        return NO_SUCH_RISE
    return NO_SUCH_FALL if claimed_ratios(kind, allowed) is None else None


def claimed_ratios(kind: ClaimKind, allowed: Interval) -> Interval | None:
    """The ratios (later ÷ earlier) that a claim whose words allow `allowed` (its
    allowed_range) allows; None when it allows none, as "a decrease of more than 100%"."""
    ratios = allowed if kind is ClaimKind.ratio else allowed.map(PERCENT_TO_RATIO)
    return ratios if ratios.meets(NOT_NEGATIVE) else None


def _ranges_apart(given: Interval, allowed: Interval, unit: str, places: int) -> tuple[str, str]:
    """Two ranges that do not meet, as text in as many places as keep them apart: a narrow
    miss must not print as a meeting."""
    places = given.places_apart(allowed, places)
    return _range_text(given, unit, places), _range_text(allowed, unit, places)


def _as_claimed(kind: ClaimKind, ratios: Interval) -> tuple[Interval, str]:
    """Ratios (later ÷ earlier) as a claim of this kind reads them, with their unit."""
    if kind is ClaimKind.ratio:
        return ratios, " times"
    return ratios.map(RATIO_TO_PERCENT), "%"


def stated_phrase(kind: ClaimKind, qualifier: Qualifier, stated: Decimal) -> str:
    """How the claim reads: 'almost 4 times', 'an increase of 86.5%'."""
    words = QUALIFIERS[qualifier].words
    if kind is ClaimKind.ratio:
        return f"{words}{plain(stated)} times"
    if _no_change(qualifier, stated):
        return f"a change of {plain(abs(stated))}%"
    change = "an increase" if stated >= 0 else "a decrease"
    return f"{change} of {words}{plain(abs(stated))}%"


@dataclass(frozen=True)
class Labels:
    """Names for the explanation sentence."""

    indicator: str  # "FDI_INFLOW"
    pair: str  # "KAZ–BGR"
    base_year: int
    year: int
    unit: str  # "USD millions"
    # The two figures as their sources gave them, each with its unit, when the units differ
    # (the figures are then in `unit`, the finer): 1.6 billions quoted as 1600 millions
    # would read as rounded to the million.
    published: tuple[tuple[Decimal, str], ...] | None = None


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    explanation: str
    point: Decimal | None = None  # the figures' own ratio or percent change
    interval: Interval | None = None  # the same, allowing for rounding
    missing_years: tuple[int, ...] = ()
    implied_year: int | None = None
    implied: Interval | None = None  # the missing figure's range, if the claim is true
    ratio: Interval | None = None  # with `implied`: the later ÷ earlier the words allow


@dataclass(frozen=True)
class Contradiction:
    """A claim's figure derived from reported figures that contradict each other."""

    year: int
    formula: str  # "EXPORTS = (TURNOVER + BALANCE) / 2"
    conflict: str  # the derivation's own sentence: why its figures cannot all be right


def assess_growth_claim(
    kind: ClaimKind,
    qualifier: Qualifier,
    stated: Decimal,
    base: Figure | None,
    later: Figure | None,
    labels: Labels,
    contradiction: Contradiction | None = None,
) -> Assessment:
    """Verdict on a ratio or percent-change claim between two figures in one unit.

    `contradiction` is one of the figures, derived from reported figures that contradict
    each other: it is no ground for a verdict either way, nor for a missing figure's range
    (TURNOVER 10 and BALANCE 30 give EXPORTS 20, and IMPORTS −10, which it cannot be)."""
    phrase = stated_phrase(kind, qualifier, stated)
    claim_range = allowed_range(qualifier, stated, kind)
    ratio_range = claimed_ratios(kind, claim_range) if claim_range else None
    missing = base is None or later is None
    if claim_range is None or (ratio_range is None and missing):
        # Stored before writes refused it: no figure can bear it out. With both figures,
        # words that bound a range are checked against them, as any other claim's.
        why = no_value_allowed(kind, qualifier, stated)
        return Assessment(Verdict.inconsistent, f"Inconsistent: “{phrase}” {why}.")
    if contradiction is not None:
        return _contradicted(contradiction, base, later, labels, phrase)
    if base is None or later is None:
        assert ratio_range is not None
        return _unverifiable(kind, ratio_range, base, later, labels, phrase)

    figures = _figures(base, later, labels)
    below_zero = [f for f in (base, later) if f.value < 0]
    if below_zero and all(least_possible(labels.indicator, f) == ZERO for f in below_zero):
        # IMPORTS derived as 10.0 − 10.1, shown as 0 to 0.0: no negative import, as growth
        # says of it too.
        return Assessment(
            Verdict.unverifiable,
            f"Unverifiable: {figures} include a value below zero, which "
            f"{labels.indicator} cannot be, though within its rounding it may be 0, so "
            f"“{phrase}” is not checked against them.",
        )
    if below_zero:  # a balance, or net disinvestment (SIGNED)
        return Assessment(
            Verdict.unverifiable,
            f"Unverifiable: {figures} include a negative value, and “{phrase}” describes "
            "how a positive quantity grew or shrank, so it is not checked against them.",
        )
    base_interval = base.interval.clamp_low(Decimal(0))
    ratio_interval = divide(later.interval.clamp_low(Decimal(0)), base_interval)
    # The words' own range, in enough places to quote it: "at most 0.0001 times" rounded
    # outward to two places would read "at most 0.01 times".
    places = max(SHOWN_DECIMALS, _decimals(stated) + 1)

    def ruled_out(ratios: Interval | None, doubt: str, part: str, rest: str) -> Assessment | None:
        """Inconsistent when even the values that give a ratio (`part`) rule the words out,
        the `rest` giving none; None when they do not, and no ratio is checked."""
        if ratios is None:
            return None
        given_range, unit = _as_claimed(kind, ratios)
        if given_range.meets(claim_range):
            return None
        given, allowed = _ranges_apart(given_range, claim_range, unit, places)
        return Assessment(
            Verdict.inconsistent,
            f"Inconsistent: {figures} include {doubt}, but {part} {given} allowing for their "
            f"rounding, and {rest} no ratio at all, which “{phrase}” does not allow ({allowed}).",
        )

    if ratio_interval is None or ratio_interval.high is None or base_interval.low == 0:
        # Any base above zero still gives some least ratio (5.0 over a 0.0 that may be up
        # to 0.05: at least 99 times; over a later 0.0 as well, at least 0), and a zero
        # base none: words that allow only less are contradicted whatever the base was.
        return ruled_out(
            ratio_interval, "a base that may be zero", "any base above zero gives", "a zero base"
        ) or Assessment(
            Verdict.unverifiable,
            f"Unverifiable: {figures} include a base that may be zero, so no ratio exists "
            f"to check “{phrase}” against.",
        )

    if labels.indicator in SIGNED and later.least < 0:
        # A balance of 0.0, or one derived as 0.05 ± 0.055, may have become a deficit: no
        # ratio describes that (growth gives none). Only words that even the values at or
        # above zero rule out are judged.
        return ruled_out(
            ratio_interval,
            f"a {labels.year} value that may be below zero",
            "the values at or above zero give",
            "one below zero",
        ) or Assessment(
            Verdict.unverifiable,
            f"Unverifiable: {figures} include a {labels.year} value that may be as low as "
            f"{plain(later.least)} within its rounding, below zero, and “{phrase}” "
            "describes how a positive quantity grew or shrank, so it is not checked against "
            "them.",
        )

    g = growth(base.value, later.value, labels.year - labels.base_year)
    # Whether the words allow the figures' own point, and how far it is from what they
    # state, are judged on the point itself: rounded, a fall of 0.00000005% reads 0.
    exact = EXACT.divide(later.value, base.value)
    # Nor is the point shown rounded onto a bound of the words ("a ratio of 11" that
    # "more than 11 times" does not allow: it was 10.996), in the sentence or in `point`.
    bounds = tuple(b for b in (claim_range.low, claim_range.high) if b is not None)
    interval, unit = _as_claimed(kind, ratio_interval)
    # The sentence rounds the exact point once: rounded from `point`'s six places, a ratio
    # of 3.4949995 (3.495000) would read 3.5, outside the 3.485 to 3.495 that "3.49" allows.
    if kind is ClaimKind.ratio:
        point = _clear_of_bounds(g.ratio, exact, RATIO_DECIMALS, bounds)
        shown = _fmt(exact, clear_of=(ZERO, ONE, *bounds))
        measure = f"a ratio of {shown}" if point is not None else "no ratio"
    else:
        exact = RATIO_TO_PERCENT.apply(exact)
        point = _clear_of_bounds(g.pch, exact, PERCENT_DECIMALS, bounds)
        measure = _change_phrase(exact, bounds) if point is not None else "no change ratio"
    span = _range_text(interval, unit)

    if not interval.meets(claim_range):
        given, allowed = _ranges_apart(interval, claim_range, unit, places)
        return Assessment(
            Verdict.inconsistent,
            f"Inconsistent: {figures} give {measure} ({given} allowing for their rounding), "
            f"which “{phrase}” does not allow ({allowed}).",
            point,
            interval,
        )
    gap_unit = " percentage points" if kind is ClaimKind.percent_change else ""
    if point is not None and claim_range.contains(exact):
        reason = f", which “{phrase}” allows ({_range_text(claim_range, unit, places)})"
    elif exact != stated and interval.contains(stated):
        gap = EXACT.subtract(stated, exact).copy_abs()
        reason = (
            f" ({span} allowing for their rounding); the stated {plain(stated)}{unit} "
            f"differs from that point estimate by {_fmt(gap, _decimals(stated))}{gap_unit}, "
            "within the rounding of the published figures"
        )
    else:
        # The stated number lies beyond the rounding ("almost 4 times" of 3.5994), or is
        # the point but excluded ("more than 11 times" of 11): the rounding reaches the
        # words' range, not the number, so the gap is measured to the range's edge.
        below = claim_range.low is not None and exact <= claim_range.low
        edge = claim_range.low if below else claim_range.high
        assert edge is not None  # the point lies outside the range, on this side
        gap = EXACT.subtract(edge, exact).copy_abs()
        where = (
            "on its excluded bound"
            if gap == 0
            else f"{_fmt(gap, _decimals(stated))}{gap_unit} {'below' if below else 'above'} it"
        )
        reason = (
            f" ({span} allowing for their rounding); “{phrase}” allows "
            f"{_range_text(claim_range, unit, places)}, and that point estimate is {where}, "
            "within the rounding of the published figures"
        )
    return Assessment(
        Verdict.consistent, f"Consistent: {figures} give {measure}{reason}.", point, interval
    )


def _figures(base: Figure, later: Figure, labels: Labels) -> str:
    """'the figures (4.2 in 2023 and 7.8 in 2024)': given in different units, each is
    quoted as published, with its unit."""
    quoted = (
        (plain(base.value), plain(later.value))
        if labels.published is None
        else tuple(f"{plain(value)} {unit}" for value, unit in labels.published)
    )
    return f"the figures ({quoted[0]} in {labels.base_year} and {quoted[1]} in {labels.year})"


def _contradicted(
    contradiction: Contradiction,
    base: Figure | None,
    later: Figure | None,
    labels: Labels,
    phrase: str,
) -> Assessment:
    """No verdict on a claim one of whose figures cannot be right: its explanation, one
    sentence, names the figure and quotes why (the derivation's own words)."""
    year, formula = contradiction.year, contradiction.formula
    why = f"which cannot be right ({_clause(contradiction.conflict)})"
    if base is None or later is None:
        missing = labels.base_year if base is None else labels.year
        return Assessment(
            Verdict.unverifiable,
            f"Unverifiable: no {labels.indicator} figure is recorded for {labels.pair} in "
            f"{missing}, and the {year} one is derived as {formula}, {why}, so it puts no "
            f"range on the missing one from “{phrase}”.",
            missing_years=(missing,),
        )
    figure = base if year == labels.base_year else later
    # A flow below zero is part of what is wrong; a balance may be negative.
    negative = "a negative value, " if figure.value < 0 and labels.indicator not in SIGNED else ""
    return Assessment(
        Verdict.unverifiable,
        f"Unverifiable: {_figures(base, later, labels)} include {negative}the {year} "
        f"{labels.indicator}, derived as {formula}, {why}, so no verdict on “{phrase}” can "
        "rest on them.",
    )


def _clause(sentence: str) -> str:
    """A sentence to quote inside another: its full stop dropped, and its first word in
    lower case unless it is a code (IMPORTS)."""
    text = sentence.removesuffix(".")
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def _clear_of_bounds(
    rounded: Decimal | None, exact: Decimal, decimals: int, bounds: tuple[Decimal, ...]
) -> Decimal | None:
    """A point as growth rounds it, or, where that lands on a bound of the words the exact
    point is not on, in as many places as keep it off: 11.0000004 against "more than 11
    times" is not 11, which those words exclude."""
    if rounded is None or rounded not in bounds:
        return rounded
    return round_clear_of(exact, decimals, *bounds)


def _unverifiable(
    kind: ClaimKind,
    ratio_range: Interval,
    base: Figure | None,
    later: Figure | None,
    labels: Labels,
    phrase: str,
) -> Assessment:
    missing = tuple(y for y, f in ((labels.base_year, base), (labels.year, later)) if f is None)
    years = " or ".join(str(y) for y in missing)
    head = f"Unverifiable: no {labels.indicator} figure is recorded for {labels.pair} in {years}"
    if len(missing) == 2:
        return Assessment(Verdict.unverifiable, f"{head}.", missing_years=missing)

    known = base if base is not None else later
    if known is not None and known.value < 0:  # no ratio leads to or from a negative figure
        return Assessment(Verdict.unverifiable, f"{head}.", missing_years=missing)
    assert known is not None
    implied_year = labels.base_year if base is None else labels.year
    implied = implied_by(known, ratio_range, known_is_later=base is None)
    precision = known.precision
    if implied is None:
        return Assessment(Verdict.unverifiable, f"{head}.", missing_years=missing)
    shown = _range_text(implied, "", precision + 1)
    return Assessment(
        Verdict.unverifiable,
        f"{head}; if “{phrase}” is right, it was {shown} {labels.unit}.",
        missing_years=missing,
        implied_year=implied_year,
        implied=implied,
        ratio=ratio_range,
    )


def implied_by(known: Figure, ratio: Interval, known_is_later: bool) -> Interval | None:
    """The other figure's range when `ratio` is later ÷ earlier: earlier = later ÷ ratio,
    later = earlier × ratio. None where no range follows (a ratio of zero alone)."""
    bounds = known.interval.clamp_low(Decimal(0))
    return divide(bounds, ratio) if known_is_later else multiply(bounds, ratio)


@dataclass(frozen=True)
class Implication:
    """What one claim says of a missing figure, in the unit shared with the others."""

    claim_id: int
    implied: Interval  # the missing figure's range, if the claim is right
    ratio: Interval  # later ÷ earlier, as its words allow
    known: Figure  # the figure it is checked against
    known_year: int
    known_is_later: bool


def jointly_implied(
    label: str, claims: list[Implication], unit: str, decimals: int
) -> tuple[Interval, str]:
    """What several claims imply together for one missing figure (`label`, such as "the
    2023 TURNOVER figure"). Claims checked against one figure state one ratio, which must
    meet all their words at once: "almost 2 times" and "more than 2.5 times" cannot both
    be right, though each alone allows some values of the figure. The others narrow it
    independently. When no value is allowed, the claims cannot all be right; the first
    one's range is kept, and the sentence says so."""
    *others, last = [str(claim.claim_id) for claim in claims]
    ids = f"{', '.join(others)} and {last}"
    on_one_figure: dict[tuple[int, bool], list[Implication]] = {}
    for claim in claims:
        on_one_figure.setdefault((claim.known_year, claim.known_is_later), []).append(claim)
    clashing = None
    ranges = []  # what each figure's claims imply together
    for group in on_one_figure.values():
        ratio = _common([claim.ratio for claim in group])
        if ratio is None:
            clashing = clashing or group
            continue
        implied = implied_by(group[0].known, ratio, group[0].known_is_later)
        ranges.append(implied if implied is not None else group[0].implied)
    joint = None if clashing else _common(ranges)
    if joint is None and not clashing:
        decimals = _places_apart(ranges, decimals)
    each = "; ".join(
        f"claim {claim.claim_id}: {_range_text(claim.implied, '', decimals)}" for claim in claims
    )
    first = claims[0]
    kept = f"so they cannot all be right; shown is claim {first.claim_id}'s range."
    if clashing:
        # At two places, 86.5% (1.8645 to 1.8655 times) and "at least 1.866 times" would
        # read "1.86 times to 1.87 times" and "at least 1.86 times": as meeting.
        places = _places_apart([claim.ratio for claim in clashing], SHOWN_DECIMALS)
        ratios = "; ".join(
            f"claim {claim.claim_id}: {_range_text(claim.ratio, ' times', places)}"
            for claim in clashing
        )
        return first.implied, (
            f"Contradictory: claims {ids} each imply {label} ({each}, in {unit}), but claims "
            f"{' and '.join(str(claim.claim_id) for claim in clashing)} put one ratio to the "
            f"{clashing[0].known_year} figure in ranges that share no value ({ratios}), {kept}"
        )
    if joint is None:
        return first.implied, (
            f"Contradictory: claims {ids} each imply {label} ({each}, in {unit}), and no value "
            f"is in every range, {kept}"
        )
    return joint, (
        f"Claims {ids} each imply {label} ({each}, in {unit}); if all are right, it was "
        f"{_range_text(joint, '', decimals)} {unit}."
    )


def _places_apart(ranges: list[Interval], decimals: int) -> int:
    """The fewest places, from `decimals`, at which ranges that share no value do not read
    as sharing one once rounded outward: ranges that miss each other narrowly would."""
    for places in range(decimals, DIGITS):
        if _common([r.rounded_outward(places) for r in ranges]) is None:
            return places
    return DIGITS


def _common(intervals: list[Interval]) -> Interval | None:
    """The numbers in every interval, or None when no number is."""
    common: Interval | None = intervals[0]
    for interval in intervals[1:]:
        common = common.intersect(interval) if common is not None else None
    return common


def assess_identity(
    formula: str,
    reported: Figure,
    computed: Figure,
    labels: Labels,
    impossible: tuple[str, Figure] | None = None,
    published: tuple[Decimal, str] | None = None,
) -> Assessment:
    """Verdict on an identity: a reported figure against the sum of its reported terms.

    `impossible` is a term derived below zero where it cannot be, with its value: the
    figures it comes from contradict each other, so the identity cannot hold on them
    whatever the sum gives (TURNOVER 10, EXPORTS 20, BALANCE 30: IMPORTS −10 gives the
    balance exactly).

    `published` is the reported figure as its source gave it, with its unit, when that is
    coarser than `labels.unit`: 1.6 billions written as 1600 millions would read as
    rounded to the million, so it is given as published, with its range in `labels.unit`."""
    reported_range, computed_range = reported.interval, computed.interval
    terms = formula.split(" = ", 1)[1]
    unit = f" {labels.unit}" if labels.unit else ""  # the figures may be given in others
    if published is None:
        as_reported = f"{plain(reported.value)}{unit}"
    else:
        value, own_unit = published
        as_reported = f"{plain(value)} {own_unit}, {_with_rounding(reported, labels.unit)},"
    text = (
        f"{labels.indicator} is reported as {as_reported} and {terms} "
        f"give {_with_rounding(computed, labels.unit)}"
    )
    reached = reported_range.meets(computed_range)
    reach = (
        "which the reported figure's own rounding reaches"
        if reached
        else "beyond the reach of the reported figure's rounding"
    )
    if impossible is not None:
        term, derived = impossible
        return Assessment(
            Verdict.inconsistent,
            f"Inconsistent: {text}, {reach}, {'but' if reached else 'and'} that {term} is "
            f"{_with_rounding(derived, labels.unit)}, which it cannot be: the reported figures it "
            "is derived from contradict each other.",
            computed.value,
            computed_range,
        )
    return Assessment(
        Verdict.consistent if reached else Verdict.inconsistent,
        f"{'Consistent' if reached else 'Inconsistent'}: {text}, {reach}.",
        computed.value,
        computed_range,
    )


def negative_term(formula: str, derived: Figure, unit: str) -> Assessment:
    """Verdict on reported figures that leave a term that cannot be negative below zero
    whatever their rounding (TURNOVER 10 and EXPORTS 20: IMPORTS −10)."""
    term = formula.split(" = ", 1)[0]
    return Assessment(
        Verdict.inconsistent,
        f"Inconsistent: the reported figures give {formula} = {_with_rounding(derived, unit)}, "
        f"but {term} cannot be negative, so they contradict each other.",
        derived.value,
        derived.interval,
    )


def _with_rounding(figure: Figure, unit: str) -> str:
    """'-10 USD millions (-10.1 to -9.9 allowing for rounding)'."""
    in_unit = f" {unit}" if unit else ""
    # A sum of figures is exact, and so are its bounds: every place they have is shown, as
    # two would print 1.234 + 2.345 as 3.58.
    places = max(SHOWN_DECIMALS, precision_of(figure.value), precision_of(figure.half_width))
    interval = _range_text(figure.interval, "", places)
    return f"{_fmt(figure.value, places)}{in_unit} ({interval} allowing for rounding)"


def _change_phrase(pch: Decimal, bounds: tuple[Decimal, ...]) -> str:
    if pch == 0:  # the same figure twice went neither way: not "an increase of 0%"
        return "no change"
    word = "an increase" if pch >= 0 else "a decrease"
    # A fall that leaves something is never "a decrease of 100%", nor any change one of 0%,
    # nor one shown on a bound of `bounds` (signed percentages) that it is not on.
    clear_of = (ZERO, HUNDRED, *(bound.copy_abs() for bound in bounds))
    return f"{word} of {_fmt(pch.copy_abs(), clear_of=clear_of)}%"


def _range_text(interval: Interval, unit: str, decimals: int = SHOWN_DECIMALS) -> str:
    """'82.35% to 89.16%', 'above 11 times': rounded outward, so it holds every value."""
    interval = interval.rounded_outward(decimals)
    low = "−∞" if interval.low is None else f"{_fmt(interval.low, decimals)}{unit}"
    high = "∞" if interval.high is None else f"{_fmt(interval.high, decimals)}{unit}"
    if interval.high is None:
        return f"{'at least' if interval.low_closed else 'above'} {low}"
    if interval.low == interval.high:  # "a decrease of at least 100%": all of it, no more
        return low
    if interval.low is None or (interval.low == 0 and not interval.low_closed):
        return f"{'at most' if interval.high_closed else 'less than'} {high}"
    # An open bound is said to be one: what "less than 98.75" allows stops short of it.
    if interval.low_closed and interval.high_closed:
        return f"{low} to {high}"
    if interval.low_closed:
        return f"{low} to less than {high}"
    if interval.high_closed:
        return f"above {low}, up to {high}"
    return f"above {low} and less than {high}"


def _decimals(value: Decimal) -> int:
    """Places to show a gap from a stated number in: its own, and at least one."""
    return max(1, -value.as_tuple().exponent)  # type: ignore[operator]


def _fmt(
    value: Decimal | None, decimals: int = SHOWN_DECIMALS, clear_of: tuple[Decimal, ...] = (ZERO,)
) -> str:
    """A number for a sentence: at most `decimals` places, no trailing zeros, and more where
    they would round it onto one of `clear_of` (a ratio of 9.5E-8 is not "a ratio of 0")."""
    if value is None:
        return "?"
    if value.as_tuple().exponent >= -decimals:  # type: ignore[operator]
        text = format(value, "f")
    else:
        text = format(round_clear_of(value, decimals, *clear_of), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def unlike_currencies(figures: str) -> Assessment:
    """No verdict across currencies: the API records no exchange rates to convert them."""
    return Assessment(
        Verdict.unverifiable,
        f"Unverifiable: {figures} are in different currencies, and no exchange rate is "
        "recorded to convert one into another.",
    )


def identity_unverifiable(formula: str, missing: list[str], labels: Labels) -> Assessment:
    named = " and ".join(missing)
    return Assessment(
        Verdict.unverifiable,
        f"Unverifiable: checking {formula} for {labels.pair} in {labels.year} needs reported "
        f"{named}, and none is recorded.",
        missing_years=(labels.year,),
    )
