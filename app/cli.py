"""The `tradestats` command: serve, migrate, seed, import, export, copy, keys, claims.

Errors are one clear line on stderr and exit 2, never a traceback; 1 is kept for what a
command finds (`claims check`: an inconsistent claim), so a pipeline can tell them apart.
"""

import codecs
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from enum import StrEnum
from itertools import chain
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy import make_url
from sqlmodel import Session

from app.auth import create_key, list_keys, revoke_key
from app.copy import CopyError
from app.core.config import InvalidSettings, get_settings
from app.db import get_engine
from app.errors import ProblemException
from app.logs import LOG_CONFIG
from app.models import KEY_NAME_MAX, ApiKey, IndicatorCode, as_utc
from app.preflight import refuse_unusable_settings

cli = typer.Typer(
    help="tradestats: bilateral trade statistics API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
keys = typer.Typer(
    help="Create, list and revoke API keys (needed for writes).", no_args_is_help=True
)
cli.add_typer(keys, name="keys")
claims = typer.Typer(help="Check what sources say against the figures.", no_args_is_help=True)
cli.add_typer(claims, name="claims")
# Each message one line, however long: wrapped at 80 columns in a pipe, grep would miss it.
err = Console(stderr=True, soft_wrap=True)


def session() -> Session:
    return Session(get_engine(existing(get_settings().database_url)))


def existing(database_url: str) -> str:
    """The URL of a database `tradestats migrate` made. A SQLite file that is not there is
    an error: opening it would make an empty one (and its folders) at a mistyped path."""
    url = make_url(database_url)
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).exists():
        raise CliError(f"{path} does not exist: check the database URL, or make it with migrate")
    return database_url


def progress_bar(*columns: ProgressColumn) -> Progress:
    """A progress bar on a terminal; nothing at all in a pipe or a log."""
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
    root_path: Annotated[
        str,
        typer.Option(
            envvar="UVICORN_ROOT_PATH",  # as uvicorn's own command line reads it
            help="The path a proxy serves the API under, such as /stats.",
        ),
    ] = "",
) -> None:
    """Serve the API with uvicorn (run `migrate` and `seed` first)."""
    import uvicorn

    existing(get_settings().database_url)  # the app would make an empty one, and 503
    if workers > 1:  # each would stop on a setting it refuses, and uvicorn restart it
        refuse_unusable_settings()
        get_engine().dispose()  # this process only watches the workers: no idle connection

    # asyncio's own event loop, never uvloop (README, Performance: why). The app writes its
    # own JSON access log; no Server header names the software.
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        root_path=root_path,
        loop="asyncio",
        access_log=False,
        server_header=False,
        log_config=os.environ.get(LOG_CONFIG) or uvicorn.config.LOGGING_CONFIG,
    )


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(Path(__file__).resolve().parent.parent / "alembic.ini")), "head")


@cli.command()
def seed() -> None:
    """Load reference data and the seed figures; a second run changes nothing."""
    from app.seed import seed as run_seed

    with session() as s:
        err.print(str(run_seed(s)))


class ImportFormat(StrEnum):
    csv = "csv"
    json = "json"

    @property
    def media_type(self) -> str:
        return "text/csv" if self is ImportFormat.csv else "application/json"


@cli.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(help="A CSV file or a JSON array of observations; - reads stdin."),
    ],
    format: Annotated[
        ImportFormat | None,
        typer.Option(help="What the file holds; by default its suffix says, else its first byte."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Validate and count; write nothing.")] = False,
) -> None:
    """Import observations, all or nothing (same rules as POST /v1/imports)."""
    with _readable_file(file) as path:
        _import(path, format or _format_of(path, named=file), dry_run)


def _import(file: Path, format: ImportFormat, dry_run: bool) -> None:
    from app.imports import ImportFailed, import_observations, rows_from_file
    from app.inputs import counted

    media_type = format.media_type
    rows = rows_from_file(file, media_type)  # read as imported: memory stays flat
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn())
    with session() as s, progress_bar(*columns) as progress:
        task = progress.add_task("rows", total=_count_rows(file, media_type))
        try:
            report = import_observations(
                s, rows, None, dry_run, progress=lambda n: progress.advance(task, n)
            )
        except ImportFailed as exc:
            progress.stop()
            for e in exc.report.errors:  # those of the first rows with problems, as a 422's
                err.print(f"{e.location}: {e.field}: {e.message}", markup=False)
            raise
    verb = "would import" if dry_run else "imported"
    err.print(
        f"{verb} {counted(report.rows, 'row')}: {report.created} created, "
        f"{report.updated} updated, {report.unchanged} unchanged"
    )


STDIN = Path("-")


@contextmanager
def _readable_file(file: Path) -> Iterator[Path]:
    """The file to import; standard input, or a pipe such as `<(gunzip -c f.csv.gz)`, is
    copied to a temporary one first, so it is read as a file is (as it goes, after its
    rows are counted), which a pipe can be only once."""
    if file != STDIN:
        if file.is_file():
            yield file
            return
        if not file.is_fifo():
            raise CliError(f"{file} is not a file")
    with tempfile.NamedTemporaryFile(prefix="tradestats-import-") as copy:
        with file.open("rb") if file != STDIN else nullcontext(sys.stdin.buffer) as stream:
            shutil.copyfileobj(stream, copy)
        copy.flush()
        yield Path(copy.name)


def _format_of(path: Path, named: Path) -> ImportFormat:
    """A .csv or .json suffix says; otherwise the first character that is not white space:
    a JSON import opens with [ or {, a CSV with its header's first column name."""
    suffix = named.suffix.lower()
    if suffix in (".csv", ".json"):
        return ImportFormat(suffix[1:])
    with path.open("rb") as stream:
        head = stream.read(4096).removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    return ImportFormat.json if head[:1] in (b"[", b"{") else ImportFormat.csv


def _count_rows(file: Path, media_type: str) -> int | None:
    """The bar's total, counted ahead: a CSV's lines bar its header (rows holding quoted
    line breaks make it a little high). None, an open-ended bar, for JSON."""
    if media_type != "text/csv" or not err.is_terminal:
        return None
    with file.open("rb") as stream:
        return max(
            0, sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b"")) - 1
        )


@cli.command()
def copy(
    source: Annotated[str, typer.Option("--from", help="Database URL to copy from.")],
    target: Annotated[str, typer.Option("--to", help="Empty database URL to copy into.")],
) -> None:
    """Copy every row to another database (e.g. SQLite to PostgreSQL), then verify it."""
    from app.copy import copy_database

    with progress_bar(TextColumn("{task.description}"), MofNCompleteColumn()) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(table: str, rows: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(f"copying {table}", total=None)
            progress.advance(tasks[table], rows)

        report = copy_database(existing(source), target, progress=advance)  # made if need be
    total = sum(report.rows.values())
    err.print(
        f"copied and verified {total} rows in {len(report.rows)} tables: "
        + ", ".join(f"{t} {n}" for t, n in report.rows.items() if n)
    )


@cli.command()
def export(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write; stdout if omitted or -.")
    ] = None,
    reporter: Annotated[str | None, typer.Option(help="ISO code, e.g. KAZ.")] = None,
    partner: Annotated[str | None, typer.Option(help="ISO code, e.g. BGR.")] = None,
    indicator: Annotated[str | None, typer.Option(help="e.g. TURNOVER.")] = None,
) -> None:
    """Write stored observations as CSV: the columns `import` reads back unchanged."""
    from app.api.csvio import cells_except, csv_writer
    from app.api.deps import to_alpha3
    from app.inputs import counted
    from app.queries import EXPORT_COLUMNS, EXPORT_VERBATIM, all_observations

    codes = [code.value for code in IndicatorCode]
    if indicator is not None and indicator.upper() not in codes:
        raise CliError(f"unknown indicator {indicator!r}: use one of {', '.join(codes)}")
    try:  # an empty code too: it would have meant no filter, and exported everything
        reporter, partner = (None if c is None else to_alpha3(c) for c in (reporter, partner))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    filters = {
        "reporter": reporter,
        "partner": partner,
        "indicator": indicator and indicator.upper(),
        "start_year": None,
        "end_year": None,
        "as_of": None,
    }
    file = None if file == Path("-") else file
    count = 0
    with session() as s:
        rows = all_observations(s, filters)
        # The first row is read before anything is written: an export that cannot start (a
        # mistyped or unmigrated database) prints no header, and touches no file.
        rows = chain([first], rows) if (first := next(rows, None)) else rows
        with _replaced(file) if file else nullcontext(sys.stdout) as out:
            writer = csv_writer(out)
            writer.writerow(EXPORT_COLUMNS)
            cells = cells_except(EXPORT_COLUMNS, EXPORT_VERBATIM)
            for row in rows:
                writer.writerow(cells(row))
                count += 1
    err.print(f"exported {counted(count, 'observation')}")


@contextmanager
def _replaced(file: Path) -> Iterator[TextIO]:
    """FILE for writing: a new file beside it, renamed over it once all is written, so an
    export that fails or is stopped part way leaves the previous one whole. What renaming
    would change otherwise is written in place, as opening it always was (see
    _mode_if_replaceable)."""
    target = Path(os.path.realpath(file))  # a link's target is replaced, not the link
    mode = _mode_if_replaceable(file)
    beside = None if mode is None else _new_file_beside(target)
    if mode is None or beside is None:
        with file.open("w", newline="", encoding="utf-8") as out:
            yield out
        return
    fd, temporary = beside
    try:
        with open(fd, "w", newline="", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(fd)  # on disk before the rename makes it the export
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:  # Ctrl-C too
        os.unlink(temporary)
        raise


def _mode_if_replaceable(file: Path) -> int | None:
    """The mode of a new file to rename over FILE, where that leaves all else as writing
    FILE would: FILE's own, for a plain file of ours with no other name that we may write;
    the umask's, for a new FILE. None otherwise: /dev/stdout, whatever it leads to, a pipe
    or a device (no rename reaches them), another user's file (the new one would be ours),
    a hard-linked one (its other names would keep the old export), and one made read-only
    (opening it is refused, as it should be)."""
    if str(file).startswith(("/dev/", "/proc/")):
        return None
    try:
        status = file.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
    except OSError:  # opening it says why
        return None
    ours = (
        stat.S_ISREG(status.st_mode)
        and status.st_uid == os.geteuid()
        and status.st_nlink == 1
        and os.access(file, os.W_OK)
    )
    return stat.S_IMODE(status.st_mode) if ours else None


def _new_file_beside(target: Path) -> tuple[int, str] | None:
    """A new, empty file in TARGET's folder; None if none can be made there (a folder we
    may not write in, or none at all: opening TARGET itself then says which)."""
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError:
        return None


@claims.command("check")
def claims_check() -> None:
    """Check every claim against the figures; exit 1 if any is inconsistent, 2 if they
    could not be checked."""
    from app.claims import check_claim
    from app.queries import claims as all_claims

    counts: dict[str, int] = {}
    with session() as s:
        for claim in all_claims(session=s):
            verdict = check_claim(s, claim).assessment
            counts[verdict.verdict] = counts.get(verdict.verdict, 0) + 1
            print(
                f"claim {claim.id} ({claim.indicator} {claim.reporter}–{claim.partner} "
                f"{claim.base_year}→{claim.year}): {verdict.explanation}"
            )
    summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "no claims"
    err.print(summary)
    if counts.get("inconsistent"):
        raise typer.Exit(1)


@keys.command("create")
def keys_create(name: Annotated[str, typer.Option(help="Who or what the key is for.")]) -> None:
    """Print a new key on stdout, alone and once: it is stored only as a hash."""
    if not name.strip() or len(name) > KEY_NAME_MAX:
        raise CliError(f"a key's name is 1 to {KEY_NAME_MAX} characters, not only spaces")
    if not name.isprintable():  # a line break or a terminal escape would garble `keys list`
        raise CliError(f"a key's name is printable text on one line, not {name!r}")
    with session() as s:
        row, key = create_key(s, name)
    err.print(f"created key {row.id} ({name}); it is shown once, store it now", markup=False)
    print(key)


@keys.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    table = Table("id", "name", "prefix", "created", "revoked")
    with session() as s:
        for row in list_keys(s):
            table.add_row(
                str(row.id),
                Text(row.name),  # as typed: "[bold]" in a name is no markup
                row.prefix,
                f"{row.created_at:%Y-%m-%d %H:%M}",
                f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "",
            )
    Console().print(table)


@keys.command("revoke")
def keys_revoke(
    key_id: Annotated[
        int, typer.Argument(help="The id shown by `keys list`.", min=1, max=2**63 - 1)
    ],
) -> None:
    """Revoke a key: it answers 401 from now on."""
    with session() as s:
        row = s.get(ApiKey, key_id)
        if row is None:
            raise CliError(f"no key has id {key_id}")
        if row.revoked_at is not None:  # as asked, and since then: exit 0, and say when
            when = f"{as_utc(row.revoked_at):%Y-%m-%d %H:%M:%S} UTC"
            err.print(f"key {key_id} was already revoked, at {when}")
            return
        revoke_key(s, key_id)
    err.print(f"revoked key {key_id}")


class CliError(Exception):
    pass


FAILED = 2  # a command that could not do its work; 1 is what `claims check` finds
# SQLite's and PostgreSQL's words for a table the schema does not have yet.
UNMIGRATED = re.compile(r"no such table|relation \S+ does not exist")


def main() -> None:
    try:
        cli()
    except (CliError, ProblemException, CopyError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # one line, never wrapped or a traceback
        sys.exit(FAILED)
    except InvalidSettings as exc:  # its own line, which says it is an error
        print(exc.code, file=sys.stderr)
        sys.exit(FAILED)
    except Exception as exc:
        # A database error's own message, first line only: no SQL, no traceback.
        cause = getattr(exc, "orig", None) or exc
        message = (str(cause).strip().splitlines() or [""])[0]
        if UNMIGRATED.search(message):
            message += "; run `tradestats migrate` first"
        print(f"error: {exc.__class__.__name__}: {message}", file=sys.stderr)
        sys.exit(FAILED)


if __name__ == "__main__":
    main()
