"""Settings, read from the environment (and an optional .env file)."""

import re
from functools import lru_cache
from typing import Annotated

from pydantic import (
    Field,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Seconds, finite: a day at most, and for PostgreSQL's lock_timeout at least a millisecond
# (it is given in whole ms, and 0 there means no timeout at all).
Seconds = Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False)]
PositiveSeconds = Annotated[float, Field(ge=0.001, le=86_400, allow_inf_nan=False)]
# Settings whose values are never echoed in an error: a URL may hold a password.
SECRET = {"DATABASE_URL", "REDIS_URL", "TRADESTATS_ADMIN_KEY"}


MIN_ADMIN_KEY = 32  # characters of TRADESTATS_ADMIN_KEY
# What an Authorization header carries as it is: visible ASCII, spaces only within.
SENDABLE_KEY = re.compile(r"[!-~]([ -~]*[!-~])?")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # A plain str: PostgresDsn would reject SQLite URLs.
    database_url: str = "sqlite:///./data/tradestats.db"
    # Seconds a write waits for SQLite's lock before giving up.
    sqlite_busy_timeout: Seconds = 5.0
    # Seconds a PostgreSQL statement waits for another transaction's lock before a 503.
    postgres_lock_timeout: PositiveSeconds = 5.0
    # Connections each worker keeps open, as many again on demand, and the seconds a request
    # waits for a free one before a 503 (the threadpool runs up to 40 requests at once).
    db_pool_size: PositiveInt = 10
    db_pool_timeout: PositiveSeconds = 10.0
    page_size_default: PositiveInt = 100
    page_size_max: PositiveInt = 1000
    # Largest request body: one write, or a whole bulk import.
    max_body_bytes: PositiveInt = 1_000_000
    max_import_bytes: PositiveInt = 50_000_000
    # A key to make valid at start, for containers; never logged.
    tradestats_admin_key: str | None = None
    # Requests per client per window; counters shared through Redis when it is set.
    rate_limit_enabled: bool = True
    rate_limit_reads: PositiveInt = 6000
    rate_limit_writes: PositiveInt = 600
    rate_limit_window: PositiveInt = 60
    redis_url: str | None = None
    log_level: str = "INFO"
    # Browsers on any site may read; writing cross-origin is off unless methods are added.
    cors_allow_origins: list[str] = ["*"]
    cors_allow_methods: list[str] = ["GET", "HEAD"]

    @model_validator(mode="after")
    def _a_page_within_the_largest(self) -> "Settings":
        if self.page_size_default > self.page_size_max:
            raise ValueError(
                f"PAGE_SIZE_DEFAULT ({self.page_size_default}) is above PAGE_SIZE_MAX "
                f"({self.page_size_max})"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _a_database_url(cls, url: str) -> str:
        # Checked here, not at the first connection: an unparseable URL or a missing driver
        # let the server start and answer every request (/readyz too) with a 500, and the
        # migrations and the seed stop with a traceback. The URL is never echoed (a password).
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            dialect = make_url(url).get_dialect()
        except ArgumentError:
            raise ValueError(
                "not an SQLAlchemy URL: give sqlite:///path or postgresql+psycopg://user@host/db"
            ) from None
        except NoSuchModuleError:
            raise ValueError("names a database SQLAlchemy does not know") from None
        try:
            dialect.import_dbapi()
        except ImportError as exc:
            raise ValueError(f"its driver is not installed ({exc.name or exc})") from None
        return url

    @field_validator("redis_url")
    @classmethod
    def _a_redis_url(cls, url: str | None) -> str | None:
        # redis-py refuses any other scheme only when the app starts, with a traceback.
        if url and url.partition("://")[0].lower() not in ("redis", "rediss", "unix"):
            raise ValueError("must start redis://, rediss:// or unix://")
        return url

    @field_validator("tradestats_admin_key")
    @classmethod
    def _a_long_enough_key(cls, key: str | None) -> str | None:
        # Any key was taken, one character too; the ones `keys create` makes are 59.
        if key is not None and len(key.strip()) < MIN_ADMIN_KEY:
            raise ValueError(
                f"must be at least {MIN_ADMIN_KEY} characters, such as `openssl rand -hex 24` "
                "gives: a short key can be guessed"
            )
        # A file's last line end, or a letter beyond ASCII, was taken, and the server started
        # with a key no request could send as stored: every write with it was a 401.
        if key is not None and not SENDABLE_KEY.fullmatch(key):
            raise ValueError(
                "must be visible ASCII characters, with no white space at either end (a "
                "file's line end, say): an Authorization header cannot send it as it is"
            )
        return key

    @field_validator("log_level")
    @classmethod
    def _a_log_level(cls, level: str) -> str:
        if level.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level


def _problem(location: tuple[int | str, ...], given: object, message: str) -> str:
    if not location:  # a rule across settings, which its message names
        return message.removeprefix("Value error, ")
    name = "_".join(map(str, location)).upper()
    shown = name if name in SECRET else f"{name}={given!r}"
    return f"{shown}: {message.removeprefix('Value error, ')}"


class InvalidSettings(SystemExit):
    """Settings the environment gives that cannot be used: one line per variable, which
    ends the process wherever it is read (server, migrations, seed, command line), with
    no traceback to read through."""


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = [_problem(e["loc"], e["input"], e["msg"]) for e in exc.errors()]
    except SettingsError as exc:  # a list given as something other than JSON
        named = re.search(r'field "(\w+)"', str(exc))
        name = named[1].upper() if named else "a setting"
        problems = [f'{name}: must be a JSON list, such as ["https://example.org"]']
    raise InvalidSettings("error: invalid settings: " + "; ".join(problems))
