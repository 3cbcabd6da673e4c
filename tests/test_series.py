"""The five series endpoints and their one-year variants, against the article's figures."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import TURNOVER_2023, record_figure

PAIR = {"reporter": "KAZ", "partner": "BGR"}


def series(client: TestClient, path: str, **params: object) -> dict:
    response = client.get(f"/v1/{path}", params={**PAIR, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_investment_shows_both_years_with_source_quote_and_growth(client: TestClient) -> None:
    body = series(client, "investment")
    assert body["indicator"]["code"] == "FDI_INFLOW"
    assert body["reporter"]["name"] == "Kazakhstan"
    assert body["partner"]["name"] == "Bulgaria"
    assert body["unit"] == {"currency": "USD", "multiplier": 6, "label": "USD millions"}
    y2023, y2024 = body["observations"]
    assert (y2023["year"], y2023["value"], y2023["status"]) == (2023, 4.2, "reported")
    assert (y2024["year"], y2024["value"], y2024["status"]) == (2024, 7.8, "reported")
    for point in (y2023, y2024):
        assert point["source"]["publisher"] == "National Bank of Kazakhstan"
        assert point["published_in"]["title"].startswith("News article")
        assert "86.5% increase from $4.2 million in 2023" in point["quote"]
    assert y2023["growth"] == {
        "base_year": 2022,
        "ratio": None,
        "pch": None,
        "chg": None,
        "reason": "no 2022 value",
    }
    assert y2024["growth"] == {
        "base_year": 2023,
        "ratio": 1.857143,
        "pch": 85.7143,
        "chg": 3.6,
        "reason": None,
    }


def test_turnover_and_exports_are_reported(client: TestClient) -> None:
    (turnover,) = series(client, "turnover")["observations"]
    (exports,) = series(client, "exports")["observations"]
    assert (turnover["value"], turnover["status"]) == (375.2, "reported")
    assert (exports["value"], exports["status"]) == (303.6, "reported")
    assert turnover["growth"]["reason"] == "no 2023 value"


def test_imports_are_derived_exactly(client: TestClient) -> None:
    (imports,) = series(client, "imports")["observations"]
    assert imports["value"] == 71.6
    assert imports["status"] == "derived"
    assert imports["formula"] == "IMPORTS = TURNOVER − EXPORTS"
    assert [(i["indicator"], i["value"], i["status"]) for i in imports["inputs"]] == [
        ("TURNOVER", 375.2, "reported"),
        ("EXPORTS", 303.6, "reported"),
    ]
    assert all(i["observation_id"] for i in imports["inputs"])
    assert imports["source"] is None and imports["quote"] is None


def test_exact_decimals_reach_the_wire(client: TestClient) -> None:
    text = client.get("/v1/imports", params=PAIR).text
    assert '"value":71.6' in text.replace(" ", "")
    assert "71.59999" not in text


def test_balance_is_derived_from_a_derived_value(client: TestClient) -> None:
    (balance,) = series(client, "balance")["observations"]
    assert balance["value"] == 232.0
    assert balance["precision"] == 1
    assert balance["formula"] == "BALANCE = EXPORTS − IMPORTS"
    assert [(i["indicator"], i["status"]) for i in balance["inputs"]] == [
        ("EXPORTS", "reported"),
        ("IMPORTS", "derived"),
    ]
    assert balance["inputs"][1]["observation_id"] is None
    # The derived input names what it rests on, so the turnover figure is not lost.
    assert [i["formula"] for i in balance["inputs"]] == [None, "IMPORTS = TURNOVER − EXPORTS"]


@pytest.mark.parametrize(
    ("path", "formula", "inputs"),
    [
        ("imports", "IMPORTS = TURNOVER − EXPORTS", ["TURNOVER", "EXPORTS"]),
        ("exports", "EXPORTS = TURNOVER − IMPORTS", ["TURNOVER", "IMPORTS"]),
        ("turnover", "TURNOVER = EXPORTS + IMPORTS", ["EXPORTS", "IMPORTS"]),
        ("balance", "BALANCE = EXPORTS − IMPORTS", ["EXPORTS", "IMPORTS"]),
        ("imports", "IMPORTS = EXPORTS − BALANCE", ["EXPORTS", "BALANCE"]),
        ("exports", "EXPORTS = BALANCE + IMPORTS", ["BALANCE", "IMPORTS"]),
        ("exports", "EXPORTS = (TURNOVER + BALANCE) / 2", ["TURNOVER", "BALANCE"]),
        ("imports", "IMPORTS = (TURNOVER − BALANCE) / 2", ["TURNOVER", "BALANCE"]),
    ],
)
def test_a_derived_value_lists_its_inputs_in_formula_order(
    client: TestClient, session: Session, path: str, formula: str, inputs: list[str]
) -> None:
    """Every rearrangement of the identities, from a year holding only its two inputs:
    IMPORTS = EXPORTS − BALANCE listed BALANCE first."""
    figures = {"TURNOVER": "10.0", "EXPORTS": "7.0", "IMPORTS": "3.0", "BALANCE": "4.0"}
    for code in inputs:
        record_figure(session, code, 2020, figures[code])
    point = client.get(f"/v1/{path}/2020", params=PAIR).json()
    assert (point["status"], point["formula"]) == ("derived", formula)
    assert [i["indicator"] for i in point["inputs"]] == inputs


@pytest.mark.parametrize(
    ("path", "year", "value", "status"),
    [
        ("turnover", 2024, 375.2, "reported"),
        ("exports", 2024, 303.6, "reported"),
        ("imports", 2024, 71.6, "derived"),
        ("balance", 2024, 232.0, "derived"),
        ("investment", 2024, 7.8, "reported"),
        ("investment", 2023, 4.2, "reported"),
    ],
)
def test_one_year(client: TestClient, path: str, year: int, value: float, status: str) -> None:
    response = client.get(f"/v1/{path}/{year}", params=PAIR)
    assert response.status_code == 200
    assert (response.json()["value"], response.json()["status"]) == (value, status)


def test_one_year_keeps_growth_from_the_year_before(client: TestClient) -> None:
    body = client.get("/v1/investment/2024", params=PAIR).json()
    assert body["growth"]["pch"] == 85.7143


@pytest.mark.parametrize("path", ["turnover", "exports", "imports", "balance", "investment"])
def test_missing_year_is_a_404_problem(client: TestClient, path: str) -> None:
    response = client.get(f"/v1/{path}/2019", params=PAIR)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "2019" in response.json()["detail"]
    assert "no" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    ("reporter", "partner"), [("kaz", "bgr"), ("KZ", "BG"), ("kz", "BGR"), ("Kaz", "bg")]
)
def test_country_codes_in_any_form(client: TestClient, reporter: str, partner: str) -> None:
    body = client.get("/v1/turnover", params={"reporter": reporter, "partner": partner}).json()
    assert body["reporter"]["alpha3"] == "KAZ"
    assert body["observations"][0]["value"] == 375.2


@pytest.mark.parametrize("param", ["reporter", "partner"])
@pytest.mark.parametrize("code", ["XX", "KAZA", "", "1'; DROP TABLE observation;--"])
def test_unknown_country_is_a_422_naming_the_parameter(
    client: TestClient, param: str, code: str
) -> None:
    response = client.get("/v1/turnover", params={**PAIR, param: code})
    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [param]
    assert body["errors"][0]["location"] == "query"


@pytest.mark.parametrize("missing", ["reporter", "partner"])
def test_reporter_and_partner_are_required(client: TestClient, missing: str) -> None:
    params = {k: v for k, v in PAIR.items() if k != missing}
    response = client.get("/v1/exports", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == missing


def test_year_filters(client: TestClient) -> None:
    only_2024 = series(client, "investment", year=2024)["observations"]
    assert [p["year"] for p in only_2024] == [2024]
    # The 2023 base is still used for growth, though it is outside the filter.
    assert only_2024[0]["growth"]["chg"] == 3.6
    ranged = series(client, "investment", start_year=2020, end_year=2023)["observations"]
    assert [p["year"] for p in ranged] == [2023]
    assert series(client, "investment", start_year=2024)["observations"][0]["year"] == 2024
    assert [p["year"] for p in series(client, "investment", end_year=2023)["observations"]] == [
        2023
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_year": 2024, "end_year": 2023}, "start_year"),
        ({"year": 2024, "start_year": 2023}, "year"),
        ({"year": 1800}, "year"),
        ({"year": 99999}, "year"),
        ({"year": "twenty"}, "year"),
        ({"end_year": -1}, "end_year"),
    ],
)
def test_bad_years_are_422(client: TestClient, params: dict, field: str) -> None:
    response = client.get("/v1/investment", params={**PAIR, **params})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_a_pair_without_figures_is_an_empty_series(client: TestClient) -> None:
    # Bulgaria's own statistics are not seeded: no mirror figures are invented.
    body = series(client, "turnover", reporter="BGR", partner="KAZ")
    assert body["observations"] == []
    assert body["unit"] is None


def test_numbers_longer_than_a_double_holds_are_written_digit_for_digit(
    client: TestClient, session: Session
) -> None:
    """Stored figures have at most 15 significant digits, but an interval bound, a sum or
    a change can have more: a double would change them (9876543210987.655 would read
    9876543210987.654), so they are written with their exact digits, in every route."""
    record_figure(session, "EXPORTS", 2023, "9876543210987.65", partner="DEU")
    record_figure(session, "EXPORTS", 2024, "0.000001", partner="DEU")
    record_figure(session, "TURNOVER", 2024, "100000000000000", partner="DEU")
    text = client.get("/v1/exports", params={"reporter": "KAZ", "partner": "DEU"}).text
    assert '"low":9876543210987.645,"high":9876543210987.655,' in text
    assert '"chg":-9876543210987.649999,' in text
    # A number below 0.0001 too: orjson writes such a double with an exponent (1e-6).
    assert '"value":0.000001,' in text and '"low":0.0000005,' in text
    assert not re.search(r"[0-9][eE][-+]?[0-9]", text)
    text = client.get("/v1/imports/2024", params={"reporter": "KAZ", "partner": "DEU"}).text
    assert '"value":99999999999999.999999,' in text  # TURNOVER − EXPORTS, derived
    growth = {"indicator": "EXPORTS", "reporter": "KAZ", "partner": "DEU"}
    text = client.get("/v1/growth", params={**growth, "from": 2023, "to": 2024}).text
    assert '"chg":-9876543210987.649999,' in text
    parsed = json.loads(text, parse_float=Decimal)  # still plain JSON numbers
    assert parsed["chg"] == Decimal("-9876543210987.649999")
    # And in CSV, where a derivation's inputs are a cell of JSON: BALANCE uses IMPORTS.
    params = {"reporter": "KAZ", "partner": "DEU", "format": "csv"}
    (row,) = csv.DictReader(io.StringIO(client.get("/v1/balance/2024", params=params).text))
    inputs = json.loads(row["inputs"], parse_float=Decimal)
    assert Decimal("99999999999999.999999") in [i["value"] for i in inputs]


def test_growth_across_units_gives_the_change_in_the_point_s_own_unit(
    client: TestClient, session: Session
) -> None:
    record_figure(session, "TURNOVER", 2022, "50000.0", partner="POL", multiplier=3)
    record_figure(session, "TURNOVER", 2023, "100.0", partner="POL")  # USD millions
    record_figure(session, "TURNOVER", 2024, "150000", partner="POL", multiplier=3)
    body = client.get("/v1/turnover", params={"reporter": "KAZ", "partner": "POL"}).json()
    by_year = {p["year"]: p for p in body["observations"]}
    assert by_year[2023]["unit"]["label"] == "USD millions"
    assert by_year[2023]["growth"] | {"reason": None} == {
        "base_year": 2022,
        "ratio": 2.0,
        "pch": 100.0,
        "chg": 50.0,
        "reason": None,
    }
    assert by_year[2024]["unit"]["label"] == "USD thousands"
    assert (by_year[2024]["growth"]["chg"], by_year[2024]["growth"]["ratio"]) == (50000.0, 1.5)
    # The series has no unit of its own here, so the documentation must not send a reader
    # to one: it once said "in the series unit", which is null.
    assert body["unit"] is None
    schema = client.get("/openapi.json").json()["components"]["schemas"]["YearGrowth"]
    chg = schema["properties"]["chg"]["description"]
    assert "this point's `unit`" in chg and "series unit" not in chg


def test_a_derived_value_from_contradicting_figures_explains_the_contradiction(
    client: TestClient, session: Session
) -> None:
    record_figure(session, "EXPORTS", 2024, "1234567890123.45", partner="TUR")
    record_figure(session, "BALANCE", 2024, "-5", partner="TUR")
    record_figure(session, "TURNOVER", 2024, "100.0", partner="TUR")
    pair = {"reporter": "KAZ", "partner": "TUR"}
    body = client.get("/v1/imports/2024", params=pair).json()
    assert (body["status"], body["formula"]) == ("derived", "IMPORTS = TURNOVER − EXPORTS")
    assert "contradict each other" in body["explanation"]
    (point,) = client.get("/v1/imports", params=pair).json()["observations"]
    assert point["explanation"] == body["explanation"]
    seeded = client.get("/v1/imports/2024", params={"reporter": "KAZ", "partner": "BGR"})
    assert seeded.json()["explanation"] is None  # 375.2 − 303.6: nothing contradicts it


def test_a_value_derived_from_figures_that_contradict_another_identity_says_so(
    client: TestClient, session: Session
) -> None:
    """EXPORTS 1, IMPORTS 10 and TURNOVER 5: BALANCE = EXPORTS − IMPORTS was served as −9
    with no explanation, while identity checks called TURNOVER = EXPORTS + IMPORTS
    inconsistent for the same figures."""
    for indicator, value in (("EXPORTS", "1"), ("IMPORTS", "10"), ("TURNOVER", "5")):
        record_figure(session, indicator, 2023, value, partner="CHN")
    pair = {"reporter": "KAZ", "partner": "CHN"}
    (check,) = client.get("/v1/identity-checks", params=pair).json()["data"]
    assert (check["formula"], check["verdict"]) == ("TURNOVER = EXPORTS + IMPORTS", "inconsistent")
    body = client.get("/v1/balance/2023", params=pair).json()
    assert (body["value"], body["formula"]) == (-9, "BALANCE = EXPORTS − IMPORTS")
    assert body["explanation"] == (
        "The reported figures it is derived from contradict the year's TURNOVER: "
        "TURNOVER = EXPORTS + IMPORTS does not hold for them, even allowing for their rounding."
    )
    (point,) = client.get("/v1/balance", params=pair).json()["observations"]
    csv_text = client.get("/v1/balance", params={**pair, "format": "csv"}).text
    (row,) = csv.DictReader(io.StringIO(csv_text))
    assert point["explanation"] == row["explanation"] == body["explanation"]


@pytest.mark.parametrize(
    ("turnover", "verdict"),
    [("11.1", "consistent"), ("12.0", "consistent"), ("12.1", "inconsistent")],
)
def test_a_derived_value_is_explained_exactly_when_an_identity_check_fails(
    client: TestClient, session: Session, turnover: str, verdict: str
) -> None:
    """EXPORTS 1 and IMPORTS 10 give 10.5 to 11.5: TURNOVER 12.0 (11.95 to 12.05) still
    meets them, 12.1 does not. The series and identity checks judge rounding alike."""
    for indicator, value in (("EXPORTS", "1"), ("IMPORTS", "10"), ("TURNOVER", turnover)):
        record_figure(session, indicator, 2023, value, partner="CHN")
    pair = {"reporter": "KAZ", "partner": "CHN"}
    (check,) = client.get("/v1/identity-checks", params=pair).json()["data"]
    assert check["verdict"] == verdict
    explanation = client.get("/v1/balance/2023", params=pair).json()["explanation"]
    assert (explanation is None) == (verdict == "consistent")


def test_a_six_decimal_figure_s_interval_is_half_a_unit_either_way(
    client: TestClient, session: Session
) -> None:
    record_figure(session, "EXPORTS", 2024, "0.000001", partner="RUS")
    record_figure(session, "EXPORTS", 2023, "100.000000", partner="RUS")
    text = client.get("/v1/exports", params={"reporter": "KAZ", "partner": "RUS"}).text
    points = json.loads(text, parse_float=Decimal)["observations"]
    bounds = [(p["interval"]["low"], p["interval"]["high"]) for p in points]
    assert bounds == [
        (Decimal("99.9999995"), Decimal("100.0000005")),
        (Decimal("0.0000005"), Decimal("0.0000015")),
    ]


def test_no_growth_ratio_from_a_base_that_may_be_zero(client: TestClient, session: Session) -> None:
    """A balance derived through a turnover published to the 0.1 billion is 500 thousands
    give or take 50,001: a ratio from it could be anything, as a claim's verdict says."""
    for year, exports in ((2023, "50250"), (2024, "50300")):
        record_figure(session, "TURNOVER", year, "0.1", partner="FRA", multiplier=9)
        record_figure(session, "EXPORTS", year, exports, partner="FRA", multiplier=3)
    pair = {"reporter": "KAZ", "partner": "FRA"}
    point = client.get("/v1/balance/2024", params=pair).json()
    assert (point["value"], point["status"]) == (600, "derived")
    assert (point["growth"]["ratio"], point["growth"]["pch"], point["growth"]["chg"]) == (
        None,
        None,
        100,
    )
    assert "may be as low as -49501.0 within its rounding" in point["growth"]["reason"]
    growth = client.get(
        "/v1/growth", params={**pair, "indicator": "BALANCE", "from": 2023, "to": 2024}
    ).json()
    assert (growth["ratio"], growth["chg"], growth["reason"]) == (
        None,
        100,
        point["growth"]["reason"],
    )


def test_a_fall_to_zero_gives_no_reason_where_nothing_is_null(
    client: TestClient, session: Session
) -> None:
    """A series' growth has no `log`: a fall to zero gives its ratio, pch and chg, and
    said "the later value is zero, so log is undefined", a reason for a null it never
    shows."""
    record_figure(session, "EXPORTS", 2023, "4.0", partner="GEO")
    record_figure(session, "EXPORTS", 2024, "0.0", partner="GEO")
    point = client.get("/v1/exports/2024", params={"reporter": "KAZ", "partner": "GEO"}).json()
    assert point["growth"] == {
        "base_year": 2023,
        "ratio": 0,
        "pch": -100,
        "chg": -4.0,
        "reason": None,
    }


def test_a_growth_reason_quotes_a_base_no_lower_than_its_interval(
    client: TestClient, session: Session
) -> None:
    """IMPORTS derived as 60.05 − 60.0 is shown as 0 to 0.105; the growth from it said
    the base "may be as low as -0.005", a value the indicator cannot take."""
    for year, turnover in ((2023, "60.05"), (2024, "70.0")):
        record_figure(session, "TURNOVER", year, turnover, partner="UZB")
        record_figure(session, "EXPORTS", year, "60.0", partner="UZB")
    pair = {"reporter": "KAZ", "partner": "UZB"}
    base, point = series(client, "imports", **pair)["observations"]
    assert (base["interval"]["low"], base["interval"]["high"]) == (0, 0.105)
    growth = client.get(
        "/v1/growth", params={**pair, "indicator": "IMPORTS", "from": 2023, "to": 2024}
    ).json()
    for reason in (point["growth"]["reason"], growth["reason"]):
        assert reason.startswith("the base value may be as low as 0 within its rounding")


def test_growth_of_a_value_derived_below_zero_within_its_rounding_says_so(
    client: TestClient, session: Session
) -> None:
    """IMPORTS 2024 derived as 10.0 − 10.1 is -0.1, shown as 0 to 0.0: no deficit of
    imports, which cannot be negative. Growth to it said its sign changed, and growth from
    it that the base was negative, so a ratio would read backwards."""
    for year, exports in ((2023, "6.0"), (2024, "10.1"), (2025, "6.0")):
        record_figure(session, "TURNOVER", year, "10.0", partner="MNG")
        record_figure(session, "EXPORTS", year, exports, partner="MNG")
    pair = {"reporter": "KAZ", "partner": "MNG"}
    _, fell, rose = series(client, "imports", **pair)["observations"]
    assert (fell["value"], fell["interval"]["low"], fell["interval"]["high"]) == (-0.1, 0, 0)
    assert fell["growth"]["reason"] == (
        "the later value is below zero, which it cannot be, though within its rounding it "
        "may be 0: no ratio is given"
    )
    # Not "may be as low as 0": the value beside it, -0.1, is lower.
    assert rose["growth"]["reason"] == (
        "the base value is below zero, which it cannot be, though within its rounding it "
        "may be 0: no ratio is given"
    )
    for years, point in (((2023, 2024), fell), ((2024, 2025), rose)):
        params = {**pair, "indicator": "IMPORTS", "from": years[0], "to": years[1]}
        growth = client.get("/v1/growth", params=params).json()
        assert (growth["ratio"], growth["reason"]) == (None, point["growth"]["reason"])


def test_growth_of_a_value_derived_wholly_below_zero_says_its_figures_contradict(
    client: TestClient, session: Session
) -> None:
    """IMPORTS derived as 10.0 − 20.0 is -10.0, below zero beyond its rounding: the figures
    contradict each other, as its explanation says. Growth to it said "its sign changed",
    and from it that "the base value is negative, so a ratio would read backwards", as if
    imports could be negative (net investment can, and keeps those words: see
    test_net_investment_below_zero_is_served_with_its_whole_range)."""
    for year, exports in ((2025, "6.0"), (2026, "20.0"), (2027, "6.0")):
        record_figure(session, "TURNOVER", year, "10.0", partner="MNG")
        record_figure(session, "EXPORTS", year, exports, partner="MNG")
    pair = {"reporter": "KAZ", "partner": "MNG"}
    _, fell, rose = series(client, "imports", **pair)["observations"]
    assert fell["explanation"] == (
        "IMPORTS cannot be negative: the reported figures it is derived from contradict each other."
    )
    contradiction = (
        "value is below zero, which it cannot be: the reported figures it is derived from "
        "contradict each other, so no ratio is given"
    )
    assert (fell["growth"]["ratio"], fell["growth"]["chg"]) == (None, -14)
    assert fell["growth"]["reason"] == f"the later {contradiction}"
    assert rose["growth"]["reason"] == f"the base {contradiction}"
    for years, point in (((2025, 2026), fell), ((2026, 2027), rose)):
        params = {**pair, "indicator": "IMPORTS", "from": years[0], "to": years[1]}
        growth = client.get("/v1/growth", params=params).json()
        assert (growth["ratio"], growth["reason"]) == (None, point["growth"]["reason"])


def test_a_value_derived_below_zero_within_its_rounding_says_why_its_interval_is_zero(
    client: TestClient, session: Session
) -> None:
    """IMPORTS derived as 10.0 − 10.1 is -0.1, with an interval of 0 to 0.0 that the value
    lies outside, and no word on why: not a contradiction, which -0.1 ± 0.1 may be 0."""
    for year, exports in ((2023, "6.0"), (2024, "10.1")):
        record_figure(session, "TURNOVER", year, "10.0", partner="MNG")
        record_figure(session, "EXPORTS", year, exports, partner="MNG")
    pair = {"reporter": "KAZ", "partner": "MNG"}
    positive, negative = series(client, "imports", **pair)["observations"]
    assert (positive["value"], positive["explanation"]) == (4.0, None)
    assert (negative["value"], negative["interval"]["high"]) == (-0.1, 0)
    assert negative["explanation"] == (
        "IMPORTS cannot be negative: the reported figures it is derived from give -0.1, but "
        "within their rounding it may be 0, where its interval starts."
    )
    assert client.get("/v1/imports/2024", params=pair).json() == negative
    csv = client.get("/v1/imports", params={**pair, "format": "csv"}).text
    assert "where its interval starts." in csv.splitlines()[2]


def test_an_interval_never_reaches_below_zero_where_the_indicator_cannot(
    client: TestClient, session: Session
) -> None:
    """A published 0.0 of exports stands for 0 to 0.05: its interval went down to -0.05.
    A balance may be negative, so its 0.0 keeps both sides."""
    record_figure(session, "EXPORTS", 2024, "0.0", partner="ISL")
    record_figure(session, "BALANCE", 2024, "0.0", partner="ISL")
    pair = {"reporter": "KAZ", "partner": "ISL"}
    (exports,) = series(client, "exports", **pair)["observations"]
    assert (exports["interval"]["low"], exports["interval"]["high"]) == (0.0, 0.05)
    (balance,) = series(client, "balance", **pair)["observations"]
    assert (balance["interval"]["low"], balance["interval"]["high"]) == (-0.05, 0.05)
    # IMPORTS derived as 10 − 20 from contradicting figures keeps its whole range.
    record_figure(session, "TURNOVER", 2023, "10", partner="ISL")
    record_figure(session, "EXPORTS", 2023, "20", partner="ISL")
    (imports,) = series(client, "imports", **pair, year=2023)["observations"]
    assert (imports["value"], imports["interval"]["low"], imports["interval"]["high"]) == (
        -10,
        -11,
        -9,
    )


def test_a_figure_not_derived_across_currencies_says_why(
    client: TestClient, session: Session
) -> None:
    """IMPORTS from TURNOVER in EUR and EXPORTS in USD is not derived: the 404 said only
    that no IMPORTS figure was recorded, as if there were nothing to derive it from."""
    record_figure(session, "TURNOVER", 2020, "100", partner="CHE", currency="EUR")
    record_figure(session, "EXPORTS", 2020, "40", partner="CHE")
    record_figure(session, "EXPORTS", 2021, "45", partner="CHE")
    pair = {"reporter": "KAZ", "partner": "CHE"}
    one_year = client.get("/v1/imports/2020", params=pair)
    growth = client.get(
        "/v1/growth", params={**pair, "indicator": "IMPORTS", "from": 2020, "to": 2021}
    )
    for response in (one_year, growth):
        assert response.status_code == 404
        assert response.json()["detail"] == (
            "No IMPORTS figure is recorded for KAZ–CHE in 2020, and none is derived from "
            "those that are: they are in different currencies (EXPORTS in USD, TURNOVER in "
            "EUR), and no exchange rate is recorded."
        )
    plain = client.get("/v1/imports/2021", params=pair).json()["detail"]
    assert plain == "No IMPORTS figure is recorded for KAZ–CHE in 2021."


def test_a_series_lists_the_years_its_figures_do_not_derive_and_why(
    client: TestClient, session: Session
) -> None:
    """Turnover of EXPORTS in USD and IMPORTS in EUR was an empty series, as if nothing
    were recorded; the year's own 404 said why, the series did not."""
    record_figure(session, "EXPORTS", 2020, "40", partner="CHE")
    record_figure(session, "IMPORTS", 2020, "60", partner="CHE", currency="EUR")
    record_figure(session, "EXPORTS", 2021, "45", partner="CHE")
    record_figure(session, "IMPORTS", 2021, "50", partner="CHE")
    pair = {"reporter": "KAZ", "partner": "CHE"}
    turnover = series(client, "turnover", **pair)
    assert [(p["year"], p["value"]) for p in turnover["observations"]] == [(2021, 95)]
    assert turnover["not_derived"] == [
        {
            "year": 2020,
            "reason": "No TURNOVER figure is recorded, and none is derived from those that "
            "are: they are in different currencies (EXPORTS in USD, IMPORTS in EUR), and no "
            "exchange rate is recorded.",
        }
    ]
    # 2021's growth says why there is no 2020 value, not only that there is none, in the
    # series and in the year alone, where 2020 is outside the years asked for.
    why = (
        "no 2020 value is recorded, and none is derived from those that are: they are in "
        "different currencies (EXPORTS in USD, IMPORTS in EUR), and no exchange rate is "
        "recorded"
    )
    assert turnover["observations"][0]["growth"]["reason"] == why
    assert client.get("/v1/turnover/2021", params=pair).json()["growth"]["reason"] == why
    # Outside the years asked for, and where the figure itself is recorded: not listed.
    assert series(client, "turnover", **pair, year=2021)["not_derived"] == []
    assert series(client, "exports", **pair)["not_derived"] == []
    detail = client.get("/v1/turnover/2020", params=pair).json()["detail"]
    assert (
        detail.removeprefix("No TURNOVER figure is recorded for KAZ–CHE in 2020, and ")
        in (turnover["not_derived"][0]["reason"])
    )


def test_turnover_and_balance_in_two_currencies_say_why_nothing_is_derived(
    client: TestClient, session: Session
) -> None:
    """TURNOVER in USD and BALANCE in EUR would give EXPORTS and IMPORTS in one currency
    (both identities at once): the series and the year's 404 say why they do not."""
    record_figure(session, "TURNOVER", 2020, "100", partner="CHE")
    record_figure(session, "BALANCE", 2020, "20", partner="CHE", currency="EUR")
    pair = {"reporter": "KAZ", "partner": "CHE"}
    why = (
        "none is derived from those that are: they are in different currencies (BALANCE "
        "in EUR, TURNOVER in USD), and no exchange rate is recorded."
    )
    for path, code in (("exports", "EXPORTS"), ("imports", "IMPORTS")):
        body = series(client, path, **pair)
        assert body["observations"] == []
        assert body["not_derived"] == [
            {"year": 2020, "reason": f"No {code} figure is recorded, and {why}"}
        ]
        detail = client.get(f"/v1/{path}/2020", params=pair).json()["detail"]
        assert detail == f"No {code} figure is recorded for KAZ–CHE in 2020, and {why}"


def test_exports_and_imports_are_derived_from_a_posted_turnover_and_balance(
    client: TestClient, auth: dict
) -> None:
    """ "Turnover was $375.3 million, with a surplus of $71.6 million": exports and imports
    follow from both identities at once, exactly, each with its formula and inputs, in
    JSON, CSV, the chart and growth."""
    quote = "Turnover was $375.3 million, with a surplus of $71.6 million."
    for indicator, value in (("TURNOVER", 375.3), ("BALANCE", 71.6)):
        row = {**TURNOVER_2023, "partner": "ARM", "indicator": indicator, "value": value}
        written = client.post("/v1/observations", json={**row, "quote": quote}, headers=auth)
        assert written.status_code == 201, written.text
    pair = {"reporter": "KAZ", "partner": "ARM"}
    (exports,) = series(client, "exports", **pair)["observations"]
    assert (exports["year"], exports["value"], exports["precision"], exports["status"]) == (
        2023,
        223.45,
        2,
        "derived",
    )
    assert exports["formula"] == "EXPORTS = (TURNOVER + BALANCE) / 2"
    assert exports["interval"] == {
        "low": 223.4,
        "high": 223.5,
        "low_inclusive": True,
        "high_inclusive": True,
    }
    assert [(i["indicator"], i["value"], i["status"], i["formula"]) for i in exports["inputs"]] == [
        ("TURNOVER", 375.3, "reported", None),
        ("BALANCE", 71.6, "reported", None),
    ]
    assert all(i["observation_id"] for i in exports["inputs"])
    assert (exports["source"], exports["quote"], exports["explanation"]) == (None, None, None)
    imports = client.get("/v1/imports/2023", params=pair).json()
    assert (imports["value"], imports["formula"]) == (151.85, "IMPORTS = (TURNOVER − BALANCE) / 2")
    assert (imports["interval"]["low"], imports["interval"]["high"]) == (151.8, 151.9)
    csv_text = client.get("/v1/exports", params={**pair, "format": "csv"}).text
    (row,) = csv.DictReader(io.StringIO(csv_text))
    assert (row["value"], row["precision"], row["status"]) == ("223.45", "2", "derived")
    assert "223.45" in client.get("/v1/exports.svg", params=pair).text
    seeded = {**TURNOVER_2023, "partner": "ARM", "year": 2024, "value": 400.0}
    for indicator, value in (("TURNOVER", 400.0), ("BALANCE", 50.0)):
        row = {**seeded, "indicator": indicator, "value": value}
        assert client.post("/v1/observations", json=row, headers=auth).status_code == 201
    growth = client.get(
        "/v1/growth", params={**pair, "indicator": "EXPORTS", "from": 2023, "to": 2024}
    ).json()
    assert (growth["chg"], [i["value"] for i in growth["inputs"]]) == (1.55, [223.45, 225.0])


def test_a_balance_beyond_the_turnover_leaves_a_flow_below_zero_and_says_why(
    client: TestClient, session: Session
) -> None:
    """A surplus of 30 on a turnover of 10: IMPORTS of -10, which cannot be, and EXPORTS
    of 20 from the same two figures, each saying they contradict each other."""
    record_figure(session, "TURNOVER", 2024, "10.0", partner="ARM")
    record_figure(session, "BALANCE", 2024, "30.0", partner="ARM")
    pair = {"reporter": "KAZ", "partner": "ARM"}
    imports = client.get("/v1/imports/2024", params=pair).json()
    assert (imports["value"], imports["interval"]["low"], imports["interval"]["high"]) == (
        -10,
        -10.05,
        -9.95,
    )
    assert imports["explanation"] == (
        "IMPORTS cannot be negative: the reported figures it is derived from contradict each other."
    )
    exports = client.get("/v1/exports/2024", params=pair).json()
    assert (exports["value"], exports["explanation"]) == (
        20,
        "The reported figures it is derived from contradict each other: they give "
        "IMPORTS = (TURNOVER − BALANCE) / 2 below zero, and IMPORTS cannot be negative.",
    )


def test_growth_from_a_half_in_a_coarser_unit_quotes_its_bound_plainly(
    client: TestClient, session: Session
) -> None:
    """EXPORTS 2023 is (1 + 0) / 2 = 0.5 ± 0.5 USD billions, 2024 300 USD millions: in
    millions the base is 500 ± 500, and growth said it "may be as low as 0E+1"."""
    record_figure(session, "TURNOVER", 2023, "1", partner="ARM", multiplier=9)
    record_figure(session, "BALANCE", 2023, "0", partner="ARM", multiplier=9)
    record_figure(session, "EXPORTS", 2024, "300", partner="ARM")
    pair = {"reporter": "KAZ", "partner": "ARM"}
    point = client.get("/v1/exports/2024", params=pair).json()
    growth = client.get(
        "/v1/growth", params={**pair, "indicator": "EXPORTS", "from": 2023, "to": 2024}
    ).json()
    reason = "the base value may be as low as 0 within its rounding, so no ratio is meaningful"
    assert (point["growth"]["chg"], point["growth"]["reason"]) == (-200, reason)
    assert (growth["chg"], growth["ratio"], growth["reason"]) == (-200, None, reason)


def test_csv_interval_bounds_carry_their_own_digits(client: TestClient) -> None:
    """4.2's bounds are 4.15 and 4.25; CSV wrote them quantized to six places, 4.150000."""
    text = client.get(
        "/v1/investment", params={"reporter": "KAZ", "partner": "BGR", "format": "csv"}
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["value"], r["interval_low"], r["interval_high"]) for r in rows] == [
        ("4.2", "4.15", "4.25"),
        ("7.8", "7.75", "7.85"),
    ]


def test_a_bound_that_needs_rounding_leaves_the_other_its_own_digits(client: TestClient) -> None:
    """The seed's implied 2023 turnover is 93.7875 to 107.2142857…: rounding the upper
    bound to six places padded the lower in CSV (93.787500), and implied exports read
    0.000000 (0.0 in JSON) beside a rounded bound, but 0 beside an exact one."""
    pair = {"reporter": "KAZ", "partner": "BGR", "include": "implied"}
    bounds = {}
    for indicator in ("turnover", "exports"):
        text = client.get(f"/v1/{indicator}", params={**pair, "format": "csv"}).text
        implied, _ = csv.DictReader(io.StringIO(text))
        bounds[indicator] = (implied["interval_low"], implied["interval_high"])
    assert bounds == {"turnover": ("93.7875", "107.214286"), "exports": ("0", "27.604546")}
    exports = client.get("/v1/exports", params=pair).text
    assert '"interval":{"low":0,"high":27.604546,' in exports


def test_net_investment_below_zero_is_served_with_its_whole_range(
    client: TestClient, auth: dict
) -> None:
    """Disinvestment: a net FDI figure of -1.3 is written, and stands for -1.35 to -1.25,
    not a range cut off at zero; growth from it to the seeded 4.2 has no ratio, and says
    why."""
    row = {**TURNOVER_2023, "indicator": "FDI_INFLOW", "year": 2022, "value": -1.3}
    written = client.post("/v1/observations", json=row, headers=auth)
    assert written.status_code == 201, written.text
    earlier, later, _ = series(client, "investment", start_year=2022)["observations"]
    assert (earlier["value"], earlier["interval"]["low"], earlier["interval"]["high"]) == (
        -1.3,
        -1.35,
        -1.25,
    )
    assert (later["value"], later["growth"]["chg"], later["growth"]["ratio"]) == (4.2, 5.5, None)
    assert (
        later["growth"]["reason"] == "the base value is negative, so a ratio would read backwards"
    )


def test_a_derived_later_value_that_may_be_below_zero_has_no_growth(
    client: TestClient, session: Session
) -> None:
    """BALANCE 2024 derived as 1.5 billions of exports less 1490 millions of imports is
    10 ± 50.5 millions: from a reported 100.0 it may have turned into a deficit, so no
    ratio says how it grew."""
    record_figure(session, "BALANCE", 2023, "100.0", partner="ARM")
    record_figure(session, "EXPORTS", 2024, "1.5", partner="ARM", multiplier=9)
    record_figure(session, "IMPORTS", 2024, "1490", partner="ARM")
    point = client.get("/v1/balance/2024", params={"reporter": "KAZ", "partner": "ARM"}).json()
    assert (point["status"], point["value"]) == ("derived", 10)
    assert point["interval"]["low"] == -40.5
    assert point["growth"] == {
        "base_year": 2023,
        "ratio": None,
        "pch": None,
        "chg": -90.0,
        "reason": "the later value may be as low as -40.5 within its rounding, below zero, "
        "so no ratio is meaningful",
    }
    growth = client.get(
        "/v1/growth",
        params={
            "indicator": "BALANCE",
            "reporter": "KAZ",
            "partner": "ARM",
            "from": 2023,
            "to": 2024,
        },
    ).json()
    assert (growth["ratio"], growth["reason"]) == (None, point["growth"]["reason"])
