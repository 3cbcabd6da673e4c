"""Claims over HTTP: verdicts from the seed, filters, implied values, live updates."""

import json
from decimal import Decimal as D

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Claim
from tests.conftest import record_figure
from tests.test_as_of import now

PAIR = {"reporter": "KAZ", "partner": "BGR"}


def record_identity_claim(session: Session, indicator: str, year: int) -> None:
    """A stored claim that the identity defining `indicator` holds for KAZ–BGR in `year`."""
    claim = Claim(
        kind="identity",
        indicator=indicator,
        reporter="KAZ",
        partner="BGR",
        base_year=year,
        year=year,
        source_id=2,
        quote="Test identity.",
    )
    session.add(claim)
    session.commit()


def claims_by_indicator(client: TestClient, **params: object) -> dict[str, dict]:
    response = client.get("/v1/claims", params=params)
    assert response.status_code == 200, response.text
    return {c["indicator"]: c for c in response.json()["data"]}


def identity_checks(client: TestClient, first: int, last: int) -> list[dict]:
    """/v1/identity-checks for KAZ–BGR from `first` to `last`."""
    params = {**PAIR, "start_year": first, "end_year": last}
    response = client.get("/v1/identity-checks", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def turnover_check(client: TestClient, year: int) -> dict:
    """The year's check of TURNOVER = EXPORTS + IMPORTS for KAZ–BGR."""
    checks = identity_checks(client, year, year)
    (check,) = [c for c in checks if c["formula"].startswith("TURNOVER")]
    return check


def test_seeded_fdi_claim_is_consistent_and_says_why(client: TestClient) -> None:
    fdi = claims_by_indicator(client)["FDI_INFLOW"]
    assert fdi["verdict"] == "consistent"
    assert (fdi["kind"], fdi["stated"], fdi["qualifier"]) == ("percent_change", 86.5, "exact")
    assert fdi["statement"] == "an increase of 86.5%"
    assert fdi["point"] == 85.7143
    assert fdi["interval"] == {
        "low": 82.352941,
        "high": 89.156627,
        "low_inclusive": True,
        "high_inclusive": True,
    }
    assert (
        "0.8 percentage points, within the rounding of the published figures" in fdi["explanation"]
    )
    assert [(i["year"], i["value"]) for i in fdi["inputs"]] == [(2023, 4.2), (2024, 7.8)]
    assert fdi["missing"] == [] and fdi["implied"] == []
    assert fdi["source"]["publisher"] == "National Bank of Kazakhstan"
    assert "86.5% increase" in fdi["quote"]


@pytest.mark.parametrize(
    ("indicator", "low", "high", "low_inclusive"),
    [
        ("TURNOVER", 93.7875, 107.214286, True),  # 375.15 / 4 to 375.25 / 3.5, rounded out
        ("EXPORTS", 0.0, 27.604546, False),  # below 303.65 / 11
    ],
)
def test_seeded_trade_claims_are_unverifiable_with_implied_2023(
    client: TestClient, indicator: str, low: float, high: float, low_inclusive: bool
) -> None:
    claim = claims_by_indicator(client)[indicator]
    assert claim["verdict"] == "unverifiable"
    assert claim["missing"] == [
        {"indicator": indicator, "reporter": "KAZ", "partner": "BGR", "year": 2023}
    ]
    (implied,) = claim["implied"]
    assert (implied["indicator"], implied["year"], implied["status"]) == (
        indicator,
        2023,
        "implied",
    )
    assert implied["interval"]["low"] == low
    assert implied["interval"]["high"] == high
    assert implied["interval"]["low_inclusive"] is low_inclusive
    assert implied["unit"]["label"] == "USD millions"
    assert f"no {indicator} figure is recorded for KAZ–BGR in 2023" in claim["explanation"]
    assert claim["point"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"verdict": "consistent"}, {"FDI_INFLOW"}),
        ({"verdict": "unverifiable"}, {"TURNOVER", "EXPORTS"}),
        ({"verdict": "inconsistent"}, set()),
        ({"indicator": "exports"}, {"EXPORTS"}),
        ({"reporter": "kz", "partner": "bg"}, {"TURNOVER", "EXPORTS", "FDI_INFLOW"}),
        ({"reporter": "BGR"}, set()),
    ],
)
def test_claim_filters(client: TestClient, params: dict, expected: set) -> None:
    assert set(claims_by_indicator(client, **params)) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({"indicator": "GDP"}, "indicator"),
        ({"reporter": "XX"}, "reporter"),
    ],
)
def test_bad_claim_filters_are_422(client: TestClient, params: dict, field: str) -> None:
    response = client.get("/v1/claims", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_one_claim_and_a_missing_one(client: TestClient) -> None:
    listed = claims_by_indicator(client)["FDI_INFLOW"]
    assert client.get(f"/v1/claims/{listed['id']}").json() == listed
    missing = client.get("/v1/claims/999")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No claim has id 999."


@pytest.mark.parametrize(
    ("turnover_2023", "verdict"),
    [
        ("95.0", "consistent"),  # 375.2 / 95 ≈ 3.95: almost four times
        ("100.0", "consistent"),  # 3.75
        ("90.0", "inconsistent"),  # ≈ 4.17: more than four times
        ("110.0", "inconsistent"),  # ≈ 3.41: too far short of four
        ("0.0", "inconsistent"),  # 0 to 0.05: at least 7503 times, or no ratio at all
    ],
)
def test_verdict_updates_when_the_base_year_is_recorded(
    client: TestClient, session: Session, turnover_2023: str, verdict: str
) -> None:
    assert claims_by_indicator(client)["TURNOVER"]["verdict"] == "unverifiable"
    record_figure(session, "TURNOVER", 2023, turnover_2023)
    claim = claims_by_indicator(client)["TURNOVER"]
    assert claim["verdict"] == verdict
    assert claim["missing"] == [] and claim["implied"] == []
    assert [i["year"] for i in claim["inputs"]] == [2023, 2024]


def test_a_derived_base_also_settles_a_claim(client: TestClient, session: Session) -> None:
    record_figure(session, "EXPORTS", 2023, "20.0")
    record_figure(session, "IMPORTS", 2023, "76.0")  # turnover 2023 derives to 96.0
    claim = claims_by_indicator(client)["TURNOVER"]
    assert claim["verdict"] == "consistent"
    assert claim["inputs"][0]["status"] == "derived"
    assert claims_by_indicator(client)["EXPORTS"]["verdict"] == "consistent"  # 15.18 times


def test_series_shows_implied_values_only_when_asked(client: TestClient) -> None:
    plain = client.get("/v1/turnover", params=PAIR).json()["observations"]
    assert [p["status"] for p in plain] == ["reported"]
    asked = client.get("/v1/turnover", params={**PAIR, "include": "implied"}).json()
    implied, reported = asked["observations"]
    assert (implied["year"], implied["status"], implied["value"]) == (2023, "implied", None)
    assert implied["interval"]["low"] == 93.7875
    assert implied["claim_id"] is not None
    assert implied["growth"] is None
    assert implied["explanation"].startswith("Unverifiable:")
    # The reported 2024 value keeps an honest "no 2023 value": an implied range is no base.
    assert reported["growth"]["reason"] == "no 2023 value"


def test_implied_value_gives_way_to_a_recorded_figure(client: TestClient, session: Session) -> None:
    record_figure(session, "TURNOVER", 2023, "95.0")
    points = client.get("/v1/turnover", params={**PAIR, "include": "implied"}).json()
    assert [p["status"] for p in points["observations"]] == ["reported", "reported"]


def test_implied_respects_the_year_filter(client: TestClient) -> None:
    points = client.get(
        "/v1/turnover", params={**PAIR, "include": "implied", "start_year": 2024}
    ).json()
    assert [p["year"] for p in points["observations"]] == [2024]


def test_include_takes_only_known_values(client: TestClient) -> None:
    response = client.get("/v1/turnover", params={**PAIR, "include": "everything"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "include"


def test_qualifier_table(client: TestClient) -> None:
    rows = {r["qualifier"]: r for r in client.get("/v1/qualifiers").json()["data"]}
    assert list(rows) == [
        "exact",
        "approximately",
        "almost",
        "more_than",
        "at_least",
        "less_than",
        "at_most",
    ]
    almost = rows["almost"]
    assert almost["meaning"].startswith("up to 10% short of N, or N itself, [0.9·N, N]")
    assert almost["example_allowed"] == {  # "4" alone allows from 3.5: so does "almost 4"
        "low": 3.5,
        "high": 4,
        "low_inclusive": True,
        "high_inclusive": True,
    }
    assert rows["approximately"]["example_allowed"] == {  # no less than "4" allows
        "low": 3.5,
        "high": 4.5,
        "low_inclusive": True,
        "high_inclusive": True,
    }
    assert rows["more_than"]["example_allowed"] == {
        "low": 4,
        "high": None,
        "low_inclusive": False,
        "high_inclusive": False,
    }


def test_identity_checks_appear_when_every_term_is_reported(
    client: TestClient, session: Session
) -> None:
    assert client.get("/v1/identity-checks", params=PAIR).json() == {"data": [], "count": 0}
    record_figure(session, "IMPORTS", 2024, "71.7")  # 303.6 + 71.7 = 375.3, within rounding
    (check,) = client.get("/v1/identity-checks", params=PAIR).json()["data"]
    assert (check["formula"], check["year"], check["verdict"]) == (
        "TURNOVER = EXPORTS + IMPORTS",
        2024,
        "consistent",
    )
    assert check["point"] == 375.3
    assert [i["indicator"] for i in check["inputs"]] == ["TURNOVER", "EXPORTS", "IMPORTS"]


def test_identity_check_finds_a_mismatch(client: TestClient, session: Session) -> None:
    record_figure(session, "IMPORTS", 2024, "80.0")
    (check,) = client.get("/v1/identity-checks", params=PAIR).json()["data"]
    assert check["verdict"] == "inconsistent"
    assert check["explanation"].startswith(
        "Inconsistent: TURNOVER is reported as 375.2 USD millions and EXPORTS + IMPORTS give "
        "383.6 USD millions (383.5 to 383.7 allowing for rounding)"
    )


def test_an_identity_check_finds_a_term_left_below_zero(
    client: TestClient, session: Session
) -> None:
    """TURNOVER 10 and EXPORTS 20 leave IMPORTS at -10: the list was empty, because one
    term was missing, while the series said the figures contradicted each other."""
    record_figure(session, "TURNOVER", 2020, "10.0")
    record_figure(session, "EXPORTS", 2020, "20.0")
    record_figure(session, "TURNOVER", 2021, "20.0")  # exports 2021 within turnover: fine
    record_figure(session, "EXPORTS", 2021, "20.0")
    (check,) = identity_checks(client, 2020, 2021)
    assert (check["formula"], check["year"], check["verdict"]) == (
        "TURNOVER = EXPORTS + IMPORTS",
        2020,
        "inconsistent",
    )
    assert check["explanation"] == (
        "Inconsistent: the reported figures give IMPORTS = TURNOVER − EXPORTS = -10 USD "
        "millions (-10.1 to -9.9 allowing for rounding), but IMPORTS cannot be negative, so "
        "they contradict each other."
    )
    assert [i["indicator"] for i in check["inputs"]] == ["TURNOVER", "EXPORTS"]
    assert check["point"] == -10.0


def test_figures_that_fix_a_term_twice_are_checked_against_each_other(
    client: TestClient, session: Session
) -> None:
    """TURNOVER 100, EXPORTS 60 and BALANCE 50 give IMPORTS 40 one way and 10 the other:
    the list was empty, as no identity had all its terms reported."""
    record_figure(session, "TURNOVER", 2020, "100.0")
    record_figure(session, "EXPORTS", 2020, "60.0")
    record_figure(session, "BALANCE", 2020, "50.0")
    record_figure(session, "TURNOVER", 2021, "100.0")  # IMPORTS 40 both ways: they agree
    record_figure(session, "EXPORTS", 2021, "70.0")
    record_figure(session, "BALANCE", 2021, "40.0")
    checks = identity_checks(client, 2020, 2021)
    assert [(c["formula"], c["year"], c["verdict"]) for c in checks] == [
        ("BALANCE = EXPORTS − IMPORTS", 2020, "inconsistent"),
        ("BALANCE = EXPORTS − IMPORTS", 2021, "consistent"),
    ]
    assert checks[0]["explanation"] == (
        "Inconsistent: BALANCE is reported as 50.0 USD millions and EXPORTS − IMPORTS "
        "(IMPORTS = TURNOVER − EXPORTS) give 20 USD millions (19.85 to 20.15 allowing for "
        "rounding), beyond the reach of the reported figure's rounding."
    )
    imports = checks[0]["inputs"][2]
    assert (imports["indicator"], imports["status"], imports["value"]) == ("IMPORTS", "derived", 40)
    assert imports["formula"] == "IMPORTS = TURNOVER − EXPORTS"


def test_an_identity_claim_is_judged_as_the_identity_checks_judge_it(
    client: TestClient, session: Session
) -> None:
    """A claim that BALANCE = EXPORTS − IMPORTS, with TURNOVER, EXPORTS and BALANCE
    recorded, was unverifiable ("needs reported IMPORTS") while /v1/identity-checks found
    the same figures inconsistent: the claim read the year as a BALANCE series does, which
    derives nothing when BALANCE is stored."""
    record_figure(session, "TURNOVER", 2020, "100.0")
    record_figure(session, "EXPORTS", 2020, "60.0")
    record_figure(session, "BALANCE", 2020, "50.0")
    record_identity_claim(session, "BALANCE", 2020)
    (check,) = identity_checks(client, 2020, 2020)
    claim = claims_by_indicator(client, indicator="BALANCE")["BALANCE"]
    assert (claim["verdict"], claim["explanation"]) == ("inconsistent", check["explanation"])
    assert claim["missing"] == []
    assert [i["status"] for i in claim["inputs"]] == ["reported", "reported", "derived"]


def test_a_check_resting_on_a_derived_term_below_zero_is_inconsistent(
    client: TestClient, session: Session
) -> None:
    """TURNOVER 10, EXPORTS 20 and BALANCE 30: IMPORTS = TURNOVER − EXPORTS = -10, which
    it cannot be. BALANCE = EXPORTS − IMPORTS was consistent on that -10, with no word of
    it, though without TURNOVER the same BALANCE and EXPORTS were found inconsistent."""
    record_figure(session, "TURNOVER", 2020, "10.0")
    record_figure(session, "EXPORTS", 2020, "20.0")
    record_figure(session, "BALANCE", 2020, "30.0")
    record_identity_claim(session, "BALANCE", 2020)
    checks = identity_checks(client, 2020, 2020)
    assert [(c["formula"], c["verdict"]) for c in checks] == [
        ("TURNOVER = EXPORTS + IMPORTS", "inconsistent"),
        ("BALANCE = EXPORTS − IMPORTS", "inconsistent"),
    ]
    balance = checks[1]
    assert balance["explanation"] == (
        "Inconsistent: BALANCE is reported as 30.0 USD millions and EXPORTS − IMPORTS "
        "(IMPORTS = TURNOVER − EXPORTS) give 30 USD millions (29.85 to 30.15 allowing for "
        "rounding), which the reported figure's own rounding reaches, but that IMPORTS is "
        "-10 USD millions (-10.1 to -9.9 allowing for rounding), which it cannot be: the "
        "reported figures it is derived from contradict each other."
    )
    assert balance["point"] == 30
    imports = balance["inputs"][2]
    assert (imports["indicator"], imports["status"], imports["value"]) == (
        "IMPORTS",
        "derived",
        -10,
    )
    assert imports["formula"] == "IMPORTS = TURNOVER − EXPORTS"
    claim = claims_by_indicator(client, indicator="BALANCE")["BALANCE"]
    assert (claim["verdict"], claim["explanation"]) == ("inconsistent", balance["explanation"])


def test_an_identity_claim_with_a_term_left_below_zero_is_inconsistent(
    client: TestClient, session: Session
) -> None:
    """TURNOVER 10 and EXPORTS 20: /v1/identity-checks found TURNOVER = EXPORTS + IMPORTS
    inconsistent (IMPORTS -10), while a claim of it was unverifiable, needing IMPORTS."""
    record_figure(session, "TURNOVER", 2020, "10.0")
    record_figure(session, "EXPORTS", 2020, "20.0")
    record_identity_claim(session, "TURNOVER", 2020)
    (check,) = identity_checks(client, 2020, 2020)
    claim = claims_by_indicator(client, indicator="TURNOVER")["TURNOVER"]
    assert (claim["verdict"], claim["explanation"]) == ("inconsistent", check["explanation"])
    assert claim["missing"] == []


def test_turnover_and_balance_alone_check_no_identity(client: TestClient, session: Session) -> None:
    """EXPORTS and IMPORTS derived from TURNOVER and BALANCE hold both identities by
    construction: they are no check of either, nor a claim of one."""
    record_figure(session, "TURNOVER", 2020, "375.3")
    record_figure(session, "BALANCE", 2020, "71.6")
    record_identity_claim(session, "TURNOVER", 2020)
    assert identity_checks(client, 2020, 2020) == []
    claim = claims_by_indicator(client, indicator="TURNOVER")["TURNOVER"]
    assert claim["verdict"] == "unverifiable"
    assert [m["indicator"] for m in claim["missing"]] == ["EXPORTS", "IMPORTS"]


def test_a_balance_beyond_the_turnover_fails_both_identities(
    client: TestClient, session: Session
) -> None:
    """TURNOVER 10 and BALANCE 30 leave IMPORTS at (10 − 30) / 2 = -10 through both
    identities: each check, and a claim of either, says the figures contradict each other."""
    for indicator, value in (("TURNOVER", "10.0"), ("BALANCE", "30.0")):
        record_figure(session, indicator, 2020, value)
    record_identity_claim(session, "BALANCE", 2020)
    checks = identity_checks(client, 2020, 2020)
    assert [c["formula"] for c in checks] == [
        "TURNOVER = EXPORTS + IMPORTS",
        "BALANCE = EXPORTS − IMPORTS",
    ]
    explanation = (
        "Inconsistent: the reported figures give IMPORTS = (TURNOVER − BALANCE) / 2 = -10 USD "
        "millions (-10.05 to -9.95 allowing for rounding), but IMPORTS cannot be negative, so "
        "they contradict each other."
    )
    for check in checks:
        assert (check["verdict"], check["explanation"]) == ("inconsistent", explanation)
        assert (check["point"], check["interval"]["low"], check["interval"]["high"]) == (
            -10,
            -10.05,
            -9.95,
        )
        assert [(i["indicator"], i["status"]) for i in check["inputs"]] == [
            ("TURNOVER", "reported"),
            ("BALANCE", "reported"),
        ]
    claim = claims_by_indicator(client, indicator="BALANCE")["BALANCE"]
    assert (claim["verdict"], claim["explanation"], claim["missing"]) == (
        "inconsistent",
        explanation,
        [],
    )


def test_an_identity_check_names_the_unit_it_compares_in(
    client: TestClient, session: Session
) -> None:
    """Turnover in thousands against figures in millions: the sentence gives the unit it
    compares them in, rather than 375200 thousands written as 375.200 with no unit."""
    record_figure(session, "TURNOVER", 2022, "375200", multiplier=3)
    record_figure(session, "EXPORTS", 2022, "303.6")
    record_figure(session, "IMPORTS", 2022, "71.6")
    check = turnover_check(client, 2022)
    assert check["verdict"] == "consistent"
    assert check["explanation"].startswith(
        "Consistent: TURNOVER is reported as 375.200 USD millions and EXPORTS + IMPORTS give "
        "375.2 USD millions"
    )


def test_an_identity_check_gives_a_coarser_reported_figure_as_published(
    client: TestClient, session: Session
) -> None:
    """Turnover of 1.6 USD billions stands for 1550 to 1650 millions. Written as "reported
    as 1600 USD millions" beside a sum of 1649 give or take 1, it read as a figure to the
    million that its rounding could not reach, in a check that says it does."""
    record_figure(session, "TURNOVER", 2022, "1.6", multiplier=9)
    record_figure(session, "EXPORTS", 2022, "1549")
    record_figure(session, "IMPORTS", 2022, "100")
    check = turnover_check(client, 2022)
    assert check["verdict"] == "consistent"
    assert check["explanation"] == (
        "Consistent: TURNOVER is reported as 1.6 USD billions, 1600 USD millions (1550 to "
        "1650 allowing for rounding), and EXPORTS + IMPORTS give 1649 USD millions (1648 to "
        "1650 allowing for rounding), which the reported figure's own rounding reaches."
    )


def test_an_identity_check_names_the_unit_of_its_sum(client: TestClient, session: Session) -> None:
    """TURNOVER of 1.6 USD billions against EXPORTS of 1549 and IMPORTS of 100 millions: a
    sum of 1649 with no unit beside it read as 1649 billions, in the unit of the reported
    figure it is checked against, as easily as millions."""
    record_figure(session, "TURNOVER", 2022, "1.6", multiplier=9)
    record_figure(session, "EXPORTS", 2022, "1549")
    record_figure(session, "IMPORTS", 2022, "100")
    millions = {"currency": "USD", "multiplier": 6, "label": "USD millions"}
    check = turnover_check(client, 2022)
    assert (check["point"], check["unit"]) == (1649, millions)
    record_identity_claim(session, "TURNOVER", 2022)
    claims = client.get("/v1/claims").json()["data"]
    identity = next(c for c in claims if c["kind"] == "identity")
    assert (identity["point"], identity["unit"]) == (1649, millions)
    # A ratio or a percent change has no unit; nor has a check with no point.
    assert {c["unit"] for c in claims if c["kind"] != "identity"} == {None}
    csv = client.get("/v1/identity-checks", params={**PAIR, "format": "csv"}).text
    assert ",1649,1648.0,1650.0,True,True,USD,6,USD millions," in csv


def test_a_growth_claim_gives_figures_in_two_units_as_published(
    client: TestClient, session: Session
) -> None:
    """A 2023 turnover of 0.1 USD billions stands for 50 to 150 millions. Quoted as "100
    in 2023 … both in USD millions", it read as a figure to the million, whose rounding
    would allow a ratio of 3.73 to 3.77 alone, not the 2.5 to 7.51 it allows."""
    record_figure(session, "TURNOVER", 2023, "0.1", multiplier=9)
    explanation = claims_by_indicator(client)["TURNOVER"]["explanation"]
    assert explanation.startswith(
        "Consistent: the figures (0.1 USD billions in 2023 and 375.2 USD millions in 2024) "
        "give a ratio of 3.75, which"
    ), explanation


def test_stored_identity_claim_names_missing_terms(client: TestClient, session: Session) -> None:
    record_identity_claim(session, "TURNOVER", 2024)
    claim = next(c for c in client.get("/v1/claims").json()["data"] if c["kind"] == "identity")
    assert claim["verdict"] == "unverifiable"
    assert claim["statement"] == "TURNOVER = EXPORTS + IMPORTS"
    assert claim["missing"] == [
        {"indicator": "IMPORTS", "reporter": "KAZ", "partner": "BGR", "year": 2024}
    ]
    record_figure(session, "IMPORTS", 2024, "71.6")
    claim = client.get(f"/v1/claims/{claim['id']}").json()
    assert claim["verdict"] == "consistent"


def test_identity_checks_need_a_pair(client: TestClient) -> None:
    response = client.get("/v1/identity-checks", params={"reporter": "KAZ"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "partner"


def post_claim(client: TestClient, auth: dict, **fields: object) -> dict:
    body = {"source_id": 2, "quote": "Test claim.", **PAIR, **fields}
    created = client.post("/v1/claims", json=body, headers=auth)
    assert created.status_code == 201, created.text
    return dict(created.json())


def post_exports_change(client: TestClient, auth: dict, **fields: object) -> dict:
    """A percent-change claim on KAZ–BGR EXPORTS, 2019 to 2020."""
    change = {"kind": "percent_change", "indicator": "EXPORTS", "base_year": 2019, "year": 2020}
    return post_claim(client, auth, **change, **fields)


def test_figures_in_two_currencies_are_not_compared(
    client: TestClient, session: Session, auth: dict
) -> None:
    """No exchange rates are recorded: /v1/growth refuses to mix currencies, and so must a
    verdict, or 100 EUR to 200 JPY would "double"."""
    record_figure(session, "EXPORTS", 2019, "100", currency="EUR")
    record_figure(session, "EXPORTS", 2020, "200", currency="JPY")
    claim = post_claim(
        client, auth, kind="ratio", indicator="EXPORTS", base_year=2019, year=2020, stated=2
    )
    assert claim["verdict"] == "unverifiable"
    assert "(EUR in 2019, JPY in 2020) are in different currencies" in claim["explanation"]
    assert [i["unit"]["currency"] for i in claim["inputs"]] == ["EUR", "JPY"]

    record_figure(session, "TURNOVER", 2020, "300", currency="EUR")
    record_figure(session, "IMPORTS", 2020, "200", currency="USD")
    years = {"start_year": 2020, "end_year": 2020}
    checks = client.get("/v1/identity-checks", params={**PAIR, **years}).json()["data"]
    (turnover,) = [c for c in checks if c["indicator"] == "TURNOVER"]
    assert turnover["verdict"] == "unverifiable"
    assert "TURNOVER in EUR, EXPORTS in JPY, IMPORTS in USD" in turnover["explanation"]


def test_a_negative_figure_gets_no_ratio_verdict_nor_range(
    client: TestClient, session: Session, auth: dict
) -> None:
    """A balance may be negative; the interval maths of a ratio is for positive amounts,
    and cut at zero it read "0 to -11" (low above high), or "a base that may be zero"."""
    record_figure(session, "BALANCE", 2014, "5")
    record_figure(session, "BALANCE", 2015, "-50")
    ratio = {"kind": "ratio", "indicator": "BALANCE", "stated": 2, "qualifier": "less_than"}
    claims = [
        post_claim(client, auth, **ratio, **fields)
        for fields in (
            {"base_year": 2014, "year": 2015},
            {"base_year": 2015, "year": 2016},
            {"base_year": 2015, "year": 2019},
        )
    ]
    for claim in claims:
        assert claim["verdict"] == "unverifiable", claim["explanation"]
        assert "may be zero" not in claim["explanation"]
        assert claim["implied"] == [] and claim["interval"] is None
    assert "include a negative value" in claims[0]["explanation"]
    years = {"start_year": 2014, "end_year": 2019, "include": "implied"}
    series = client.get("/v1/balance", params={**PAIR, **years}).json()
    assert [p["status"] for p in series["observations"]] == ["reported", "reported"]


def test_a_claim_on_a_value_derived_below_zero_within_its_rounding_says_so(
    client: TestClient, session: Session, auth: dict
) -> None:
    """IMPORTS derived as 10.0 − 10.1 is -0.1, which imports cannot be, though within its
    rounding it may be 0: growth says so, and a claim said the figures "include a negative
    value" and described a positive quantity, as of a balance."""
    for year, exports in ((2016, "10.1"), (2018, "20.0")):  # by rounding, then contradicted
        record_figure(session, "TURNOVER", year, "10.0")
        record_figure(session, "EXPORTS", year, exports)
        record_figure(session, "IMPORTS", year + 1, "5.0")
    ratio = {"kind": "ratio", "indicator": "IMPORTS", "stated": 2}
    rounded, contradicted = (
        post_claim(client, auth, **ratio, base_year=year, year=year + 1) for year in (2016, 2018)
    )
    assert rounded["verdict"] == contradicted["verdict"] == "unverifiable"
    assert rounded["explanation"] == (
        "Unverifiable: the figures (-0.1 in 2016 and 5.0 in 2017) include a value below zero, "
        "which IMPORTS cannot be, though within its rounding it may be 0, so “2 times” is not "
        "checked against them."
    )
    assert "include a negative value" in contradicted["explanation"]


@pytest.mark.parametrize("qualifier", ["approximately", "almost"])
def test_about_no_change_is_refused_as_a_range_of_nothing(
    client: TestClient, auth: dict, qualifier: str
) -> None:
    """ "About 0%" allowed [0, 0]: 10% of nothing either way. Exactly 0 keeps its rounding."""
    claim = {
        **{"source_id": 2, "quote": "q", **PAIR, "base_year": 2019, "year": 2020},
        **{"kind": "percent_change", "indicator": "EXPORTS", "stated": 0},
    }
    refused = client.post("/v1/claims", json={**claim, "qualifier": qualifier}, headers=auth)
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "qualifier" and "allows 0 alone" in error["message"]
    exact = client.post("/v1/claims", json={**claim, "qualifier": "exact"}, headers=auth)
    assert exact.status_code == 201


def test_a_fall_of_exactly_100_percent_may_be_claimed(
    client: TestClient, session: Session, auth: dict
) -> None:
    record_figure(session, "EXPORTS", 2019, "100")
    record_figure(session, "EXPORTS", 2020, "0")
    claim = post_exports_change(client, auth, stated=-100)
    assert (claim["statement"], claim["verdict"]) == ("a decrease of 100%", "consistent")
    for too_far, field in (
        ({"stated": -100.1}, "stated"),
        ({"stated": -100, "qualifier": "more_than"}, "qualifier"),  # no value is allowed
        ({"stated": 0, "qualifier": "less_than"}, "qualifier"),  # an increase below 0%
    ):
        refused = client.post(
            "/v1/claims",
            json={
                **{"source_id": 2, "quote": "q", **PAIR, "base_year": 2019, "year": 2020},
                **{"kind": "percent_change", "indicator": "EXPORTS", **too_far},
            },
            headers=auth,
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    at_least = {"stated": -100, "qualifier": "at_least"}  # "fell by at least 100%": all of it
    assert (
        client.patch(f"/v1/claims/{claim['id']}", json=at_least, headers=auth).json()["verdict"]
        == "consistent"
    )


def test_about_a_100_percent_fall_allows_no_larger_one(
    client: TestClient, session: Session, auth: dict
) -> None:
    """ "About" widens by 10% either way: a fall of about 100% allowed −110% to −90%, a
    fall of more than there was."""
    record_figure(session, "EXPORTS", 2019, "100")
    record_figure(session, "EXPORTS", 2020, "50")
    claim = post_exports_change(client, auth, stated=-100, qualifier="approximately")
    assert claim["allowed"] == {
        "low": -100,
        "high": -90,
        "low_inclusive": True,
        "high_inclusive": True,
    }
    assert claim["explanation"].endswith(
        "which “a decrease of about 100%” does not allow (-100% to -90%)."
    )


def implied_turnover_2023(client: TestClient) -> dict:
    series = client.get("/v1/turnover", params={**PAIR, "include": "implied"}).json()
    (implied,) = [p for p in series["observations"] if p["status"] == "implied"]
    return dict(implied)


def post_turnover_ratio(client: TestClient, auth: dict, **fields: object) -> dict:
    """A second claim on the seed's 2023→2024 turnover, from another source (a source has
    one claim on given years)."""
    ratio = {"kind": "ratio", "indicator": "TURNOVER", "base_year": 2023, "year": 2024}
    return post_claim(client, auth, **ratio, source_id=1, **fields)


def test_claims_on_one_missing_year_narrow_it_together(client: TestClient, auth: dict) -> None:
    """The seed's "almost four times" puts 2023 at 93.7875 to 107.214286; a second claim,
    "more than 3.8 times", puts it below 375.25 / 3.8. If both are right, it lies in both."""
    seeded = implied_turnover_2023(client)
    claim = post_turnover_ratio(client, auth, stated=3.8, qualifier="more_than")
    (own,) = claim["implied"]  # each claim still shows its own range
    assert (own["interval"]["high"], own["interval"]["high_inclusive"]) == (98.75, False)

    joint = implied_turnover_2023(client)
    assert joint["interval"] == {
        "low": 93.7875,
        "high": 98.75,
        "low_inclusive": True,
        "high_inclusive": False,
    }
    assert joint["claim_id"] == seeded["claim_id"]  # the first claim, as before
    assert joint["explanation"].startswith(
        f"Claims {seeded['claim_id']} and {claim['id']} each imply the 2023 TURNOVER figure"
    )
    assert "if all are right, it was 93.78 to less than 98.75 USD millions." in joint["explanation"]


def test_claims_that_cannot_all_be_right_say_so(client: TestClient, auth: dict) -> None:
    seeded = implied_turnover_2023(client)
    # 2023 above 375.15 / 3 = 125.05: no value is in both ranges
    claim = post_turnover_ratio(client, auth, stated=3, qualifier="less_than")
    point = implied_turnover_2023(client)
    assert point["interval"] == seeded["interval"]
    assert point["explanation"].startswith(
        f"Contradictory: claims {seeded['claim_id']} and {claim['id']}"
    )
    assert f"shown is claim {seeded['claim_id']}'s range." in point["explanation"]


def test_claims_on_one_figure_that_state_clashing_ratios_say_so(
    client: TestClient, auth: dict
) -> None:
    """Both claims compare 2023 with the one 2024 figure (375.15 to 375.25). Alone,
    "almost four times" puts 2023 from 93.7875 and "at least 4.0005 times" up to about
    93.8008, so the ranges meet; but no one ratio is both at most 4 and at least 4.0005."""
    seeded = implied_turnover_2023(client)
    claim = post_turnover_ratio(client, auth, stated=4.0005, qualifier="at_least")
    (own,) = claim["implied"]
    assert own["interval"]["high"] > seeded["interval"]["low"]  # alone, the ranges meet
    point = implied_turnover_2023(client)
    assert point["interval"] == seeded["interval"]
    assert point["explanation"].startswith(
        f"Contradictory: claims {seeded['claim_id']} and {claim['id']}"
    )
    assert (
        "put one ratio to the 2024 figure in ranges that share no value" in (point["explanation"])
    )


def test_a_claim_in_another_currency_is_named_and_left_out(
    client: TestClient, session: Session, auth: dict
) -> None:
    """No exchange rate is recorded, so a EUR range cannot narrow a USD one; the series'
    own currency leads, even when the EUR claim came first."""
    record_figure(session, "TURNOVER", 2022, "100", currency="EUR")
    eur = post_claim(
        client, auth, kind="ratio", indicator="TURNOVER", base_year=2022, year=2023, stated=1
    )
    seeded = client.get("/v1/claims", params={"indicator": "TURNOVER"}).json()["data"][0]
    assert client.delete(f"/v1/claims/{seeded['id']}", headers=auth).status_code == 204
    usd = post_turnover_ratio(client, auth, stated=3.8, qualifier="more_than")
    assert eur["id"] < usd["id"]

    series = client.get("/v1/turnover", params={**PAIR, "start_year": 2023, "include": "implied"})
    point = series.json()["observations"][0]
    assert (point["status"], point["claim_id"], point["unit"]["currency"]) == (
        "implied",
        usd["id"],
        "USD",
    )
    assert point["interval"]["high"] == 98.75  # the USD claim's range alone
    assert point["explanation"].endswith(
        f"Claim {eur['id']} is left out: its figures are in EUR, and no exchange rate is "
        "recorded to convert them."
    )


def test_a_narrow_miss_is_apart_in_the_numbers_too(
    client: TestClient, session: Session, auth: dict
) -> None:
    """The figures give 86.438625…% to 86.4499990…%; rounded outward to 6 places the high
    read 86.45, the low of "at least 86.45%", beside the verdict that they do not meet."""
    record_figure(session, "EXPORTS", 2019, "25185")
    record_figure(session, "EXPORTS", 2020, "46956")
    claim = post_exports_change(client, auth, stated=86.45, qualifier="at_least")
    given, allowed = claim["interval"], claim["allowed"]
    assert claim["verdict"] == "inconsistent"
    assert D(str(given["high"])) < D(str(allowed["low"])) == D("86.45")
    assert given["high"] == 86.4499991  # the places that keep it apart, rounded up


def test_a_range_of_falls_ends_at_zero_without_a_sign(
    client: TestClient, session: Session, auth: dict
) -> None:
    record_figure(session, "EXPORTS", 2019, "1000000.0000")
    record_figure(session, "EXPORTS", 2020, "999999.9995")
    claim = post_exports_change(client, auth, stated=0, qualifier="at_least")
    assert claim["verdict"] == "inconsistent"
    text = client.get(f"/v1/claims/{claim['id']}").text
    numbers: list[str] = []
    json.loads(text, parse_float=lambda n: numbers.append(n))  # every number, as written
    assert numbers and not [n for n in numbers if D(n).is_zero() and n.startswith("-")]
    assert D(str(claim["interval"]["high"])) < 0 == D(str(claim["allowed"]["low"]))


def test_a_turnover_claim_takes_imports_from_the_balance(
    client: TestClient, session: Session
) -> None:
    """TURNOVER 100, EXPORTS 60 and BALANCE 50 fix IMPORTS (at 10, by the balance): a claim
    that TURNOVER = EXPORTS + IMPORTS was unverifiable ("needs reported IMPORTS") while
    /v1/identity-checks found the same figures inconsistent."""
    record_figure(session, "TURNOVER", 2020, "100.0")
    record_figure(session, "EXPORTS", 2020, "60.0")
    record_figure(session, "BALANCE", 2020, "50.0")
    record_identity_claim(session, "TURNOVER", 2020)
    (check,) = identity_checks(client, 2020, 2020)
    response = client.get("/v1/claims", params={"indicator": "TURNOVER"})
    (claim,) = [c for c in response.json()["data"] if c["kind"] == "identity"]
    assert (claim["verdict"], claim["missing"]) == (check["verdict"], [])
    assert claim["explanation"] == (
        "Inconsistent: TURNOVER is reported as 100.0 USD millions and EXPORTS + IMPORTS "
        "(IMPORTS = EXPORTS − BALANCE) give 70 USD millions (69.85 to 70.15 allowing for "
        "rounding), beyond the reach of the reported figure's rounding."
    )


def test_a_stated_number_keeps_its_decimals_through_a_json_client(
    client: TestClient, auth: dict
) -> None:
    """ "86.50%" allows 86.495% to 86.505%, but JSON writes the number as 86.5, which allows
    86.45% to 86.55%: a client that read the claim and sent it back widened it unseen."""
    claim = post_exports_change(client, auth, stated=86.5, stated_precision=2)
    assert (claim["stated"], claim["stated_precision"]) == (86.5, 2)
    assert claim["statement"] == "an increase of 86.50%"
    assert (claim["allowed"]["low"], claim["allowed"]["high"]) == (86.495, 86.505)
    path, if_match = f"/v1/claims/{claim['id']}", {"If-Match": "*"}
    writable = ("kind", "indicator", "base_year", "year", "stated", "stated_precision")
    body = {field: claim[field] for field in writable}
    body |= {**PAIR, "qualifier": "exact", "source_id": 2, "quote": "Test claim."}
    put = client.put(path, json=body, headers=auth | if_match)
    assert put.status_code == 200, put.text
    assert put.json()["allowed"] == claim["allowed"]
    # Without it, the number's own decimals, as for a figure's precision.
    body.pop("stated_precision")
    assert client.put(path, json=body, headers=auth | if_match).json()["stated_precision"] == 1
    patched = client.patch(path, json={"stated_precision": 3}, headers=auth | if_match)
    assert patched.json()["statement"] == "an increase of 86.500%"


def test_a_claim_s_revisions_carry_its_stated_decimals(client: TestClient, auth: dict) -> None:
    """A revision showed `stated` as a JSON number alone: 86.50 read as 86.5, a change of
    decimals alone showed no change, and a client sending an old version back widened it."""
    for seeded in client.get("/v1/claims").json()["data"]:
        history = client.get(f"/v1/claims/{seeded['id']}/revisions").json()["data"]
        assert history[-1]["new"]["stated_precision"] == seeded["stated_precision"]
    claim = post_exports_change(client, auth, stated=86.5, stated_precision=2)
    path, if_match = f"/v1/claims/{claim['id']}", {"If-Match": "*"}
    client.patch(path, json={"stated_precision": 3}, headers=auth | if_match)
    created, patched = client.get(f"{path}/revisions").json()["data"]
    assert created["new"]["stated_precision"] == 2
    changed = {f for f in patched["new"] if patched["old"][f] != patched["new"][f]}
    assert changed == {"stated_precision", "updated_at"}
    stamps = ("created_at", "updated_at")
    restored = {field: value for field, value in created["new"].items() if field not in stamps}
    put = client.put(path, json=restored, headers=auth | if_match)
    assert (put.json()["stated_precision"], put.json()["statement"]) == (2, "an increase of 86.50%")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"stated": 86.55, "stated_precision": 1}, "86.55 has more than 1 decimal"),
        ({"stated": 86.55, "stated_precision": 0}, "86.55 has more than 0 decimals"),
        (
            {"kind": "identity", "base_year": 2020, "stated": None, "stated_precision": 1},
            "there is no number to give decimals to",
        ),
        ({"stated": 86.5, "stated_precision": 7}, "less than or equal to 6"),
    ],
)
def test_stated_decimals_never_drop_digits(
    client: TestClient, auth: dict, fields: dict, message: str
) -> None:
    change = {"kind": "percent_change", "indicator": "EXPORTS", "base_year": 2019, "year": 2020}
    body = {"source_id": 2, "quote": "Test claim.", **PAIR, **change, **fields}
    refused = client.post("/v1/claims", json=body, headers=auth)
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    # The whole message where it is ours: "1 decimals" held "1 decimal" as a substring.
    ours = "has more than" in message
    assert any(
        e["field"] == "stated_precision"
        and (e["message"] == message if ours else message in e["message"])
        for e in errors
    ), errors


def test_a_stated_number_rounded_above_the_unit_needs_its_decimals(
    client: TestClient, auth: dict
) -> None:
    """ "4E+1%" is 35% to 45%, and was checked as such when posted, but stored as 40 and
    judged as 39.5% to 40.5%. No count of decimals says "to the tens": it is refused
    without stated_precision, which states it to the unit or finer."""
    change = {"kind": "percent_change", "indicator": "EXPORTS", "base_year": 2019, "year": 2020}
    body = json.dumps({"source_id": 2, "quote": "Test claim.", **PAIR, **change, "stated": 0})
    json_type = {**auth, "Content-Type": "application/json"}
    refused = client.post("/v1/claims", content=body.replace("0}", "4E+1}"), headers=json_type)
    assert refused.status_code == 422
    assert [(e["field"], e["message"]) for e in refused.json()["errors"]] == [
        (
            "stated",
            "4E+1's last digit is worth 1E+1, more than a unit, which stated_precision "
            "(0 to 6 decimals) cannot record: to give it to the unit, send stated_precision "
            "or write every digit (40)",
        )
    ]
    stated = body.replace("0}", '4E+1, "stated_precision": 0}')
    created = client.post("/v1/claims", content=stated, headers=json_type).json()
    assert (created["stated"], created["stated_precision"]) == (40, 0)
    assert (created["allowed"]["low"], created["allowed"]["high"]) == (39.5, 40.5)


def series_point(client: TestClient, indicator: str, year: int) -> dict:
    """The year's point of a KAZ–BGR series, as /v1/{indicator} gives it."""
    path = f"/v1/{indicator.lower()}"
    series = client.get(path, params={**PAIR, "start_year": year, "end_year": year}).json()
    (point,) = series["observations"]
    return dict(point)


def test_a_claim_on_a_value_derived_from_a_balance_beyond_the_turnover_is_unverifiable(
    client: TestClient, session: Session, auth: dict
) -> None:
    """TURNOVER 10 and BALANCE 30 give EXPORTS 20 and IMPORTS -10, which it cannot be: the
    series said the figures contradict each other, while a claim of a fall from 30 to that
    20 was consistent, and one of a ratio to it inconsistent, with no word of it."""
    record_figure(session, "EXPORTS", 2019, "30.0")
    record_figure(session, "TURNOVER", 2020, "10.0")
    record_figure(session, "BALANCE", 2020, "30.0")
    conflict = (
        "The reported figures it is derived from contradict each other: they give IMPORTS = "
        "(TURNOVER − BALANCE) / 2 below zero, and IMPORTS cannot be negative."
    )
    exports = series_point(client, "EXPORTS", 2020)
    assert (exports["status"], exports["value"], exports["explanation"]) == (
        "derived",
        20,
        conflict,
    )
    change = post_exports_change(client, auth, stated=-33.3)
    assert change["verdict"] == "unverifiable"
    quoted = (  # the conflict as a clause of the claim's one sentence
        "the reported figures it is derived from contradict each other: they give IMPORTS = "
        "(TURNOVER − BALANCE) / 2 below zero, and IMPORTS cannot be negative"
    )
    assert change["explanation"] == (
        "Unverifiable: the figures (30.0 in 2019 and 20.00 in 2020) include the 2020 EXPORTS, "
        f"derived as EXPORTS = (TURNOVER + BALANCE) / 2, which cannot be right ({quoted}), so "
        "no verdict on “a decrease of 33.3%” can rest on them."
    )
    assert (change["point"], change["interval"], change["missing"]) == (None, None, [])
    assert [(i["year"], i["status"]) for i in change["inputs"]] == [
        (2019, "reported"),
        (2020, "derived"),
    ]
    ratio = post_claim(
        client,
        auth,
        source_id=1,
        kind="ratio",
        indicator="EXPORTS",
        base_year=2019,
        year=2020,
        stated=2,
    )
    assert ratio["verdict"] == "unverifiable"  # was inconsistent: 20 ÷ 30 is no 2 times
    assert f"({quoted})" in ratio["explanation"]
    record_figure(session, "IMPORTS", 2019, "5.0")
    imports = post_claim(
        client, auth, kind="ratio", indicator="IMPORTS", base_year=2019, year=2020, stated=2
    )
    assert (imports["verdict"], imports["explanation"]) == (
        "unverifiable",  # as before, but for a negative value, not for why it is one
        "Unverifiable: the figures (5.0 in 2019 and -10.00 in 2020) include a negative value, "
        "the 2020 IMPORTS, derived as IMPORTS = (TURNOVER − BALANCE) / 2, which cannot be "
        "right (IMPORTS cannot be negative: the reported figures it is derived from "
        "contradict each other), so no verdict on “2 times” can rest on them.",
    )


BROKEN_TURNOVER = {"TURNOVER": "100.0", "EXPORTS": "60.0", "IMPORTS": "30.0"}  # 60 + 30 ≠ 100


def record_years(session: Session, figures: dict[int, dict[str, str]]) -> None:
    """Each year's figures (indicator: value) for KAZ–BGR."""
    for year, values in figures.items():
        for indicator, value in values.items():
            record_figure(session, indicator, year, value)


def test_a_claim_on_a_value_derived_from_figures_that_break_an_identity_is_unverifiable(
    client: TestClient, session: Session, auth: dict
) -> None:
    """TURNOVER 100 is not EXPORTS 60 + IMPORTS 30, beyond rounding: the BALANCE of 30 they
    give was checked as if right (a consistent "2 times" from 15), and so was IMPORTS 40
    from TURNOVER 100 and EXPORTS 60, which BALANCE 50 contradicts."""
    record_years(session, {2019: {"BALANCE": "15.0"}, 2020: BROKEN_TURNOVER})
    ratio = {"kind": "ratio", "indicator": "BALANCE", "base_year": 2019, "year": 2020}
    balance = post_claim(client, auth, **ratio, stated=2)
    conflict = (
        "The reported figures it is derived from contradict the year's TURNOVER: TURNOVER = "
        "EXPORTS + IMPORTS does not hold for them, even allowing for their rounding."
    )
    assert series_point(client, "BALANCE", 2020)["explanation"] == conflict
    assert balance["verdict"] == "unverifiable"
    assert balance["explanation"] == (
        "Unverifiable: the figures (15.0 in 2019 and 30.0 in 2020) include the 2020 BALANCE, "
        "derived as BALANCE = EXPORTS − IMPORTS, which cannot be right (the reported figures "
        "it is derived from contradict the year's TURNOVER: TURNOVER = EXPORTS + IMPORTS does "
        "not hold for them, even allowing for their rounding), so no verdict on “2 times” can "
        "rest on them."
    )

    record_years(
        session,
        {
            2017: {"IMPORTS": "50.0"},
            2018: {"TURNOVER": "100.0", "EXPORTS": "60.0", "BALANCE": "50.0"},
        },
    )
    change = {"kind": "percent_change", "indicator": "IMPORTS", "base_year": 2017, "year": 2018}
    imports = post_claim(client, auth, **change, stated=-20)
    assert imports["verdict"] == "unverifiable"  # was consistent: 50 to 40
    assert imports["explanation"] == (
        "Unverifiable: the figures (50.0 in 2017 and 40.0 in 2018) include the 2018 IMPORTS, "
        "derived as IMPORTS = TURNOVER − EXPORTS, which cannot be right (the reported figures "
        "it is derived from contradict each other: BALANCE = EXPORTS − IMPORTS does not hold "
        "for them, even allowing for their rounding), so no verdict on “a decrease of 20%” "
        "can rest on them."
    )

    # A balance below zero is no part of what is wrong: not "a negative value" here.
    record_years(
        session,
        {
            2015: {"BALANCE": "10.0"},
            2016: {"TURNOVER": "100.0", "EXPORTS": "30.0", "IMPORTS": "60.0"},
        },
    )
    change = {"kind": "percent_change", "indicator": "BALANCE", "base_year": 2015, "year": 2016}
    negative = post_claim(client, auth, **change, stated=-50)
    assert (negative["verdict"], negative["explanation"]) == (
        "unverifiable",
        "Unverifiable: the figures (10.0 in 2015 and -30.0 in 2016) include the 2016 BALANCE, "
        "derived as BALANCE = EXPORTS − IMPORTS, which cannot be right (the reported figures "
        "it is derived from contradict the year's TURNOVER: TURNOVER = EXPORTS + IMPORTS does "
        "not hold for them, even allowing for their rounding), so no verdict on “a decrease "
        "of 50%” can rest on them.",
    )
    assert series_point(client, "BALANCE", 2016)["explanation"] == conflict  # not "may be 0"


def test_a_value_derived_from_contradicting_figures_implies_no_missing_one(
    client: TestClient, session: Session, auth: dict
) -> None:
    """With no 2018 EXPORTS, "a decrease of 33.3%" put it at 29.9 to 30.1 from an EXPORTS
    of 20 that TURNOVER 10 and BALANCE 30 give alongside IMPORTS of -10."""
    record_figure(session, "TURNOVER", 2020, "10.0")
    record_figure(session, "BALANCE", 2020, "30.0")
    change = {"kind": "percent_change", "indicator": "EXPORTS", "base_year": 2018, "year": 2020}
    claim = post_claim(client, auth, **change, stated=-33.3)
    assert claim["verdict"] == "unverifiable"
    assert claim["explanation"] == (
        "Unverifiable: no EXPORTS figure is recorded for KAZ–BGR in 2018, and the 2020 one is "
        "derived as EXPORTS = (TURNOVER + BALANCE) / 2, which cannot be right (the reported "
        "figures it is derived from contradict each other: they give IMPORTS = (TURNOVER − "
        "BALANCE) / 2 below zero, and IMPORTS cannot be negative), so it puts no range on the "
        "missing one from “a decrease of 33.3%”."
    )
    assert [m["year"] for m in claim["missing"]] == [2018]
    assert claim["implied"] == []
    years = {"start_year": 2018, "end_year": 2020, "include": "implied"}
    series = client.get("/v1/exports", params={**PAIR, **years})
    assert [p["status"] for p in series.json()["observations"]] == ["derived"]


def test_a_claim_on_a_value_derived_without_a_contradiction_is_still_checked(
    client: TestClient, session: Session, auth: dict
) -> None:
    """TURNOVER 40 and BALANCE 0 give EXPORTS 20 and IMPORTS 20: nothing contradicts them."""
    record_figure(session, "EXPORTS", 2019, "30.0")
    record_figure(session, "TURNOVER", 2020, "40.0")
    record_figure(session, "BALANCE", 2020, "0.0")
    assert series_point(client, "EXPORTS", 2020)["explanation"] is None
    claim = post_exports_change(client, auth, stated=-33.3)
    assert claim["verdict"] == "consistent"
    assert claim["explanation"].startswith(
        "Consistent: the figures (30.0 in 2019 and 20.00 in 2020) give a decrease of 33.33%"
    )


def test_a_contradiction_counts_as_the_figures_stood_then(client: TestClient, auth: dict) -> None:
    """As of before BALANCE 50 contradicted TURNOVER 100 and EXPORTS 60, the IMPORTS of 40
    they give was a figure like any other, and the claim on it was checked."""

    def post_figure(indicator: str, year: int, value: float) -> None:
        body = {**PAIR, "indicator": indicator, "year": year, "value": value}
        posted = client.post(
            "/v1/observations", json={**body, "source_id": 2, "quote": "q"}, headers=auth
        )
        assert posted.status_code == 201, posted.text

    for indicator, year, value in (
        ("IMPORTS", 2019, 50.0),
        ("TURNOVER", 2020, 100.0),
        ("EXPORTS", 2020, 60.0),
    ):
        post_figure(indicator, year, value)
    change = {"kind": "percent_change", "indicator": "IMPORTS", "base_year": 2019, "year": 2020}
    claim = post_claim(client, auth, **change, stated=-20)
    assert claim["verdict"] == "consistent"
    before = now()
    post_figure("BALANCE", 2020, 50.0)
    path = f"/v1/claims/{claim['id']}"
    assert client.get(path).json()["verdict"] == "unverifiable"
    then = client.get(path, params={"as_of": before}).json()
    assert (then["verdict"], then["explanation"]) == ("consistent", claim["explanation"])
