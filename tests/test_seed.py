"""The seed: the article's figures, verbatim quotes, and idempotence."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app import seed as seeding
from app.models import Claim, Country, Indicator, Observation, Source
from app.seed import SEED_DIR, SeedError, figure_files, seed
from app.stats.figures import precision_of

ARTICLE = (SEED_DIR / "article.txt").read_text(encoding="utf-8")


def stored(session: Session, indicator: str, year: int) -> Observation:
    return session.exec(
        select(Observation).where(
            Observation.reporter == "KAZ",
            Observation.partner == "BGR",
            Observation.indicator == indicator,
            Observation.year == year,
        )
    ).one()


@pytest.mark.parametrize(
    ("indicator", "year", "value", "precision"),
    [
        ("TURNOVER", 2024, "375.2", 1),
        ("EXPORTS", 2024, "303.6", 1),
        ("FDI_INFLOW", 2024, "7.8", 1),
        ("FDI_INFLOW", 2023, "4.2", 1),
    ],
)
def test_article_figures_are_stored_exactly(
    session: Session, indicator: str, year: int, value: str, precision: int
) -> None:
    obs = stored(session, indicator, year)
    assert obs.value == Decimal(value)
    assert str(obs.value) == value
    assert obs.precision == precision
    assert (obs.currency, obs.multiplier, obs.status) == ("USD", 6, "reported")


def test_every_quote_is_verbatim_from_the_article(session: Session) -> None:
    quotes = [*session.exec(select(Observation.quote)), *session.exec(select(Claim.quote))]
    assert len(quotes) == 7
    for quote in quotes:
        assert quote in ARTICLE


@pytest.mark.parametrize(
    ("indicator", "kind", "stated", "qualifier", "words"),
    [
        ("TURNOVER", "ratio", "4", "almost", "almost four times"),
        ("EXPORTS", "ratio", "11", "more_than", "more than 11 times"),
        ("FDI_INFLOW", "percent_change", "86.5", "exact", "86.5% increase"),
    ],
)
def test_the_articles_growth_statements_are_claims(
    session: Session, indicator: str, kind: str, stated: str, qualifier: str, words: str
) -> None:
    claim = session.exec(select(Claim).where(Claim.indicator == indicator)).one()
    assert (claim.kind, claim.stated, claim.qualifier) == (kind, Decimal(stated), qualifier)
    assert (claim.reporter, claim.partner, claim.base_year, claim.year) == (
        "KAZ",
        "BGR",
        2023,
        2024,
    )
    assert words in claim.quote


@pytest.mark.parametrize(
    ("indicator", "year", "agency"),
    [
        ("TURNOVER", 2024, "Ministry of Trade and Integration of the Republic of Kazakhstan"),
        ("EXPORTS", 2024, "Ministry of Trade and Integration of the Republic of Kazakhstan"),
        ("FDI_INFLOW", 2024, "National Bank of Kazakhstan"),
        ("FDI_INFLOW", 2023, "National Bank of Kazakhstan"),
    ],
)
def test_each_figure_links_its_agency_and_the_article(
    session: Session, indicator: str, year: int, agency: str
) -> None:
    obs = stored(session, indicator, year)
    agency_row = session.get(Source, obs.source_id)
    article_row = session.get(Source, obs.publication_id)
    assert agency_row is not None and agency_row.publisher == agency
    assert agency_row.kind == "agency"
    assert article_row is not None and article_row.kind == "publication"


def test_exports_unit_is_marked_as_inferred(session: Session) -> None:
    note = stored(session, "EXPORTS", 2024).note or ""
    assert "no unit" in note
    assert "inferred" in note.lower()


def test_reference_data_comes_from_pycountry_and_the_indicator_file(session: Session) -> None:
    import pycountry

    assert session.exec(select(func.count()).select_from(Country)).one() == len(pycountry.countries)
    codes = set(session.exec(select(Indicator.code)))
    assert codes == {"TURNOVER", "EXPORTS", "IMPORTS", "BALANCE", "FDI_INFLOW"}
    fdi = session.get(Indicator, "FDI_INFLOW")
    assert fdi is not None
    assert "flow" in fdi.description and "stock" in fdi.description
    assert "gross or net" in fdi.description


def _snapshot(session: Session) -> list[tuple]:
    rows = session.exec(select(Observation).order_by(Observation.id)).all()
    return [(o.id, o.value, o.quote, o.created_at, o.updated_at) for o in rows]


def test_seeding_twice_changes_nothing(session: Session) -> None:
    before = _snapshot(session)
    report = seed(session)
    assert report.inserted == {}
    assert "nothing to do" in str(report)
    assert _snapshot(session) == before
    assert session.exec(select(func.count()).select_from(Source)).one() == 3
    assert session.exec(select(func.count()).select_from(Claim)).one() == 3


def test_seed_never_overwrites_a_corrected_figure(session: Session) -> None:
    obs = stored(session, "TURNOVER", 2024)
    obs.value = Decimal("375.3")
    session.add(obs)
    session.commit()
    seed(session)
    assert stored(session, "TURNOVER", 2024).value == Decimal("375.3")


def test_seed_never_brings_back_a_deleted_figure(
    client: TestClient, auth: dict[str, str], session: Session
) -> None:
    # The image seeds at every start: a figure or claim deleted through the API must stay
    # deleted, not come back with a new id and a second history beside its first.
    assert client.delete("/v1/observations/2", headers=auth).status_code == 204
    assert client.delete("/v1/claims/2", headers=auth).status_code == 204
    report = seed(session)
    assert report.inserted == {}
    assert client.get("/v1/observations/2").status_code == 410
    assert client.get("/v1/claims/2").status_code == 410
    assert client.get("/v1/exports?reporter=KAZ&partner=BGR&year=2024").json()["observations"] == []
    assert session.exec(select(func.count()).select_from(Claim)).one() == 2


def test_seed_never_brings_back_a_figure_moved_to_another_year(
    client: TestClient, auth: dict[str, str], session: Session
) -> None:
    assert client.patch("/v1/observations/2", json={"year": 2022}, headers=auth).status_code == 200
    assert seed(session).inserted == {}
    assert session.exec(select(func.count()).select_from(Observation)).one() == 4


def test_seed_leaves_a_deleted_source_and_what_cited_it_deleted(
    client: TestClient, auth: dict[str, str], session: Session
) -> None:
    # The National Bank's figures and claim are deleted, then the bank itself.
    for url in ("/v1/claims/3", "/v1/observations/3", "/v1/observations/4", "/v1/sources/3"):
        assert client.delete(url, headers=auth).status_code == 204, url
    assert seed(session).inserted == {}
    assert client.get("/v1/sources/3").status_code == 410
    assert session.exec(select(func.count()).select_from(Source)).one() == 2


def test_seed_files_have_room_for_claims() -> None:
    for path in figure_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        assert set(data) >= {"sources", "observations", "claims"}


@pytest.mark.parametrize(
    ("text", "expected"), [("375.2", 1), ("12", 0), ("0.25", 2), ("1E+3", 0), ("4.20", 2)]
)
def test_precision_is_the_number_of_printed_decimals(text: str, expected: int) -> None:
    assert precision_of(Decimal(text)) == expected


NEW_SOURCE = {"slug": "another-agency", "kind": "agency", "title": "Another agency"}


def _seed_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    claims: list[dict[str, Any]] | None = None,
    **figure: Any,
) -> None:
    """Make the seed read one more file: a new source, one figure and `claims` citing it."""
    row = {
        "reporter": "KAZ",
        "partner": "CHN",
        "indicator": "EXPORTS",
        "year": 2024,
        "value": "12.5",
        "currency": "USD",
        "multiplier": 6,
        "source": NEW_SOURCE["slug"],
        "quote": "Exports to China were $12.5 million.",
    } | figure
    path = tmp_path / "extra.json"
    data = {"sources": [NEW_SOURCE], "observations": [row], "claims": claims or []}
    path.write_text(json.dumps(data))
    monkeypatch.setattr(seeding, "figure_files", lambda: [*figure_files(), path])


@pytest.mark.parametrize(
    ("figure", "problem"),
    [
        # 1.50E+3 is to the tens, which no count of decimals records: the API asks for one.
        ({"value": "1.50E+3"}, "value: 1.50E+3's last digit is worth 1E+1"),
        ({"quote": "\u200b"}, "quote: "),
        ({"multiplier": 5}, "multiplier: "),
        ({"partner": "KAZ"}, "partner: must differ from reporter"),
        ({"value": "-1"}, "value: EXPORTS cannot be negative"),
    ],
)
def test_a_seed_row_the_api_would_refuse_stores_nothing(
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    figure: dict[str, Any],
    problem: str,
) -> None:
    _seed_file(tmp_path, monkeypatch, **figure)
    with pytest.raises(SeedError) as refused:
        seed(session)
    session.rollback()
    message = str(refused.value)
    assert message.startswith("seed/extra.json: observation KAZ ")
    assert problem in message and message.endswith("nothing was stored")
    # Not even the file's valid source, stored before the figure was read.
    assert session.exec(select(func.count()).select_from(Source)).one() == 3
    assert session.exec(select(func.count()).select_from(Observation)).one() == 4


def test_a_seed_row_is_stored_as_the_api_would_store_it(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # To the tens when it says so; a note of white space alone is no note.
    _seed_file(tmp_path, monkeypatch, value="1.50E+3", precision=0, note="  ")
    assert seed(session).inserted == {"source": 1, "observation": 1}
    row = session.exec(select(Observation).where(Observation.partner == "CHN")).one()
    assert (row.value, row.precision, row.note) == (Decimal(1500), 0, None)


def test_the_seed_command_refuses_a_bad_file_in_one_line(
    engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed_file(tmp_path, monkeypatch, value="1.50E+3")
    monkeypatch.setattr(seeding, "get_engine", lambda: engine)
    monkeypatch.setattr(seeding, "configure_process_logging", lambda: False)
    assert seeding.main() == 2
    err = capsys.readouterr().err
    assert err.startswith("error: seed/extra.json: observation KAZ CHN EXPORTS 2024: value: ")
    assert err.count("\n") == 1


def test_a_seed_row_in_a_form_the_api_accepts_is_stored_once(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API takes alpha-2 codes and codes in any case, and stores the alpha-3 code in
    capitals: the seed must look for what it stores, or a second run (every start of the
    image) inserts the row again and fails on its unique key."""
    claim = {
        "kind": "ratio",
        "indicator": "exports",
        "reporter": "kz",
        "partner": "cn",
        "base_year": 2023,
        "year": 2024,
        "stated": "2",
        "qualifier": "approximately",
        "source": NEW_SOURCE["slug"],
        "quote": "Exports to China about doubled.",
    }
    _seed_file(tmp_path, monkeypatch, [claim], reporter="kz", partner="Chn", indicator="exports")
    assert seed(session).inserted == {"source": 1, "observation": 1, "claim": 1}
    row = session.exec(select(Observation).where(Observation.partner == "CHN")).one()
    assert (row.reporter, row.indicator) == ("KAZ", "EXPORTS")
    assert session.exec(select(Claim).where(Claim.partner == "CHN")).one().reporter == "KAZ"
    assert seed(session).inserted == {}


def test_a_seed_claim_s_stated_precision_is_used_as_the_api_uses_it(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A figure's `precision` reaches the API's checks; a claim's `stated_precision` must
    too, or "4" stated as 4.0 is stored as 4, and a number to the tens (4E+1) is refused
    with a request for the stated_precision the row gives."""
    claim = {
        "kind": "ratio",
        "indicator": "EXPORTS",
        "reporter": "KAZ",
        "partner": "CHN",
        "base_year": 2023,
        "year": 2024,
        "qualifier": "approximately",
        "source": NEW_SOURCE["slug"],
        "quote": "Exports to China grew about 40 times.",
    }
    tens = claim | {"stated": "4E+1", "stated_precision": 0}
    tenths = claim | {"base_year": 2022, "stated": "4", "stated_precision": 1}
    _seed_file(tmp_path, monkeypatch, [tens, tenths])
    assert seed(session).inserted == {"source": 1, "observation": 1, "claim": 2}
    stated = session.exec(
        select(Claim.stated).where(Claim.partner == "CHN").order_by(Claim.base_year)
    ).all()
    assert [str(s) for s in stated] == ["4.0", "40"]
