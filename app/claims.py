"""Claims checked against the figures, at query time, so verdicts follow the data."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from app.queries import (
    Point,
    Reader,
    YearPoints,
    pair_points,
    trade_points,
)
from app.stats.figures import Figure, precision_of, unit_label
from app.stats.identities import (
    IDENTITIES,
    Derivation,
    below_zero,
    identity_formula,
    solve,
)
from app.stats.verdicts import (
    Assessment,
    ClaimKind,
    Contradiction,
    Labels,
    Qualifier,
    assess_growth_claim,
    assess_identity,
    identity_unverifiable,
    negative_term,
    unlike_currencies,
)

# Identities by the indicator they define: TURNOVER = EXPORTS + IMPORTS, BALANCE = …
IDENTITY_FOR = {next(iter(identity)): identity for identity in IDENTITIES}


def stated_precision(stated: Decimal | None) -> int | None:
    """Decimals as the source gives its number (86.50 has 2), which only `stated`'s digits
    keep and a JSON number drops; None for an identity, which states no number."""
    return None if stated is None else precision_of(stated)


@dataclass(frozen=True)
class Checked:
    """An assessment with what it was computed from and what it found missing."""

    assessment: Assessment
    inputs: list[Point]
    missing: list[tuple[str, int]] = field(default_factory=list)  # (indicator, year)
    currency: str = "USD"
    multiplier: int = 6


def check_claim(session: Reader, claim: Row[Any], as_of: datetime | None = None) -> Checked:
    """A claim's verdict on the figures as they stood at `as_of` (now, when None)."""
    if claim.kind == ClaimKind.identity:
        # Every trade value the year's figures fix, as /v1/identity-checks reads them: a
        # series' read derives nothing when the claimed indicator is stored, and would
        # call BALANCE = EXPORTS − IMPORTS unverifiable where TURNOVER gives IMPORTS.
        points = trade_points(
            session=session,
            reporter=claim.reporter,
            partner=claim.partner,
            start_year=claim.year,
            end_year=claim.year,
            as_of=as_of,
        ).get(claim.year, {})
        points = _fixed_by_the_other(IDENTITY_FOR[claim.indicator], points)
        return check_identity(claim.indicator, claim.reporter, claim.partner, claim.year, points)

    by_year = pair_points(
        session=session,
        indicator=claim.indicator,
        reporter=claim.reporter,
        partner=claim.partner,
        start_year=claim.base_year,
        end_year=claim.year,
        as_of=as_of,
    )
    base = by_year.get(claim.base_year, {}).get(claim.indicator)
    later = by_year.get(claim.year, {}).get(claim.indicator)
    known = [p for p in (base, later) if p is not None]
    if base is not None and later is not None and base.currency != later.currency:
        figures = (
            f"the {claim.indicator} figures for {claim.reporter}–{claim.partner} "
            f"({base.currency} in {claim.base_year}, {later.currency} in {claim.year})"
        )
        return Checked(unlike_currencies(figures), known)
    multiplier = min((p.figure.multiplier for p in known), default=6)
    currency = known[0].currency if known else "USD"
    labels = Labels(
        claim.indicator,
        f"{claim.reporter}–{claim.partner}",
        claim.base_year,
        claim.year,
        unit_label(currency, multiplier),
        published=tuple(map(as_published, known))
        if len({p.figure.multiplier for p in known}) > 1
        else None,
    )

    def scaled(point: Point | None) -> Figure | None:
        return point.figure.in_multiplier(multiplier) if point else None

    assert claim.stated is not None, "growth claims state a number"
    assessment = assess_growth_claim(
        ClaimKind(claim.kind),
        Qualifier(claim.qualifier),
        claim.stated,
        scaled(base),
        scaled(later),
        labels,
        _contradiction(known),
    )
    missing = [(claim.indicator, year) for year in assessment.missing_years]
    return Checked(assessment, known, missing, currency, multiplier)


def _contradiction(points: list[Point]) -> Contradiction | None:
    """The first of a claim's figures derived from reported figures that contradict each
    other (as its series' `explanation` says), if any is."""
    for point in points:
        derivation = point.derivation
        if derivation is not None and derivation.conflict is not None:
            return Contradiction(point.year, derivation.formula, derivation.conflict)
    return None


def as_published(point: Point) -> tuple[Decimal, str]:
    """A figure's value and unit as its source gave them (for a sentence)."""
    return point.figure.value, unit_label(point.currency, point.figure.multiplier)


def check_identity(
    indicator: str, reporter: str, partner: str, year: int, year_points: YearPoints
) -> Checked:
    """Whether reported figures satisfy the identity that defines `indicator`. A term
    the other identity derives from reported figures counts as given: TURNOVER, EXPORTS
    and BALANCE fix IMPORTS twice, and the two must agree. With a term missing, the
    identity is unverifiable, unless the others leave it below zero where it cannot be."""
    identity = IDENTITY_FOR[indicator]
    formula = identity_formula(identity)
    reported = _given_terms(identity, year_points)
    labels = Labels(indicator, f"{reporter}–{partner}", year, year, "")
    missing = [code for code in identity if code not in reported]
    if missing:
        negative = _negative_term(identity, year_points)
        if negative is not None:
            return negative
        return Checked(
            identity_unverifiable(formula, missing, labels),
            list(reported.values()),
            [(code, year) for code in missing],
        )

    currencies = {p.currency for p in reported.values()}
    if len(currencies) > 1:
        listed = ", ".join(f"{code} in {reported[code].currency}" for code in identity)
        figures = f"the figures of {formula} for {labels.pair} in {year} ({listed})"
        return Checked(unlike_currencies(figures), [reported[code] for code in identity])
    others = {code: p.figure for code, p in reported.items() if code != indicator}
    computed = solve(identity, indicator, others).figure
    own = reported[indicator]
    target = own.figure.in_multiplier(computed.multiplier)
    currency = own.currency
    # A figure in a coarser unit is quoted as published: in the finer one it would read as
    # rounded to that unit (1.6 billions as 1600 millions).
    published = as_published(own) if own.figure.multiplier > computed.multiplier else None
    labels = replace(labels, unit=unit_label(currency, computed.multiplier))
    # A derived term says where it comes from: "EXPORTS − IMPORTS (IMPORTS = TURNOVER − …)".
    derived = [p.derivation.formula for p in reported.values() if p.derivation]
    stated = f"{formula} ({'; '.join(derived)})" if derived else formula
    # A derived term below zero, where it cannot be, is no figure to check a sum with.
    impossible = next(
        (
            (code, p.figure.in_multiplier(computed.multiplier))
            for code, p in reported.items()
            if p.derivation and below_zero(code, p.figure)
        ),
        None,
    )
    return Checked(
        assess_identity(stated, target, computed, labels, impossible, published),
        [reported[code] for code in identity],
        [],
        currency,
        computed.multiplier,
    )


def _given_terms(identity: dict[str, int], points: YearPoints) -> YearPoints:
    """The identity's terms that are reported, or derived by the other identity alone
    (from figures it does not hold): a term solved from this identity, alone or with the
    other (EXPORTS from TURNOVER and BALANCE), would hold it by construction."""
    return {
        code: p
        for code, p in points.items()
        if code in identity and (p.derivation is None or not p.derivation.rests_on(identity))
    }


def _fixed_by_the_other(identity: dict[str, int], points: YearPoints) -> YearPoints:
    """The year's points, with a term derived from `identity`'s own terms (IMPORTS =
    TURNOVER − EXPORTS, which holds TURNOVER = EXPORTS + IMPORTS by construction) derived
    instead from the other identity's reported figures where they fix it (IMPORTS =
    EXPORTS − BALANCE). TURNOVER, EXPORTS and BALANCE contradict each other or not
    whichever identity a claim names: /v1/identity-checks checks them once, as BALANCE."""
    fixed = dict(points)
    for code, point in points.items():
        own = point.derivation is not None and point.derivation.rests_on(identity)
        # TURNOVER is in no other identity, nor is BALANCE: only a shared term is fixed twice.
        other = next((i for i in IDENTITIES if i is not identity and code in i), None)
        if code not in identity or not own or other is None:
            continue
        solved = _solved_from_reported(other, points)
        if solved is not None and solved[0] == code:
            _, by_other, reported = solved
            fixed[code] = point._replace(
                figure=by_other.figure, currency=reported[0].currency, derivation=by_other
            )
    return fixed


def _solved_from_reported(
    identity: dict[str, int], points: YearPoints
) -> tuple[str, Derivation, list[Point]] | None:
    """The one term of `identity` that the year's reported figures leave unknown, solved
    from them, with those figures; None unless exactly one is unknown and the others share
    a currency."""
    stored = {c: points[c] for c in identity if c in points and points[c].observation}
    missing = [code for code in identity if code not in stored]
    if len(missing) != 1 or len({p.currency for p in stored.values()}) != 1:
        return None
    derivation = solve(identity, missing[0], {c: p.figure for c, p in stored.items()})
    return missing[0], derivation, list(stored.values())


def identity_checks(
    *,
    session: Reader,
    reporter: str,
    partner: str,
    start_year: int | None,
    end_year: int | None,
    as_of: datetime | None = None,
) -> list[tuple[str, int, Checked]]:
    """Every identity whose terms are all reported (or one fixed by the other identity),
    for one pair, by year; and those with one term missing where the others leave it
    below zero though it cannot be. The rest are unverifiable, and left out."""
    by_year = trade_points(
        session=session,
        reporter=reporter,
        partner=partner,
        start_year=start_year,
        end_year=end_year,
        as_of=as_of,
    )
    checks = []
    for year, points in by_year.items():
        for target in IDENTITY_FOR:
            checked = check_identity(target, reporter, partner, year, points)
            if not checked.missing:
                checks.append((target, year, checked))
    return checks


def _negative_term(identity: dict[str, int], points: YearPoints) -> Checked | None:
    """The check of an identity with terms missing, when the reported figures leave one
    below zero beyond their rounding and it cannot be. Solved from this identity's terms:
    `points` may have derived it from the other identity. Two terms short, as `points`
    solve one through it from reported figures: with the other identity at once, as in
    IMPORTS = (TURNOVER − BALANCE) / 2."""
    solved = _solved_from_reported(identity, points)
    if solved is None:
        solved = next(
            (
                (code, p.derivation, [points[c] for c in p.derivation.inputs])
                for code, p in points.items()
                if p.derivation
                and p.derivation.rests_on(identity)
                and all(points[c].observation for c in p.derivation.inputs)
                and below_zero(code, p.figure)
            ),
            None,
        )
    if solved is None:
        return None
    term, derived, reported = solved
    if not below_zero(term, derived.figure):
        return None
    currency, multiplier = reported[0].currency, derived.figure.multiplier
    return Checked(
        negative_term(derived.formula, derived.figure, unit_label(currency, multiplier)),
        reported,
        [],
        currency,
        multiplier,
    )
