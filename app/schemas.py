"""Response shapes, as the API documents them. Tables live in app/models.py."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from app.models import ObservationStatus


def _json_number(value: Decimal) -> float | int:
    # A float's shortest repr reproduces any decimal of up to 15 significant digits
    # exactly, so 71.6 is written 71.6 and 232.0 stays 232.0. Whole numbers stay integers.
    if value.as_tuple().exponent == 0:
        return int(value)
    return float(value)


# Exact decimals inside, plain JSON numbers on the wire.
Number = Annotated[Decimal, PlainSerializer(_json_number, return_type=float, when_used="json")]


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
    allows_negative: bool


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


class DerivationInput(BaseModel):
    indicator: str
    year: int
    value: Number
    status: ObservationStatus
    observation_id: int | None = Field(description="Set when the input is a stored figure.")


class YearGrowth(BaseModel):
    """Change from the previous year. Nulls come with a `reason`: there is no invented zero."""

    base_year: int
    ratio: Number | None
    pch: Number | None = Field(description="Percent change.")
    chg: Number | None = Field(description="Absolute change, in the series unit.")
    reason: str | None = None


class SeriesPoint(BaseModel):
    year: int = Field(examples=[2024])
    value: Number = Field(examples=[7.8])
    precision: int = Field(description="Decimals as published.", examples=[1])
    unit: Unit
    status: ObservationStatus = Field(
        description="`reported`: as the source published it. `derived`: computed by an identity."
    )
    observation_id: int | None = Field(description="The stored figure; null for derived values.")
    source: SourceRef | None = Field(description="The agency that produced the figure.")
    published_in: SourceRef | None = Field(description="The document that printed it.")
    quote: str | None = Field(description="The sentence the figure came from, verbatim.")
    note: str | None
    formula: str | None = Field(default=None, examples=["IMPORTS = TURNOVER − EXPORTS"])
    inputs: list[DerivationInput] | None = None
    growth: YearGrowth


class Series(BaseModel):
    indicator: IndicatorPublic
    reporter: CountryPublic
    partner: CountryPublic
    unit: Unit | None = Field(description="The unit shared by every point; null if they differ.")
    observations: list[SeriesPoint]


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


class ObservationsPublic(BaseModel):
    data: list[ObservationPublic]
    limit: int
    next: str | None = Field(description="URL of the next page; null on the last page.")


class GrowthInput(BaseModel):
    year: int
    value: Number
    precision: int
    status: ObservationStatus
    observation_id: int | None


class GrowthResult(BaseModel):
    indicator: str = Field(examples=["FDI_INFLOW"])
    reporter: str = Field(examples=["KAZ"])
    partner: str = Field(examples=["BGR"])
    unit: Unit
    years: int = Field(description="Span in years, `to` − `from`.")
    inputs: list[GrowthInput] = Field(description="The two figures used, earlier first.")
    ratio: Number | None = Field(description="later / earlier, 6 decimals.")
    chg: Number = Field(description="Absolute change, exact.")
    pch: Number | None = Field(description="Percent change, 4 decimals.")
    cagr: Number | None = Field(description="Compound annual growth rate, percent, 4 decimals.")
    log: Number | None = Field(description="Natural log of the ratio, 6 decimals.")
    reason: str | None = Field(description="Why any transformation is null.")


class Health(BaseModel):
    status: str = Field(examples=["ok"])
