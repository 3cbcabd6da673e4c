"""Paths the app writes for a client to follow (links, Location, a problem's detail), and
the path a request asked for, behind a proxy that serves the app under a prefix."""

from collections.abc import Mapping
from typing import Any


def root_path(scope: Mapping[str, Any]) -> str:
    """The prefix a proxy serves the app under (uvicorn's `--root-path`), "" when none: it
    heads every path the app writes for a client."""
    return str(scope.get("root_path", "")).rstrip("/")
