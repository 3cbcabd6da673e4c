"""Settings, read from the environment (and an optional .env file)."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # A plain str: PostgresDsn would reject SQLite URLs.
    database_url: str = "sqlite:///./data/tradestats.db"
    # Seconds a write waits for SQLite's lock before giving up.
    sqlite_busy_timeout: float = 5.0
    # Seconds a PostgreSQL statement waits for another transaction's lock before a 503.
    postgres_lock_timeout: float = 5.0
    # Connections each worker keeps open, as many again on demand, and the seconds a request
    # waits for a free one before a 503 (the threadpool runs up to 40 requests at once).
    db_pool_size: int = 10
    db_pool_timeout: float = 10.0
    page_size_default: int = 100
    page_size_max: int = 1000
    # Largest request body: one write, or a whole bulk import.
    max_body_bytes: int = 1_000_000
    max_import_bytes: int = 50_000_000
    # A key to make valid at start, for containers; never logged.
    tradestats_admin_key: str | None = None
    # Requests per client per window; counters shared through Redis when it is set.
    rate_limit_enabled: bool = True
    rate_limit_reads: int = 6000
    rate_limit_writes: int = 600
    rate_limit_window: int = 60
    redis_url: str | None = None
    log_level: str = "INFO"
    # Browsers on any site may read; writing cross-origin is off unless methods are added.
    cors_allow_origins: list[str] = ["*"]
    cors_allow_methods: list[str] = ["GET", "HEAD"]


@lru_cache
def get_settings() -> Settings:
    return Settings()
