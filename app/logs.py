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
        logging.config.dictConfig(json.loads(Path(path).read_text(encoding="utf-8")))
    return bool(path)
