"""Database tables (SQLModel). Response shapes live in app/schemas.py."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, String, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

# Stable constraint names on SQLite and PostgreSQL alike, so migrations can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as its canonical text.

    SQLite has no decimal type (SQLAlchemy's Numeric falls back to binary floats there),
    so every engine stores the digits themselves: 375.2 stays 375.2.
    """

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else format(Decimal(value), "f")

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class IndicatorCode(StrEnum):
    TURNOVER = "TURNOVER"
    EXPORTS = "EXPORTS"
    IMPORTS = "IMPORTS"
    BALANCE = "BALANCE"
    FDI_INFLOW = "FDI_INFLOW"


class ObservationStatus(StrEnum):
    reported = "reported"  # a figure as a source published it
    derived = "derived"  # computed exactly from reported figures by an identity
    implied = "implied"  # a range that a claim, if true, gives a missing figure


class Country(SQLModel, table=True):
    alpha3: str = Field(primary_key=True, max_length=3)
    alpha2: str = Field(max_length=2, unique=True)
    numeric: str = Field(max_length=3)
    name: str = Field(max_length=100)


class Indicator(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=100)
    description: str
    direction: str = Field(max_length=100)
    allows_negative: bool = False


class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=20)  # "agency" produces figures; "publication" prints them
    publisher: str | None = Field(default=None, max_length=200)
    title: str = Field(max_length=300)
    url: str | None = Field(default=None, max_length=2000)
    published_on: date | None = None
    retrieved_on: date | None = None
    note: str | None = None


class Observation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("reporter", "partner", "indicator", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    reporter: str = Field(foreign_key="country.alpha3", max_length=3)
    partner: str = Field(foreign_key="country.alpha3", max_length=3)
    indicator: str = Field(foreign_key="indicator.code", max_length=16)
    year: int
    value: Decimal = Field(sa_type=DecimalText)
    currency: str = Field(default="USD", max_length=3)
    multiplier: int = 6  # value × 10^multiplier currency units: 6 means millions
    precision: int  # decimals as published: 375.2 has 1
    status: str = Field(default=ObservationStatus.reported, max_length=16)
    source_id: int = Field(foreign_key="source.id")  # the agency that produced the figure
    # The document that printed the figure, when not the agency itself.
    publication_id: int | None = Field(default=None, foreign_key="source.id")
    quote: str
    note: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Claim(SQLModel, table=True):
    """What a source says about how one figure relates to another, checked at query time."""

    __table_args__ = (
        UniqueConstraint(
            "reporter",
            "partner",
            "indicator",
            "kind",
            "base_year",
            "year",
            "source_id",
            name="uq_claim_natural_key",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # ratio, percent_change or identity (app.stats.verdicts)
    indicator: str = Field(foreign_key="indicator.code", max_length=16)
    reporter: str = Field(foreign_key="country.alpha3", max_length=3)
    partner: str = Field(foreign_key="country.alpha3", max_length=3)
    base_year: int  # the year compared against; equal to `year` for an identity
    year: int
    stated: Decimal | None = Field(default=None, sa_type=DecimalText)  # null for identities
    qualifier: str = Field(default="exact", max_length=20)
    source_id: int = Field(foreign_key="source.id")
    publication_id: int | None = Field(default=None, foreign_key="source.id")
    quote: str
    note: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
