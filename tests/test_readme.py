"""README.md is a contract: every curl example runs against a live server, as shown.

Each ```console block with a curl or tradestats command runs in one bash session (a `KEY=`
line serves the commands after it), against a real uvicorn on a free port and a fresh seeded
database. Output shown in the README must appear in what the command prints; `…` in the
README stands for any text, and white space is ignored.
"""

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.databases import ROOT
from tests.live_server import live_server

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
INDENT = re.compile(r"^ {2}(?= *\S)|^ {2}$", re.MULTILINE)  # blocks inside list items
MARKER = "===README-COMMAND-DONE==="


@dataclass
class Example:
    commands: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def examples() -> list[Example]:
    found = []
    for block in BLOCK.findall(README):
        block = INDENT.sub("", block) if block.startswith("  $") else block
        if ("tradestats" not in block and "curl" not in block) or "docker" in block:
            continue  # make and docker commands: tested by CI and tests/test_container.py
        example, continued = Example(), False
        for line in block.splitlines():
            if line.startswith("$ ") or continued:
                text = line[2:] if line.startswith("$ ") and not continued else line
                if continued:
                    example.commands[-1] += "\n" + text
                else:
                    example.commands.append(text)
                    example.outputs.append("")
                continued = line.rstrip().endswith("\\")
            else:
                example.outputs[-1] += line + "\n"
        found.append(example)
    return found


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def shows(expected: str, actual: str) -> bool:
    """Whether `actual` holds the README's output, `…` standing for anything."""
    position = 0
    for fragment in squeeze(expected).split("…"):
        found = squeeze(actual).find(fragment, position)
        if found < 0:
            return False
        position = found + len(fragment)
    return True


EXAMPLES = examples()


def test_the_readme_has_curl_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.commands[0][:50] for e in EXAMPLES])
def test_readme_example_runs_as_shown(engine: Engine, example: Example, tmp_path: Path) -> None:
    database_url = engine.url.render_as_string(hide_password=False)
    with live_server(database_url) as base:
        host = base.removeprefix("http://")
        script = "\n".join(
            command.replace("127.0.0.1:8000", host).replace(
                ".venv/bin/tradestats", f"{sys.executable} -m app.cli"
            )
            + f"\necho {MARKER}"
            for command in example.commands
        )
        result = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=tmp_path,  # what an example writes (`curl -o turnover.svg`) stays out of the repo
            capture_output=True,
            text=True,
            timeout=60,
            env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )
    assert result.returncode == 0, result.stderr
    outputs = result.stdout.split(MARKER + "\n")
    for command, expected, actual in zip(example.commands, example.outputs, outputs, strict=False):
        assert shows(expected, actual), f"$ {command}\nREADME shows:\n{expected}\ngot:\n{actual}"
