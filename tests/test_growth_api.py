"""GET /v1/growth: FRED's transformations between two years."""

import csv
import io
import json
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Observation
from tests.conftest import record_figure

FDI = {"indicator": "FDI_INFLOW", "reporter": "KAZ", "partner": "BGR", "from": 2023, "to": 2024}


def test_fdi_growth_2023_to_2024(client: TestClient) -> None:
    body = client.get("/v1/growth", params=FDI).json()
    assert (body["ratio"], body["pch"], body["chg"], body["cagr"], body["log"]) == (
        1.857143,
        85.7143,
        3.6,
        85.7143,
        0.619039,
    )
    assert body["years"] == 1
    assert body["reason"] is None
    assert [(i["year"], i["value"], i["status"]) for i in body["inputs"]] == [
        (2023, 4.2, "reported"),
        (2024, 7.8, "reported"),
    ]
    assert body["unit"]["label"] == "USD millions"


def test_indicator_in_any_case(client: TestClient) -> None:
    assert client.get("/v1/growth", params={**FDI, "indicator": "fdi_inflow"}).status_code == 200


def test_missing_base_is_a_404_that_names_the_figure(client: TestClient) -> None:
    response = client.get("/v1/growth", params={**FDI, "indicator": "TURNOVER"})
    assert response.status_code == 404
    assert response.json()["detail"] == "No TURNOVER figure is recorded for KAZ–BGR in 2023."


def test_growth_over_several_years_uses_derived_values(
    client: TestClient, session: Session
) -> None:
    record_figure(session, "TURNOVER", 2022, "100.0")
    record_figure(session, "EXPORTS", 2022, "60.0")
    body = client.get("/v1/growth", params={**FDI, "indicator": "IMPORTS", "from": 2022}).json()
    # Imports: 40.0 in 2022 and 71.6 in 2024, both derived.
    assert [(i["value"], i["status"]) for i in body["inputs"]] == [
        (40.0, "derived"),
        (71.6, "derived"),
    ]
    assert body["chg"] == 31.6
    assert body["ratio"] == 1.79
    assert body["years"] == 2
    assert body["cagr"] == 33.7909  # sqrt(1.79) − 1


def test_inputs_in_different_units_are_shown_as_given(client: TestClient, session: Session) -> None:
    """100.0 USD millions against 150,000 USD thousands: the change is in thousands, and
    each input keeps its own unit and precision. In thousands, 100.0 millions would read
    100000, precision 0: published to the thousand, which its source never said."""
    record_figure(session, "FDI_INFLOW", 2021, "100.0")
    record_figure(session, "FDI_INFLOW", 2022, "150000", multiplier=3)
    body = client.get("/v1/growth", params={**FDI, "from": 2021, "to": 2022}).json()
    assert (body["unit"]["label"], body["chg"], body["ratio"]) == ("USD thousands", 50000.0, 1.5)
    assert [(i["value"], i["precision"], i["unit"]["label"]) for i in body["inputs"]] == [
        (100.0, 1, "USD millions"),
        (150000, 0, "USD thousands"),
    ]


def test_figures_in_two_currencies_give_no_growth_but_a_reason(
    client: TestClient, session: Session
) -> None:
    """No exchange rates are recorded: nothing, not even the change, can be computed, and
    the answer says why (as a series' growth does), rather than blaming a parameter."""
    record_figure(session, "FDI_INFLOW", 2022, "3.9", currency="EUR")
    response = client.get("/v1/growth", params={**FDI, "from": 2022, "to": 2023})
    body = response.json()
    assert response.status_code == 200
    transformations = ("unit", "chg", "ratio", "pch", "cagr", "log")
    assert [body[name] for name in transformations] == [None] * len(transformations)
    assert "2022 figure is in EUR and the 2023 figure in USD" in body["reason"]
    assert [(i["value"], i["unit"]["currency"]) for i in body["inputs"]] == [
        (3.9, "EUR"),
        (4.2, "USD"),
    ]
    as_csv = client.get("/v1/growth", params={**FDI, "from": 2022, "to": 2023, "format": "csv"})
    assert (as_csv.status_code, as_csv.text.count("\n")) == (200, 2)
    # Named by its span: two spans' downloads were both growth-FDI_INFLOW-KAZ-BGR.csv.
    named = 'attachment; filename="growth-FDI_INFLOW-KAZ-BGR-2022-2023.csv"'
    assert as_csv.headers["content-disposition"] == named


def test_zero_base_gives_nulls_with_a_reason(client: TestClient, session: Session) -> None:
    record_figure(session, "FDI_INFLOW", 2022, "0.0")
    body = client.get("/v1/growth", params={**FDI, "from": 2022, "to": 2023}).json()
    assert body["chg"] == 4.2
    assert body["ratio"] is None and body["pch"] is None and body["cagr"] is None
    assert "zero" in body["reason"]


def test_a_collapse_that_leaves_something_never_reads_as_nothing_left(
    client: TestClient, session: Session
) -> None:
    """4200 to 0.0004 keeps ratio and pch off 0 and -100, which would say it all went."""
    record_figure(session, "FDI_INFLOW", 2020, "4200")
    record_figure(session, "FDI_INFLOW", 2021, "0.0004")
    text = client.get("/v1/growth", params={**FDI, "from": 2020, "to": 2021}).text
    body = json.loads(text, parse_float=Decimal)
    assert body["ratio"] == Decimal("0.000000095")  # 9.5238…E-8 to two significant digits
    assert body["pch"] == Decimal("-99.9999905")
    assert body["log"] == Decimal("-16.166886")  # ln(9.5238…E-8) = -16.1668858…
    assert body["reason"] is None


def test_zero_base_in_a_series(client: TestClient, session: Session) -> None:
    record_figure(session, "FDI_INFLOW", 2022, "0.0")
    points = client.get("/v1/investment", params={"reporter": "KAZ", "partner": "BGR"}).json()
    growth_2023 = points["observations"][1]["growth"]
    assert growth_2023["chg"] == 4.2
    assert growth_2023["ratio"] is None
    assert "zero" in growth_2023["reason"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": 2024, "to": 2023}, "to"),
        ({"from": 2024, "to": 2024}, "to"),
        ({"indicator": "GDP"}, "indicator"),
        ({"from": "x"}, "from"),
        ({"partner": "KAZ"}, "partner"),
        ({"reporter": "ZZZ"}, "reporter"),
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict, field: str) -> None:
    response = client.get("/v1/growth", params={**FDI, **params})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("missing", ["indicator", "reporter", "partner", "from", "to"])
def test_every_parameter_is_required(client: TestClient, missing: str) -> None:
    params = {k: v for k, v in FDI.items() if k != missing}
    response = client.get("/v1/growth", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == missing


def test_growth_with_every_partner_in_one_query(client: TestClient, session: Session) -> None:
    for partner, earlier, later in (("DEU", "10.0", "12.5"), ("CHN", "0.0", "3.0")):
        for year, value in ((2023, earlier), (2024, later)):
            session.add(
                Observation(
                    reporter="KAZ",
                    partner=partner,
                    indicator="EXPORTS",
                    year=year,
                    value=Decimal(value),
                    precision=1,
                    source_id=2,
                    quote="Test.",
                )
            )
    session.commit()
    body = client.get(
        "/v1/growth/partners",
        params={"indicator": "EXPORTS", "reporter": "KAZ", "from": 2023, "to": 2024},
    ).json()
    assert [p["partner"] for p in body["data"]] == ["CHN", "DEU"]  # BGR lacks 2023 exports
    chn, deu = body["data"]
    assert (deu["earlier"], deu["later"], deu["ratio"], deu["pch"], deu["chg"]) == (
        10.0,
        12.5,
        1.25,
        25,
        2.5,
    )
    assert chn["ratio"] is None and "zero" in chn["reason"]
    fdi = client.get(
        "/v1/growth/partners",
        params={"indicator": "FDI_INFLOW", "reporter": "KAZ", "from": 2023, "to": 2024},
    ).json()
    assert fdi["data"][0]["pch"] == 85.7143
    bad = client.get(
        "/v1/growth/partners",
        params={"indicator": "FDI_INFLOW", "reporter": "KAZ", "from": 2024, "to": 2023},
    )
    assert bad.status_code == 422


def partner_growth(client: TestClient, **params: object) -> dict[str, dict]:
    query = {"indicator": "EXPORTS", "reporter": "KAZ", "from": 2020, "to": 2024} | params
    body = client.get("/v1/growth/partners", params=query).json()
    return {row["partner"]: row for row in body["data"]}


def test_each_partner_s_growth_says_its_unit_and_agrees_with_the_pair_s(
    client: TestClient, session: Session
) -> None:
    """Units differ from partner to partner: each row names its own, converts figures that
    differ only in multiplier (as /v1/growth does), and lists, with a reason, those that
    differ in currency rather than leaving the partner out."""
    record_figure(session, "EXPORTS", 2020, "2.5", partner="DEU", multiplier=9)
    record_figure(session, "EXPORTS", 2024, "3100000", partner="DEU", multiplier=3)
    record_figure(session, "EXPORTS", 2020, "12.5", partner="FRA")
    record_figure(session, "EXPORTS", 2024, "14.0", partner="FRA")
    record_figure(session, "EXPORTS", 2020, "7.1", partner="ESP", currency="EUR")
    record_figure(session, "EXPORTS", 2024, "9.3", partner="ESP")
    rows = partner_growth(client)
    assert list(rows) == ["DEU", "ESP", "FRA"]
    deu = rows["DEU"]
    assert deu["unit"] == {"currency": "USD", "multiplier": 3, "label": "USD thousands"}
    assert (deu["earlier"], deu["later"], deu["chg"], deu["ratio"]) == (
        2500000,
        3100000,
        600000,
        1.24,
    )
    assert rows["FRA"]["unit"]["label"] == "USD millions" and rows["FRA"]["chg"] == 1.5
    esp = rows["ESP"]
    assert [esp[k] for k in ("unit", "earlier", "later", "ratio", "chg", "pch")] == [None] * 6
    assert "in EUR and the 2024 figure in USD" in esp["reason"]
    for partner, row in rows.items():
        pair = client.get(
            "/v1/growth",
            params={"indicator": "EXPORTS", "reporter": "KAZ", "partner": partner}
            | {"from": 2020, "to": 2024},
        ).json()
        same = ("unit", "ratio", "chg", "pch", "cagr", "log", "reason")
        assert {k: row[k] for k in same} == {k: pair[k] for k in same}, partner
    as_csv = client.get(
        "/v1/growth/partners",
        params={"indicator": "EXPORTS", "reporter": "KAZ", "from": 2020, "to": 2024}
        | {"format": "csv"},
    )
    lines = as_csv.text.splitlines()
    assert lines[0].startswith("partner,unit_currency,unit_multiplier,unit_label,earlier,")
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["DEU", "USD", "3", "USD thousands"],
        ["ESP", "", "", ""],
        ["FRA", "USD", "6", "USD millions"],
    ]


# The widest spread the write rules allow: 15 digits in billions against 6 decimals in units.
WIDE, FINE = "999999999999999", "0.000001"


def test_a_figure_converted_to_a_finer_unit_reads_alike_in_json_and_csv(
    client: TestClient, session: Session
) -> None:
    """1.5 USD billions is 1500 USD millions (1.5E+3): JSON wrote 1500.0, a decimal the
    figure lacks, which a client reading decimals takes for one, while CSV wrote 1500."""
    record_figure(session, "EXPORTS", 2020, "1.5", partner="DEU", multiplier=9)
    record_figure(session, "EXPORTS", 2024, "1600", partner="DEU")
    query = {"indicator": "EXPORTS", "reporter": "KAZ", "from": 2020, "to": 2024}
    as_json = client.get("/v1/growth/partners", params=query).text
    assert '"earlier":1500,"later":1600,' in as_json
    answer = client.get("/v1/growth/partners", params={**query, "format": "csv"})
    named = 'attachment; filename="growth-EXPORTS-KAZ-2020-2024.csv"'
    assert answer.headers["content-disposition"] == named
    (row,) = csv.DictReader(io.StringIO(answer.text))
    assert (row["earlier"], row["later"]) == ("1500", "1600")


def test_figures_far_apart_in_unit_are_exact_and_never_a_500(
    client: TestClient, session: Session
) -> None:
    """In units, 999999999999999 billions less 0.000001 has 30 digits: more than the default
    decimal context's 28, which rounded the change and failed to round intervals for show."""
    exact = Decimal("999999999999998999999999.999999")
    record_figure(session, "TURNOVER", 2020, WIDE, partner="FRA", multiplier=9)
    record_figure(session, "EXPORTS", 2020, FINE, partner="FRA", multiplier=0)
    record_figure(session, "FDI_INFLOW", 2019, FINE, partner="ITA", multiplier=0)
    record_figure(session, "FDI_INFLOW", 2020, WIDE, partner="ITA", multiplier=9)

    imports = client.get("/v1/imports/2020?reporter=KAZ&partner=FRA")
    assert imports.status_code == 200, imports.text
    point = json.loads(imports.text, parse_float=Decimal)
    assert (point["value"], point["status"]) == (exact, "derived")
    growth = client.get(
        "/v1/growth?indicator=FDI_INFLOW&reporter=KAZ&partner=ITA&from=2019&to=2020"
    )
    assert growth.status_code == 200, growth.text
    assert json.loads(growth.text, parse_float=Decimal)["chg"] == exact
    for url in (
        "/",
        "/v1/balance?reporter=KAZ&partner=FRA",
        "/v1/imports.svg?reporter=KAZ&partner=FRA",
        "/v1/imports?reporter=KAZ&partner=FRA&format=csv",
        "/v1/investment?reporter=KAZ&partner=ITA",
        "/v1/investment.svg?reporter=KAZ&partner=ITA",
        "/v1/identity-checks?reporter=KAZ&partner=FRA",
    ):
        assert client.get(url).status_code == 200, url


def test_a_fall_to_a_zero_that_may_be_a_deficit_has_no_ratio_on_every_route(
    client: TestClient, session: Session
) -> None:
    """A balance published as 0.0 may stand for a deficit of 0.05, and one derived as
    0 ± 0.1 for one of 0.1: as for a derived 0.05 ± 0.055, no ratio says how it grew, in
    the series, in /v1/growth and in /v1/growth/partners alike. A fall of exports to 0.0,
    which cannot be negative, keeps its ratio."""
    reason = (
        "the later value may be as low as {} within its rounding, below zero, so no ratio "
        "is meaningful"
    )
    record_figure(session, "BALANCE", 2023, "50.0", partner="DEU")
    record_figure(session, "BALANCE", 2024, "0.0", partner="DEU")  # published
    record_figure(session, "BALANCE", 2023, "50.0", partner="AUT")
    record_figure(session, "EXPORTS", 2024, "5.0", partner="AUT")
    record_figure(session, "IMPORTS", 2024, "5.0", partner="AUT")  # balance 0 ± 0.1
    record_figure(session, "EXPORTS", 2023, "50.0", partner="FRA")
    record_figure(session, "EXPORTS", 2024, "0.0", partner="FRA")
    span = {"reporter": "KAZ", "from": 2023, "to": 2024}
    for partner, least in (("DEU", "-0.05"), ("AUT", "-0.10")):
        pair = client.get("/v1/growth", params=span | {"indicator": "BALANCE", "partner": partner})
        assert (pair.json()["ratio"], pair.json()["pch"]) == (None, None), partner
        assert pair.json()["reason"] == reason.format(least)
    rows = partner_growth(client, indicator="BALANCE", **{"from": 2023})
    assert (rows["DEU"]["ratio"], rows["DEU"]["reason"]) == (None, reason.format("-0.05"))
    assert partner_growth(client, **{"from": 2023})["FRA"]["pch"] == -100
    for partner, least in (("DEU", "-0.05"), ("AUT", "-0.10")):
        balance = client.get("/v1/balance/2024", params={"reporter": "KAZ", "partner": partner})
        growth = balance.json()["growth"]
        assert growth["ratio"] is None and growth["reason"] == reason.format(least), partner
    exports = client.get("/v1/exports/2024", params={"reporter": "KAZ", "partner": "FRA"})
    assert exports.json()["growth"]["pch"] == -100
