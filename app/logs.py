"""Structured logs: one JSON object per line on stderr. Keys and secrets are never logged."""

import json
import logging
import logging.config
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if isinstance(record.msg, dict):
            entry.update(record.msg)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    logger = logging.getLogger("tradestats")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


LOG_CONFIG = "LOG_CONFIG"  # a logging dictConfig file (JSON) for every process, if set


def configure_process_logging() -> bool:
    """Logging as $LOG_CONFIG says, for a command that would otherwise log plain text
    (migrations, the seed): the image sets app/logging.json, so that every line a
    container writes is JSON. Whether it was set."""
    path = os.environ.get(LOG_CONFIG)
    if path:
        try:
            logging.config.dictConfig(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, AttributeError, ImportError) as exc:
            # A missing or broken file stopped the migrations and the seed (the image's
            # start) with a 20 to 35-line traceback, where any other setting gives one line.
            from app.core.config import InvalidSettings

            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise InvalidSettings(
                f"error: invalid settings: {LOG_CONFIG}={path!r}: not a logging dictConfig "
                f"file that can be used: {reason}"
            ) from None
    return bool(path)
