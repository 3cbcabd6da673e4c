"""What clients send on writes: strict models (no type coercion) with exact numbers.

Bodies are parsed by app/api/body.py, so a number with a fraction arrives as a Decimal
and an integer as an int. A string or a boolean is never taken for a number.
Checks that need the database (does the source exist?) are in app/writes.py.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from unicodedata import category
from urllib.parse import urlsplit

import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from app.api.deps import CountryCode
from app.models import IndicatorCode
from app.stats.verdicts import ClaimKind, Qualifier

FIRST_YEAR = 1900
MAX_DECIMALS = 6
# JSON clients read numbers as doubles, which hold any decimal of 15 significant digits
# exactly (Excel keeps as many): a figure with more would be served changed.
MAX_DIGITS = 15
MAX_ID = 2**31 - 1  # ids are 32-bit in both databases; a larger one would overflow
MAX_WHOLE_DIGITS = 19  # more than any whole-number field allows (MAX_ID has 10)
MAGNITUDE_DIGITS = 15
MAX_MAGNITUDE = Decimal(10) ** MAGNITUDE_DIGITS
MULTIPLIERS = (0, 3, 6, 9)
# ISO 4217 less the codes that name no money: XTS is for testing, XXX for "no currency".
CURRENCIES = {c.alpha_3 for c in pycountry.currencies} - {"XTS", "XXX"}
QUOTE_MAX = 2000
NOTE_MAX = 2000
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def exact_number(value: Any) -> Decimal:
    """A JSON number, exactly as written; never a string, a boolean or an infinity. A
    zero has no sign: -0.0 is stored as 0.0, for a sign on nothing says nothing."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a JSON number, not a string, boolean or null")
    number = Decimal(value)
    if number.is_zero():
        number = number.copy_abs()
    if not number.is_finite() or too_large(number):
        raise ValueError(f"must be a finite number below {MAX_MAGNITUDE:.0E} in size")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise ValueError(f"has more than {MAX_DECIMALS} decimals")
    if significant_digits(format(number, "f")) > MAX_DIGITS:
        raise ValueError(TOO_MANY_DIGITS)
    return number


def too_large(number: Decimal) -> bool:
    """At least MAX_MAGNITUDE in size (`number` finite). Read from the exponent: abs() of
    1E+1000000 would overflow Decimal's context."""
    return number.adjusted() >= MAGNITUDE_DIGITS and not number.is_zero()


TOO_MANY_DIGITS = (
    f"has more than {MAX_DIGITS} significant digits, more than a JSON number keeps exactly"
)


def significant_digits(plain: str) -> int:
    """The digits of a number written plainly that a double must hold: "-0.0120" has 2
    (its 1 and 2), "1200" has 4. Below MAX_MAGNITUDE, only a fraction can make them many."""
    digits = plain.lstrip("-").replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if "." in plain else len(digits)


def whole(value: Any) -> Any:
    """JSON has one kind of number: 2023.0 is the integer 2023, as JSON Schema reads it.
    (The body parser makes it a Decimal, which a strict int field would refuse.)"""
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        # int() of 1E+1000000 would take seconds; a number that long is no year or id anyway
        and value.adjusted() < MAX_WHOLE_DIGITS
        and value == value.to_integral_value()
    ):
        return int(value)
    return value


# How many decimals a number was published with: 7.80 has 2, which a JSON number may lose.
Decimals = Annotated[int, Field(ge=0, le=MAX_DECIMALS), BeforeValidator(whole)]


def latest_year() -> int:
    return datetime.now(UTC).year + 1


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= latest_year():
        raise ValueError(f"must be between {FIRST_YEAR} and {latest_year()}")
    return year


def year_bounds() -> dict[str, int]:
    return {"minimum": FIRST_YEAR, "maximum": latest_year()}


def check_currency(code: str) -> str:
    if code not in CURRENCIES:
        raise ValueError(f"unknown ISO 4217 currency {code!r}")
    return code


def check_multiplier(multiplier: int) -> int:
    if multiplier not in MULTIPLIERS:
        raise ValueError(f"must be one of {', '.join(map(str, MULTIPLIERS))} (10^n units)")
    return multiplier


NO_TEXT = "must hold text, not white space or invisible characters alone"


def blank(text: str) -> bool:
    """Text that shows nothing: none, or white space and invisible format characters
    (Unicode category Cf: U+200B, U+FEFF…) alone. It says nothing, so a quote of it is
    refused and a note of it is none."""
    shown = text.strip()
    # Text that shows its first character ends here: an import checks every distinct quote.
    return not shown or (
        category(shown[0]) == "Cf" and all(c.isspace() or category(c) == "Cf" for c in shown)
    )


def check_text(text: str) -> str:
    if blank(text):
        raise ValueError(NO_TEXT)
    return text


def half_pair(char: str) -> str:
    """The problem of half a UTF-16 pair alone (JSON's "\ud800"): no character, so UTF-8,
    and the database, cannot store it."""
    return f"must not hold {char!r}, half of a UTF-16 pair alone"


def check_slug(slug: str) -> str:
    if not SLUG.fullmatch(slug):  # match() would let a final newline pass `$`
        raise ValueError("use lower-case letters, digits and single hyphens")
    return slug


# What a URL never holds unencoded (RFC 3986, and RFC 3987 for an IRI): white space,
# controls (C0 and C1), "<>\^`{|}, lone surrogates, which are no characters (a JSON
# "\ud800" reached the database, which could not store it: a 500), and invisible format
# characters: bidirectional overrides show the text in another order than it has
# ("fdp.exe"), zero-width ones and soft hyphens are copy-and-paste leftovers. Letters
# beyond ASCII are kept: a ministry's page may be written with them.
NEVER_IN_URLS = frozenset('"<>\\^`{|}')
CATEGORIES_NEVER_IN_URLS = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
NOT_PERCENT_ENCODING = re.compile(r"%(?![0-9A-Fa-f]{2})")


def http_or_https(url: str) -> bool:
    return url[:8].lower().startswith(("https://", "http://"))  # a scheme has no case


def check_url(url: str) -> str:
    if not http_or_https(url):
        raise ValueError("must be an http or https URL")
    for char in url:
        if char in NEVER_IN_URLS or category(char) in CATEGORIES_NEVER_IN_URLS:
            if category(char) == "Cs":  # no UTF-8 bytes to write it as
                raise ValueError(half_pair(char))
            code = "".join(f"%{byte:02X}" for byte in char.encode())
            raise ValueError(f"must not hold {char!r} unencoded: write it as {code}")
    if NOT_PERCENT_ENCODING.search(url):
        raise ValueError("must write % as %25 where it does not start a %XX escape")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL", for one
        raise ValueError(f"is not a URL: {exc}") from None
    if not parts.hostname:
        raise ValueError("must name a host: https://example.org/...")
    if "@" in parts.netloc:  # RFC 9110 forbids it in http(s); published, it leaks a password
        raise ValueError("must not hold a user name or password (user@host)")
    if not parts.netloc.startswith("[") and not all(map(_host_label, _labels(parts.hostname))):
        raise ValueError(
            "must name a host whose dot-separated names are not empty and "
            "neither start nor end with a hyphen"
        )
    try:
        parts.port  # noqa: B018 (reading it is the check)
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    return url


def _labels(host: str) -> list[str]:
    return host.removesuffix(".").split(".")  # "example.org." is a fully qualified name


def _host_label(label: str) -> bool:
    return bool(label) and not label.startswith("-") and not label.endswith("-")


def one_of(enum: type[StrEnum], upper: bool = False) -> BeforeValidator:
    """Accept an enum's value as a string (in any case when `upper`), with a clear error."""

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            text = value.upper() if upper and value.isascii() else value
            if text in enum.__members__.values():
                return enum(text)
        raise ValueError(f"must be one of {', '.join(e.value for e in enum)}")

    return BeforeValidator(parse)


ExactNumber = Annotated[
    Decimal,
    BeforeValidator(exact_number),
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": -int(MAX_MAGNITUDE),
            "exclusiveMaximum": int(MAX_MAGNITUDE),
            "description": f"A JSON number with at most {MAX_DECIMALS} decimals and "
            f"{MAX_DIGITS} significant digits.",
        }
    ),
]
CountryIn = Annotated[
    CountryCode,
    Field(description="ISO alpha-3 or alpha-2, any case.", examples=["KAZ"]),
]
IndicatorIn = Annotated[IndicatorCode, one_of(IndicatorCode, upper=True)]
# Bounds go before the validator, or the schema shows pydantic's names for them (ge, le).
WholeNumber = Annotated[int, BeforeValidator(whole)]
AGENCY, PUBLICATION = "agency", "publication"  # the kinds of source


def source_problem(source_id: int, kind: str | None, wanted: str | None) -> str | None:
    """What is wrong with citing source `source_id`, of `kind` (None: there is none), where
    one of kind `wanted` belongs (None: any)."""
    if kind is None:
        return f"no source has id {source_id}"
    if wanted is not None and kind != wanted:
        return f"source {source_id} is {with_article(kind)}, not {with_article(wanted)}"
    return None


def with_article(noun: str) -> str:
    """ "an agency", "a publication"."""
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def counted(n: int, noun: str) -> str:
    """ "1 claim", "2 claims"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def more_decimals_than(number: object, decimals: int) -> str:
    """Why a number cannot be given with so few decimals: they would drop its digits."""
    return f"{number} has more than {counted(decimals, 'decimal')}"


def above_the_unit(number: Decimal, exponent: int, field: str) -> str:
    """Why a number whose last digit is worth 10^exponent > 1 needs its decimals sent: a
    precision counts decimals, so inferring 0 from 1.50E+3 (to the tens) would claim the
    unit, a tenth of its real rounding."""
    return (
        f"{number}'s last digit is worth 1E+{exponent}, more than a unit, which {field} "
        f"(0 to {MAX_DECIMALS} decimals) cannot record: to give it to the unit, send "
        f"{field} or write every digit ({number:f})"
    )


SourceId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(whole)]
YearIn = Annotated[
    WholeNumber,
    AfterValidator(check_year),
    Field(examples=[2023], json_schema_extra=lambda schema: schema.update(year_bounds())),
]
Quote = Annotated[
    str,
    Field(
        min_length=1,
        max_length=QUOTE_MAX,
        description="The sentence the figure came from, verbatim.",
    ),
    AfterValidator(check_text),  # after the lengths, or their messages speak of "items"
]


def note_or_none(note: str | None) -> str | None:
    """None for a note that says nothing (blank): one way to store no note, so an export
    imports again unchanged (a CSV cell cannot tell "" from null)."""
    return None if note is None or blank(note) else note


Note = Annotated[str | None, Field(max_length=NOTE_MAX), AfterValidator(note_or_none)]


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value: Any) -> Any:
    """Dates arrive as ISO strings, which strict mode would refuse; lax mode would also
    take a number (a Unix time) or a date and time cut to its day, which no client means."""
    if value is not None and not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date string: 2025-06-12")
    return value


def check_source_date(day: date | None) -> date | None:
    """A source published or retrieved on a day still to come, or before the first year
    of any figure (0025-06-12 for 2025-06-12), is a typo."""
    today = datetime.now(UTC).date()
    if day is not None and day > today:
        raise ValueError(f"must not be after today, {today.isoformat()} (UTC)")
    if day is not None and day.year < FIRST_YEAR:
        raise ValueError(f"must not be before {FIRST_YEAR}-01-01")
    return day


DateIn = Annotated[
    Annotated[date, Field(strict=False)] | None,
    BeforeValidator(iso_date),
    AfterValidator(check_source_date),
    Field(
        examples=["2025-06-12"],
        description=f"An ISO 8601 date, from {FIRST_YEAR}-01-01 and no later than today (UTC).",
    ),
]
STRICT = ConfigDict(strict=True, extra="forbid")


class ObservationCreate(BaseModel):
    """A figure as a source published it. Used for POST and PUT alike."""

    model_config = STRICT
    reporter: CountryIn
    partner: CountryIn
    indicator: IndicatorIn
    year: YearIn
    value: ExactNumber = Field(
        description="A JSON number, written as published: 375.20 keeps its two decimals. "
        "One whose last digit is above the unit (1.50E+3, to the tens) is refused without "
        "`precision`, which counts decimals and so cannot record that rounding.",
        examples=[92.5],
    )
    currency: Annotated[
        str,
        AfterValidator(check_currency),
        Field(description="ISO 4217.", json_schema_extra={"enum": sorted(CURRENCIES)}),
    ] = "USD"
    multiplier: Annotated[WholeNumber, AfterValidator(check_multiplier)] = Field(
        default=6,
        description="Units of 10^multiplier: 6 for millions.",
        json_schema_extra={"enum": list(MULTIPLIERS)},
    )
    precision: Decimals | None = Field(
        default=None,
        description="Decimals as published; inferred from `value` when omitted (1500 and "
        "1.500E+3 have 0). Sent with a `value` such as 1.50E+3, it states the figure to "
        "that many decimals (0: to the unit).",
    )
    source_id: SourceId = Field(description="The agency that produced the figure.")
    publication_id: SourceId | None = Field(
        default=None, description="The document that printed it."
    )
    quote: Quote
    note: Note = None


class SourceCreate(BaseModel):
    model_config = STRICT
    slug: Annotated[
        str,
        AfterValidator(check_slug),
        Field(
            min_length=1,
            max_length=100,
            examples=["un-comtrade"],
            json_schema_extra={"pattern": SLUG.pattern},
        ),
    ]
    kind: Annotated[str, Field(pattern=f"^({AGENCY}|{PUBLICATION})$", examples=[AGENCY])]
    publisher: Annotated[str | None, Field(max_length=200)] = None
    title: Annotated[str, Field(min_length=1, max_length=300), AfterValidator(check_text)]
    url: Annotated[
        Annotated[
            str,
            AfterValidator(check_url),
            Field(max_length=2000, json_schema_extra={"pattern": "^https?://"}),
        ]
        | None,
        Field(
            description="An http or https URL that names a host, with no user name or "
            "password. What a URL never holds as "
            "it is (spaces, quotes, <>, controls, invisible characters, a % that starts no "
            "escape) is percent-encoded: %20 for a space. Letters beyond ASCII may stay.",
            examples=["https://www.bnb.bg/Statistics"],
        ),
    ] = None
    published_on: DateIn = None
    retrieved_on: Annotated[
        DateIn,
        Field(
            description=f"An ISO 8601 date, from {FIRST_YEAR}-01-01 and no later than today "
            "(UTC), nor before `published_on`."
        ),
    ] = None
    note: Note = None


class ClaimCreate(BaseModel):
    model_config = STRICT
    kind: Annotated[ClaimKind, one_of(ClaimKind)]
    indicator: IndicatorIn
    reporter: CountryIn
    partner: CountryIn
    base_year: YearIn
    year: YearIn
    stated: ExactNumber | None = Field(
        default=None, description="The number the source gives; null for an identity.", examples=[4]
    )
    stated_precision: Decimals | None = Field(
        default=None,
        description="Decimals as the source gives `stated`: 86.50% has 2, and allows 86.495% "
        "to 86.505%. Inferred from `stated` when omitted, which a JSON number written by "
        "JavaScript (86.5) may have lost; required for a number whose last digit is above "
        "the unit (4E+1, to the tens), which no count of decimals records.",
        examples=[1],
    )
    qualifier: Annotated[Qualifier, one_of(Qualifier)] = Qualifier.exact
    source_id: SourceId
    publication_id: SourceId | None = None
    quote: Quote
    note: Note = None
