"""Claims, their verdicts, the qualifier table and identity checks."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Row
from sqlmodel import Session

from app.api.crud import add_item_routes
from app.api.deps import (
    AsOf,
    EndYear,
    OptionalIndicator,
    OptionalPartner,
    OptionalReporter,
    Partner,
    Reporter,
    SessionDep,
    StartYear,
    distinct_pair,
    year_range,
)
from app.api.presenters import assessment_fields, claims_public, interval_public
from app.api.render import Format, reads, render
from app.claims import IDENTITY_FOR, identity_checks
from app.queries import claims
from app.schemas import (
    ClaimPublic,
    ClaimsPublic,
    IdentityCheck,
    IdentityChecksPublic,
    QualifierPublic,
    QualifiersPublic,
)
from app.stats.identities import identity_formula
from app.stats.verdicts import QUALIFIERS, Verdict, qualifier_range
from app.writes import CLAIMS

router = APIRouter(prefix="/v1", tags=["Claims"])

VERDICT_RULES = """\
A claim's stated number and qualifier allow a range (see `GET /v1/qualifiers`). The
published figures give another: each stands for half a unit of its last digit either way
(4.2 for 4.15 to 4.25), so a ratio or percent change computed from them is a range too.
The verdict is `consistent` when the two ranges meet, `inconsistent` when they do not, and
`unverifiable` when a figure is missing; then `missing` names it and, where one figure is
known, `implied` gives the range the claim puts the missing one in (status `implied`,
never a reported value). It is `unverifiable` too when the figures cannot settle it, as
`explanation` says: in two currencies, a base that may be zero or is negative, or a figure
derived from reported figures that contradict each other. Verdicts are computed on every
request, so they change as soon as figures are recorded."""


def present_claim(session: Session, row: Row[Any], as_of: datetime | None) -> ClaimPublic:
    return claims_public(session, [row], as_of)[0]


@router.get(
    "/claims",
    response_model=ClaimsPublic,
    summary="List claims with their verdicts",
    description="What sources say about growth, each checked against the figures.\n\n"
    + VERDICT_RULES,
    operation_id="list_claims",
    **reads(422),
)
def list_claims(
    request: Request,
    session: SessionDep,
    indicator: OptionalIndicator = None,
    reporter: OptionalReporter = None,
    partner: OptionalPartner = None,
    verdict: Annotated[
        Verdict | None,
        Query(description="Only claims with this verdict.", examples=["unverifiable"]),
    ] = None,
    as_of: AsOf = None,
    format: Format = None,
) -> Any:
    rows = claims(
        session=session,
        indicator=indicator.value if indicator else None,
        reporter=reporter,
        partner=partner,
        as_of=as_of,
    )
    data = [
        c for c in claims_public(session, rows, as_of) if verdict is None or c.verdict == verdict
    ]
    return render(request, format, ClaimsPublic(data=data, count=len(data)), "claims")


@router.get(
    "/qualifiers",
    response_model=QualifiersPublic,
    summary="How each qualifier is read",
    description="The interpretation table: the range of values that a stated number N "
    "allows under each qualifier, with a worked example for N = 4. For a decrease the "
    'qualifier applies to the size of the fall: "fell by more than 20%" allows anything '
    "below −20%, down to −100%: a claim never allows a change below −100% nor a ratio "
    "below 0. Bounds are chosen to be generous where everyday usage is loose, and strict "
    "where the words are (`more_than` excludes N itself).",
    operation_id="list_qualifiers",
    **reads(),
)
def list_qualifiers(request: Request, as_of: AsOf = None, format: Format = None) -> Any:
    example = Decimal(4)
    data = [
        QualifierPublic(
            qualifier=q,
            words=rule.words.strip() or "(none)",
            meaning=rule.meaning,
            example_stated=example,
            example_allowed=interval_public(qualifier_range(q, example)),
        )
        for q, rule in QUALIFIERS.items()
    ]
    return render(request, format, QualifiersPublic(data=data, count=len(data)), "qualifiers")


@router.get(
    "/identity-checks",
    response_model=IdentityChecksPublic,
    summary="Check accounting identities against reported figures",
    description="For each year in which every term of an identity is reported for the "
    "pair (TURNOVER = EXPORTS + IMPORTS, BALANCE = EXPORTS − IMPORTS), whether the reported "
    "figures agree, allowing for their rounding. Same verdict format as claims. A term "
    "the other identity fixes counts as given: TURNOVER, EXPORTS and BALANCE give IMPORTS "
    "twice, so BALANCE = EXPORTS − IMPORTS is checked with IMPORTS = TURNOVER − EXPORTS, "
    "which the inputs list as derived. Years with a term missing otherwise are left out, "
    "as the missing term is derived instead (see the series endpoints), unless the others "
    "leave it below zero, beyond their rounding, where it cannot be (TURNOVER 10 and "
    "EXPORTS 20): that is listed as inconsistent, under each identity it is solved through "
    "(TURNOVER 10 and BALANCE 30 leave IMPORTS = (TURNOVER − BALANCE) / 2 at −10 through "
    "both). So is a check whose derived term is below zero where it cannot be, whatever "
    "its sum gives, as the figures that term comes from contradict each other (TURNOVER "
    "10, EXPORTS 20 and BALANCE 30: BALANCE = EXPORTS − IMPORTS holds only with IMPORTS of "
    "−10). An identity claim is judged the same way.",
    operation_id="list_identity_checks",
    **reads(422),
)
def list_identity_checks(
    request: Request,
    session: SessionDep,
    reporter: Reporter,
    partner: Partner,
    start_year: StartYear = None,
    end_year: EndYear = None,
    as_of: AsOf = None,
    format: Format = None,
) -> Any:
    distinct_pair(reporter, partner)
    first, last = year_range(None, start_year, end_year)
    data = [
        IdentityCheck(
            indicator=target,
            formula=identity_formula(IDENTITY_FOR[target]),
            reporter=reporter,
            partner=partner,
            year=year,
            **assessment_fields(checked, reporter, partner, amounts=True),
        )
        for target, year, checked in identity_checks(
            session=session,
            reporter=reporter,
            partner=partner,
            start_year=first,
            end_year=last,
            as_of=as_of,
        )
    ]
    result = IdentityChecksPublic(data=data, count=len(data))
    return render(request, format, result, "identity-checks")


add_item_routes(router, CLAIMS, ClaimPublic, present_claim, example_id=3)
