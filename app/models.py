"""Database tables (SQLModel). Response shapes live in app/schemas.py."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Index, String, TypeDecorator, UniqueConstraint
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

    def compare_values(self, x: Any, y: Any) -> bool:
        """The same digits, not just the same number: 16.70 stated to the hundredth is not
        the 16.7 a source printed, so a change from one to the other must be written."""
        return same_digits(x, y)


def same_digits(x: Any, y: Any) -> bool:
    """Equal, and for decimals written with as many places: 16.70 is not 16.7 here."""
    if isinstance(x, Decimal) and isinstance(y, Decimal):
        return x.as_tuple() == y.as_tuple()
    return bool(x == y)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class IndicatorCode(StrEnum):
    TURNOVER = "TURNOVER"
    EXPORTS = "EXPORTS"
    IMPORTS = "IMPORTS"
    BALANCE = "BALANCE"
    FDI_INFLOW = "FDI_INFLOW"


# The indicators whose figures may be negative (allows_negative in seed/indicators.json):
# a balance, and investment net of disinvestment, which falls below zero when more is
# withdrawn than put in.
SIGNED = frozenset({IndicatorCode.BALANCE, IndicatorCode.FDI_INFLOW})


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


# Sources, observations and claims are versioned: the live row sits in its table, and
# every version of it, deletions included, in its *_revision table (app/versioning.py).
# Each pair shares one data class, so the two cannot drift apart.


class SourceData(SQLModel):
    slug: str = Field(max_length=100)
    kind: str = Field(max_length=20)  # "agency" produces figures; "publication" prints them
    publisher: str | None = Field(default=None, max_length=200)
    title: str = Field(max_length=300)
    url: str | None = Field(default=None, max_length=2000)
    published_on: date | None = None
    retrieved_on: date | None = None
    note: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Source(SourceData, table=True):
    # AUTOINCREMENT: SQLite must never hand a deleted source's id to a new one.
    __table_args__ = (UniqueConstraint("slug"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)


class ObservationData(SQLModel):
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


class Observation(ObservationData, table=True):
    __table_args__ = (
        # Also the index for one pair's series (reporter, partner, indicator).
        UniqueConstraint("reporter", "partner", "indicator", "year"),
        # One reporter's figures for one indicator and year, across every partner.
        Index("ix_observation_reporter_year", "reporter", "indicator", "year", "partner"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)


class ClaimData(SQLModel):
    """What a source says about how one figure relates to another, checked at query time."""

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


class Claim(ClaimData, table=True):
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
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)


class RevisionAction(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


KEY_NAME_MAX = 100


class ApiKey(SQLModel, table=True):
    """A write key. Only a hash of the secret is stored; `prefix` finds the row."""

    __tablename__ = "api_key"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=KEY_NAME_MAX)
    prefix: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class RevisionData(SQLModel):
    """The entity's data as it stood from valid_from until valid_to (null while current).
    A delete is a revision too, holding the data as it was when deleted."""

    revision_id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=10)
    valid_from: datetime = Field(sa_type=DateTime(timezone=True))
    valid_to: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id")


class SourceRevision(SourceData, RevisionData, table=True):
    __tablename__ = "source_revision"
    source_id: int = Field(index=True)  # no foreign key: the live row may be gone


class ObservationRevision(ObservationData, RevisionData, table=True):
    __tablename__ = "observation_revision"
    __table_args__ = (
        # as_of reads: one series' versions, by time.
        Index(
            "ix_observation_revision_series",
            "reporter",
            "partner",
            "indicator",
            "year",
            "valid_from",
        ),
    )
    observation_id: int = Field(index=True)
    # No foreign keys to sources: history may cite a source deleted since.
    source_id: int
    publication_id: int | None = None


class ClaimRevision(ClaimData, RevisionData, table=True):
    __tablename__ = "claim_revision"
    claim_id: int = Field(index=True)
    # No foreign keys to sources: history may cite a source deleted since.
    source_id: int
    publication_id: int | None = None
