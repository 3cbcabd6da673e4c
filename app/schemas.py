"""Response shapes, as the API documents them. Tables live in app/models.py."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from app.models import ObservationStatus, as_utc
from app.stats.verdicts import ClaimKind, Qualifier, Verdict


def _json_number(value: Decimal) -> float | int:
    """A decimal as pydantic writes it to JSON: through a double, so exact to 15
    significant digits (stored figures have no more; app/inputs.py). Responses are
    written by `json_number` instead, which keeps every digit."""
    text = str(value)
    if "." in text or "E-" in text:
        return float(text)
    return int(value)  # 1.5E+3 too, as json_number writes it


def json_number(value: Decimal) -> orjson.Fragment:
    """orjson's `default` for a decimal: a JSON number with the decimal's exact digits,
    as a double's shortest repr writes one that holds them (71.6, 232.0 for 232.00, 1500
    for 1.5E+3), and digit for digit where a double would change them (a sum or an
    interval bound of large figures). Never with an exponent, which orjson gives a double
    below 0.0001. This runs for every number of every response: the usual decimal is its
    own text, written as it is, quicker than through a float."""
    if type(value) is not Decimal or not value.is_finite():
        raise TypeError(f"{value!r} is not a JSON number")
    text = str(value)
    if "E" in text:  # 1.5E+3, 1E-7: the same digits, plain
        text = format(value, "f")
    if "." in text:
        if text[-1] == "0":  # one zero after the point at most, as a double writes it
            text = text.rstrip("0")
            if text[-1] == ".":
                text += "0"
    elif text == "-0":  # a whole zero has no sign, as an int has none
        text = "0"
    return orjson.Fragment(text)


def _rfc3339(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    PlainSerializer(_rfc3339, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]

# Exact decimals inside, plain JSON numbers on the wire (documented as such).
Number = Annotated[
    Decimal,
    PlainSerializer(_json_number, when_used="json"),
    WithJsonSchema({"type": "number"}, mode="serialization"),
]


class CountryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    alpha3: str = Field(examples=["KAZ"])
    alpha2: str = Field(examples=["KZ"])
    numeric: str = Field(examples=["398"])
    name: str = Field(examples=["Kazakhstan"])


class CountriesPublic(BaseModel):
    data: list[CountryPublic]
    count: int


class IndicatorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str = Field(examples=["FDI_INFLOW"])
    name: str
    description: str
    direction: str = Field(examples=["partner → reporter"])
    allows_negative: bool = Field(
        description="Whether its figures may be below zero: a balance, or investment net of "
        "disinvestment. Writes refuse a negative figure of any other indicator."
    )


class IndicatorsPublic(BaseModel):
    data: list[IndicatorPublic]
    count: int


class SourcePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    slug: str = Field(examples=["national-bank-of-kazakhstan"])
    kind: str = Field(description="`agency` produced figures; `publication` printed them.")
    publisher: str | None
    title: str
    url: str | None
    published_on: date | None
    retrieved_on: date | None
    note: str | None
    created_at: Timestamp
    updated_at: Timestamp


class SourcesPublic(BaseModel):
    data: list[SourcePublic]
    count: int


class SourceRef(BaseModel):
    """A source as cited by a figure: enough to name it, with its id to look it up."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    publisher: str | None
    title: str
    url: str | None


class Unit(BaseModel):
    currency: str = Field(examples=["USD"])
    multiplier: int = Field(description="Values are in 10^multiplier currency units.", examples=[6])
    label: str = Field(examples=["USD millions"])


class FigureUsed(BaseModel):
    """A figure that a derived value, a growth rate or a verdict was computed from."""

    indicator: str = Field(examples=["FDI_INFLOW"])
    year: int = Field(examples=[2023])
    value: Number = Field(
        examples=[4.2], description="In `unit`: as published if reported, computed if derived."
    )
    precision: int = Field(examples=[1], description="Decimals, as the figure's `precision`.")
    unit: Unit = Field(description="The figure's own, which the result's may differ from.")
    status: ObservationStatus
    observation_id: int | None = Field(description="Set when the figure is stored.")
    formula: str | None = Field(
        default=None,
        description="How a derived figure was computed, naming the figures of its year it "
        "comes from (each in the same pair's series); null for a stored one.",
        examples=["IMPORTS = EXPORTS − BALANCE"],
    )


class IntervalPublic(BaseModel):
    """A range of values; a null bound is unbounded."""

    low: Number | None = Field(examples=[4.15])
    high: Number | None = Field(examples=[4.25])
    low_inclusive: bool
    high_inclusive: bool


class YearGrowth(BaseModel):
    """Change from the previous year. Nulls come with a `reason`: there is no invented zero."""

    base_year: int
    ratio: Number | None
    pch: Number | None = Field(description="Percent change.")
    chg: Number | None = Field(
        description="Absolute change, in this point's `unit` (the base year's figure "
        "converted to it where the two differ in multiplier); the series has no one unit then."
    )
    reason: str | None = None


class SeriesPoint(BaseModel):
    year: int = Field(examples=[2024])
    value: Number | None = Field(description="Null only for implied values.", examples=[7.8])
    precision: int = Field(
        description="Decimals as published; for a derived value, the most its inputs have, "
        "and one more for a half such as EXPORTS = (TURNOVER + BALANCE) / 2 (its "
        "`interval`, not its digits, says how well it is known).",
        examples=[1],
    )
    unit: Unit
    status: ObservationStatus = Field(
        description="`reported`: as the source published it. `derived`: computed exactly by "
        "the identities. `implied`: a range that a claim gives a missing figure (only with "
        "`include=implied`)."
    )
    interval: IntervalPublic = Field(
        description="Every amount the value may stand for: half its last digit either way "
        "when reported, the sum of its inputs' ranges when derived (half of it for a "
        "half), the range the claims allow when implied (all of them, where several imply "
        "one year)."
    )
    observation_id: int | None = Field(description="The stored figure; null for derived values.")
    source: SourceRef | None = Field(description="The agency that produced the figure.")
    published_in: SourceRef | None = Field(description="The document that printed it.")
    quote: str | None = Field(description="The sentence the figure came from, verbatim.")
    note: str | None
    formula: str | None = Field(default=None, examples=["IMPORTS = TURNOVER − EXPORTS"])
    inputs: list[FigureUsed] | None = None
    claim_id: int | None = Field(
        default=None,
        description="For implied values: the claim (the first, where several imply the year).",
    )
    explanation: str | None = Field(
        default=None,
        description="For implied values, how the claims imply them; for derived ones, "
        "why the reported figures they come from, with the year's others, cannot all be "
        "right, if they cannot: an identity they break (as `/v1/identity-checks` finds) or "
        "a value below zero where it cannot be; or, for one below zero that within the "
        "figures' rounding may be 0, that its interval starts at 0.",
    )
    growth: YearGrowth | None = Field(description="Null for implied values.")


class NotDerived(BaseModel):
    year: int = Field(examples=[2024])
    reason: str = Field(
        examples=[
            "No IMPORTS figure is recorded, and none is derived from those that are: they "
            "are in different currencies (EXPORTS in USD, TURNOVER in EUR), and no "
            "exchange rate is recorded."
        ]
    )


class Series(BaseModel):
    indicator: IndicatorPublic
    reporter: CountryPublic
    partner: CountryPublic
    unit: Unit | None = Field(description="The unit shared by every point; null if they differ.")
    observations: list[SeriesPoint]
    not_derived: list[NotDerived] = Field(
        default=[],
        description="Years in range with no value although figures are recorded that an "
        "identity would give it from: each with why (they are in different currencies). "
        "Empty when there are none.",
    )


class ObservationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    reporter: str = Field(examples=["KAZ"])
    partner: str = Field(examples=["BGR"])
    indicator: str = Field(examples=["TURNOVER"])
    year: int = Field(examples=[2024])
    value: Number = Field(examples=[375.2])
    currency: str
    multiplier: int
    precision: int
    status: ObservationStatus
    source_id: int
    publication_id: int | None
    quote: str
    note: str | None
    created_at: Timestamp
    updated_at: Timestamp


class ObservationsPublic(BaseModel):
    data: list[ObservationPublic]
    limit: int
    next: str | None = Field(description="URL of the next page; null on the last page.")


class GrowthResult(BaseModel):
    indicator: str = Field(examples=["FDI_INFLOW"])
    reporter: str = Field(examples=["KAZ"])
    partner: str = Field(examples=["BGR"])
    unit: Unit | None = Field(
        description="`chg`'s: the finer of the two figures' units; null with `chg`."
    )
    years: int = Field(description="Span in years, `to` − `from`.")
    inputs: list[FigureUsed] = Field(
        description="The two figures used, earlier first, each as given in its own unit."
    )
    ratio: Number | None = Field(
        description="later / earlier, 6 decimals (more where 6 would read 0, or 1 when "
        "there was a change)."
    )
    chg: Number | None = Field(
        description="Absolute change, exact; null when the figures' currencies differ."
    )
    pch: Number | None = Field(
        description="Percent change, 4 decimals (more where 4 would read -100, or 0 when "
        "there was a change)."
    )
    cagr: Number | None = Field(
        description="Compound annual growth rate, percent, 4 decimals "
        "(more where 4 would read -100)."
    )
    log: Number | None = Field(description="Natural log of the ratio, 6 decimals.")
    reason: str | None = Field(description="Why any transformation is null.")


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class MissingFigure(BaseModel):
    indicator: str = Field(examples=["TURNOVER"])
    reporter: str = Field(examples=["KAZ"])
    partner: str = Field(examples=["BGR"])
    year: int = Field(examples=[2023])


class ImpliedValue(BaseModel):
    """The range a claim gives a missing figure, if the claim is true. Never a reported value."""

    indicator: str = Field(examples=["TURNOVER"])
    year: int = Field(examples=[2023])
    status: ObservationStatus = Field(examples=["implied"])
    interval: IntervalPublic
    unit: Unit


class Assessment(BaseModel):
    verdict: Verdict = Field(
        description="`consistent` when the claim's range meets what the figures give, "
        "allowing for their rounding; `inconsistent` when not; `unverifiable` when a figure "
        "is missing (see `missing`), or when the figures cannot settle it (in different "
        "currencies, a base that may be zero or is negative, or a figure derived from "
        "reported figures that contradict each other): `explanation` says which. "
        "A base that may be zero still makes a claim `inconsistent` when no base above zero "
        "gives a ratio its words allow."
    )
    explanation: str = Field(description="One sentence, fit to quote.")
    point: Number | None = Field(
        description="What the figures themselves give: a ratio, a percent change, or for an "
        "identity the sum of its terms, or, where a term is missing and the others leave it "
        "below zero (where it cannot be), that term. Null where the figures give none."
    )
    interval: IntervalPublic | None = Field(
        description="The same, allowing for the rounding of every figure used."
    )
    unit: Unit | None = Field(
        description="The unit of `point` and `interval` where they are amounts (an "
        "identity's sum or term, in the finest unit of its figures, which may each be in "
        "another); null for a ratio or a percent change, and where there is no point."
    )
    inputs: list[FigureUsed]
    missing: list[MissingFigure]
    implied: list[ImpliedValue]


class ClaimPublic(Assessment):
    id: int
    kind: ClaimKind = Field(examples=["percent_change"])
    indicator: str = Field(examples=["FDI_INFLOW"])
    reporter: str = Field(examples=["KAZ"])
    partner: str = Field(examples=["BGR"])
    base_year: int = Field(examples=[2023])
    year: int = Field(examples=[2024])
    stated: Number | None = Field(description="The number the source gives.", examples=[86.5])
    stated_precision: int | None = Field(
        description="Decimals as the source gives `stated` (86.50 has 2), which a JSON number "
        "does not keep; null for an identity.",
        examples=[1],
    )
    qualifier: Qualifier
    statement: str = Field(description="The claim in words.", examples=["an increase of 86.5%"])
    allowed: IntervalPublic | None = Field(
        description="What the stated number and qualifier allow (see /v1/qualifiers)."
    )
    source: SourceRef | None
    published_in: SourceRef | None
    quote: str
    note: str | None


class ClaimsPublic(BaseModel):
    data: list[ClaimPublic]
    count: int


class IdentityCheck(Assessment):
    indicator: str = Field(examples=["TURNOVER"])
    formula: str = Field(examples=["TURNOVER = EXPORTS + IMPORTS"])
    reporter: str = Field(examples=["KAZ"])
    partner: str = Field(examples=["BGR"])
    year: int = Field(examples=[2024])


class IdentityChecksPublic(BaseModel):
    data: list[IdentityCheck]
    count: int


class QualifierPublic(BaseModel):
    qualifier: Qualifier
    words: str = Field(description="How a source puts it.", examples=["almost"])
    meaning: str
    example_stated: Number = Field(examples=[4])
    example_allowed: IntervalPublic


class QualifiersPublic(BaseModel):
    data: list[QualifierPublic]
    count: int


class ApiKeyRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str


class RevisionPublic(BaseModel):
    revision_id: int = Field(description="Also the ETag of the version it created.")
    action: str = Field(examples=["update"])
    changed_at: Timestamp
    valid_to: Timestamp | None = Field(description="When the next revision replaced this one.")
    api_key: ApiKeyRef | None = Field(description="Who wrote it; null for the seed.")
    old: dict[str, Any] | None = Field(description="The data before; null on create.")
    new: dict[str, Any] | None = Field(description="The data after; null on delete.")


class RevisionsPublic(BaseModel):
    data: list[RevisionPublic]
    count: int


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    migration: str = Field(description="The schema's Alembic revision.", examples=["0003"])


class PartnerGrowth(BaseModel):
    partner: str = Field(examples=["BGR"])
    unit: Unit | None = Field(
        description="The unit of `earlier`, `later` and `chg`: the finer of the two "
        "figures' units. Null, with them, when the figures' currencies differ."
    )
    earlier: Number | None = Field(description="The `from` year's figure.", examples=[4.2])
    later: Number | None = Field(description="The `to` year's figure.", examples=[7.8])
    ratio: Number | None
    chg: Number | None = Field(description="Absolute change, exact.")
    pch: Number | None = Field(description="Percent change.")
    cagr: Number | None
    log: Number | None
    reason: str | None = Field(description="Why any transformation is null.")


class PartnerGrowths(BaseModel):
    indicator: str = Field(examples=["FDI_INFLOW"])
    reporter: str = Field(examples=["KAZ"])
    from_year: int = Field(examples=[2023])
    to_year: int = Field(examples=[2024])
    data: list[PartnerGrowth]
    count: int
