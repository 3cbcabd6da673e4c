"""The `tradestats` command line, run for real as a subprocess."""

import io
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.imports import IMPORT_COLUMNS as IMPORTED
from app.preflight import UNMIGRATED
from tests.conftest import record_figure, run_cli

COMMANDS = ["serve", "migrate", "seed", "import", "export", "copy", "keys", "claims"]


def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_help_lists_every_command(engine: Engine) -> None:
    text = run_cli(url(engine), "--help").stdout
    for command in COMMANDS:
        assert f" {command} " in text


@pytest.mark.parametrize(
    "command",
    [[c] for c in COMMANDS if c not in ("keys", "claims")]
    + [["keys", "create"], ["keys", "list"], ["keys", "revoke"], ["claims", "check"]],
)
def test_every_command_explains_itself(engine: Engine, command: list[str]) -> None:
    result = run_cli(url(engine), *command, "--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 4


def test_export_matches_the_api_and_imports_again(
    engine: Engine, client: TestClient, tmp_path: Path
) -> None:
    path = tmp_path / "all.csv"
    done = run_cli(url(engine), "export", str(path))
    assert done.returncode == 0 and "exported 4 observations" in done.stderr
    assert path.read_bytes() == client.get("/v1/observations", params={"format": "csv"}).content
    frame = pd.read_csv(io.StringIO(path.read_text(encoding="utf-8")))
    assert sorted(frame["value"]) == [4.2, 7.8, 303.6, 375.2]
    again = run_cli(url(engine), "import", str(path))
    assert "imported 4 rows: 0 created, 0 updated, 4 unchanged" in again.stderr
    filtered = run_cli(url(engine), "export", "--indicator", "fdi_inflow", "--reporter", "kz")
    assert len(filtered.stdout.splitlines()) == 3  # header and two years
    one = run_cli(url(engine), "export", "--indicator", "exports")
    assert one.stderr == "exported 1 observation\n"  # not "1 observations"


def test_claims_check_exits_non_zero_on_an_inconsistent_claim(engine: Engine) -> None:
    fine = run_cli(url(engine), "claims", "check")
    assert fine.returncode == 0
    assert "claim 3 (FDI_INFLOW KAZ–BGR 2023→2024): Consistent:" in fine.stdout
    assert fine.stderr.strip() == "1 consistent, 2 unverifiable"
    with Session(engine) as session:
        record_figure(session, "TURNOVER", 2023, "50.0")  # 7.5 times: not "almost four"
    broken = run_cli(url(engine), "claims", "check")
    assert broken.returncode == 1
    assert "claim 1 (TURNOVER KAZ–BGR 2023→2024): Inconsistent:" in broken.stdout


def test_errors_are_one_line(engine: Engine, tmp_path: Path) -> None:
    missing = run_cli(url(engine), "import", str(tmp_path / "nope.csv"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    bad_db = run_cli("postgresql+psycopg://nobody@127.0.0.1:1/none", "claims", "check")
    assert bad_db.returncode == 2  # 1 is an inconsistent claim
    assert bad_db.stderr.startswith("error: OperationalError")
    assert len(bad_db.stderr.strip().splitlines()) == 1


def test_a_key_name_is_printed_as_typed_and_kept_within_its_column(engine: Engine) -> None:
    """Markup-like names print literally (a failed print once left a key made but never
    shown); a name longer than the column would stop a copy to PostgreSQL."""
    made = run_cli(url(engine), "keys", "create", "--name", "[bold]ci[/]")
    assert made.returncode == 0, made.stderr
    assert "([bold]ci[/])" in made.stderr
    assert "[bold]ci[/]" in run_cli(url(engine), "keys", "list").stdout
    for name in ("x" * 101, "   "):
        refused = run_cli(url(engine), "keys", "create", "--name", name)
        assert (refused.returncode, refused.stderr) == (
            2,
            "error: a key's name is 1 to 100 characters, not only spaces\n",
        )
    # A line break showed one key as two rows of `keys list`; an escape could recolour it.
    for name in ("ci\nadmin", "ci\x1b[2J"):
        refused = run_cli(url(engine), "keys", "create", "--name", name)
        message = f"error: a key's name is printable text on one line, not {name!r}\n"
        assert (refused.returncode, refused.stderr) == (2, message)


def test_export_refuses_an_unknown_indicator_and_writes_to_dash_as_stdout(
    engine: Engine,
) -> None:
    typo = run_cli(url(engine), "export", "--indicator", "EXPROTS")
    assert typo.returncode == 2 and typo.stderr.startswith("error: unknown indicator 'EXPROTS'")
    assert typo.stdout == ""  # not even the header
    # An empty code exported everything; a bad country named a Python exception.
    for option, given in [("--indicator", ""), ("--reporter", ""), ("--partner", "XXX")]:
        refused = run_cli(url(engine), "export", option, given)
        assert refused.returncode == 2 and refused.stdout == "", refused.stderr
        assert refused.stderr.startswith(("error: unknown indicator ''", "error: unknown country"))
        assert "Error" not in refused.stderr
    dashed = run_cli(url(engine), "export", "-", "--indicator", "exports")
    assert dashed.returncode == 0, dashed.stderr
    assert dashed.stdout.splitlines()[0].startswith("id,reporter,partner,indicator,year")


def test_an_export_that_cannot_start_leaves_its_file_as_it_was(tmp_path: Path) -> None:
    """The file was opened, so emptied, before the database was read: a mistyped URL
    left nothing of last night's export, and an unmigrated database a header alone,
    which imports as a file of no figures."""
    backup = tmp_path / "backup.csv"
    (tmp_path / "empty.db").touch()
    for database in ("typo.db", "empty.db"):
        backup.write_text("last night's export\n")
        ran = run_cli(f"sqlite:///{tmp_path / database}", "export", str(backup))
        assert ran.returncode == 2, ran.stderr
        assert backup.read_text() == "last night's export\n"


def test_export_replaces_a_file_as_it_was_linked_and_allowed(
    engine: Engine, tmp_path: Path
) -> None:
    """An export is written beside its file and renamed over it (a full disk mid-way: see
    tests/test_faults.py). The file keeps its mode, a link stays a link to the new export,
    and /dev/stdout, which cannot be renamed over, is written in place."""
    exported = tmp_path / "exports" / "kaz.csv"
    exported.parent.mkdir()
    exported.write_text("last night's export\n")
    exported.chmod(0o640)
    latest = tmp_path / "latest.csv"
    latest.symlink_to(exported)

    done = run_cli(url(engine), "export", str(latest))
    assert done.returncode == 0, done.stderr
    assert latest.is_symlink() and latest.resolve() == exported
    assert exported.read_text().startswith("id,reporter,partner,")
    assert exported.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in exported.parent.iterdir()] == ["kaz.csv"]  # nothing left beside

    new = tmp_path / "new.csv"
    assert run_cli(url(engine), "export", str(new)).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask  # as a file opened for writing
    piped = run_cli(url(engine), "export", "/dev/stdout")
    assert piped.returncode == 0 and piped.stdout == new.read_text(), piped.stderr


def test_export_writes_in_place_what_a_rename_would_change(engine: Engine, tmp_path: Path) -> None:
    """Renamed over, a hard-linked export's other name kept the old one, another user's
    file became ours, and /dev/stdout sent to a file replaced that file: each is written
    in place, as it was before exports were renamed."""
    exported = tmp_path / "kaz.csv"
    exported.write_text("last night's export\n")
    other_name = tmp_path / "kaz-latest.csv"
    os.link(exported, other_name)
    assert run_cli(url(engine), "export", str(exported)).returncode == 0
    assert other_name.read_text() == exported.read_text() != "last night's export\n"

    stdout_file = tmp_path / "stdout.csv"
    with stdout_file.open("w") as out:
        ran = subprocess.run(
            [sys.executable, "-m", "app.cli", "export", "/dev/stdout"],
            cwd=Path(__file__).parents[1],
            env={"DATABASE_URL": url(engine), "PATH": "/usr/bin:/bin"},
            stdout=out,
            timeout=120,
        )
    assert ran.returncode == 0 and stdout_file.read_text() == exported.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kaz-latest.csv", "kaz.csv", "stdout.csv"]

    if os.geteuid() == 0:  # only root may give a file away
        theirs = tmp_path / "theirs.csv"
        theirs.write_text("last night's export\n")
        os.chown(theirs, 65534, 65534)
        assert run_cli(url(engine), "export", str(theirs)).returncode == 0
        assert (theirs.stat().st_uid, theirs.read_text()) == (65534, exported.read_text())


def test_export_refuses_a_file_it_may_not_write(engine: Engine, tmp_path: Path) -> None:
    """A file made read-only (chmod a-w) in a folder we may write in was renamed over:
    the export replaced it, where opening it for writing is refused. As root, run without
    the capability that lets root write whatever a file's mode says."""
    unprivileged = ["setpriv", "--bounding-set=-dac_override"] if os.geteuid() == 0 else []
    if unprivileged and not shutil.which("setpriv"):
        pytest.skip("root, and no setpriv to run the CLI as root cannot be")
    kept = tmp_path / "kept.csv"
    kept.write_text("last night's export\n")
    kept.chmod(0o444)
    ran = subprocess.run(
        [*unprivileged, sys.executable, "-m", "app.cli", "export", str(kept)],
        cwd=Path(__file__).parents[1],
        env={"DATABASE_URL": url(engine), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 2 and "Permission denied" in ran.stderr, ran.stderr
    assert kept.read_text() == "last night's export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.csv"]


def test_import_reads_stdin_and_knows_a_file_by_its_content(
    engine: Engine, client: TestClient, tmp_path: Path
) -> None:
    """`import -` reads standard input, as `export -` writes standard output; a file named
    neither .csv nor .json is read as what it holds (a CSV .txt was once read as JSON)."""
    exported = client.get("/v1/observations", params={"format": "csv"}).text
    piped = run_cli(url(engine), "import", "-", stdin=exported)
    assert piped.returncode == 0, piped.stderr
    assert "imported 4 rows: 0 created, 0 updated, 4 unchanged" in piped.stderr
    as_text = tmp_path / "figures.txt"
    as_text.write_text(exported, encoding="utf-8")
    assert "4 unchanged" in run_cli(url(engine), "import", str(as_text)).stderr
    rows = client.get("/v1/observations").json()["data"]
    body = " \n" + json.dumps([{k: r[k] for k in IMPORTED if k in r} for r in rows])
    json_text = run_cli(url(engine), "import", "-", "--dry-run", stdin=body)
    assert "would import 4 rows: 0 created, 0 updated, 4 unchanged" in json_text.stderr
    one_row = "\n".join(exported.splitlines()[:2]) + "\n"  # the header and a row
    one = run_cli(url(engine), "import", "-", "--dry-run", stdin=one_row)
    assert "would import 1 row: 0 created, 0 updated, 1 unchanged" in one.stderr
    # A pipe, as `import <(gunzip -c figures.csv.gz)` gives, was "not a file".
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_text, args=(exported,))
    writer.start()
    piped_in = run_cli(url(engine), "import", str(pipe), "--dry-run")
    if writer.is_alive():  # the pipe was never read: let the writer go before failing
        os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))
    writer.join()
    assert "would import 4 rows: 0 created, 0 updated, 4 unchanged" in piped_in.stderr
    forced = run_cli(url(engine), "import", str(as_text), "--format", "json")
    assert forced.returncode == 2 and "not valid JSON" in forced.stderr
    folder = run_cli(url(engine), "import", str(tmp_path))
    assert (folder.returncode, folder.stderr) == (2, f"error: {tmp_path} is not a file\n")


def test_each_import_problem_is_one_line_in_a_pipe(engine: Engine) -> None:
    """Messages were wrapped at 80 columns when stderr was not a terminal: one problem
    over two lines, which grep and cut read as two."""
    header = "reporter,partner,indicator,year,value,source_id,quote\n"
    unterminated = header + 'KAZ,BGR,IMPORTS,2017,10.5,2,"open\n'
    failed = run_cli(url(engine), "import", "-", stdin=unterminated)
    assert failed.returncode == 2
    (problem,) = [line for line in failed.stderr.splitlines() if line.startswith("line ")]
    assert problem.endswith("which would take in the rest of the file"), failed.stderr


@pytest.mark.parametrize("wrapped", [False, True], ids=["array", "object"])
def test_a_json_file_with_a_byte_order_mark_imports(
    engine: Engine, client: TestClient, tmp_path: Path, wrapped: bool
) -> None:
    """Windows tools write a BOM; a CSV with one imported, JSON was 'not valid JSON'."""
    rows = client.get("/v1/observations").json()["data"]
    data: object = [{k: r[k] for k in IMPORTED if k in r} for r in rows]
    if wrapped:
        data = {"observations": data}
    path = tmp_path / "figures.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data).encode())
    ran = run_cli(url(engine), "import", str(path), "--dry-run")
    assert ran.returncode == 0, ran.stderr
    assert "would import 4 rows: 0 created, 0 updated, 4 unchanged" in ran.stderr


def test_serve_refuses_a_port_that_does_not_exist(engine: Engine) -> None:
    """uvicorn took 74248 for 74248 - 65536 = 8712 and said it listened on the first."""
    refused = run_cli(url(engine), "serve", "--port", "74248")
    assert refused.returncode == 2 and "65535" in refused.stderr


def test_serve_runs_uvicorn_on_asyncios_own_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's default loop is uvloop wherever it is installed, and under load uvloop left
    some connections a pass of the loop behind (README, Performance)."""
    import uvicorn
    from typer.testing import CliRunner

    from app import cli

    asked: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: asked.update(options))
    monkeypatch.setattr(cli, "existing", lambda url: None)  # no database needed to ask
    ran = CliRunner().invoke(cli.cli, ["serve", "--port", "8123"])
    assert ran.exit_code == 0, ran.output
    assert (asked["port"], asked["loop"]) == (8123, "asyncio")


def test_an_unmigrated_database_says_to_migrate(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    empty = run_cli(f"sqlite:///{tmp_path / 'empty.db'}", "claims", "check")
    assert empty.returncode == 2
    assert empty.stderr.strip().endswith("; run `tradestats migrate` first")


def test_serve_refusing_an_unmigrated_database_exits_2(tmp_path: Path) -> None:
    """It exited 1, which the CLI keeps for what a command finds (an inconsistent claim)."""
    (tmp_path / "empty.db").touch()
    key = "k" * 40
    ran = run_cli(f"sqlite:///{tmp_path / 'empty.db'}", "serve", TRADESTATS_ADMIN_KEY=key)
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip().splitlines()[-1] == UNMIGRATED


@pytest.mark.parametrize(
    "command",
    [("claims", "check"), ("keys", "list"), ("export",), ("seed",), ("import", "-"), ("serve",)],
)
def test_a_database_that_is_not_there_is_not_made(tmp_path: Path, command: tuple) -> None:
    """A mistyped path made an empty database, and its folders, then blamed migrations."""
    missing = tmp_path / "typo" / "x.db"
    ran = run_cli(f"sqlite:///{missing}", *command, stdin="")
    assert ran.returncode == 2
    assert (
        ran.stderr
        == f"error: {missing} does not exist: check the database URL, or make it with migrate\n"
    )
    assert not (tmp_path / "typo").exists()
    copied = run_cli("sqlite://", "copy", "--from", f"sqlite:///{missing}", "--to", "sqlite://")
    assert copied.returncode == 2 and "does not exist" in copied.stderr
    assert not (tmp_path / "typo").exists()


def test_revoking_an_id_past_any_key_is_a_usage_error(engine: Engine) -> None:
    """An id past SQLite's integers was an OverflowError's text ('Python int too large')."""
    huge = run_cli(url(engine), "keys", "revoke", "99999999999999999999999")
    assert huge.returncode == 2 and "OverflowError" not in huge.stderr
    assert "key_id" in huge.stderr
    unknown = run_cli(url(engine), "keys", "revoke", "5")
    assert (unknown.returncode, unknown.stderr) == (2, "error: no key has id 5\n")


def test_revoking_a_revoked_key_says_when_it_was(engine: Engine) -> None:
    """It said "revoked key 1" again, as if it had just been revoked."""
    made = run_cli(url(engine), "keys", "create", "--name", "twice")
    key_id = made.stderr.split()[2]  # "created key 1 (twice); ..."
    assert run_cli(url(engine), "keys", "revoke", key_id).stderr == f"revoked key {key_id}\n"
    again = run_cli(url(engine), "keys", "revoke", key_id)
    assert again.returncode == 0
    assert again.stderr.startswith(f"key {key_id} was already revoked, at 20")
