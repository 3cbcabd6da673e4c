"""Bulk import: all or nothing, idempotent, with every bad row reported by line or place."""

import csv
import io
import json
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import imports
from app.db import WRITE_LOCK
from app.errors import ProblemException
from app.imports import IMPORT_COLUMNS, csv_rows, json_array_rows, json_rows
from tests.conftest import TURNOVER_2023, count_rows, run_cli

HEADER = ",".join(IMPORT_COLUMNS)
NOT_A_NUMBER = (
    "must be a number such as 12.5: digits with '.' for the decimal point (in JSON, not a "
    "string in quotes)"
)
GOOD = f"""{HEADER}
KAZ,BGR,EXPORTS,2023,20.0,USD,6,,2,1,Exports in 2023.,
KAZ,BGR,IMPORTS,2023,76.0,USD,6,,2,1,Imports in 2023.,
kz,bg,turnover,2022,50.50,USD,6,,2,,"Turnover, in 2022.",A note
"""


def post_csv(client: TestClient, auth: dict, body: str, **params: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/imports",
        content=body.encode(),
        params=params,
        headers={**auth, "Content-Type": "text/csv"},
    )


def test_a_zero_imported_has_no_sign(client: TestClient, auth: dict) -> None:
    body = f"{HEADER}\nKAZ,BGR,EXPORTS,2021,-0.0,USD,6,,2,,Nothing in 2021.,\n"
    assert post_csv(client, auth, body).status_code == 200
    point = client.get("/v1/exports/2021", params={"reporter": "KAZ", "partner": "BGR"})
    assert ('"value":0.0,' in point.text, point.json()["precision"]) == (True, 1)


def state(session: Session) -> tuple[int, int]:
    return count_rows(session, "observation"), count_rows(session, "observation_revision")


def test_csv_import_creates_every_row(client: TestClient, auth: dict) -> None:
    response = post_csv(client, auth, GOOD)
    assert response.status_code == 200
    assert response.json() == {
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
    }
    turnover = client.get("/v1/turnover/2022", params={"reporter": "KAZ", "partner": "BGR"})
    assert (turnover.json()["value"], turnover.json()["precision"]) == (50.5, 2)
    assert turnover.json()["quote"] == "Turnover, in 2022."
    # Turnover 2023 derives from the imported exports and imports: 96.0, almost 4 times.
    claims = client.get("/v1/claims", params={"indicator": "TURNOVER"}).json()
    assert claims["data"][0]["verdict"] == "consistent"


def test_importing_the_same_file_again_changes_nothing(
    client: TestClient, auth: dict, session: Session
) -> None:
    post_csv(client, auth, GOOD)
    before = state(session)
    again = post_csv(client, auth, GOOD).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert state(session) == before


def test_changed_rows_are_updated_with_a_revision(
    client: TestClient, auth: dict, session: Session
) -> None:
    post_csv(client, auth, GOOD)
    before = state(session)
    changed = post_csv(client, auth, GOOD.replace("20.0", "21.0")).json()
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 2)
    assert state(session) == (before[0], before[1] + 1)


@pytest.mark.parametrize(
    ("body", "dry_run"),
    [(GOOD, False), (GOOD, True), (GOOD + "KAZ,BGR,EXPORTS,1066,1.0,USD,6,,2,1,Q.,\n", False)],
    ids=["kept", "dry run", "refused"],
)
def test_an_import_enlarges_the_page_cache_only_while_it_writes(
    session: Session, body: str, dry_run: bool
) -> None:
    """SQLite's page cache is IMPORT_CACHE_KIB while an import writes, then the
    connection's own size again, so a pooled connection does not keep 64 MiB. A refused
    import gives it back at its first bad row, with the lock, before it checks on."""
    if session.connection().dialect.name != "sqlite":
        pytest.skip("SQLite's page cache")
    raw = session.connection().connection.dbapi_connection
    assert raw is not None

    def cache_size() -> int:
        return int(raw.execute("PRAGMA cache_size").fetchone()[0])

    before, during = cache_size(), []
    try:
        imports.import_observations(
            session,
            imports.rows_from(body.encode(), "text/csv"),
            None,
            dry_run,
            progress=lambda _: during.append(cache_size()),
        )
    except imports.ImportFailed:
        assert body != GOOD
    assert during == [-imports.IMPORT_CACHE_KIB if body == GOOD else before]
    assert cache_size() == before != -imports.IMPORT_CACHE_KIB


def test_an_import_interrupted_in_a_write_stops_as_interrupted_and_writes_nothing(
    session: Session,
) -> None:
    """Ctrl-C during a statement leaves the connection invalid; putting the page cache
    back on it raised PendingRollbackError instead, which `tradestats import` printed
    as its error, exit 2, rather than stopping as interrupted."""
    before = state(session)

    def interrupted(_: object, __: object, statement: str, *___: object) -> None:
        if statement.startswith("INSERT"):
            raise KeyboardInterrupt

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", interrupted)  # inside the driver's call
    try:
        with pytest.raises(KeyboardInterrupt):
            imports.import_observations(session, imports.rows_from(GOOD.encode(), "text/csv"), None)
    finally:
        event.remove(engine, "before_cursor_execute", interrupted)
    assert state(session) == before


def test_dry_run_writes_nothing(client: TestClient, auth: dict, session: Session) -> None:
    before = state(session)
    report = post_csv(client, auth, GOOD, dry_run="true").json()
    assert (report["created"], report["dry_run"]) == (3, True)
    assert state(session) == before


def test_a_dry_run_or_a_refused_import_takes_no_ids(
    client: TestClient, auth: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL never rolls a sequence back: a dry run, or an import refused after its
    first batch was written, took ids and revision ids that the next figures then skipped,
    so their ids and tags differed from SQLite's (review)."""
    monkeypatch.setattr(imports, "BATCH", 1)  # the rows before the repeat are written first
    assert post_csv(client, auth, GOOD, dry_run="true").status_code == 200
    repeat = GOOD + "KAZ,BGR,EXPORTS,2023,20.0,USD,6,,2,1,Again.,\n"
    assert post_csv(client, auth, repeat).status_code == 422
    assert post_csv(client, auth, GOOD).json()["created"] == 3
    # The seed's 4 figures and revisions, then these, on either engine.
    created = [client.get(f"/v1/observations/{n}") for n in (5, 6, 7)]
    assert [response.status_code for response in created] == [200, 200, 200]
    assert {response.headers["etag"] for response in created} == {'"5"', '"6"', '"7"'}


def test_ids_that_cannot_be_put_back_fail_no_import(
    client: TestClient, auth: dict, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """setval needs UPDATE on a sequence, which a role that draws ids (USAGE) need not
    have: every dry run, and an import refused after a batch was written, answered 500
    on PostgreSQL (review). A setval refused here stands for that: the ids stay taken."""
    refused = imports.SETVAL.replace(":value", "-:value")  # out of bounds: an error
    monkeypatch.setattr(imports, "SETVAL", refused)
    monkeypatch.setattr(imports, "BATCH", 1)
    before = state(session)
    dry_run = post_csv(client, auth, GOOD, dry_run="true")
    assert (dry_run.status_code, dry_run.json()["created"]) == (200, 3)
    repeat = GOOD + "KAZ,BGR,EXPORTS,2023,20.0,USD,6,,2,1,Again.,\n"
    assert post_csv(client, auth, repeat).status_code == 422
    assert state(session) == before
    assert post_csv(client, auth, GOOD).json()["created"] == 3


def test_a_bad_file_reports_every_bad_row_and_writes_nothing(
    client: TestClient, auth: dict, session: Session
) -> None:
    bad = (
        GOOD
        + "KAZ,KAZ,EXPORTS,2021,x,USD,6,,2,,Bad.,\nKAZ,BGR,GDP,1800,1,USD,6,,99,,Bad.,\n"
        + "KAZ,BGR,EXPORTS,2023,20.0,USD,6,,2,1,Repeat of line 2.,\n"
    )
    before = state(session)
    response = post_csv(client, auth, bad)
    assert response.status_code == 422
    problems = {(e["location"], e["field"]) for e in response.json()["errors"]}
    assert problems == {
        ("line 5", "value"),
        ("line 5", "partner"),  # KAZ–KAZ
        ("line 6", "indicator"),
        ("line 6", "year"),
        ("line 6", "source_id"),
        ("line 7", "year"),  # a repeat of line 2
    }
    detail = "6 problems in 3 of 6 rows; nothing was imported."  # three good rows
    assert response.json()["detail"] == detail
    assert state(session) == before


def test_a_missing_country_is_named_without_python_s_none(client: TestClient, auth: dict) -> None:
    """An empty reporter cell (or a JSON null) was 'unknown country code None'."""
    csv_body = f"{HEADER}\n,BGR,EXPORTS,2023,20.0,USD,6,,2,1,Exports in 2023.,\n"
    row = {"reporter": "KAZ", "partner": None, "indicator": "EXPORTS", "year": 2023}
    json_body = json.dumps([{**row, "value": 20, "source_id": 2, "quote": "Exports."}])
    for response in (
        post_csv(client, auth, csv_body),
        client.post(
            "/v1/imports",
            content=json_body.encode(),
            headers={**auth, "Content-Type": "application/json"},
        ),
    ):
        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert error["field"] in {"reporter", "partner"}
        assert "None" not in error["message"], error["message"]
        assert "KAZ" in error["message"]  # still says what to send


def test_header_problems(client: TestClient, auth: dict) -> None:
    response = post_csv(client, auth, "reporter,partner,colour\nKAZ,BGR,red\n")
    assert response.status_code == 422
    assert "unknown columns: colour" in response.json()["detail"]
    assert "missing columns" in response.json()["detail"]
    # Field by field too, as a row's problems are, in the problem's one shape.
    listed = {(e["location"], e["field"]) for e in response.json()["errors"]}
    required = ("indicator", "year", "value", "source_id", "quote")
    assert listed == {("line 1", "colour"), *(("line 1", column) for column in required)}
    twice = post_csv(client, auth, "reporter,reporter,partner\n").json()["errors"]
    assert {"location": "line 1", "field": "reporter", "message": "is named twice"} in twice


def test_a_header_of_many_unknown_columns_names_ten_and_says_there_are_more(
    client: TestClient, auth: dict
) -> None:
    header = HEADER + "".join(f",c{n}" for n in range(1, 13))
    problem = post_csv(client, auth, header + "\n").json()
    named = "unknown columns: c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 and 2 more"
    assert named in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [f"c{n}" for n in range(1, 11)]
    assert problem["errors_truncated"] is True


def test_a_json_import_refuses_half_a_utf16_pair_as_a_post_does(
    client: TestClient, auth: dict, session: Session
) -> None:
    """A quote or note holding "\\ud800" reached the database, which cannot store it: a
    500 from /v1/imports, 'UnicodeEncodeError' from tradestats import. POST says 422."""
    before = state(session)
    row = {**TURNOVER_2023, "quote": "Half \ud800 a pair.", "note": "\udfff"}
    response = client.post(
        "/v1/imports",
        content=json.dumps([row]).encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {"quote", "note"}
    assert state(session) == before


def test_json_import_with_exact_numbers(client: TestClient, auth: dict) -> None:
    rows = [
        {
            "reporter": "KAZ",
            "partner": "BGR",
            "indicator": "EXPORTS",
            "year": 2022,
            "value": 12.30,
            "source_id": 2,
            "quote": "Q.",
        }
    ]
    body = json.dumps({"observations": rows}).replace("12.3", "12.30")
    response = client.post(
        "/v1/imports", content=body.encode(), headers={**auth, "Content-Type": "application/json"}
    )
    assert response.json()["created"] == 1
    assert (
        client.get("/v1/exports/2022", params={"reporter": "KAZ", "partner": "BGR"}).json()[
            "precision"
        ]
        == 2
    )


@pytest.mark.parametrize("body", ['{"rows": []}', '"text"', "[1, 2]"])
def test_json_that_is_not_a_list_of_objects(client: TestClient, auth: dict, body: str) -> None:
    response = client.post(
        "/v1/imports", content=body.encode(), headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)


def observation_json(value: str, extra: str = "", year: int = 2023) -> str:
    """TURNOVER_2023 with its value written as given, which json.dumps would rewrite."""
    written = json.dumps(TURNOVER_2023 | {"year": year, "value": 0})
    return written.replace('"value": 0', f'"value": {value}{extra}')


def test_export_imports_again_unchanged(client: TestClient, auth: dict, session: Session) -> None:
    client.post(
        "/v1/observations",
        headers=auth,
        json={
            "reporter": "KAZ",
            "partner": "BGR",
            "indicator": "EXPORTS",
            "year": 2022,
            "value": 1.50,
            "source_id": 2,
            "quote": '=HYPERLINK("http://evil")',
        },
    )
    exported = client.get("/v1/observations", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="observations.csv"' in exported.headers["content-disposition"]
    assert "'=HYPERLINK" in exported.text  # neutralised for spreadsheets
    before = state(session)
    report = post_csv(client, auth, exported.text).json()
    assert (report["rows"], report["unchanged"]) == (5, 5)
    assert state(session) == before


def test_an_export_carries_the_published_digits_and_imports_again_unchanged(
    client: TestClient, auth: dict, session: Session
) -> None:
    """A CSV cell is text: 16.70 stays 16.70 and 1500.00 stays 1500.00 there (JSON, a
    number, writes 16.7 beside precision 2). Either export imports again unchanged."""
    written = {
        2001: ("16.70", ""),
        2002: ("1500", ""),
        2003: ("1500.0", ""),
        2004: ("1.50E+3", ', "precision": 2'),
        2005: ("16.7", ', "precision": 3'),
    }
    body = ",".join(observation_json(v, extra, year) for year, (v, extra) in written.items())
    json_type = {**auth, "Content-Type": "application/json"}
    assert client.post("/v1/imports", content=f"[{body}]", headers=json_type).status_code == 200
    filters = {"reporter": "KAZ", "partner": "BGR", "indicator": "TURNOVER"}
    exported = client.get("/v1/observations", params={**filters, "format": "csv"}).text
    cells = {int(r["year"]): r["value"] for r in csv.DictReader(io.StringIO(exported))}
    published = {2001: "16.70", 2002: "1500", 2003: "1500.0", 2004: "1500.00", 2005: "16.700"}
    assert {year: cells[year] for year in written} == published
    as_json = client.get("/v1/observations", params={**filters, "limit": 1000}).json()["data"]
    before = state(session)
    assert post_csv(client, auth, exported).json()["unchanged"] == len(cells)
    again = client.post("/v1/imports", json=as_json, headers=auth).json()
    assert again["unchanged"] == len(as_json) == len(cells)
    assert state(session) == before


@pytest.mark.parametrize(
    "note", ["", " \t\u3000", "\u200b \ufeff"], ids=["empty", "white space", "invisible"]
)
@pytest.mark.parametrize("how", ["post", "patch", "json import", "csv import"])
def test_an_empty_note_is_no_note_so_an_export_imports_again_unchanged(
    client: TestClient, auth: dict, session: Session, how: str, note: str
) -> None:
    """A note of "" was stored as "", exported as an empty cell, and imported again as
    none: a revision for a figure nobody changed (review). White space or invisible
    characters alone were stored as sent, and say no more."""
    figure = {
        "reporter": "KAZ",
        "partner": "BGR",
        "indicator": "EXPORTS",
        "year": 2022,
        "value": 1.5,
        "source_id": 2,
        "quote": "Exports in 2022.",
        "note": note,
    }
    if how == "post":
        assert client.post("/v1/observations", headers=auth, json=figure).json()["note"] is None
    elif how == "patch":
        noted = {**figure, "note": "To be cleared."}
        url = client.post("/v1/observations", headers=auth, json=noted).headers["location"]
        assert client.patch(url, headers=auth, json={"note": note}).json()["note"] is None
    elif how == "json import":
        assert client.post("/v1/imports", headers=auth, json=[figure]).status_code == 200
    else:
        row = f"{HEADER}\nKAZ,BGR,EXPORTS,2022,1.5,USD,6,,2,,Exports in 2022.,{note}\n"
        assert post_csv(client, auth, row).status_code == 200
    assert client.get("/v1/observations", params={"year": 2022}).json()["data"][0]["note"] is None
    exported = client.get("/v1/observations", params={"format": "csv"})
    before = state(session)
    report = post_csv(client, auth, exported.text).json()
    assert (report["rows"], report["unchanged"]) == (5, 5)
    assert state(session) == before


def test_import_needs_a_key_and_a_known_type(client: TestClient, auth: dict) -> None:
    assert (
        client.post(
            "/v1/imports", content=GOOD.encode(), headers={"Content-Type": "text/csv"}
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/v1/imports", content=GOOD.encode(), headers={**auth, "Content-Type": "text/plain"}
        ).status_code
        == 415
    )


def test_oversized_import_is_a_413(
    client: TestClient, auth: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.api.routes.imports.LIMIT", 100)
    assert post_csv(client, auth, GOOD).status_code == 413


def cli(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(engine.url.render_as_string(hide_password=False), *args)


def test_cli_import_and_keys(engine: Engine, tmp_path: Path, client: TestClient) -> None:
    path = tmp_path / "figures.csv"
    path.write_text(GOOD, encoding="utf-8")
    dry = cli(engine, "import", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would import 3 rows: 3 created" in dry.stderr
    done = cli(engine, "import", str(path))
    assert "imported 3 rows: 3 created, 0 updated, 0 unchanged" in done.stderr
    broken = tmp_path / "broken.csv"
    broken.write_text(GOOD.replace("20.0", "twenty"), encoding="utf-8")
    failed = cli(engine, "import", str(broken))
    assert failed.returncode == 2
    assert "line 2: value:" in failed.stderr and "Traceback" not in failed.stderr

    created = cli(engine, "keys", "create", "--name", "cli-test")
    key = created.stdout.strip()
    assert key.startswith("ts_") and "\n" not in key  # alone on stdout
    headers = {"Authorization": f"Bearer {key}"}
    assert (
        client.post(
            "/v1/sources", headers=headers, json={"slug": "cli", "kind": "agency", "title": "CLI"}
        ).status_code
        == 201
    )
    listed = cli(engine, "keys", "list")
    assert "cli-test" in listed.stdout and key not in listed.stdout
    key_id = next(line.split()[1] for line in listed.stdout.splitlines() if "cli-test" in line)
    assert cli(engine, "keys", "revoke", key_id).returncode == 0
    assert (
        client.post(
            "/v1/sources", headers=headers, json={"slug": "cli2", "kind": "agency", "title": "CLI"}
        ).status_code
        == 401
    )
    missing = cli(engine, "keys", "revoke", "999")
    assert (missing.returncode, missing.stderr.strip()) == (2, "error: no key has id 999")


def test_a_deleted_figure_imported_again_keeps_its_id_beside_new_ones(
    client: TestClient, auth: dict
) -> None:
    created = client.post(
        "/v1/observations",
        headers=auth,
        json={
            "reporter": "KAZ",
            "partner": "BGR",
            "indicator": "TURNOVER",
            "year": 2022,
            "value": 1.0,
            "source_id": 2,
            "quote": "Q.",
        },
    )
    url = created.headers["location"]
    client.delete(url, headers=auth)
    csv_body = f"""{HEADER}
KAZ,BGR,EXPORTS,2021,2.0,USD,6,,2,,New.,
KAZ,BGR,TURNOVER,2022,1.5,USD,6,,2,,Back again.,
"""
    assert post_csv(client, auth, csv_body).json()["created"] == 2
    assert client.get(url).json()["value"] == 1.5
    history = client.get(f"{url}/revisions").json()["data"]
    assert [r["action"] for r in history] == ["create", "delete", "create"]
    assert history[1]["valid_to"] is not None


def test_rows_are_applied_in_batches_yet_a_late_bad_row_undoes_them_all(
    client: TestClient, auth: dict, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "BATCH", 1)  # every row before the repeat is written first
    before = state(session)
    repeat = GOOD + "KAZ,BGR,EXPORTS,2023,20.0,USD,6,,2,1,Again.,\n"
    response = post_csv(client, auth, repeat)
    assert response.status_code == 422
    assert [(e["location"], e["field"]) for e in response.json()["errors"]] == [("line 5", "year")]
    assert response.json()["errors"][0]["message"] == "repeats the figure on line 2"
    assert state(session) == before
    assert post_csv(client, auth, GOOD).json()["created"] == 3


def stored(session: Session) -> dict[tuple[str, str, int], tuple[str, int, str]]:
    """Each figure's (value as stored, precision, quote), by (partner, indicator, year)."""
    rows = session.execute(
        text("SELECT partner, indicator, year, value, precision, quote FROM observation")
    )
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}


def figures(*rows: tuple[str, str, int, str]) -> str:
    """A CSV of KAZ's figures: (partner, indicator, year, value) each."""
    lines = [f"KAZ,{p},{i},{y},{v},USD,6,,2,,Q {p} {i} {y}.," for p, i, y, v in rows]
    return HEADER + "\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(("batch", "chunk"), [(1, 1), (3, 2), (4, 100), (2000, 100)])
def test_new_changed_and_unchanged_rows_mixed_across_batches(
    client: TestClient,
    auth: dict,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
    chunk: int,
) -> None:
    """Rows of one pair split between batches, some already there, some new: each batch
    finds the ones written before it (by this import too), and only those."""
    monkeypatch.setattr(imports, "BATCH", batch)
    monkeypatch.setattr(imports, "CHUNK", chunk)
    first = [("DEU", "EXPORTS", y, f"{y - 2000}.5") for y in range(2001, 2006)]
    assert post_csv(client, auth, figures(*first)).json()["created"] == 5
    before = state(session)
    second = [
        ("DEU", "EXPORTS", 2000, "9.5"),  # new
        ("DEU", "EXPORTS", 2001, "1.5"),  # unchanged
        ("DEU", "EXPORTS", 2002, "2.50"),  # changed: one more decimal
        ("DEU", "EXPORTS", 2003, "3.5"),  # unchanged
        ("DEU", "EXPORTS", 2006, "6.5"),  # new
        ("DEU", "EXPORTS", 2004, "40.5"),  # changed
        ("DEU", "EXPORTS", 2005, "5.5"),  # unchanged
        ("DEU", "EXPORTS", 2007, "7.5"),  # new
        ("FRA", "EXPORTS", 2001, "1.0"),  # new, another pair
    ]
    report = post_csv(client, auth, figures(*second)).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (4, 2, 3)
    assert state(session) == (before[0] + 4, before[1] + 4 + 2)
    assert {k: v[:2] for k, v in stored(session).items() if k[0] in ("DEU", "FRA")} == {
        ("DEU", "EXPORTS", 2000): ("9.5", 1),
        ("DEU", "EXPORTS", 2001): ("1.5", 1),
        ("DEU", "EXPORTS", 2002): ("2.50", 2),
        ("DEU", "EXPORTS", 2003): ("3.5", 1),
        ("DEU", "EXPORTS", 2004): ("40.5", 1),
        ("DEU", "EXPORTS", 2005): ("5.5", 1),
        ("DEU", "EXPORTS", 2006): ("6.5", 1),
        ("DEU", "EXPORTS", 2007): ("7.5", 1),
        ("FRA", "EXPORTS", 2001): ("1.0", 1),
    }
    # Each changed figure has two revisions, the first closed; the others one, open.
    open_revisions = session.execute(
        text(
            "SELECT o.year, count(*), count(r.valid_to) FROM observation AS o "
            "JOIN observation_revision AS r ON r.observation_id = o.id "
            "WHERE o.partner = 'DEU' GROUP BY o.year ORDER BY o.year"
        )
    ).all()
    assert [tuple(r) for r in open_revisions] == [
        (y, 2 if y in (2002, 2004) else 1, 1 if y in (2002, 2004) else 0) for y in range(2000, 2008)
    ]
    again = post_csv(client, auth, figures(*second)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 9)


@pytest.mark.parametrize("chunk", [1, 2, 100])
def test_repeats_and_bad_rows_are_listed_in_line_order_whatever_the_chunks(
    client: TestClient, auth: dict, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(imports, "CHUNK", chunk)
    body = figures(
        ("DEU", "EXPORTS", 2001, "1.5"),  # line 2
        ("DEU", "EXPORTS", 2002, "2.5"),  # line 3
        ("DEU", "EXPORTS", 2001, "1.5"),  # line 4: repeats line 2
        ("DEU", "EXPORTS", 2003, "x"),  # line 5: not a number
        ("DEU", "EXPORTS", 2002, "9.5"),  # line 6: repeats line 3
        ("FRA", "EXPORTS", 2002, "2.5"),  # line 7
    )
    response = post_csv(client, auth, body)
    assert response.status_code == 422
    assert [(e["location"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("line 4", "year", "repeats the figure on line 2"),
        ("line 5", "value", NOT_A_NUMBER),
        ("line 6", "year", "repeats the figure on line 3"),
    ]


@pytest.mark.parametrize("chunk", [1, 100])
def test_values_are_stored_as_written_and_their_precision_inferred(
    client: TestClient, auth: dict, session: Session, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Plain numbers (read all at once) and the rest (one by one) alike."""
    monkeypatch.setattr(imports, "CHUNK", chunk)
    body = figures(
        ("DEU", "EXPORTS", 2001, "12.30"),
        ("DEU", "EXPORTS", 2002, "0"),
        ("DEU", "EXPORTS", 2003, "0.000001"),
        ("DEU", "EXPORTS", 2004, "99999999999999.5"),
        ("DEU", "EXPORTS", 2005, "1.00E+2"),
        ("DEU", "EXPORTS", 2006, "007.50"),
        ("DEU", "BALANCE", 2003, "'-12"),  # as an export writes it for spreadsheets
        ("DEU", "BALANCE", 2001, "-1.5"),
        ("DEU", "BALANCE", 2002, "-0.0"),
    )
    body += "KAZ,DEU,IMPORTS,2001,1.5,USD,6,3,2,,With a precision.,\n"
    assert post_csv(client, auth, body).json()["created"] == 10
    assert {k: v[:2] for k, v in stored(session).items() if k[0] == "DEU"} == {
        ("DEU", "EXPORTS", 2001): ("12.30", 2),
        ("DEU", "EXPORTS", 2002): ("0", 0),
        ("DEU", "EXPORTS", 2003): ("0.000001", 6),
        ("DEU", "EXPORTS", 2004): ("99999999999999.5", 1),
        ("DEU", "EXPORTS", 2005): ("100", 0),
        ("DEU", "EXPORTS", 2006): ("7.50", 2),
        ("DEU", "BALANCE", 2003): ("-12", 0),
        ("DEU", "BALANCE", 2001): ("-1.5", 1),
        ("DEU", "BALANCE", 2002): ("0.0", 1),  # a zero has no sign
        ("DEU", "IMPORTS", 2001): ("1.500", 3),
    }


@pytest.mark.parametrize("chunk", [1, 100])
def test_an_empty_currency_or_multiplier_cell_is_the_default_as_a_column_left_out_is(
    client: TestClient, auth: dict, session: Session, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(imports, "CHUNK", chunk)
    body = figures(("DEU", "EXPORTS", 2001, "12.3"), ("DEU", "EXPORTS", 2002, "4"))
    body = body.replace(",USD,6,", ",,,")
    assert post_csv(client, auth, body).json()["created"] == 2
    units = session.execute(text("SELECT DISTINCT currency, multiplier FROM observation"))
    assert units.all() == [("USD", 6)]
    unchanged = post_csv(client, auth, figures(("DEU", "EXPORTS", 2001, "12.3"))).json()
    assert unchanged["unchanged"] == 1


@pytest.mark.parametrize("chunk", [1, 100])
def test_a_value_with_more_digits_than_json_keeps_is_refused(
    client: TestClient, auth: dict, session: Session, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """A double holds 15 significant digits: a 16th would be served changed, so the
    import refuses it, whether the chunk is read all at once or row by row."""
    monkeypatch.setattr(imports, "CHUNK", chunk)
    kept = "123456789.123456"  # 15 digits: as long as a plain value may be
    body = figures(
        ("DEU", "EXPORTS", 2001, kept),
        ("DEU", "EXPORTS", 2002, "1234567890.123456"),
        ("DEU", "EXPORTS", 2003, "100000000000000.0000"),  # trailing zeros: 1 digit
    )
    response = post_csv(client, auth, body)
    assert response.status_code == 422
    assert [(e["location"], e["field"]) for e in response.json()["errors"]] == [("line 3", "value")]
    assert "more than 15 significant digits" in response.json()["errors"][0]["message"]
    assert [key for key in stored(session) if key[0] == "DEU"] == []
    body = figures(("DEU", "EXPORTS", 2001, kept), ("DEU", "EXPORTS", 2003, "100000000000000.0000"))
    assert post_csv(client, auth, body).json()["created"] == 2
    served = client.get("/v1/exports", params={"reporter": "KAZ", "partner": "DEU"}).text
    assert f'"value":{kept},' in served
    assert '"value":100000000000000.0,' in served


def test_a_row_spanning_lines_is_reported_at_the_line_it_ends_on(
    client: TestClient, auth: dict
) -> None:
    body = (
        f"{HEADER}\n"
        'KAZ,BGR,EXPORTS,2023,1.5,USD,6,,2,,"Two\nlines.",\n'
        "\n"
        "KAZ,BGR,EXPORTS,2024,x,USD,6,,2,,Bad.,\n"
    )
    response = post_csv(client, auth, body)
    assert [(e["location"], e["field"]) for e in response.json()["errors"]] == [("line 5", "value")]


def test_a_column_named_twice_is_refused(client: TestClient, auth: dict, session: Session) -> None:
    """Which of its two cells is meant would be a guess: as a JSON name given twice."""
    before = state(session)
    body = f"{HEADER},quote\nKAZ,DEU,EXPORTS,2023,1.5,USD,6,,2,,First.,,Last.\n"
    response = post_csv(client, auth, body)
    assert response.status_code == 422
    assert "columns named twice: quote." in response.json()["detail"]
    assert state(session) == before


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_a_csv_that_is_not_utf8_names_the_line_of_its_first_bad_byte(
    client: TestClient, auth: dict, session: Session, bom: bytes, end: bytes
) -> None:
    """It said only "The CSV is not UTF-8.": in a file of many rows, one Latin-1 "é" was
    left to be found by hand."""
    before = state(session)
    lines = GOOD.encode().splitlines()
    lines[2] = lines[2].replace(b"Imports", b"Imp\xe9rts")  # line 3
    response = client.post(
        "/v1/imports",
        content=bom + end.join(lines) + end,
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert response.status_code == 400, response.text
    assert "line 3" in response.json()["detail"]
    assert "0xE9" in response.json()["detail"]
    assert state(session) == before


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_cli_names_the_line_of_a_csv_file_s_first_byte_that_is_not_utf8(
    engine: Engine, session: Session, tmp_path: Path, end: bytes
) -> None:
    """A file is decoded in pieces, so the CLI said only "The CSV is not UTF-8." where
    the same bytes posted named the line."""
    before = state(session)
    lines = GOOD.encode().splitlines()
    lines[1] = lines[1].replace(b"Exports in 2023.", b'"Exports\rin 2023."')  # lines 2, 3
    lines[3] = lines[3].replace(b"Turnover", b"Turn\xf6ver")  # line 5
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"\xef\xbb\xbf" + end.join(lines) + end)
    failed = cli(engine, "import", str(path))
    assert (failed.returncode, failed.stderr) == (
        2,
        "error: The CSV is not UTF-8: line 5 holds the byte 0xF6, which UTF-8 does not allow "
        "there. Save it as UTF-8 and import it again.\n",
    )
    assert state(session) == before


def test_a_csv_holding_nul_names_its_line(
    client: TestClient, auth: dict, engine: Engine, session: Session, tmp_path: Path
) -> None:
    """It said only "The CSV holds a NUL character.", with no line to look at: posted,
    and then from a file with the CLI, which reads a file as it goes."""
    before = state(session)
    lines = GOOD.splitlines(keepends=True)
    lines[1] = lines[1].replace("Exports in 2023.", '"Exports\rin 2023."')  # lines 2, 3
    lines[2] = lines[2].replace("Imports in 2023.", "Imports\x00 in 2023.")  # line 4
    body = "".join(lines)
    response = post_csv(client, auth, body)
    assert response.status_code == 400, response.text
    assert "NUL character on line 4" in response.json()["detail"]
    path = tmp_path / "nul.csv"
    path.write_text(body, newline="")
    failed = cli(engine, "import", str(path))
    assert (failed.returncode, failed.stderr) == (
        2,
        "error: The CSV holds a NUL character on line 4.\n",
    )
    assert state(session) == before


def test_an_unreadable_header_is_a_400(client: TestClient, auth: dict) -> None:
    response = post_csv(client, auth, "reporter," + "x" * 200_000 + "\n")
    assert response.status_code == 400
    assert "cannot be read at line 1" in response.json()["detail"]


def test_csv_rows_keep_short_rows_short_and_skip_blank_lines() -> None:
    text = "reporter,partner,indicator,year,value,source_id,quote,id\nkz,BGR\n\n"
    text += "KAZ,BGR,EXPORTS,2023,1.50,2,'=Q,7,extra cell\n"
    assert list(csv_rows(text)) == [
        (2, {"reporter": "kz", "partner": "BGR"}),
        (
            4,
            {
                "reporter": "KAZ",
                "partner": "BGR",
                "indicator": "EXPORTS",
                "year": 2023,
                "value": Decimal("1.50"),
                "source_id": 2,
                "quote": "=Q",
            },
        ),
    ]


@pytest.mark.parametrize("year", ["²", "--2023", "-", "1_999"])
def test_a_whole_number_cell_int_cannot_read_is_a_problem_not_a_crash(
    client: TestClient, auth: dict, year: str
) -> None:
    response = post_csv(client, auth, GOOD.replace("2022", year))
    assert response.status_code == 422
    assert [(e["location"], e["field"]) for e in response.json()["errors"]] == [("line 4", "year")]


@pytest.mark.parametrize(
    "document",
    [
        "[]",
        ' [ {"value": 1.50, "quote": "a,]}"} , {"id": 3, "year": 2024}, 7, "x", null ]\n',
        "[123456789, 1.0e5, -0.25]",
        "[1,]",
        "[1 2]",
        "[1",
        '[{"value": NaN}]',
        '[{"year": 2024}, {"year": 2023, "year": 2024}]',
        "[1] extra",
        "[" * 3000 + "]" * 3000,
    ],
)
@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_a_json_file_read_in_pieces_gives_what_the_whole_gives(
    document: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "JSON_CHUNK", chunk)

    def rows(read: object) -> object:
        try:
            return list(read())  # type: ignore[operator]
        except ProblemException as exc:
            return exc.status

    whole = rows(lambda: json_rows(document.encode()))
    assert rows(lambda: json_array_rows(io.StringIO(document))) == whole


@pytest.mark.parametrize(
    ("document", "at"),
    [("[1,]", 3), ("[1, ]", 4), ('[{"a": 1},]', 10), ('[{"a": 1}', 9), ('[{"a": 1} {"b": 2}]', 10)],
)
@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_a_json_file_read_in_pieces_names_the_character_where_it_goes_wrong(
    document: str, at: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the file's end moved the window before the error's place was added to the
    window's start, which so counted twice: `[1,]` was "Expecting value at character 6"."""
    monkeypatch.setattr(imports, "JSON_CHUNK", chunk)
    with pytest.raises(ProblemException) as raised:
        list(json_array_rows(io.StringIO(document)))
    assert raised.value.detail.endswith(f" at character {at}."), raised.value.detail


def test_a_json_file_that_names_a_field_twice_says_which_observation() -> None:
    document = '[{"year": 2024}, {"year": 2023, "year": 2024}]'
    with pytest.raises(ProblemException) as raised:
        list(json_array_rows(io.StringIO(document)))
    assert raised.value.status == 400
    assert (
        raised.value.detail == 'Observation 2: An object names "year" twice; send each name once.'
    )


def test_cli_imports_a_json_file(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"reporter": "KAZ", "partner": "DEU", "indicator": "EXPORTS", "year": y, "value": 1.5}
        for y in (2020, 2021)
    ]
    path = tmp_path / "figures.json"
    path.write_text(json.dumps([{**r, "source_id": 2, "quote": "Q."} for r in rows]))
    done = cli(engine, "import", str(path))
    assert "imported 2 rows: 2 created, 0 updated, 0 unchanged" in done.stderr, done.stderr


JSON_ROW = {"reporter": "KAZ", "partner": "DEU", "indicator": "EXPORTS", "source_id": 2}
# Four observations on one line: the third is bad, the fourth repeats the first.
ONE_LINE = json.dumps(
    [
        JSON_ROW | {"year": year, "value": value, "quote": "Q."}
        for year, value in [(2020, 1.5), (2021, 2.5), (2022, "x"), (2020, 1.5)]
    ]
)
ONE_LINE_PROBLEMS = [
    ("observation 3", "value", NOT_A_NUMBER),
    ("observation 4", "year", "repeats the figure in observation 1"),
]


@pytest.mark.parametrize("wrapped", [False, True], ids=["array", "object"])
def test_a_json_import_names_a_bad_row_by_its_place_not_a_line(
    client: TestClient, auth: dict, session: Session, wrapped: bool
) -> None:
    """A JSON body may be one line: "line 3" would point at nothing."""
    assert "\n" not in ONE_LINE
    body = f'{{"observations": {ONE_LINE}}}' if wrapped else ONE_LINE
    before = state(session)
    response = client.post(
        "/v1/imports", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "2 problems in 2 of 4 rows; nothing was imported."
    found = [(e["location"], e["field"], e["message"]) for e in response.json()["errors"]]
    assert found == ONE_LINE_PROBLEMS
    assert state(session) == before


def test_cli_names_a_bad_json_row_by_its_place(engine: Engine, tmp_path: Path) -> None:
    """`tradestats import` reads a JSON array file element by element, and says the same."""
    path = tmp_path / "figures.json"
    path.write_text(ONE_LINE)
    failed = cli(engine, "import", str(path))
    assert failed.returncode == 2
    printed = [f"{place}: {name}: {message}" for place, name, message in ONE_LINE_PROBLEMS]
    assert [line for line in failed.stderr.splitlines() if line in printed] == printed
    assert "line 3" not in failed.stderr and "Traceback" not in failed.stderr


def test_a_broken_file_counts_every_problem_and_lists_the_first(
    client: TestClient, auth: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "MAX_ERRORS", 2)
    response = post_csv(client, auth, GOOD.replace("USD", "XXY"))  # three bad currencies
    assert response.status_code == 422
    detail = "3 problems in 3 of 3 rows, the first 2 listed; nothing was imported."
    assert (response.json()["detail"], response.json()["errors_truncated"]) == (detail, True)
    assert [e["location"] for e in response.json()["errors"]] == ["line 2", "line 3"]


def bad_rows(count: int) -> str:
    """`count` CSV rows, each with one problem: an unknown currency."""
    return "".join(f"KAZ,DEU,EXPORTS,{1901 + n},1.5,XXY,6,,2,,Q.,\n" for n in range(count))


BAD_CURRENCY = "unknown ISO 4217 currency 'XXY'"
# GOOD's three rows (lines 2 to 4), then 105 bad ones (lines 5 to 109).
STOPPED = (
    "100 problems in the first 100 rows with problems, of 103 rows checked; line 105 has "
    "problems too, and checking stopped there: later rows were not checked. Nothing was "
    "imported: fix these and import again."
)


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry run"])
def test_a_file_of_many_bad_rows_lists_the_first_hundred_and_says_checking_stopped(
    client: TestClient, auth: dict, session: Session, dry_run: bool
) -> None:
    """A broken file need not be checked to its end, nor every bad row listed."""
    assert imports.MAX_BAD_ROWS == 100
    before = state(session)
    response = post_csv(client, auth, GOOD + bad_rows(105), dry_run=str(dry_run).lower())
    assert response.status_code == 422
    problem = response.json()
    assert (problem["detail"], problem["errors_truncated"]) == (STOPPED, True)
    listed = [(e["location"], e["field"], e["message"]) for e in problem["errors"]]
    assert listed == [(f"line {n}", "currency", BAD_CURRENCY) for n in range(5, 105)]
    assert state(session) == before


def test_a_hundred_bad_rows_are_all_listed_and_no_more_said(client: TestClient, auth: dict) -> None:
    problem = post_csv(client, auth, GOOD + bad_rows(100)).json()
    assert problem["detail"] == "100 problems in 100 of 103 rows; nothing was imported."
    assert len(problem["errors"]) == 100 and "errors_truncated" not in problem


def test_a_json_import_stops_at_the_observation_past_the_hundredth_bad_one(
    client: TestClient, auth: dict, session: Session
) -> None:
    rows = [row | {"year": 1901 + n} for n, row in enumerate(json.loads(ONE_LINE)[:1] * 103)]
    body = json.dumps(rows[:1] + [row | {"value": "x"} for row in rows[1:]])  # 102 bad rows
    before = state(session)
    response = client.post(
        "/v1/imports", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == [
        f"observation {n}" for n in range(2, 102)
    ]
    detail = response.json()["detail"]
    assert "; observation 102 has problems too, and checking stopped there" in detail
    assert state(session) == before


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry run"])
def test_cli_lists_the_first_hundred_bad_rows_as_a_422_does(
    engine: Engine, session: Session, tmp_path: Path, dry_run: bool
) -> None:
    path = tmp_path / "figures.csv"
    path.write_text(GOOD + bad_rows(105), encoding="utf-8")
    before = state(session)
    failed = cli(engine, "import", str(path), *(["--dry-run"] if dry_run else []))
    assert failed.returncode == 2
    printed = failed.stderr.splitlines()
    assert [line for line in printed if line.endswith(BAD_CURRENCY)] == [
        f"line {n}: currency: {BAD_CURRENCY}" for n in range(5, 105)
    ]
    assert printed[-1] == f"error: {STOPPED}"
    assert state(session) == before


def write_lock_is_free(engine: Engine) -> bool:
    """Whether another writer could start now, without waiting."""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(str(engine.url.database), timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
            return True
        except sqlite3.OperationalError:  # database is locked
            return False
        finally:
            other.close()
    with engine.connect() as other:
        taken = other.execute(text(f"SELECT pg_try_advisory_xact_lock({WRITE_LOCK})")).scalar()
        other.rollback()
        return bool(taken)


def test_a_refused_import_lets_the_write_lock_go_at_its_first_bad_row(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows after the first bad one are only checked: other writers need not wait for it."""
    monkeypatch.setattr(imports, "BATCH", 2)
    body = GOOD + bad_rows(1) + GOOD.split("\n", 1)[1].replace(",202", ",201")  # 3, 1, 3
    free = []  # at the end of each batch of 2: lines 2-3, 4 (and 5, bad), 6-7 and 8
    with pytest.raises(imports.ImportFailed):
        imports.import_observations(
            session,
            imports.rows_from(body.encode(), "text/csv"),
            None,
            progress=lambda _: free.append(write_lock_is_free(engine)),
        )
    assert free == [False, True, True, True]
    assert write_lock_is_free(engine)


def test_a_json_body_is_parsed_before_an_import_takes_the_write_lock() -> None:
    """Parsing 10 MB of JSON takes a second or more: not while other writers wait."""
    with pytest.raises(ProblemException) as malformed:
        json_rows(b'[{"year": 2023}, ')
    assert malformed.value.status == 400


def problems(
    client: TestClient, auth: dict, session: Session, body: str, path: Path | None = None
) -> list[tuple[str, str, str]]:
    """(line, field, message) of each problem an import finds, by POST or, given a `path`,
    from a file read as it goes (as `tradestats import` reads it); it writes nothing."""
    before = state(session)
    if path is None:
        response = post_csv(client, auth, body)
        assert response.status_code == 422, response.text
        errors = response.json()["errors"]
    else:
        path.write_text(body, encoding="utf-8")
        with pytest.raises(imports.ImportFailed) as raised:
            imports.import_observations(session, imports.rows_from_file(path, "text/csv"), None)
        errors = [e.model_dump() for e in raised.value.errors or []]
    assert state(session) == before
    return [(e["location"], e["field"], e["message"]) for e in errors]


def one_row(**changes: str) -> str:
    """A CSV of one good row (line 2) but for these cells."""
    row = ["KAZ", "DEU", "EXPORTS", "2021", "1.5", "USD", "6", "", "2", "", "Q.", ""]
    cells = dict(zip(IMPORT_COLUMNS, row, strict=True)) | changes
    return HEADER + "\n" + ",".join(cells.values()) + "\n"


@pytest.mark.parametrize(
    ("field", "cell"),
    [
        ("year", "２０１０"),  # full-width digits
        ("year", "٢٠١٠"),  # Arabic-Indic
        ("year", "2_010"),
        ("year", "+2010"),
        ("value", "1_000"),
        ("value", "١٢٣.٤"),
        ("value", "１"),
        ("value", "+1"),
        ("value", " 1"),
        ("value", ".5"),
        ("value", "5."),
        ("multiplier", "６"),
        ("precision", "２"),
        ("source_id", "２"),
        ("publication_id", "１"),
    ],
)
@pytest.mark.parametrize("chunk", [1, 100])
def test_number_cells_are_ascii_digits_as_json_writes_them(
    client: TestClient,
    auth: dict,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
    field: str,
    cell: str,
) -> None:
    """Python reads `２０１０` and `1_000` as numbers; JSON and query parameters do not."""
    monkeypatch.setattr(imports, "CHUNK", chunk)
    found = problems(client, auth, session, one_row(**{field: cell}))
    assert [(line, name) for line, name, _ in found] == [("line 2", field)]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ('"12,5"', NOT_A_NUMBER),  # a decimal comma
        ("NaN", NOT_A_NUMBER),
        ("1E+400", "must be a finite number below 1E+15 in size"),
        ("1000000000000000", "must be a finite number below 1E+15 in size"),
    ],
)
def test_a_value_that_is_not_a_number_is_told_apart_from_one_too_large(
    client: TestClient, auth: dict, session: Session, cell: str, message: str
) -> None:
    assert problems(client, auth, session, one_row(value=cell)) == [("line 2", "value", message)]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        # A lost line end joins two rows: the second's cells are not dropped unread.
        ("SWE,DNK,EXPORTS,2020,1,2,q,SWE,DNK,EXPORTS,2021,2,2,q", "has 14 cells; the header has 7"),
        ("SWE,DNK,EXPORTS,2020,1,2", "has 6 cells; the header has 7"),
        ("SWE", "has 1 cell; the header has 7"),
    ],
)
@pytest.mark.parametrize("chunk", [1, 100])
@pytest.mark.parametrize("streamed", [False, True])
def test_a_row_of_more_or_fewer_cells_than_the_header_is_refused(
    client: TestClient,
    auth: dict,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    chunk: int,
    streamed: bool,
    record: str,
    message: str,
) -> None:
    monkeypatch.setattr(imports, "CHUNK", chunk)
    body = (
        "reporter,partner,indicator,year,value,source_id,quote\n"
        "SWE,DNK,EXPORTS,2019,1,2,q\n"
        f"{record}\n"
        "\n"
        "SWE,DNK,EXPORTS,2022,1,2,q\n"
    )
    found = problems(client, auth, session, body, tmp_path / "rows.csv" if streamed else None)
    assert found == [("line 3", "row", message)]


@pytest.mark.parametrize("good_rows", [0, 1, 3])
@pytest.mark.parametrize("chunk", [1, 100])
@pytest.mark.parametrize("streamed", [False, True])
def test_an_unterminated_quote_is_refused_at_the_line_of_its_row(
    client: TestClient,
    auth: dict,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    chunk: int,
    streamed: bool,
    good_rows: int,
) -> None:
    """Read leniently, the open quote would take in the rows after it as one cell."""
    monkeypatch.setattr(imports, "CHUNK", chunk)
    header = "reporter,partner,indicator,year,value,source_id,quote\n"
    good = "".join(f"SWE,DNK,EXPORTS,{2000 + n},1,2,q\n" for n in range(good_rows))
    body = (
        f"{header}{good}"
        'SWE,DNK,EXPORTS,2020,1,2,"He said ""x\n'
        "SWE,DNK,EXPORTS,2021,2,2,q\n"
        "SWE,DNK,EXPORTS,2022,2,2,q\n"
    )
    found = problems(client, auth, session, body, tmp_path / "rows.csv" if streamed else None)
    assert found == [
        (
            f"line {2 + good_rows}",
            "row",
            "has an unterminated quoted cell, which would take in the rest of the file",
        )
    ]


def test_a_source_id_that_is_not_an_integer_is_named_as_such(
    client: TestClient, auth: dict
) -> None:
    """Not "no source has id 2": there is one, but "2" is text."""
    row = {"reporter": "KAZ", "partner": "DEU", "indicator": "EXPORTS", "year": 2021}
    row |= {"value": 1.5, "source_id": "2", "publication_id": True, "quote": "Q."}
    response = client.post("/v1/imports", json=[row], headers=auth)
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("source_id", "must be an integer, the id of a source"),
        ("publication_id", "must be an integer, the id of a source"),
    ]


NOT_REPORTED = (
    "must be reported or empty: tradestats stores reported figures only, and derives or "
    "implies the others itself; leave it empty, or remove the row"
)


def with_status(*statuses: str, blank_line: bool = False) -> str:
    """A CSV of good rows (KAZ to DEU, EXPORTS from 2001, lines 2 on) with a `status`
    column, as an export has, holding these; a blank line after the first row, if asked."""
    row = "KAZ,DEU,EXPORTS,{},1.5,USD,6,,2,,Q.,,{}"
    lines = [row.format(year, status) for year, status in enumerate(statuses, start=2001)]
    if blank_line:
        lines.insert(1, "")
    return f"{HEADER},status\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("word", ["derived", "implied", "Reported", "estimated"])
@pytest.mark.parametrize("blank_line", [False, True], ids=["columns", "one by one"])
@pytest.mark.parametrize("chunk", [1, 100])
@pytest.mark.parametrize("streamed", [False, True])
def test_a_csv_row_whose_status_is_not_reported_is_refused(
    client: TestClient,
    auth: dict,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    word: str,
    blank_line: bool,
    chunk: int,
    streamed: bool,
) -> None:
    """A figure a file calls derived or implied must not be stored as reported: the
    import refuses it, and writes nothing. `reported` is exact, as an export writes it."""
    monkeypatch.setattr(imports, "CHUNK", chunk)
    body = with_status("reported", word, "", word, blank_line=blank_line)
    bad = with_status(word).splitlines()[1].replace(",1.5,", ",x,")  # two problems in one row
    body += bad.replace(",2001,", ",2009,") + "\n"
    line = 4 if blank_line else 3
    found = problems(client, auth, session, body, tmp_path / "rows.csv" if streamed else None)
    assert found == [
        (f"line {line}", "status", NOT_REPORTED),
        (f"line {line + 2}", "status", NOT_REPORTED),
        (f"line {line + 3}", "value", NOT_A_NUMBER),
        (f"line {line + 3}", "status", NOT_REPORTED),
    ]


@pytest.mark.parametrize("chunk", [1, 100])
def test_a_csv_status_of_reported_or_empty_is_ignored(
    client: TestClient, auth: dict, session: Session, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(imports, "CHUNK", chunk)
    response = post_csv(client, auth, with_status("reported", "", "reported"))
    assert (response.status_code, response.json()["created"]) == (200, 3)
    statuses = session.execute(text("SELECT DISTINCT status FROM observation"))
    assert statuses.all() == [("reported",)]


def test_a_status_column_named_twice_is_refused(client: TestClient, auth: dict) -> None:
    """Read now, it is as any other column read: which of its cells is meant would be a guess."""
    body = f"{HEADER},status,status\nKAZ,DEU,EXPORTS,2001,1.5,USD,6,,2,,Q.,,reported,derived\n"
    response = post_csv(client, auth, body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"location": "line 1", "field": "status", "message": "is named twice"}
    ]


@pytest.mark.parametrize("word", ["derived", "implied", "Reported", 1, ["reported"]])
def test_a_json_row_whose_status_is_not_reported_is_refused(
    client: TestClient, auth: dict, session: Session, word: object
) -> None:
    before = state(session)
    rows = [
        {**TURNOVER_2023, "status": "reported"},
        {**TURNOVER_2023, "year": 2021, "status": word},
        {**TURNOVER_2023, "year": 2022, "status": word, "colour": "red"},
    ]
    response = client.post("/v1/imports", json=rows, headers=auth)
    assert response.status_code == 422, response.text
    found = [(e["location"], e["field"], e["message"]) for e in response.json()["errors"]]
    assert found == [
        ("observation 2", "status", NOT_REPORTED),
        ("observation 3", "colour", "Extra inputs are not permitted"),
        ("observation 3", "status", NOT_REPORTED),
    ]
    assert state(session) == before


def test_a_json_file_row_whose_status_is_not_reported_is_refused(
    session: Session, tmp_path: Path
) -> None:
    """As `tradestats import` reads a JSON array file, element by element."""
    before = state(session)
    path = tmp_path / "figures.json"
    path.write_text(json.dumps([TURNOVER_2023 | {"status": "implied"}]), encoding="utf-8")
    with pytest.raises(imports.ImportFailed) as raised:
        imports.import_observations(session, imports.rows_from_file(path, "application/json"), None)
    found = [(e.location, e.field, e.message) for e in raised.value.errors or []]
    assert found == [("observation 1", "status", NOT_REPORTED)]
    assert state(session) == before


def test_a_json_status_of_reported_empty_or_null_is_ignored(
    client: TestClient, auth: dict, session: Session
) -> None:
    rows = [
        {**TURNOVER_2023, "year": year, "status": status}
        for year, status in [(2019, "reported"), (2020, ""), (2021, None)]
    ]
    sent = [*rows, {**TURNOVER_2023, "year": 2022}]
    response = client.post("/v1/imports", json=sent, headers=auth)
    assert (response.status_code, response.json()["created"]) == (200, 4)


@pytest.mark.parametrize("quote", [" ", "\t \u00a0", "\u200b", "\ufeff \u200e\u2060"])
def test_a_quote_that_shows_nothing_is_refused(
    client: TestClient, auth: dict, session: Session, quote: str
) -> None:
    """As a body's is: white space, or invisible format characters such as U+200B, alone."""
    message = "must hold text, not white space or invisible characters alone"
    csv_found = problems(client, auth, session, one_row(quote=f'"{quote}"'))
    assert csv_found == [("line 2", "quote", message)]
    row = {"reporter": "KAZ", "partner": "DEU", "indicator": "EXPORTS", "year": 2021}
    response = client.post(
        "/v1/imports", json=[row | {"value": 1.5, "source_id": 2, "quote": quote}], headers=auth
    )
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("quote", message)]


def test_a_json_file_holding_nul_is_refused_as_a_body_is() -> None:
    """`tradestats import` reads a JSON array file element by element: each is checked
    for NUL as POST /v1/imports checks its body, or an export would not import again."""
    document = '[{"quote": "fine"}, {"quote": "q\\u0000"}]'
    with pytest.raises(ProblemException) as raised:
        list(json_array_rows(io.StringIO(document)))
    assert (raised.value.status, raised.value.detail) == (400, "The body holds a NUL character.")


def test_an_import_refused_by_its_precondition_writes_nothing_first(
    client: TestClient, auth: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The If-Match of an import was evaluated after every row had been written (and then
    rolled back): a 50 MB file held the write lock the whole time to answer 412 (review)."""
    written: list[int] = []
    apply = imports._Writer.apply
    monkeypatch.setattr(
        imports._Writer, "apply", lambda self, *a: (written.append(1), apply(self, *a))[1]
    )
    body = figures(("DEU", "EXPORTS", 2001, "1.5"), ("DEU", "EXPORTS", 2002, "2.5"))
    refused = client.post(
        "/v1/imports", content=body, headers={**auth, "Content-Type": "text/csv", "If-Match": '"5"'}
    )
    assert (refused.status_code, written) == (412, [])


def test_a_precision_too_small_is_worded_alike_in_a_write_and_an_import(
    client: TestClient, auth: dict
) -> None:
    """ "12.34 has more than 1 decimals" read wrongly in the singular, in both places."""
    expected = "12.34 has more than 1 decimal"
    row = f"{HEADER}\nKAZ,BGR,EXPORTS,2023,12.34,USD,6,1,2,,Q.,\n"
    imported = post_csv(client, auth, row, dry_run="true")
    assert [e["message"] for e in imported.json()["errors"]] == [expected]
    body = {**TURNOVER_2023, "value": 12.34, "precision": 1}
    posted = client.post("/v1/observations", json=body, headers=auth)
    assert [e["message"] for e in posted.json()["errors"]] == [expected]


@pytest.mark.parametrize("value", ["1.50E+3", "15E+2", "1e3", "0E+2"])
@pytest.mark.parametrize("chunk", [1, 100])
def test_a_value_rounded_above_the_unit_needs_its_precision_in_a_write_and_an_import(
    client: TestClient,
    auth: dict,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    chunk: int,
) -> None:
    """1.50E+3 is 1495 to 1505: given precision 0, as inferred from its decimals, it was
    stored as 1500 to the unit (1499.5 to 1500.5), ten times the accuracy printed. A
    precision counts decimals and cannot say "to the tens": without one, it is refused."""
    monkeypatch.setattr(imports, "CHUNK", chunk)
    before = state(session)
    json_type = {**auth, "Content-Type": "application/json"}
    posted = client.post("/v1/observations", content=observation_json(value), headers=json_type)
    in_json = client.post("/v1/imports", content=f"[{observation_json(value)}]", headers=json_type)
    in_csv = post_csv(client, auth, f"{HEADER}\nKAZ,BGR,TURNOVER,2023,{value},USD,6,,2,,Q.,\n")
    number = Decimal(value)
    expected = [
        (
            "value",
            f"{number}'s last digit is worth 1E+{number.as_tuple().exponent}, more than a "
            "unit, which precision (0 to 6 decimals) cannot record: to give it to the unit, "
            f"send precision or write every digit ({number:f})",
        )
    ]
    for response in (posted, in_json, in_csv):
        assert response.status_code == 422
        assert [(e["field"], e["message"]) for e in response.json()["errors"]] == expected
    assert state(session) == before


@pytest.mark.parametrize("precision", [0, 2])
def test_a_value_rounded_above_the_unit_takes_the_precision_sent_alike_everywhere(
    client: TestClient, auth: dict, session: Session, precision: int
) -> None:
    """The client states the decimals, as for 12.3 published as 12.30: zeros are added."""
    sent = f', "precision": {precision}'
    body = observation_json("1.50E+3", sent)
    json_type = {**auth, "Content-Type": "application/json"}
    assert client.post("/v1/observations", content=body, headers=json_type).status_code == 201
    in_json = f"[{observation_json('1.50E+3', sent, 2022)}]"
    assert client.post("/v1/imports", content=in_json, headers=json_type).status_code == 200
    in_csv = f"{HEADER}\nKAZ,BGR,TURNOVER,2021,15E+2,USD,6,{precision},2,,Q.,\n"
    assert post_csv(client, auth, in_csv).status_code == 200
    figure = ("1500." + "0" * precision if precision else "1500", precision)
    figures = stored(session)
    assert [figures[("BGR", "TURNOVER", year)][:2] for year in (2021, 2022, 2023)] == [figure] * 3


def test_an_import_numbers_revisions_in_id_order_on_every_engine(
    client: TestClient, auth: dict
) -> None:
    """The revisions one import writes take their ids (and so the figures' ETags) in the
    figures' id order, not in whatever order the engine happens to read the rows: the same
    writes give the same tags on SQLite and PostgreSQL."""
    # An update moves the first figure's row to the end of PostgreSQL's heap.
    assert (
        client.patch("/v1/observations/1", json={"note": "moved"}, headers=auth).status_code == 200
    )
    rows = [client.get(f"/v1/observations/{i}").json() for i in (2, 1)]
    changed = [row | {"note": "imported"} for row in rows]
    done = client.post(
        "/v1/imports",
        content=json.dumps(changed),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert done.status_code == 200, done.text
    tags = [client.get(f"/v1/observations/{i}").headers["etag"] for i in (1, 2)]
    assert tags == ['"6"', '"7"']


def test_the_import_documents_the_conflict_it_can_answer(client: TestClient) -> None:
    """A write taking one of an import's keys as it runs (PostgreSQL) is a 409, which the
    OpenAPI document did not list among the import's answers."""
    responses = client.get("/openapi.json").json()["paths"]["/v1/imports"]["post"]["responses"]
    assert responses["409"]["content"]["application/problem+json"]["example"]["status"] == 409
